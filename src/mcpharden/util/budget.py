"""Time budgets: a file, an image or a run that takes longer than its budget is stopped and
reported as a notice, never a hang.

A budget is a timer signal (SIGALRM) that raises BudgetExceeded in the Python code running
when it fires, so it interrupts pure-Python work (a parser in a pathological case) and takes
effect when C code returns. Signals exist only in the main thread; elsewhere (a worker
thread of the MCP server) a budget does nothing, and the size bounds still hold.
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
