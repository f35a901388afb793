"""A background thread that keeps the vector index up to date, so ingesting never waits on embeddings."""

import logging
import threading

from memory.indexer import Indexer

log = logging.getLogger(__name__)


class IndexWorker:
    """Wakes on `notify()` (or every `interval` seconds) and indexes whatever SQL marks pending.

    Failures (vector store down, model trouble) are logged and retried with backoff; pending work is
    in SQL, so nothing is lost while it waits.
    """

    def __init__(self, indexer: Indexer, *, interval: float = 30.0, max_backoff: float = 300.0) -> None:
        self._indexer, self._interval, self._max_backoff = indexer, interval, max_backoff
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiok-index-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        self._idle.clear()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing is pending (for tests and the CLI)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._indexer.index_pending()
                backoff = 1.0
                if not self._wake.is_set():  # a notify() during the run means more work is waiting
                    self._idle.set()
                delay = self._interval
            except Exception:
                log.exception("indexing failed; retrying in %.0f s", backoff)
                delay, backoff = backoff, min(backoff * 2, self._max_backoff)
            self._wake.wait(delay)


__all__ = ["IndexWorker"]
