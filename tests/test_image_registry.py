"""`mcpharden image REF` pulls from a registry over the OCI distribution API (Debian's
docker-registry on loopback), streams the layers through the archive reader, picks a
platform, and audits a digest once (the cache answers the next time)."""

import hashlib
import json
import os
import subprocess
import sys

from imagebuilder import Entry, layer
from test_fix_registry import _push_blob, _request, push_image, registry  # noqa: F401  (the registry fixture)


def mcpharden(tmp_path, *arguments):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, "-m", "mcpharden", *arguments], capture_output=True, text=True, env=env, timeout=120)


def push_manifest(base, repository, reference, document, media_type):
    body = json.dumps(document).encode()
    _request("PUT", f"{base}/v2/{repository}/manifests/{reference}", body, {"Content-Type": media_type})
    return "sha256:" + hashlib.sha256(body).hexdigest(), len(body)


def push_platform_image(base, repository, architecture, user, entries):
    blob = layer(*entries)
    config = json.dumps({"architecture": architecture, "os": "linux", "config": {"User": user}}).encode()
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _push_blob(base, repository, config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": _push_blob(base, repository, blob), "size": len(blob)}],
    }
    return push_manifest(base, repository, f"{architecture}-only", manifest, manifest["mediaType"])


def findings(result):
    assert result.returncode in (0, 1), result.stderr
    return {(f["rule_id"], f["details"].get("image", "")) for f in json.loads(result.stdout)["findings"]}


def test_pull_and_audit_an_image_by_tag(registry, tmp_path):
    digest = push_image(registry, "mcp/weather", "1.2.0")
    result = mcpharden(tmp_path, "image", f"{registry}/mcp/weather:1.2.0", "--format", "json", "--fail-on", "never")
    rules = {rule for rule, _ in findings(result)}
    assert "root-user" not in rules and "shell-in-runtime-image" not in rules  # uid 65532, one binary
    assert (tmp_path / "cache" / "mcpharden" / "images" / f"{digest.replace(':', '-')}-all.json").is_file()


def test_a_multi_platform_index_and_platform_choice(registry, tmp_path):
    base = f"http://{registry}"
    shell = [Entry("bin/", kind="dir", mode=0o755), Entry("bin/sh", b"\x7fELF", mode=0o755)]
    amd, amd_size = push_platform_image(base, "mcp/multi", "amd64", "", shell)
    arm, arm_size = push_platform_image(base, "mcp/multi", "arm64", "65532", [Entry("server", b"\x7fELF", mode=0o755)])
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": amd, "size": amd_size,
         "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm, "size": arm_size,
         "platform": {"os": "linux", "architecture": "arm64"}}]}
    push_manifest(base, "mcp/multi", "2", index, index["mediaType"])
    both = {rule for rule, _ in findings(mcpharden(tmp_path, "image", f"{registry}/mcp/multi:2", "--format", "json"))}
    assert {"root-user", "shell-in-runtime-image"} <= both
    arm_only = mcpharden(tmp_path, "image", f"{registry}/mcp/multi:2", "--platform", "linux/arm64", "--format", "json")
    assert not {rule for rule, _ in findings(arm_only)} & {"root-user", "shell-in-runtime-image"}
    missing = mcpharden(tmp_path, "image", f"{registry}/mcp/multi:2", "--platform", "linux/s390x")
    assert missing.returncode == 2 and "no image for platform linux/s390x" in missing.stderr


def test_a_digest_is_audited_once(registry, tmp_path):
    digest = push_image(registry, "mcp/cached", "1")
    first = mcpharden(tmp_path, "image", f"{registry}/mcp/cached:1", "--format", "json", "--fail-on", "never")
    assert "root-user" not in {rule for rule, _ in findings(first)}
    # Mark the cached audit: a second audit of the same digest must read it, not the registry.
    entry = tmp_path / "cache" / "mcpharden" / "images" / f"{digest.replace(':', '-')}-all.json"
    # Audits hold what the secret check read from the image: only the user may read them.
    assert entry.stat().st_mode & 0o777 == 0o600 and entry.parent.stat().st_mode & 0o777 == 0o700
    _, text = entry.read_text().split("\n", 1)  # an entry starts with the digest of the rest
    document = json.loads(text)
    document["images"][0]["config_user"] = "0"
    text = json.dumps(document)
    entry.write_text(f"sha256:{hashlib.sha256(text.encode()).hexdigest()}\n{text}")
    by_digest = mcpharden(tmp_path, "image", f"{registry}/mcp/cached@{digest}", "--format", "json", "--fail-on", "never")
    assert "root-user" in {rule for rule, _ in findings(by_digest)}
    # A cache entry that is not an audit is ignored, and the image is pulled again.
    entry.write_text("not json")
    again = mcpharden(tmp_path, "image", f"{registry}/mcp/cached:1", "--format", "json", "--fail-on", "never")
    assert "root-user" not in {rule for rule, _ in findings(again)}
    assert json.loads(entry.read_text().split("\n", 1)[1])["images"][0]["config_user"] == "65532"


