"""A port where a service is down, but counted: it accepts each connection and hangs up at
once (or, holding, never answers), so a test can tell how often a client tried and that it
gave up on its own, without a stopwatch."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class HangUps:
    def __init__(self, port: int = 0, *, hold: bool = False) -> None:
        self._server = socket.create_server(("127.0.0.1", port))
        self._server.settimeout(0.05)  # the accept loop looks at `_stop` this often
        self.port: int = self._server.getsockname()[1]
        self.hold = hold  # keep connections open without a word, instead of closing them
        self.attempts = 0  # connections accepted
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            self.attempts += 1  # counted before the client can see the hang-up
            if self.hold:
                self._held.append(conn)
            else:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self._held:
            conn.close()
        self._server.close()


@contextmanager
def hang_ups(port: int = 0, *, hold: bool = False) -> Iterator[HangUps]:
    """HangUps on `port` (0: a free one) for as long as the block runs."""
    listener = HangUps(port, hold=hold)
    try:
        yield listener
    finally:
        listener.close()
