"""`mcpharden batch` treats every catalog field and list line as hostile: nothing from them becomes
an option or a command, a folder outside the repository, a stored credential or a crash; a
server that hangs is stopped at its deadline; a Dask cluster is reached over TLS, or plain TCP
on this machine only."""

import base64
import ipaddress
import os
import resource
import select
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import run_cli, write_tree

ROOT_IMAGE = {"Dockerfile": "FROM node:22\nCMD [\"node\", \"index.js\"]\n"}
NONROOT_IMAGE = {"Dockerfile": "FROM gcr.io/distroless/nodejs22-debian12:nonroot@sha256:" + "1" * 64 + "\nCMD [\"/app/x.js\"]\n"}
OUTSIDE_IMAGE = {"Dockerfile": "FROM outside-the-repository:1\nUSER 0\n"}

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def rows(db, query, *parameters):
    with sqlite3.connect(db) as connection:
        return connection.execute(query, parameters).fetchall()


def statuses(db) -> dict[str, str]:
    return dict(rows(db, "SELECT name, status FROM servers"))


def errors_of(db, name) -> list[tuple[str, str]]:
    return rows(db, "SELECT step, message FROM errors JOIN servers ON servers.id = server_id WHERE name = ?", name)


def rules_of(db, name) -> set[str]:
    return {rule for (rule,) in rows(db, "SELECT rule_id FROM findings JOIN servers ON servers.id = server_id WHERE name = ?", name)}


def git(*arguments, cwd=None) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main",
                           *arguments], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def bare_repository(tmp_path: Path) -> tuple[Path, str]:
    """A bare repository whose first commit runs as root, whose `main` then ships a non-root image,
    and whose branch `hardened-branch` does too: (its path, the first commit)."""
    work = write_tree(tmp_path / "work", ROOT_IMAGE)
    git("init", "-q", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "root", cwd=work)
    first = git("rev-parse", "HEAD", cwd=work)
    git("checkout", "-q", "-b", "hardened-branch", cwd=work)
    write_tree(work, NONROOT_IMAGE)
    git("commit", "-q", "-am", "non-root", cwd=work)
    git("checkout", "-q", "main", cwd=work)
    write_tree(work, ROOT_IMAGE | {"README.md": "still root on main\n"})
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "main moves on", cwd=work)
    bare = tmp_path / "server.git"
    git("clone", "-q", "--bare", str(work), str(bare))
    return bare, first


def catalog_entry(name: str, project: str, **source: str) -> str:
    lines = [f"name: {name}", "type: server", "source:", f"  project: {project}"]
    lines += [f"  {key}: {value!r}" if value.startswith(("-", "'")) else f"  {key}: {value}" for key, value in source.items()]
    return "\n".join(lines) + "\n"


@contextmanager
def git_over_http(tmp_path: Path):
    """The bare repository of `bare_repository` served over git's smart HTTP on loopback: a catalog
    names git URLs, never a folder of this machine (file:// included)."""
    server = http_server(_GitOverHttp, root=tmp_path, expected=None)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/server.git"
    finally:
        server.shutdown()


