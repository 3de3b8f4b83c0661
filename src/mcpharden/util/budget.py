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


class ReadBudget:
    """What one scan may read (`mcpharden serve`'s scan_path): a time and a size budget. Once
    either is spent, every later file is left unread with a notice, and the files read so far
    are judged: a partial answer that says what it lacks, instead of a call that never ends.
    `files_read` is also the scan's progress, read from the thread that reports it."""

    def __init__(self, seconds: float, max_bytes: int) -> None:
        import time

        self.seconds = seconds
        self.max_bytes = max_bytes
        self.deadline = time.monotonic() + seconds
        self.files_read = 0
        self.bytes_read = 0
        self.files_skipped = 0
        self.spent: str | None = None  # which budget ran out, once one has

    def allows(self, size: int) -> bool:
        import time

        if self.spent is None:
            if time.monotonic() > self.deadline:
                self.spent = f"its {self.seconds:g} s time budget"
            elif self.bytes_read + size > self.max_bytes:
                self.spent = f"its {round(self.max_bytes / 1024 / 1024, 3):g} MiB size budget"
        if self.spent is not None:
            self.files_skipped += 1
            return False
        self.files_read += 1
        self.bytes_read += size
        return True


@contextmanager
def read_budget(budget: ReadBudget) -> Iterator[None]:
    """Reads in this thread, within the block, count against `budget` (over_read_budget)."""
    import time

    previous = getattr(_active, "reading", None)
    _active.reading = budget
    budget.deadline = time.monotonic() + budget.seconds  # from when the scan starts, not when it was asked for
    try:
        yield
    finally:
        _active.reading = previous


def over_read_budget(size: int) -> str | None:
    """Why a file of `size` bytes is not read (its scan's budget is spent), or None to read it."""
    budget = getattr(_active, "reading", None)
    if budget is None or budget.allows(size):
        return None
    return f"not read: the scan had used up {budget.spent}; the answer covers the files read before"
