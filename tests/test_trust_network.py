"""Registries and advisory downloads treat what a server sends as hostile: blobs are checked
against their digests as they arrive, a registry's token goes to that registry only, redirects
never go down to plain http, every operation has an overall deadline, and advisory archives are
read with bounds on what they really hold. Every server here is started by the test on 127.0.0.1
and stopped with it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from imagebuilder import Entry, Image, layer, oci_layout

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
TOKEN = "secret-token-4711"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Loopback:
    """A server on 127.0.0.1 whose answers the test writes: `routes` maps a path (query left out)
    to a function of the request handler; every request is recorded (method, path, headers).
    Handlers that drip check `stop`, so closing the server ends them."""

    def __init__(self, routes: dict, tls: ssl.SSLContext | None = None) -> None:
        self.routes, self.requests, self.stop = routes, [], threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append((self.command, self.path, dict(self.headers)))
                route = outer.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    send(self, 404, b"")
                else:
                    route(self)

            do_HEAD = do_GET

            def log_message(self, *arguments):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def headers_of(self, path_start: str) -> list[dict]:
        return [headers for _, path, headers in self.requests if path.startswith(path_start)]

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def send(handler, status: int, body: bytes = b"", headers: dict | None = None, length: int | None = None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def answer(body: bytes, status: int = 200, headers: dict | None = None, length: int | None = None):
    return lambda handler: send(handler, status, body, headers, length)


def redirect(location: str, status: int = 307):
    return lambda handler: send(handler, status, b"", {"Location": location + ("?" + handler.path.split("?", 1)[1] if "?" in handler.path else "")})


def drip(head: bytes, body: bytes, stop: threading.Event, every: float = 0.3):
    """Sends `head` at once, then `body` one byte every `every` seconds (until stopped)."""
    def route(handler):
        try:
            handler.wfile.write(head)
            handler.wfile.flush()
            for byte in body:
                if stop.wait(every):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
        except OSError:
            pass  # the client gave up
    return route


@pytest.fixture
def serve():
    servers: list[Loopback] = []

    def start(routes: dict, tls: ssl.SSLContext | None = None) -> Loopback:
        servers.append(Loopback(routes, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def registry_image(repository: str, tag: str, layers: list[bytes], sizes: list[int] | None = None,
                   user: str = "65532") -> tuple[str, dict]:
    """(manifest digest, routes) of a one-platform image as a registry serves it."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"User": user}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(blob), "size": size}
                   for blob, size in zip(layers, sizes or [len(blob) for blob in layers])],
    }).encode()
    routes = {f"/v2/{repository}/manifests/{tag}": answer(manifest, headers={"Docker-Content-Digest": sha256(manifest),
                                                                             "Content-Type": MANIFEST_TYPE}),
              f"/v2/{repository}/blobs/{sha256(config)}": answer(config)}
    routes.update({f"/v2/{repository}/blobs/{sha256(blob)}": answer(blob) for blob in layers})
    return sha256(manifest), routes


