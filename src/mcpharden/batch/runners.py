"""Where the audits run: a local pool of worker processes (one process audits many servers:
start-up is most of a one-server run), or an existing Dask distributed scheduler. Both yield
outcomes as they complete.

Every audit runs in a worker process of mcpharden's own (`_Worker`), in its own process group,
under a deadline: a server whose audit is not done in time, or whose worker dies (the OOM killer,
a crash in a parser's native code), is an error outcome of its own, its worker and everything the
worker started (a `git clone`) are killed, a fresh worker takes the next server, and the batch
goes on. On Dask the same happens inside each Dask worker, so a hostile input never hangs a
Dask worker thread either."""

from __future__ import annotations

import ipaddress
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mcpharden.batch.inputs import InputError, ServerTask
from mcpharden.batch.work import BatchSettings, ServerOutcome, audit_server

SERVER_SECONDS = 900.0  # `--server-timeout`: a clone, a scan and an image pull of a large server fit well inside


def run_local(tasks: list[ServerTask], settings: BatchSettings, workers: int | None,
              seconds: float = SERVER_SECONDS) -> Iterator[ServerOutcome]:
    """`workers` threads, each driving one worker process at a time through `_Workers`."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    pool = _Workers()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mcpharden-batch") as threads:
        futures = [threads.submit(pool.audit, task, settings, seconds) for task in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:  # done, or the batch was stopped (Ctrl-C, a database error): no process outlives it
            for future in futures:
                future.cancel()
            pool.close()


@dataclass(frozen=True)
class Cluster:
    """A Dask scheduler to run on, and how to reach it safely."""

    address: str
    tls_ca_file: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    @property
    def uses_tls(self) -> bool:
        return self.address.lower().startswith("tls://")


def cluster(address: str | None, tls_ca_file: str | None = None, tls_cert: str | None = None, tls_key: str | None = None,
            insecure: bool = False) -> Cluster | None:
    """The scheduler `--cluster` names (None: run locally), checked before anything connects. Dask
    moves pickles: whoever can talk to the scheduler runs code on its workers and, through the
    results, on this machine. So plain `tcp://` is for this machine only, unless the user says
    `--insecure-cluster`."""
    if not address:
        if tls_ca_file or tls_cert or tls_key or insecure:
            raise InputError("--tls-ca-file, --tls-cert, --tls-key and --insecure-cluster go with --cluster")
        return None
    scheme = address.split("://", 1)[0].lower() if "://" in address else "tcp"
    if scheme not in ("tcp", "tls"):
        raise InputError(f"--cluster {address}: use tls://HOST:PORT (or tcp:// on this machine)")
    try:
        host = urlsplit(f"{scheme}://{address.split('://', 1)[-1]}").hostname or ""
    except ValueError:
        host = ""
    if not host:
        raise InputError(f"--cluster {address}: not a scheduler address (tls://HOST:PORT)")
    given = [name for name, value in (("--tls-ca-file", tls_ca_file), ("--tls-cert", tls_cert), ("--tls-key", tls_key)) if value]
    if given and scheme != "tls":
        raise InputError(f"{given[0]}: only for a tls:// scheduler")
    if tls_key and not tls_cert:
        raise InputError("--tls-key: give the certificate too (--tls-cert)")
    for name, value in (("--tls-ca-file", tls_ca_file), ("--tls-cert", tls_cert), ("--tls-key", tls_key)):
        if value and not Path(value).is_file():
            raise InputError(f"{name} {value}: no such file")
    if scheme == "tcp" and not _loopback(host) and not insecure:
        raise InputError(f"--cluster {address}: plain tcp:// to another machine lets anyone on the network run code on"
                         " the workers and on this machine; use tls:// (--tls-ca-file, --tls-cert, --tls-key), or"
                         " --insecure-cluster if that network is trusted")
    target = Cluster(address, tls_ca_file, tls_cert, tls_key)
    try:
        client_security = security(target)
    except ImportError:
        raise InputError("--cluster needs Dask's distributed: pip install 'mcpharden[cluster]'") from None
    if client_security is not None and not (client_security.tls_ca_file or client_security.tls_client_cert):
        raise InputError(f"--cluster {address}: give --tls-ca-file (and --tls-cert, --tls-key), or set"
                         " distributed.comm.tls.ca-file and .client.cert in Dask's configuration")
    return target


def security(target: Cluster):
    """Dask's `Security` for the client: from the TLS options, else from Dask's own configuration
    (`distributed.comm.tls.*`); with TLS, encryption is required on every connection."""
    from distributed.security import Security

    if not target.uses_tls:
        return None
    if not (target.tls_ca_file or target.tls_cert):
        return Security(require_encryption=True)  # Dask's configuration says where the files are
    return Security(tls_ca_file=target.tls_ca_file, tls_client_cert=target.tls_cert, tls_client_key=target.tls_key,
                    require_encryption=True)


def run_dask(tasks: list[ServerTask], settings: BatchSettings, target: Cluster | str,
             seconds: float = SERVER_SECONDS) -> Iterator[ServerOutcome]:
    """The same work on an existing Dask scheduler; workers need mcpharden."""
    from distributed import Client, as_completed

    target = target if isinstance(target, Cluster) else Cluster(target)
    with Client(target.address, timeout="30s", security=security(target)) as client:
        futures = client.map(audit_in_worker, tasks, settings=settings, seconds=seconds, pure=False,
                             key=[f"mcpharden-{i}" for i in range(len(tasks))])
        by_key = {future.key: task for future, task in zip(futures, tasks)}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as error:
                yield _failed(by_key[future.key], "worker", f"{type(error).__name__}: {error}")


_DASK_WORKERS: _Workers | None = None
_DASK_LOCK = threading.Lock()


def audit_in_worker(task: ServerTask, settings: BatchSettings, seconds: float = SERVER_SECONDS) -> ServerOutcome:
    """What a Dask worker runs: the audit in a worker process of its own, under the deadline."""
    global _DASK_WORKERS
    with _DASK_LOCK:
        if _DASK_WORKERS is None:
            import atexit

            _DASK_WORKERS = _Workers()
            atexit.register(_DASK_WORKERS.close)  # the Dask worker stops: so do its audits
    return _DASK_WORKERS.audit(task, settings, seconds)


class _Workers:
    """Idle worker processes, handed to one thread at a time; a worker that was killed or died is
    dropped and the next audit starts a fresh one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False

    def audit(self, task: ServerTask, settings: BatchSettings, seconds: float) -> ServerOutcome:
        with self._lock:
            if self._closed:
                return _failed(task, "worker", "the batch was stopped")
            worker = self._idle.pop() if self._idle else None
        if worker is not None and worker.process.poll() is not None:  # it died idle: not this server's doing
            with self._lock:
                self._all.discard(worker)
            worker.discard()
            worker = None
        try:
            worker = worker or self._started()
        except OSError as error:
            return _failed(task, "worker", f"could not start a worker process: {error.strerror or error}")
        outcome = worker.audit(task, settings, seconds)
        with self._lock:
            keep = worker.usable and not self._closed
            if keep:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
        if not keep:
            worker.discard()
        return outcome

    def _started(self) -> _Worker:
        worker = _Worker()
        with self._lock:
            self._all.add(worker)
            if self._closed:
                worker.kill()  # the batch stopped while it started: its audit fails at once
        return worker

    def close(self) -> None:
        """Kill every worker: an idle one at once, a busy one's audit then ends as failed."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            busy = [worker for worker in self._all if worker not in idle]
        for worker in idle:
            worker.discard()
        for worker in busy:
            worker.kill()


class _Worker:
    """One worker process (`python -c "...worker_main()"`): it reads (task, settings) pickles on its stdin
    and writes each outcome on its stdout. Its own session and process group, so that a kill
    reaches the `git` it started, and Ctrl-C in the terminal reaches only the batch itself."""

    def __init__(self) -> None:
        env = dict(os.environ)
        package = Path(__file__).resolve().parents[2]
        if package.name not in ("site-packages", "dist-packages"):  # a source tree: the same mcpharden as this process
            env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(package), os.environ.get("PYTHONPATH"))))
        self.process = subprocess.Popen([sys.executable, "-P", "-c", "from mcpharden.batch.runners import worker_main; worker_main()"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, start_new_session=True)
        self.usable = True
        self.deadline_passed = False

    def audit(self, task: ServerTask, settings: BatchSettings, seconds: float) -> ServerOutcome:
        try:
            pickle.dump((task, settings), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
            return self._answer(seconds)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):  # ValueError: a pipe already closed
            self.usable = False
            if self.deadline_passed:
                return _failed(task, "deadline", f"not done after {seconds:g} s (--server-timeout): its worker was stopped")
            return _failed(task, "worker", "the worker process died while auditing it")

    def _answer(self, seconds: float) -> ServerOutcome:
        """The outcome; at the deadline the worker is killed, and the read fails."""
        if os.name == "posix":  # select() waits on a pipe here: no timer thread per server (they cost a tenth)
            import select

            if not select.select([self.process.stdout], [], [], seconds)[0]:
                self._expire()
            return pickle.load(self.process.stdout)
        timer = threading.Timer(seconds, self._expire)
        timer.daemon = True
        timer.start()
        try:
            return pickle.load(self.process.stdout)
        finally:
            timer.cancel()

    def _expire(self) -> None:
        self.deadline_passed = True
        self.kill()

    def kill(self) -> None:
        """The worker and every process it started. A read blocked on its pipe then ends (no
        writer is left), so this never waits for the thread that uses the worker."""
        self.usable = False
        try:
            # Its own group (start_new_session), which outlives a worker killed alone (by the OOM
            # killer): the git it left behind goes too. The id is not reused while the group exists.
            os.killpg(self.process.pid, signal.SIGKILL)
        except (AttributeError, OSError):  # no process groups here, or the group is gone
            if self.process.poll() is None:
                self.process.kill()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def discard(self) -> None:
        """Killed, and its pipes closed (only by the thread that used it)."""
        self.kill()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


def worker_main() -> None:
    """The worker process's loop. The pipes are moved off fds 0 and 1, so that nothing a library
    prints can corrupt them and nothing it starts can read them."""
    tasks = os.fdopen(os.dup(0), "rb")
    results = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    while True:
        try:
            task, settings = pickle.load(tasks)
        except (EOFError, OSError, pickle.UnpicklingError):  # the batch is done (or gone)
            return
        pickle.dump(audit_server(task, settings), results, protocol=pickle.HIGHEST_PROTOCOL)
        results.flush()


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _failed(task: ServerTask, step: str, message: str) -> ServerOutcome:
    return ServerOutcome(key=task.key, name=task.name, location=task.repository, commit=task.commit, image=task.image,
                         status="error", errors=((step, message),))
