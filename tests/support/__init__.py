"""What the unit tier builds its tests from: the domain, in-memory fakes and test data.

Nothing in this package opens a connection or starts a process (tests/unit/test_tiers.py
checks what it imports); helpers that need PostgreSQL, an S3 server or a `pichr serve` live in
tests/integration."""
