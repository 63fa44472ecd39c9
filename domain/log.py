"""The name of the event log, which the command side writes and every reader of the log reads.

Like the event topics, it is part of the permanent contract: the eventsourcing Application is
pinned to LOG_NAME (application/store/app.py) and the library names its table, and the channel
it notifies on each commit, after it. Readers (projections, the job dispatcher, the CLI) take it
from here, below both the command and the read side, so neither imports the other for it.
"""

from __future__ import annotations

LOG_NAME = "pichr"
EVENTS_TABLE = f"{LOG_NAME}_events"  # also the channel a commit's NOTIFY goes to
