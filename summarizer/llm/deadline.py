"""An overall deadline for a streamed answer (`KIOK_LLM__ANSWER_TIMEOUT`).

The clients' idle timeout bounds silence between tokens, never the whole answer, so a model producing
one token every few seconds would otherwise hold the asker (and everyone queued behind) for as long as
it likes. `until_deadline` reads the stream on a helper thread and gives up at the deadline even while a
read is blocked; the helper closes the stream (ending the request) as soon as that read returns.
"""

import queue
import threading
import time
from collections.abc import Callable, Iterator

from summarizer.errors import LLMTimeout

_END = object()


def until_deadline(
    deltas: Iterator[str],
    *,
    deadline: float,
    seconds: float,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """Yield `deltas` until `deadline` (a `clock()` value), then raise LLMTimeout. `seconds` is the
    configured deadline, for the message; errors of the stream itself are re-raised unchanged."""
    if clock() >= deadline:  # no request at all when the time is already up
        raise _late(seconds)
    pieces: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    def pump() -> None:
        try:
            for delta in deltas:
                if stop.is_set():
                    break
                pieces.put(delta)
            pieces.put(_END)
        except BaseException as exc:  # handed to the reader, which re-raises it
            pieces.put(exc)
        finally:
            close = getattr(deltas, "close", None)
            if close is not None:
                close()

    threading.Thread(target=pump, name="kiok-llm-stream", daemon=True).start()
    try:
        while True:
            remaining = deadline - clock()
            if remaining <= 0:
                raise _late(seconds)
            try:
                item = pieces.get(timeout=remaining)
            except queue.Empty:
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, str)
            yield item
    finally:
        stop.set()


def _late(seconds: float) -> LLMTimeout:
    return LLMTimeout(
        f"no complete answer within {seconds:g} s (KIOK_LLM__ANSWER_TIMEOUT): the model is producing "
        "tokens very slowly, or the server is overloaded"
    )


__all__ = ["until_deadline"]