def batch(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return run_cli("batch", *arguments, "--db", str(tmp_path / "r.sqlite"), "--cache", str(tmp_path / "cache"), "--no-images")


# Nothing from input becomes an option -----------------------------------------------------------------


@needs_git
def test_a_catalog_commit_that_is_an_option_runs_no_command(tmp_path):
    bare, first = bare_repository(tmp_path)
    pwned = tmp_path / "pwned"
    with git_over_http(tmp_path) as url:
        write_tree(tmp_path / "servers", {
            "evil/server.yaml": catalog_entry("evil", url, commit=f"--upload-pack=touch {pwned}"),
            "short/server.yaml": catalog_entry("short", url, commit=first[:12]),
            "pinned/server.yaml": catalog_entry("pinned", url, commit=first),
        })
        result = batch(tmp_path, "--catalog", str(tmp_path / "servers"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert not pwned.exists()  # git never saw the value as --upload-pack
    assert statuses(tmp_path / "r.sqlite") == {"evil": "error", "short": "error", "pinned": "done"}
    [(step, message)] = errors_of(tmp_path / "r.sqlite", "evil")
    assert step == "inputs" and "not a full commit hash" in message
    assert "root-user" in rules_of(tmp_path / "r.sqlite", "pinned")  # audited at the commit it names


@needs_git
def test_a_catalog_branch_is_a_ref_name_and_is_what_gets_audited(tmp_path):
    bare, _ = bare_repository(tmp_path)
    pwned = tmp_path / "pwned"
    with git_over_http(tmp_path) as url:
        write_tree(tmp_path / "servers", {
            "option/server.yaml": catalog_entry("option", url, branch=f"--upload-pack=touch {pwned}"),
            "refspec/server.yaml": catalog_entry("refspec", url, branch="main:refs/heads/x"),
            "dots/server.yaml": catalog_entry("dots", url, branch="main..hardened-branch"),
            "branch/server.yaml": catalog_entry("branch", url, branch="hardened-branch"),
        })
        result = batch(tmp_path, "--catalog", str(tmp_path / "servers"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert not pwned.exists()
    assert statuses(tmp_path / "r.sqlite") == {"option": "error", "refspec": "error", "dots": "error", "branch": "done"}
    for name in ("option", "refspec", "dots"):
        assert [step for step, _ in errors_of(tmp_path / "r.sqlite", name)] == ["inputs"]
    assert "root-user" not in rules_of(tmp_path / "r.sqlite", "branch")  # the branch, not the root-running main


@needs_git
def test_a_list_url_that_git_could_read_as_an_option_is_refused(tmp_path):
    listing = tmp_path / "servers.txt"
    listing.write_text("ssh://-oProxyCommand=touch%20pwned/x.git\ngit@-oProxyCommand:owner/name.git\n")
    result = batch(tmp_path, "--list", str(listing), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    assert set(statuses(tmp_path / "r.sqlite").values()) == {"error"}
    assert {step for (step,) in rows(tmp_path / "r.sqlite", "SELECT step FROM errors")} == {"inputs"}
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())  # git never started


# Paths stay inside their clone or mirror -------------------------------------------------------------------


@needs_git
def test_a_catalog_directory_outside_its_repository_is_an_error_row(tmp_path):
    write_tree(tmp_path / "outside", OUTSIDE_IMAGE)
    mirror = write_tree(tmp_path / "mirror" / "example__weather", {"server/Dockerfile": ROOT_IMAGE["Dockerfile"]})
    (mirror / "escape").symlink_to(tmp_path / "outside")
    bare, _ = bare_repository(tmp_path)
    project = "https://github.com/example/weather"
    with git_over_http(tmp_path) as url:
        write_tree(tmp_path / "servers", {
            "climbs/server.yaml": catalog_entry("climbs", project, directory="../../outside"),
            "symlink/server.yaml": catalog_entry("symlink", project, directory="escape"),
            "cloned/server.yaml": catalog_entry("cloned", url, directory="../../outside"),
            "good/server.yaml": catalog_entry("good", project, directory="server"),
        })
        result = batch(tmp_path, "--catalog", str(tmp_path / "servers"), "--mirror", str(tmp_path / "mirror"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    db = tmp_path / "r.sqlite"
    assert statuses(db) == {"climbs": "error", "symlink": "error", "cloned": "error", "good": "done"}
    for name in ("climbs", "symlink", "cloned"):
        [(step, message)] = errors_of(db, name)
        assert step == "inputs" and "outside the repository" in message
    assert not rows(db, "SELECT 1 FROM findings WHERE message LIKE '%outside-the-repository%'")


def test_a_catalog_project_that_is_a_local_folder_is_not_scanned(tmp_path):
    write_tree(tmp_path / "outside", OUTSIDE_IMAGE)
    write_tree(tmp_path / "servers", {
        "absolute/server.yaml": catalog_entry("absolute", str(tmp_path / "outside")),
        "relative/server.yaml": catalog_entry("relative", "../outside"),
        "ext/server.yaml": catalog_entry("ext", "ext::sh -c true"),
    })
    result = batch(tmp_path, "--catalog", str(tmp_path / "servers"))
    assert result.returncode == 0, result.stderr
    db = tmp_path / "r.sqlite"
    assert statuses(db) == {"absolute": "error", "relative": "error", "ext": "error"}
    assert {message.split(":")[-1].strip() for (message,) in rows(db, "SELECT message FROM errors")} == {"not a git URL"}
    assert rows(db, "SELECT COUNT(*) FROM findings") == [(0,)]


# Credentials in list URLs ----------------------------------------------------------------------------------

TOKEN = "s3cr3tT0ken-for-mcpharden-tests"


class _GitOverHttp(BaseHTTPRequestHandler):
    """git's smart HTTP protocol through `git http-backend`, behind Basic authentication."""

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def _serve(self):
        if self.headers.get("Authorization") != self.server.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {"PATH": os.environ["PATH"], "GIT_PROJECT_ROOT": str(self.server.root), "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command, "REMOTE_USER": "alice",
               "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
               "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
               "GIT_PROTOCOL": self.headers.get("Git-Protocol", "")}
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=30)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *arguments):
        pass


def http_server(handler, **attributes) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    for key, value in attributes.items():
        setattr(server, key, value)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@needs_git
def test_list_url_credentials_are_used_and_never_stored_printed_or_kept(tmp_path):
    bare, _ = bare_repository(tmp_path)
    server = http_server(_GitOverHttp, root=tmp_path, expected="Basic " + base64.b64encode(f"alice:{TOKEN}".encode()).decode())
    try:
        port = server.server_address[1]
        listing = tmp_path / "servers.txt"
        listing.write_text(f"http://alice:{TOKEN}@127.0.0.1:{port}/server.git\n")
        result = batch(tmp_path, "--list", str(listing), "--workers", "1")
        assert result.returncode == 0, result.stderr
    finally:
        server.shutdown()
    db = tmp_path / "r.sqlite"
    # The server refuses anyone without the token: a done audit means git sent it.
    assert rows(db, "SELECT key, location, status FROM servers") == [
        (f"http://127.0.0.1:{port}/server.git", f"http://127.0.0.1:{port}/server.git", "done")]
    outputs = tmp_path / "report"
    reported = run_cli("report", "--db", str(db), "--html", str(outputs.with_suffix(".html")),
                       "--csv", str(outputs.with_suffix(".csv")), "--markdown", str(outputs.with_suffix(".md")))
    assert reported.returncode == 0, reported.stderr
    assert TOKEN not in result.stdout + result.stderr + reported.stdout + reported.stderr
    for written in (db, outputs.with_suffix(".html"), outputs.with_suffix(".csv"), outputs.with_suffix(".md")):
        assert TOKEN.encode() not in written.read_bytes(), written
    clones = list((tmp_path / "cache").rglob("*"))
    assert any(path.name == "config" and path.parent.name == ".git" for path in clones)
    for path in clones:
        assert TOKEN not in str(path)
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path  # .git/config, FETCH_HEAD, packed-refs, ...


# Catalog and list files through the bounded readers ---------------------------------------------------------

BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(c)}: &{chr(c)} [*{chr(c - 1)}, *{chr(c - 1)}, *{chr(c - 1)}, *{chr(c - 1)}, *{chr(c - 1)}, *{chr(c - 1)},"
    f" *{chr(c - 1)}, *{chr(c - 1)}, *{chr(c - 1)}]\n" for c in range(ord("b"), ord("j"))) + "name: *i\ntype: server\n"


def run_limited(*arguments: str, memory: int = 2 << 30, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real CLI with its address space capped, so an input that balloons fails the test
    instead of taking the machine's memory."""

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-m", "mcpharden", *arguments], capture_output=True, text=True, timeout=timeout,
                          preexec_fn=cap, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def test_a_yaml_bomb_and_a_non_utf8_catalog_entry_are_error_rows_beside_an_audited_one(tmp_path):
    assert len(BOMB) < 600
    catalog = tmp_path / "servers"
    write_tree(catalog, {"bomb/server.yaml": BOMB,
                         "good/server.yaml": catalog_entry("good", "https://github.com/example/good")})
    (catalog / "latin1").mkdir()
    (catalog / "latin1" / "server.yaml").write_bytes(b"name: caf\xe9\ntype: server\nsource:\n  project: https://github.com/x/y\n")
    write_tree(tmp_path / "mirror" / "example__good", ROOT_IMAGE)
    db = tmp_path / "r.sqlite"
    result = run_limited("batch", "--catalog", str(catalog), "--mirror", str(tmp_path / "mirror"), "--no-images",
                         "--db", str(db), "--workers", "1")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert statuses(db) == {"bomb": "error", "latin1": "error", "good": "done"}
    assert "nodes" in errors_of(db, "bomb")[0][1]  # the YAML node budget stopped it
    assert "UTF-8" in errors_of(db, "latin1")[0][1]


def test_a_list_file_line_that_is_not_utf8_is_one_error_row(tmp_path):
    write_tree(tmp_path / "good", ROOT_IMAGE)
    listing = tmp_path / "servers.txt"
    listing.write_bytes(b"good\nbad-\xff\xfe-folder\n")
    result = batch(tmp_path, "--list", str(listing), "--workers", "1")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert statuses(tmp_path / "r.sqlite") == {"good": "done", "servers.txt line 2": "error"}
    assert "not valid UTF-8" in errors_of(tmp_path / "r.sqlite", "servers.txt line 2")[0][1]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_list_that_is_not_a_regular_file_is_a_usage_error_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "mcpharden", "batch", "--list", str(tmp_path / "fifo"),
                             "--db", str(tmp_path / "r.sqlite")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not a regular file" in result.stderr
    assert time.monotonic() - started < 30


# The per-server deadline -----------------------------------------------------------------------------------


class _Stalls(BaseHTTPRequestHandler):
    """Accepts a request and never answers; notes when the client hangs up (bounded at 60 s)."""

    def do_GET(self):
        self.server.connected.set()
        self.connection.setblocking(False)
        limit = time.monotonic() + 60
        while time.monotonic() < limit:
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            try:
                if readable and not self.connection.recv(1024):
                    break
            except (BlockingIOError, ConnectionError):
                break
        self.server.hung_up.append(time.monotonic())
        self.close_connection = True

    def log_message(self, *arguments):
        pass


@needs_git
def test_a_server_past_its_deadline_is_an_error_row_and_the_batch_goes_on(tmp_path):
    server = http_server(_Stalls, connected=threading.Event(), hung_up=[])
    write_tree(tmp_path / "good", ROOT_IMAGE)
    listing = tmp_path / "servers.txt"
    listing.write_text(f"http://127.0.0.1:{server.server_address[1]}/stalls.git\ngood\n")
    try:
        started = time.monotonic()
        result = batch(tmp_path, "--list", str(listing), "--workers", "2", "--server-timeout", "3")
        finished = time.monotonic()
        assert result.returncode == 0, result.stderr
        assert finished - started < 40  # not the clone's own 300 s
        assert server.connected.is_set()
        deadline = time.monotonic() + 10
        while not server.hung_up and time.monotonic() < deadline:
            time.sleep(0.1)
        # The worker's `git` died with it: nobody is left talking to the stalling server.
        assert server.hung_up and server.hung_up[0] - started < 30
    finally:
        server.shutdown()
    db = tmp_path / "r.sqlite"
    assert statuses(db) == {"stalls": "error", "good": "done"}
    [(step, message)] = errors_of(db, "stalls")
    assert step == "deadline" and "3 s" in message
    assert rows(db, "SELECT servers_audited, servers_failed FROM runs") == [(2, 1)]


def _processes() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, command line)} of this machine's processes (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            found[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), command)
    return found


@needs_git
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_worker_killed_mid_audit_loses_only_its_server(tmp_path):
    from mcpharden.batch.inputs import from_directories, from_list
    from mcpharden.batch.runners import run_local
    from mcpharden.batch.work import BatchSettings

    server = http_server(_Stalls, connected=threading.Event(), hung_up=[])
    url = f"http://127.0.0.1:{server.server_address[1]}/stalls.git"
    (tmp_path / "servers.txt").write_text(url + "\n")
    tasks = from_list(tmp_path / "servers.txt") + from_directories([str(write_tree(tmp_path / "good", ROOT_IMAGE))])

    def kill_the_stalled_worker():  # as the OOM killer would: the worker process, not its group
        assert server.connected.wait(60)
        processes = _processes()
        [pid] = [pid for pid, (_, command) in processes.items() if url in command and "remote" in command][:1]
        while processes[pid][0] != os.getpid():
            pid = processes[pid][0]
        os.kill(pid, 9)

    killer = threading.Thread(target=kill_the_stalled_worker, daemon=True)
    killer.start()
    try:
        settings = BatchSettings(cache=str(tmp_path / "cache"), images=False)
        outcomes = {o.name: o for o in run_local(tasks, settings, 1, 60)}  # 60: a deadline far past the kill
    finally:
        server.shutdown()
    killer.join(5)
    assert outcomes["good"].status == "done"
    assert outcomes["stalls"].status == "error"
    assert outcomes["stalls"].errors == (("worker", "the worker process died while auditing it"),)
    deadline = time.monotonic() + 10
    while not server.hung_up and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.hung_up  # the git the dead worker left behind was killed too, not left to stall


# Dask: TLS, or plain TCP on this machine only --------------------------------------------------------------


def test_plain_tcp_to_another_machine_is_refused_before_connecting(tmp_path):
    write_tree(tmp_path / "a", ROOT_IMAGE)
    started = time.monotonic()
    # 0.0.0.0 is not a loopback address (were it dialled, Linux would dial this machine).
    result = run_cli("batch", str(tmp_path / "a"), "--db", str(tmp_path / "r.sqlite"), "--cluster", "tcp://0.0.0.0:9")
    assert result.returncode == 2
    assert "tls://" in result.stderr and "--insecure-cluster" in result.stderr
    assert time.monotonic() - started < 20
    assert not (tmp_path / "r.sqlite").exists()  # refused before anything ran


def test_cluster_addresses_and_tls_options(tmp_path):
    pytest.importorskip("distributed")
    from mcpharden.batch.inputs import InputError
    from mcpharden.batch.runners import cluster

    for address in ("tcp://127.0.0.1:8786", "127.0.0.1:8786", "tcp://localhost:8786", "tcp://[::1]:8786"):
        assert cluster(address).address == address
    for address in ("tcp://10.0.0.5:8786", "scheduler.example:8786", "tcp://[2001:db8::1]:8786"):
        with pytest.raises(InputError, match="--insecure-cluster"):
            cluster(address)
        assert cluster(address, insecure=True).address == address  # the user said so
    for address in ("inproc://x", "ws://h:1", "tls://:8786"):
        with pytest.raises(InputError):
            cluster(address)
    ca, cert, key = (write_tree(tmp_path, {name: "x"}) / name for name in ("ca.pem", "cert.pem", "key.pem"))
    with pytest.raises(InputError, match="only for a tls://"):
        cluster("tcp://127.0.0.1:1", tls_ca_file=str(ca))
    with pytest.raises(InputError, match="--tls-cert"):
        cluster("tls://h:1", tls_ca_file=str(ca), tls_key=str(key))
    with pytest.raises(InputError, match="no such file"):
        cluster("tls://h:1", tls_ca_file=str(tmp_path / "missing.pem"))
    with pytest.raises(InputError, match="go with --cluster"):
        cluster(None, tls_cert=str(cert))
    assert cluster(None) is None


def test_tls_options_or_dasks_configuration_become_security_that_requires_encryption(tmp_path):
    pytest.importorskip("distributed")
    import dask

    from mcpharden.batch.inputs import InputError
    from mcpharden.batch.runners import cluster, security

    ca, cert, key = (write_tree(tmp_path, {name: "x"}) / name for name in ("ca.pem", "cert.pem", "key.pem"))
    given = security(cluster("tls://scheduler.example:8786", str(ca), str(cert), str(key)))
    assert (given.tls_ca_file, given.tls_client_cert, given.tls_client_key) == (str(ca), str(cert), str(key))
    assert given.require_encryption
    with dask.config.set({"distributed.comm.tls.ca-file": None, "distributed.comm.tls.client.cert": None}):
        with pytest.raises(InputError, match="--tls-ca-file"):  # TLS with nothing to verify the scheduler by
            cluster("tls://scheduler.example:8786")
    with dask.config.set({"distributed.comm.tls.ca-file": str(ca), "distributed.comm.tls.client.cert": str(cert)}):
        configured = security(cluster("tls://scheduler.example:8786"))
    assert (configured.tls_ca_file, configured.tls_client_cert) == (str(ca), str(cert))
    assert configured.require_encryption
    assert security(cluster("tcp://127.0.0.1:8786")) is None


def _certificates(folder: Path) -> dict[str, Path]:
    """A CA and one certificate it signs for 127.0.0.1 (scheduler, workers and client alike)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, key, signer, ca):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                      x509.DNSName("localhost")]), critical=False).add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mcpharden test CA")])
    ca = build(ca_name, ca_name, ca_key, ca_key, True)
    leaf = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), ca_name, key, ca_key, False)
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return paths


def test_a_batch_on_a_tls_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("cryptography")
    from distributed.security import Security

    files = _certificates(tmp_path)
    write_tree(tmp_path / "a", ROOT_IMAGE)
    write_tree(tmp_path / "b", NONROOT_IMAGE)
    tls = {f"tls_{role}_{part}": str(files[part]) for role in ("scheduler", "worker", "client") for part in ("cert", "key")}
    cluster_security = Security(tls_ca_file=str(files["ca"]), require_encryption=True, **tls)
    db = tmp_path / "r.sqlite"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tls://", host="127.0.0.1",
                                  security=cluster_security, dashboard_address=None) as local:
        address = local.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        result = run_cli("batch", str(tmp_path / "a"), str(tmp_path / "b"), "--db", str(db), "--cluster", address,
                         "--tls-ca-file", str(files["ca"]), "--tls-cert", str(files["cert"]), "--tls-key", str(files["key"]))
    assert result.returncode == 0, result.stderr
    assert statuses(db) == {"a": "done", "b": "done"}
    assert rows(db, "SELECT executor FROM runs") == [(address,)]


def test_the_batch_worker_imports_nothing_from_the_folder_it_runs_in(tmp_path, monkeypatch):
    """`python -c` puts the current folder first on sys.path: a scanned repository holding
    `select.py` would run in the worker. `-P` leaves it off."""
    from mcpharden.batch import runners

    started = []
    monkeypatch.setattr(runners.subprocess, "Popen", lambda command, **settings: started.append(command) or _NoProcess())
    runners._Worker()
    assert started and started[0][1:3] == ["-P", "-c"], started


class _NoProcess:
    stdin = stdout = None
    pid = 0