def mcpharden(tmp_path: Path, *arguments: str, timeout: float = 60, **environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONIOENCODING": "utf-8", **environment}
    return subprocess.run([sys.executable, "-m", "mcpharden", *arguments], capture_output=True, text=True, env=env, timeout=timeout)


def cached_audits(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "cache" / "mcpharden" / "images"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def failed_cleanly(result: subprocess.CompletedProcess, *words: str) -> bool:
    return result.returncode == 2 and "Traceback" not in result.stderr and all(word in result.stderr for word in words)


SERVER = Entry("server", b"\x7fELF-good", mode=0o755)


# Blobs are checked against their digests; nothing unchecked reaches the audit cache -------------


def test_a_layer_whose_bytes_do_not_match_its_digest_is_an_error_and_nothing_is_cached(serve, tmp_path):
    good = layer(SERVER, compress=False)
    forged = layer(Entry("server", b"\x7fELF-evil", mode=0o4755), compress=False)  # same length, setuid
    assert len(forged) == len(good) and forged != good
    _, routes = registry_image("mcp/forged", "1", [good])
    routes[f"/v2/mcp/forged/blobs/{sha256(good)}"] = answer(forged)
    registry = serve(routes)
    result = mcpharden(tmp_path, "image", f"127.0.0.1:{registry.port}/mcp/forged:1", "--format", "json")
    assert failed_cleanly(result, "does not match its digest")
    assert cached_audits(tmp_path) == []


@pytest.mark.parametrize("how", ["the registry states the short length", "the connection closes early"])
def test_a_short_layer_is_an_error_and_nothing_is_cached(serve, tmp_path, how):
    whole = layer(SERVER, compress=False)
    short = whole[:1024]  # the member's header and data, without the end-of-archive blocks
    _, routes = registry_image("mcp/short", "1", [whole])
    routes[f"/v2/mcp/short/blobs/{sha256(whole)}"] = answer(short, length=len(short) if how.startswith("the registry") else len(whole))
    registry = serve(routes)
    result = mcpharden(tmp_path, "image", f"127.0.0.1:{registry.port}/mcp/short:1", "--format", "json")
    assert failed_cleanly(result, "1024")
    assert "short" in result.stderr or "closed after 1024" in result.stderr
    assert cached_audits(tmp_path) == []


def test_a_manifest_with_ten_thousand_layers_is_refused_before_they_are_pulled(serve, tmp_path):
    blob = layer(SERVER, compress=False)
    _, routes = registry_image("mcp/tall", "1", [blob] * 10_000)
    registry = serve(routes)
    result = mcpharden(tmp_path, "image", f"127.0.0.1:{registry.port}/mcp/tall:1")
    assert failed_cleanly(result, "more than 1000 layers")
    assert registry.headers_of(f"/v2/mcp/tall/blobs/{sha256(blob)}") == []  # not one layer asked for


def test_a_tag_that_moves_during_the_pull_is_not_cached_under_the_digest_it_had(serve, tmp_path):
    digest, routes = registry_image("mcp/moving", "1", [layer(SERVER, compress=False)])
    _, moved = registry_image("mcp/moving", "1", [layer(SERVER, compress=False)], user="0")
    first, second = routes["/v2/mcp/moving/manifests/1"], moved["/v2/mcp/moving/manifests/1"]
    routes.update(moved)
    # HEAD (the cache's key) names the first manifest; GET already serves the second.
    routes["/v2/mcp/moving/manifests/1"] = lambda handler: (first if handler.command == "HEAD" else second)(handler)
    registry = serve(routes)
    result = mcpharden(tmp_path, "image", f"127.0.0.1:{registry.port}/mcp/moving:1")
    assert failed_cleanly(result, "the tag moved", digest)
    assert cached_audits(tmp_path) == []


def test_the_expansion_budget_counts_bytes_that_arrived_not_sizes_a_manifest_declares(serve, monkeypatch):
    from mcpharden.image import ImageError, streams
    from mcpharden.image.read import read_registry_images

    monkeypatch.setattr(streams, "MIN_EXPANSION_BUDGET", 1024**2)
    bomb = layer(Entry("zeros", bytes(8 * 1024**2)))  # 8 MiB from a few kilobytes of gzip
    _, routes = registry_image("mcp/bomb", "1", [bomb], sizes=[10**12])  # "100 times a terabyte"
    registry = serve(routes)
    with pytest.raises(ImageError, match="decompression bomb"):
        read_registry_images(f"127.0.0.1:{registry.port}/mcp/bomb:1")


# A token goes to the registry that asked for it, and nowhere else --------------------------------


def test_the_token_is_not_sent_where_the_realm_or_a_blob_redirects(serve, tmp_path):
    blob = layer(SERVER)
    _, routes = registry_image("mcp/cdn", "1", [blob])
    issuer = serve({"/issue": answer(json.dumps({"token": TOKEN}).encode())})
    cdn = serve({f"/cdn/{sha256(blob)}": answer(blob)})
    protected = dict(routes)

    def registry_route(handler):
        path = handler.path.split("?", 1)[0]
        if path == "/token":
            return redirect(f"{issuer.url}/issue")(handler)  # the realm sends the client to another port
        if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
            realm = f"http://127.0.0.1:{handler.server.server_address[1]}/token"
            return send(handler, 401, b"", {"WWW-Authenticate": f'Bearer realm="{realm}",service="t",scope="repository:mcp/cdn:pull"'})
        if path == f"/v2/mcp/cdn/blobs/{sha256(blob)}":
            return redirect(f"{cdn.url}/cdn/{sha256(blob)}")(handler)  # blobs come from a CDN
        return protected[path](handler) if path in protected else send(handler, 404)

    registry = serve({})
    registry.routes = _every_path(registry_route)
    result = mcpharden(tmp_path, "image", f"127.0.0.1:{registry.port}/mcp/cdn:1", "--format", "json", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    assert registry.headers_of("/v2/mcp/cdn/manifests/1")[-1]["Authorization"] == f"Bearer {TOKEN}"
    assert issuer.requests and cdn.requests  # the token came from the issuer, the layer from the CDN
    assert not any("Authorization" in headers for _, _, headers in issuer.requests + cdn.requests)
    assert TOKEN not in result.stdout + result.stderr
    assert all(TOKEN not in path.read_text() for path in cached_audits(tmp_path))


class _every_path(dict):
    """Routes that send every path to one function."""

    def __init__(self, route):
        super().__init__()
        self.route = route

    def get(self, path, default=None):
        return self.route


def test_redirect_policy_never_goes_down_to_plain_http_and_drops_credentials_in_urls():
    from mcpharden.util import http

    assert http.redirect_target("https://registry.example/v2/x/blobs/sha256:1", "https://cdn.example/b?sig=1") == "https://cdn.example/b?sig=1"
    assert http.redirect_target("http://127.0.0.1:5000/v2/", "/v2/x") == "http://127.0.0.1:5000/v2/x"
    assert http.redirect_target("http://localhost:5000/v2/", "https://cdn.example/b") == "https://cdn.example/b"
    for current, location in [("https://registry.example/v2/", "http://cdn.example/b"),  # downgrade
                              ("https://registry.example/v2/", "http://127.0.0.1:8080/b"),  # downgrade, even to loopback
                              ("http://127.0.0.1:5000/v2/", "http://cdn.example/b"),  # plain http away from loopback
                              ("https://registry.example/v2/", "https://user:pw@cdn.example/b"),
                              ("https://registry.example/v2/", "ftp://cdn.example/b"),
                              ("https://registry.example/v2/", "")]:
        with pytest.raises(http.HttpError) as refused:
            http.redirect_target(current, location)
        assert "pw" not in str(refused.value)


@pytest.fixture
def tls(tmp_path):
    """A TLS context for 127.0.0.1 and the certificate file clients must trust (SSL_CERT_FILE)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def osv_zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(f"{name}.json", json.dumps({"id": name, "affected": []}))
    return buffer.getvalue()


def test_db_update_refuses_a_redirect_from_https_down_to_plain_http(serve, tmp_path, tls):
    context, cert = tls
    plain = serve({"/npm/all.zip": answer(osv_zip("GHSA-1"))})
    secure = serve({"/npm/all.zip": redirect(f"{plain.url}/npm/all.zip")}, tls=context)
    cache = tmp_path / "osv"
    result = mcpharden(tmp_path, "db", "update", "--dir", str(cache), "--ecosystem", "npm", "--url", secure.url,
                       SSL_CERT_FILE=str(cert))
    assert failed_cleanly(result, "never down to plain http")
    assert secure.requests and not plain.requests
    assert not list(cache.glob("*"))
    # The same server without the redirect: TLS to it works, so it was the redirect that was refused.
    secure.routes["/npm/all.zip"] = answer(osv_zip("GHSA-1"))
    fine = mcpharden(tmp_path, "db", "update", "--dir", str(cache), "--ecosystem", "npm", "--url", secure.url, SSL_CERT_FILE=str(cert))
    assert fine.returncode == 0 and "npm: downloaded" in fine.stdout, fine.stderr


def test_a_token_realm_that_redirects_down_to_plain_http_is_refused(serve, tls, monkeypatch):
    from mcpharden.fixes.digests import resolve_digest
    from mcpharden.image.registry import RegistryError

    context, cert = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    issuer = serve({"/issue": answer(json.dumps({"token": TOKEN}).encode())})
    realm = serve({"/token": redirect(f"{issuer.url}/issue")}, tls=context)
    challenge = {"WWW-Authenticate": f'Bearer realm="{realm.url}/token",service="t"'}
    registry = serve({"/v2/library/node/manifests/22": answer(b"", 401, challenge)})
    with pytest.raises(RegistryError, match="never down to plain http"):
        resolve_digest(f"127.0.0.1:{registry.port}/library/node:22")
    assert realm.requests and not issuer.requests


def test_db_update_follows_a_bounded_number_of_redirects(serve, tmp_path):
    loop = serve({})
    loop.routes = _every_path(redirect("/npm/all.zip", 302))
    result = mcpharden(tmp_path, "db", "update", "--dir", str(tmp_path / "osv"), "--ecosystem", "npm", "--url", loop.url)
    assert failed_cleanly(result, "more than 5 redirects")
    assert len(loop.requests) == 6


# Odd answers are clear RegistryErrors that never hold the token ---------------------------------


def _challenge(handler, realm_text=None):
    realm = realm_text or f'Bearer realm="http://127.0.0.1:{handler.server.server_address[1]}/token",service="t"'
    send(handler, 401, b"", {"WWW-Authenticate": realm})


def _token_then(route):
    """A registry with the token flow, answering `route` once the token is shown."""
    def registry(handler):
        if handler.path.startswith("/token"):
            return send(handler, 200, json.dumps({"token": TOKEN}).encode())
        if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _challenge(handler)
        return route(handler)
    return registry


def _raw(text):
    """Writes `text` as the whole answer (status line included); `{auth}` is the request's token."""
    def route(handler):
        handler.wfile.write(text.format(auth=handler.headers.get("Authorization", "")).encode())
    return route


ODD_ANSWERS = {
    "an over-long challenge": lambda h: _challenge(h, 'Bearer realm="http://127.0.0.1/token",service="' + "s" * 70_000 + '"'),
    "an over-long header": _token_then(answer(b"", headers={"Docker-Content-Digest": "sha256:" + "0" * 70_000})),
    "a challenge with no realm": lambda h: _challenge(h, 'Bearer service="registry.example",scope="repository:x:pull"'),
    "a challenge that is not Bearer": lambda h: _challenge(h, "Negotiate \x1b[31m" + "x" * 100),
    "unbalanced quotes": lambda h: _challenge(h, 'Bearer realm="http://127.0.0.1:9/token,service="'),
    "a token answer that is not JSON": lambda h: (send(h, 200, b"<html>captive portal</html>") if h.path.startswith("/token")
                                                  else _challenge(h)),
    "a token with a line break": lambda h: (send(h, 200, json.dumps({"token": TOKEN + "\r\nX-Injected: 1"}).encode())
                                            if h.path.startswith("/token") else _challenge(h)),
    "a huge token answer": lambda h: (send(h, 200, b'{"token": "' + b"t" * 2_000_000 + b'"}') if h.path.startswith("/token")
                                      else _challenge(h)),
    "a status line that echoes the token": _token_then(_raw("HTTP/1.1 2OO {auth}\r\n\r\n")),
    "broken chunked encoding": _token_then(_raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz {auth}\r\n")),
    "a body shorter than its Content-Length": _token_then(_raw("HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n{{\"a\": 1")),
}


@pytest.mark.parametrize("case", sorted(ODD_ANSWERS))
def test_odd_registry_answers_are_clear_errors_without_the_token(serve, case):
    from mcpharden.image.registry import RegistryError, Repository

    registry = serve({})
    registry.routes = _every_path(ODD_ANSWERS[case])
    repository = Repository(f"127.0.0.1:{registry.port}/library/node:22")
    with pytest.raises(RegistryError) as caught:
        repository.manifest("22") if case.startswith(("broken", "a body")) else repository.digest()
    assert TOKEN not in str(caught.value) and "\x1b" not in str(caught.value) and len(str(caught.value)) < 600


def test_broken_chunked_encoding_in_a_pull_is_an_error_not_a_traceback(serve, tmp_path):
    broken = _raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"a\":\r\nzz\r\n")
    registry = serve({})  # the digest lookup (HEAD) is answered; the manifest's body is broken
    registry.routes = _every_path(lambda handler: send(handler, 200, b"", {"Docker-Content-Digest": sha256(b"{}")})
                                  if handler.command == "HEAD" else broken(handler))
    result = mcpharden(tmp_path, "image", f"127.0.0.1:{registry.port}/mcp/chunked:1")
    assert failed_cleanly(result, "broken HTTP answer")


# Every network operation has an overall deadline -----------------------------------------------


def _dripping_registry(registry: Loopback) -> None:
    """Digest lookups answer at once; the manifest's body then arrives a byte at a time."""
    manifest = b"{" + b" " * 4000 + b"}"
    registry.routes["/v2/mcp/slow/manifests/1"] = lambda handler: (
        send(handler, 200, b"", {"Docker-Content-Digest": sha256(manifest)}) if handler.command == "HEAD" else
        drip(f"HTTP/1.0 200 OK\r\nContent-Length: {len(manifest)}\r\n\r\n".encode(), manifest, registry.stop)(handler))


@pytest.mark.parametrize("operation", ["image", "db update", "fix --resolve"])
def test_a_slow_drip_server_is_stopped_by_the_deadline(serve, tmp_path, operation):
    server = serve({})
    if operation == "image":
        _dripping_registry(server)
        arguments = ["image", f"127.0.0.1:{server.port}/mcp/slow:1"]
    elif operation == "db update":
        dump = osv_zip(*(f"GHSA-{n}" for n in range(50)))
        server.routes["/npm/all.zip"] = drip(f"HTTP/1.0 200 OK\r\nContent-Length: {len(dump)}\r\n\r\n".encode(), dump, server.stop)
        arguments = ["db", "update", "--dir", str(tmp_path / "osv"), "--ecosystem", "npm", "--url", server.url]
    else:  # the headers themselves drip in
        server.routes["/v2/library/node/manifests/22"] = drip(b"HTTP/1.0 200 OK\r\n", b"X-Slow: " + b"a" * 4000 + b"\r\n\r\n", server.stop)
        (tmp_path / "repo").mkdir()
        (tmp_path / "repo" / "Dockerfile").write_text(f"FROM 127.0.0.1:{server.port}/library/node:22\nUSER 1000\n")
        arguments = ["fix", str(tmp_path / "repo"), "--select", "image-not-pinned-by-digest", "--resolve"]
    started = time.monotonic()
    result = mcpharden(tmp_path, *arguments, timeout=40, MCPHARDEN_NETWORK_DEADLINE="2")
    elapsed = time.monotonic() - started
    assert "took longer than its 2 s deadline" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert elapsed < 20
    assert result.returncode == (0 if operation == "fix --resolve" else 2)  # fix leaves a decision, and no edit


def test_a_deadline_that_is_not_a_number_is_a_clear_error(serve, tmp_path):
    _, routes = registry_image("mcp/fine", "1", [layer(SERVER)])
    registry = serve(routes)
    result = mcpharden(tmp_path, "image", f"127.0.0.1:{registry.port}/mcp/fine:1", MCPHARDEN_NETWORK_DEADLINE="soon")
    assert failed_cleanly(result, "MCPHARDEN_NETWORK_DEADLINE", "not a number of seconds")
    assert not registry.requests


# Advisory archives: what members really hold, how many, how much in all -------------------------


def _lying_zip(path: Path, real: bytes, declared: int) -> Path:
    """A zip whose one member inflates to `real` while its local header and directory entry say
    it is `declared` bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("GHSA-lie.json", real)
    data = bytearray(path.read_bytes())
    assert data[:4] == b"PK\x03\x04"
    data[22:26] = declared.to_bytes(4, "little")  # the local header's uncompressed size
    directory = data.index(b"PK\x01\x02")
    data[directory + 24:directory + 28] = declared.to_bytes(4, "little")  # the directory entry's
    path.write_bytes(bytes(data))
    return path


def test_an_advisory_whose_zip_entry_understates_its_size_is_never_inflated_whole(tmp_path):
    import tracemalloc

    from mcpharden.vulns import osv

    real = b'{"id": "GHSA-lie", "details": "' + b"a" * (64 * 1024**2) + b'"}'
    lying = _lying_zip(tmp_path / "lying.zip", real, 1024)
    del real
    tracemalloc.start()
    try:
        with pytest.raises(osv.VulnDbError, match="lying.zip"):
            osv.match([], [lying])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024**2  # zipfile alone inflates the whole 64 MiB member in one call
    image = oci_layout(tmp_path / "image", Image([layer(Entry("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"))]))
    result = mcpharden(tmp_path, "image", str(image), "--vuln-db", str(lying))
    assert failed_cleanly(result, "lying.zip")


def test_advisory_archives_are_bounded_in_members_and_in_bytes_inflated(tmp_path, monkeypatch):
    from mcpharden.vulns import osv

    many = tmp_path / "many.zip"
    many.write_bytes(osv_zip(*(f"GHSA-{n}" for n in range(5))))
    monkeypatch.setattr(osv, "MAX_ARCHIVE_MEMBERS", 4)
    with pytest.raises(osv.VulnDbError, match="more than 4 entries"):
        osv.match([], [many])
    monkeypatch.setattr(osv, "MAX_ARCHIVE_MEMBERS", 5)
    monkeypatch.setattr(osv, "MAX_ARCHIVE_BYTES", 100)  # five advisories of about 30 bytes each
    with pytest.raises(osv.VulnDbError, match="inflate past 100 bytes"):
        osv.match([], [many])
    monkeypatch.setattr(osv, "MAX_ARCHIVE_BYTES", 1000)
    assert osv.match([], [many]) == {}
    bzip = tmp_path / "bzip.zip"
    with zipfile.ZipFile(bzip, "w", zipfile.ZIP_BZIP2) as archive:  # bzip2 inflates without a bound per call
        archive.writestr("GHSA-b.json", "{}")
    with pytest.raises(osv.VulnDbError, match="compression method 12"):
        osv.match([], [bzip])


# db update never writes through a symbolic link --------------------------------------------------


@pytest.mark.parametrize("linked", ["the cache folder", "the dump", "the dump's metadata"])
def test_db_update_never_writes_through_a_symlink(serve, tmp_path, linked):
    osv = serve({"/npm/all.zip": answer(osv_zip("GHSA-new"), headers={"ETag": '"v2"'})})
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("the user's own file\n")
    cache = tmp_path / "osv"
    if linked == "the cache folder":
        cache.symlink_to(precious, target_is_directory=True)
    else:
        cache.mkdir()
        (cache / "npm-all.zip").write_bytes(osv_zip("GHSA-old"))
        (cache / "npm-all.json").write_text(json.dumps({"etag": '"v1"'}))
        name = "npm-all.zip" if linked == "the dump" else "npm-all.json"
        (cache / name).unlink()
        (cache / name).symlink_to(precious / "keep.txt")
    result = mcpharden(tmp_path, "db", "update", "--dir", str(cache), "--ecosystem", "npm", "--url", osv.url)
    assert failed_cleanly(result, "symbolic link", linked)
    assert [p.name for p in precious.iterdir()] == ["keep.txt"]
    assert (precious / "keep.txt").read_text() == "the user's own file\n"
    assert not osv.requests


def test_a_url_python_cannot_split_is_a_clear_error_not_a_traceback():
    """A hostile registry's Location or token realm such as `https://[x/` made urlsplit raise
    ValueError, which no caller catches: it is an HttpError like any refused URL."""
    from mcpharden.util import http

    for call in (lambda: http.check_url("https://[x/token"),
                 lambda: http.redirect_target("https://registry.example/v2/", "https://[x/blob"),
                 lambda: http.origin("https://[x/")):
        with pytest.raises(http.HttpError):
            call()
    assert http.shown("https://user:pw@[x/path?q=1") == "[x/path"
