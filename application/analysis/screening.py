"""The blocklist check of an analysis (application/moderation/blocklist.py), asked while the model
scores.

The answer is the same read-model query the screener would run at record time, only asked a
model run earlier: the blocklist is a read model that lags the log anyway, so the check was
never atomic with the save, and the block still lands in the same save as ImageAnalyzed.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from pichr.application.moderation.blocklist import Blocklist, BlockMatch, Screener

_asker = ThreadPoolExecutor(2, thread_name_prefix="blocklist-ahead")
Question = tuple[str | None, str | None, str]


class AskedAhead:
    """A Blocklist whose answers for the files in hand were asked in the background; any
    other question goes to the real one."""

    def __init__(self, blocklist: Blocklist) -> None:
        self.blocklist = blocklist
        self.asked: dict[Question, Future[BlockMatch | None]] = {}

    def ask(self, sha256: str | None, phash: str | None, exclude: str) -> None:
        question = (sha256, phash, exclude)
        self.asked[question] = _asker.submit(self.blocklist.match, *question)

    def match(self, sha256: str | None, phash: str | None, exclude: str) -> BlockMatch | None:
        asked = self.asked.pop((sha256, phash, exclude), None)
        if asked is None:
            return self.blocklist.match(sha256, phash, exclude)
        return asked.result()


def screening_ahead(screener: Screener) -> tuple[Screener, AskedAhead]:
    """A screener like `screener` that uses the answers asked ahead."""
    ahead = AskedAhead(screener.blocklist)
    return Screener(ahead, screener.quotas), ahead
