"""Storage ledgers are kept by each process's repository and brought up to date from the log on
every load: reservations made by other processes are never missed, so a quota holds across
processes, and a failed save leaves the kept ledger as it was."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError

from pichr.application.uploads.plans import DEFAULT_PLANS, Plan
from pichr.application.uploads.quota import Quotas
from pichr.domain.quota import QuotaExceededError, ledger_id
from tests.integration.helpers import make_app

pytestmark = pytest.mark.integration
PLANS = {**DEFAULT_PLANS, "tiny": Plan("tiny", 100, 100, 1000, 1000)}


def test_two_processes_share_one_quota_through_their_kept_ledgers(database_url: str) -> None:
    one, two = make_app(database_url), make_app(database_url)
    try:
        quotas = Quotas(one, PLANS), Quotas(two, PLANS)
        assert one.repository.cache is not None  # ledgers are kept
        for n in range(6):  # alternate: each load must see the other's reservations
            ledger = quotas[n % 2].reserve("t", "acct", "tiny", f"file_{n}", 150)
            (one, two)[n % 2].save(ledger)
        assert quotas[0].ledger("acct").used == quotas[1].ledger("acct").used == 900
        with pytest.raises(QuotaExceededError):
            quotas[1].reserve("t", "acct", "tiny", "file_x", 150)  # 1050 > 1000
        # A reservation that was never saved leaves nothing in the kept ledger.
        assert quotas[1].ledger("acct").used == 900
        stale = quotas[0].ledger("acct")
        two.save(quotas[1].reserve("t", "acct", "tiny", "file_6", 50))
        stale.reserve(actor="t", file_id="file_7", size=50, quota=1000)
        with pytest.raises(IntegrityError):  # a concurrent write: refused
            one.save(stale)
        assert quotas[0].ledger("acct").used == 950
        assert (
            one.repository.get(ledger_id("acct")).version
            == two.repository.get(ledger_id("acct")).version
        )
    finally:
        one.close()
        two.close()
