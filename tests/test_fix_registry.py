"""`fix --resolve`: digests from a real registry (Debian's docker-registry, the reference
implementation) started on loopback, holding an image this test pushes; and the anonymous
bearer-token flow that Docker Hub, GHCR and others use, against a loopback token server."""

import gzip
import hashlib
import io
import json
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from conftest import run_cli, write_tree
from mcpharden.fixes.digests import resolve_digest
from mcpharden.image.registry import RegistryError

REGISTRY = shutil.which("docker-registry")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def registry(tmp_path):
    if REGISTRY is None:
        pytest.skip("Debian's docker-registry is not installed (apt-get install docker-registry)")
    port = _free_port()
    config = tmp_path / "registry.yml"
    config.write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp_path / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n")
    process = subprocess.Popen([REGISTRY, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):  # bounded wait for it to listen
            try:
                urllib.request.urlopen(f"{base}/v2/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("docker-registry did not start")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _request(method, url, body=b"", headers=None):
    request = urllib.request.Request(url, data=body if method != "GET" else None, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers


def _push_blob(base, repository, blob):
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    _, headers = _request("POST", f"{base}/v2/{repository}/blobs/uploads/")
    location = headers["Location"]
    location = location if location.startswith("http") else base + location
    separator = "&" if "?" in location else "?"
    _request("PUT", f"{location}{separator}digest={digest}", blob, {"Content-Type": "application/octet-stream"})
    return digest


def push_image(registry, repository, tag):
    """A one-layer OCI image pushed through the distribution API; returns its manifest digest."""
    base = f"http://{registry}"
    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w") as archive:
        data = b"#!/bin/sh\necho serving\n"
        info = tarfile.TarInfo("server")
        info.size, info.mode = len(data), 0o755
        archive.addfile(info, io.BytesIO(data))
    layer = gzip.compress(layer_tar.getvalue(), mtime=0)
    diff_id = "sha256:" + hashlib.sha256(layer_tar.getvalue()).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"User": "65532"},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _push_blob(base, repository, config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": _push_blob(base, repository, layer), "size": len(layer)}],
    }).encode()
    _request("PUT", f"{base}/v2/{repository}/manifests/{tag}", manifest, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


def test_resolve_against_a_real_registry(registry, tmp_path):
    digest = push_image(registry, "mcp/weather", "1.2.0")
    assert resolve_digest(f"{registry}/mcp/weather:1.2.0") == digest
    write_tree(tmp_path / "repo", {"Dockerfile": f"FROM {registry}/mcp/weather:1.2.0\nUSER 65532\n"})
    result = run_cli("fix", str(tmp_path / "repo"), "--select", "image-not-pinned-by-digest", "--resolve", "--write")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "repo" / "Dockerfile").read_text().splitlines()[0] == f"FROM {registry}/mcp/weather:1.2.0@{digest}"


def test_unknown_tag_is_a_decision_not_a_crash(registry, tmp_path):
    write_tree(tmp_path, {"Dockerfile": f"FROM {registry}/mcp/missing:1\n"})
    result = run_cli("fix", str(tmp_path), "--select", "image-not-pinned-by-digest", "--resolve")
    assert result.returncode == 0 and result.stdout == ""
    assert "could not resolve" in result.stderr and "404" in result.stderr


class _TokenRegistry(BaseHTTPRequestHandler):
    """Answers like Docker Hub: 401 with a Bearer challenge, a token endpoint, then the digest."""

    digest = "sha256:" + "7" * 64

    def do_GET(self):
        if self.path.startswith("/token?"):
            assert "scope=repository%3Alibrary%2Fnode%3Apull" in self.path and "service=test" in self.path
            body = json.dumps({"token": "anonymous-token"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.end_headers()

    def do_HEAD(self):
        if self.headers.get("Authorization") == "Bearer anonymous-token" and "manifest.list" in self.headers.get("Accept", ""):
            self.send_response(200)
            self.send_header("Docker-Content-Digest", self.digest)
        else:
            port = self.server.server_address[1]
            self.send_response(401)
            self.send_header("WWW-Authenticate", f'Bearer realm="http://127.0.0.1:{port}/token",service="test",scope="repository:library/node:pull"')
        self.end_headers()

    def log_message(self, *args):
        pass


def test_anonymous_bearer_token_flow():
    server = HTTPServer(("127.0.0.1", 0), _TokenRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        assert resolve_digest(f"127.0.0.1:{port}/library/node:22") == _TokenRegistry.digest
    finally:
        server.shutdown()


def test_unreachable_registry_is_an_error():
    with pytest.raises(RegistryError, match="cannot reach"):
        resolve_digest(f"127.0.0.1:{_free_port()}/x/y:1")
