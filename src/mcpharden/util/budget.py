"""Time budgets: a file, an image or a run that takes longer than its budget is stopped and
reported as a notice, never a hang.

A budget is a timer signal (SIGALRM) that raises BudgetExceeded in the Python code running
when it fires, so it interrupts pure-Python work (a parser in a pathological case) and takes
effect when C code returns. Signals exist only in the main thread; elsewhere (a worker
thread of the MCP server) a budget does nothing, and the size bounds still hold.

Work in such a thread stops instead when its caller gives up: `cancellable(stop)` makes
`checkpoint()`, called between files and folders, raise Cancelled once `stop` is set.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

FILE_SECONDS = 10.0


class BudgetExceeded(BaseException):
    """A BaseException, like KeyboardInterrupt: the `except Exception` of a parser must not
    swallow it and carry on with the work it stops."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than its {seconds:g} s budget: stopped")
        self.seconds = seconds


_active = threading.local()


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise BudgetExceeded if the block runs longer than `seconds` (outermost budget wins)."""
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not usable or getattr(_active, "seconds", None) is not None:
        yield
        return

    def expire(_signal, _frame):
        raise BudgetExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    _active.seconds = seconds
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _active.seconds = None


class Cancelled(BaseException):
    """The caller gave up on the work (a cancelled `mcpharden serve` call). A BaseException
    for the reason BudgetExceeded is one: nothing on the way may carry on."""


@contextmanager
def cancellable(stop: threading.Event) -> Iterator[None]:
    """Run the block so that checkpoint() in this thread raises Cancelled once `stop` is set."""
    previous = getattr(_active, "stop", None)
    _active.stop = stop
    try:
        yield
    finally:
        _active.stop = previous


def checkpoint() -> None:
    """A place long work may stop at: raises Cancelled if this thread's caller gave up."""
    stop = getattr(_active, "stop", None)
    if stop is not None and stop.is_set():
        raise Cancelled()
