"""`mcpharden batch` from what the user named to its summary: the servers to audit (folders, a
list, a catalog), those not done yet (unless --rescan), run on local workers or a Dask cluster,
each outcome recorded as it arrives. Errors are UsageErrors; the command line prints."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mcpharden.errors import UsageError

# A registry as image references name it: a host name or address, an optional port.
_REGISTRY_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:]+\])(?::[0-9]{1,5})?")


@dataclass(frozen=True)
class BatchRequest:
    """What `mcpharden batch` was asked, as its options name it."""

    directories: tuple[str, ...] = ()
    list_file: str | None = None
    catalog: str | None = None
    mirrors: tuple[str, ...] = ()
    db: str = "results.sqlite"
    workers: int | None = None
    cluster: str | None = None
    tls_ca_file: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    insecure_cluster: bool = False
    server_timeout: float | None = None  # seconds; None: SERVER_SECONDS
    rescan: bool = False
    images: bool = True
    platform: str | None = None
    cache: str | None = None
    honour_repository_suppressions: bool = False
    registry_mirror: str | None = None  # HOST[:PORT]: where images of Docker Hub are pulled from
    vuln_dbs: tuple[str, ...] = ()  # OSV advisories the images' packages are matched against


@dataclass(frozen=True)
class BatchSummary:
    audited: int
    skipped: int  # already done in an earlier run
    failed: int
    seconds: float


def run_batch(request: BatchRequest, progress: Callable[[str], None] | None = None) -> BatchSummary:
    """Audit the servers `request` names into its database; `progress` gets a line per server."""
    from mcpharden.batch.inputs import InputError, from_catalog, from_directories, from_list
    from mcpharden.batch.runners import SERVER_SECONDS, cluster, run_dask, run_local
    from mcpharden.batch.store import Store, StoreError
    from mcpharden.batch.work import BatchSettings
    from mcpharden.util.usercache import cache_folder

    try:
        tasks = from_directories(list(request.directories))
        if request.list_file:
            tasks += from_list(Path(request.list_file))
        if request.catalog:
            tasks += from_catalog(Path(request.catalog), [Path(m) for m in request.mirrors])
        if not tasks:
            raise InputError("nothing to audit: give folders, --list or --catalog")
        if request.workers is not None and request.workers < 1:
            raise InputError("--workers: at least 1")
        seconds = SERVER_SECONDS if request.server_timeout is None else request.server_timeout
        if not 0 < seconds < float("inf"):
            raise InputError("--server-timeout: a number of seconds above 0")
        if request.registry_mirror is not None and not _REGISTRY_HOST.fullmatch(request.registry_mirror):
            raise InputError(f"--registry-mirror {request.registry_mirror[:80]!r}: a registry host, HOST[:PORT]"
                             " (as in `mirror.example:5000`), no scheme and no path")
        for db in request.vuln_dbs:
            if not Path(db).exists():
                raise InputError(f"--vuln-db {db}: no such file or directory")
        target = cluster(request.cluster, request.tls_ca_file, request.tls_cert, request.tls_key, request.insecure_cluster)
        cache = request.cache or str(cache_folder("repos"))
        store = Store(Path(request.db))
    except OSError as error:  # no user cache for the clones, or not the user's alone
        raise UsageError(str(error)) from None
    unique = list({task.key: task for task in tasks}.values())
    honour = request.honour_repository_suppressions
    settings = BatchSettings(cache=cache, images=request.images, platform=request.platform,
                             honour_repository_suppressions=honour, registry_mirror=request.registry_mirror,
                             vuln_dbs=tuple(str(Path(db).resolve()) for db in request.vuln_dbs))
    executor = request.cluster or f"local:{request.workers or os.cpu_count() or 1}"
    try:
        done = set() if request.rescan else store.done_keys("honoured" if honour else "counted")
        todo = [task for task in unique if task.key not in done]
        run_id = store.start_run(executor, len(unique))
    except StoreError:
        store.close()
        raise
    started, failed = time.perf_counter(), 0
    outcomes = run_dask(todo, settings, target, seconds) if target else run_local(todo, settings, request.workers, seconds)
    try:
        for number, outcome in enumerate(outcomes, start=1):
            store.record(run_id, outcome)
            failed += outcome.status == "error"
            if progress is not None:
                progress(f"[{number}/{len(todo)}] {outcome.name}: {_batch_line(outcome)}")
        store.finish_run(run_id, len(todo), len(unique) - len(todo), failed)
    except OSError as error:  # a scheduler that cannot be reached (the database's failures are StoreErrors)
        try:
            store.finish_run(run_id, 0, len(done), 0)
        except StoreError:
            pass  # the scheduler's error is the one to show
        raise UsageError(f"{request.cluster or 'the worker pool'}: {error}") from None
    finally:
        store.close()
    return BatchSummary(len(todo), len(unique) - len(todo), failed, time.perf_counter() - started)


def _batch_line(outcome) -> str:
    if outcome.status == "error":
        return "error: " + "; ".join(f"{step}: {message}" for step, message in outcome.errors)
    counts = {s: sum(1 for f in outcome.findings if f["severity"] == s) for s in ("high", "medium", "low")}
    counts["high"] += sum(1 for f in outcome.findings if f["severity"] == "critical")  # the line has no column of its own
    problems = f" ({'; '.join(f'{step}: {message}' for step, message in outcome.errors)})" if outcome.errors else ""
    hidden = len(outcome.suppressed)
    suppressed = f", {hidden} suppressed by the repository ({outcome.repository_suppressions})" if hidden else ""
    graded = f"score {outcome.score} (grade {outcome.grade})" if outcome.grade is not None else f"not graded ({outcome.grade_reason})"
    return f"{graded}, {counts['high']} high, {counts['medium']} medium, {counts['low']} low{suppressed}{problems}"
