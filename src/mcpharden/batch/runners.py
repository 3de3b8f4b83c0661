"""Where the audits run: a local process pool (one process audits many servers: start-up is
most of a one-server run), or an existing Dask distributed scheduler. Both yield outcomes as
they complete; a task whose worker died becomes an error outcome for that server."""

from __future__ import annotations

import os
from collections.abc import Iterator

from mcpharden.batch.inputs import ServerTask
from mcpharden.batch.work import BatchSettings, ServerOutcome, audit_server


def run_local(tasks: list[ServerTask], settings: BatchSettings, workers: int | None) -> Iterator[ServerOutcome]:
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    workers = workers or os.cpu_count() or 1
    yielded: set[str] = set()
    broken = False
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(tasks)))) as pool:
        futures = {pool.submit(audit_server, task, settings): task for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                outcome = future.result()
            except BrokenProcessPool:
                broken = True
                break
            except Exception as error:
                outcome = _failed(task, "worker", f"{type(error).__name__}: {error}")
            yielded.add(task.key)
            yield outcome
    if not broken:
        return
    # A worker died (killed for memory, a crash in a parser's C code) and took the pool with
    # it; which server did it is unknown, so the rest run one per process: the culprit
    # becomes an error of its own and the others are audited.
    for task in [t for t in tasks if t.key not in yielded]:
        with ProcessPoolExecutor(max_workers=1) as alone:
            try:
                yield alone.submit(audit_server, task, settings).result()
            except BrokenProcessPool:
                yield _failed(task, "worker", "the worker process died while auditing it")


def run_dask(tasks: list[ServerTask], settings: BatchSettings, address: str) -> Iterator[ServerOutcome]:
    """The same work on an existing Dask scheduler (`tcp://HOST:PORT`); workers need mcpharden."""
    from distributed import Client, as_completed

    with Client(address, timeout="30s") as client:
        futures = client.map(audit_server, tasks, settings=settings, pure=False, key=[f"mcpharden-{i}" for i in range(len(tasks))])
        by_key = {future.key: task for future, task in zip(futures, tasks)}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as error:
                yield _failed(by_key[future.key], "worker", f"{type(error).__name__}: {error}")


def _failed(task: ServerTask, step: str, message: str) -> ServerOutcome:
    return ServerOutcome(key=task.key, name=task.name, location=task.location, commit=task.commit, image=task.image,
                         status="error", errors=((step, message),))