def test_unknown_images_and_registries_are_errors_not_tracebacks(registry, tmp_path):
    missing = mcpharden(tmp_path, "image", f"{registry}/mcp/nothing:1")
    assert missing.returncode == 2 and "404" in missing.stderr and "Traceback" not in missing.stderr
    closed = mcpharden(tmp_path, "image", "127.0.0.1:9/mcp/nothing:1")
    assert closed.returncode == 2 and "cannot reach the registry" in closed.stderr
    local = mcpharden(tmp_path, "image", "app.tar")
    assert local.returncode == 2 and "no such file" in local.stderr  # a file name is never pulled


def test_the_batch_audits_the_image_a_catalog_entry_names(registry, tmp_path):
    import sqlite3

    from conftest import write_tree

    push_image(registry, "mcp/weather", "1.2.0")
    write_tree(tmp_path / "servers", {"weather/server.yaml": f"name: weather\nimage: {registry}/mcp/weather:1.2.0\ntype: server\n",
                                      "gone/server.yaml": f"name: gone\nimage: {registry}/mcp/gone:1\ntype: server\n"})
    db = tmp_path / "r.sqlite"
    result = mcpharden(tmp_path, "batch", "--catalog", str(tmp_path / "servers"), "--db", str(db), "--workers", "1")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as connection:
        steps = dict(connection.execute("SELECT name, group_concat(step) FROM timings JOIN servers ON servers.id = server_id GROUP BY name"))
        errors = connection.execute("SELECT name, step, message FROM errors JOIN servers ON servers.id = server_id").fetchall()
        cards = dict(connection.execute("SELECT name, cards FROM servers"))
    assert "image" in steps["weather"] and "image" in steps["gone"]
    assert [(name, step) for name, step, _ in errors] == [("gone", "image")] and "404" in errors[0][2]
    assert any(card["user"] == "non-root" for card in json.loads(cards["weather"]))


def test_pull_with_the_anonymous_token_flow(tmp_path):
    """A registry that answers 401 with a Bearer challenge (as Docker Hub and GHCR do): the pull
    asks the realm for an anonymous token once and sends it with every manifest and blob request."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    blob = layer(Entry("server", b"\x7fELF", mode=0o755))
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"User": "65532"}}).encode()
    digest = lambda data: "sha256:" + hashlib.sha256(data).hexdigest()  # noqa: E731
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(blob), "size": len(blob)}]}).encode()
    documents = {"/v2/mcp/tokened/manifests/1": manifest, f"/v2/mcp/tokened/blobs/{digest(config)}": config,
                 f"/v2/mcp/tokened/blobs/{digest(blob)}": blob}
    tokens_issued = []

    class Registry(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/token?"):
                assert "scope=repository%3Amcp%2Ftokened%3Apull" in self.path
                tokens_issued.append(self.path)
                self._send(200, json.dumps({"token": "anonymous"}).encode())
            elif self.headers.get("Authorization") != "Bearer anonymous":
                port = self.server.server_address[1]
                self.send_response(401)
                self.send_header("WWW-Authenticate", f'Bearer realm="http://127.0.0.1:{port}/token",service="t",scope="repository:mcp/tokened:pull"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path in documents:
                self._send(200, documents[self.path], {"Docker-Content-Digest": digest(documents[self.path])}
                           if "/manifests/" in self.path else {})
            else:
                self._send(404, b"")

        def _send(self, code, body, headers=None):
            self.send_response(code)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self):
            self.do_GET()

        def log_message(self, *arguments):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        reference = f"127.0.0.1:{server.server_address[1]}/mcp/tokened:1"
        result = mcpharden(tmp_path, "image", reference, "--format", "json", "--fail-on", "never")
        rules = {rule for rule, _ in findings(result)}
        assert "root-user" not in rules and "shell-in-runtime-image" not in rules
        assert tokens_issued  # the token flow ran
    finally:
        server.shutdown()
