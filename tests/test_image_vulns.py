"""Known vulnerabilities: hand-written OSV advisories for packages the test images contain."""

import json
import zipfile

import pytest

from conftest import run_cli
from imagebuilder import APK_INSTALLED, Entry, Image, dist_info, layer, node_package, oci_layout

DPKG = b"""Package: libssl3
Source: openssl
Status: install ok installed
Version: 3.0.11-1~deb12u2

Package: zlib1g
Source: zlib (1:1.2.13.dfsg-1)
Status: install ok installed
Version: 1:1.2.13.dfsg-1
"""
ADVISORIES = {
    "DSA-1.json": {"id": "DSA-5678-1", "summary": "openssl: remote code execution in the TLS handshake",
                   "aliases": ["CVE-2024-0001"], "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
                   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}]}]}],
                   "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]},
    "DSA-old.json": {"id": "DSA-1000-1", "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
                     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.10-1"}]}]}]},
    "DSA-11.json": {"id": "DSA-9999-1", "affected": [{"package": {"ecosystem": "Debian:11", "name": "openssl"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9.9"}]}]}]},
    "zlib.json": {"id": "DEBIAN-CVE-2023-1", "affected": [{"package": {"ecosystem": "Debian", "name": "zlib"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.2.13.dfsg-2"}]}]}]},
    "GHSA-express.json": {"id": "GHSA-aaaa-bbbb-cccc", "database_specific": {"severity": "MODERATE"},
                          "affected": [{"package": {"ecosystem": "npm", "name": "express"},
                                        "ranges": [{"type": "SEMVER", "events": [{"introduced": "5.0.0"}, {"fixed": "5.1.1"}]}]}]},
    "GHSA-express-4.json": {"id": "GHSA-old", "affected": [{"package": {"ecosystem": "npm", "name": "express"},
                            "ranges": [{"type": "SEMVER", "events": [{"introduced": "4.0.0"}, {"fixed": "4.21.0"}]}]}]},
    "PYSEC.json": {"id": "PYSEC-2025-1", "affected": [{"package": {"ecosystem": "PyPI", "name": "MCP"}, "versions": ["1.15.0", "1.14.0"]}]},
    "withdrawn.json": {"id": "GHSA-gone", "withdrawn": "2025-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "express"},
                       "versions": ["5.1.0"]}]},
    "alpine.json": {"id": "ALPINE-CVE-2025-2", "affected": [{"package": {"ecosystem": "Alpine:v3.20", "name": "musl"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.4-r10"}]}]}]},
    "alpine-old.json": {"id": "ALPINE-CVE-2019-3", "affected": [{"package": {"ecosystem": "Alpine:v3.19", "name": "musl"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9"}]}]}]},
}


@pytest.fixture
def database(tmp_path):
    folder = tmp_path / "osv"
    folder.mkdir()
    for name, advisory in ADVISORIES.items():
        (folder / name).write_text(json.dumps(advisory))
    return folder


def debian_image(tmp_path):
    return oci_layout(tmp_path / "deb", Image([layer(
        Entry("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"), Entry("var/lib/dpkg/status", DPKG),
        node_package("app", "express", "5.1.0"), dist_info("usr/lib/python3/dist-packages", "mcp", "1.15.0"),
    )], {"User": "1"}))


def vulnerabilities(path, *options):
    result = run_cli("image", str(path), "--format", "json", "--fail-on", "never", "--select", "known-vulnerability", *options)
    assert result.returncode == 0, result.stderr
    return {(f["details"]["advisory"], f["details"]["package"], f["details"]["fixed"], f["severity"]) for f in json.loads(result.stdout)["findings"]}


def test_each_ecosystem_with_its_version_order(tmp_path, database):
    assert vulnerabilities(debian_image(tmp_path), "--vuln-db", str(database)) == {
        ("DSA-5678-1", "libssl3", "3.0.13-1~deb12u1", "critical"),  # by source package; CVSS 9.8 stays critical
        ("DEBIAN-CVE-2023-1", "zlib1g", "1:1.2.13.dfsg-2", "medium"),  # epochs compared
        ("GHSA-aaaa-bbbb-cccc", "express", "5.1.1", "medium"),  # MODERATE
        ("PYSEC-2025-1", "mcp", "", "medium"),  # explicit version list, name normalized, no fix
    }


def test_ignore_unfixed_and_all_zip(tmp_path, database):
    dump = tmp_path / "all.zip"
    with zipfile.ZipFile(dump, "w") as archive:
        for file in database.iterdir():
            archive.write(file, file.name)
    found = vulnerabilities(debian_image(tmp_path), "--vuln-db", str(dump), "--ignore-unfixed")
    assert {advisory for advisory, *_ in found} == {"DSA-5678-1", "DEBIAN-CVE-2023-1", "GHSA-aaaa-bbbb-cccc"}


def test_alpine_release_and_origin(tmp_path, database):
    image = oci_layout(tmp_path / "alpine", Image([layer(
        Entry("etc/os-release", b"ID=alpine\nVERSION_ID=3.20.3\n"), Entry("lib/apk/db/installed", APK_INSTALLED))], {"User": "1"}))
    assert vulnerabilities(image, "--vuln-db", str(database)) == {("ALPINE-CVE-2025-2", "musl", "1.2.4-r10", "medium")}


def test_critical_advisories_stay_critical_and_each_is_a_sarif_rule(tmp_path, database):
    from test_sarif_locations import validate

    image = debian_image(tmp_path)
    result = run_cli("image", str(image), "--vuln-db", str(database), "--format", "sarif", "--fail-on", "critical",
                     "--select", "known-vulnerability")
    assert result.returncode == 1, result.stderr  # a CVSS 9.8 advisory fails a critical gate
    document = json.loads(result.stdout)
    run = document["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    dsa = rules["DSA-5678-1"]
    assert dsa["properties"]["security-severity"] == "9.8"  # the advisory's own CVSS score, not a bucket
    assert dsa["shortDescription"]["text"] == "openssl: remote code execution in the TLS handshake"
    assert dsa["helpUri"] == "https://osv.dev/vulnerability/DSA-5678-1"
    assert rules["GHSA-aaaa-bbbb-cccc"]["properties"]["security-severity"] == "5.5"  # MODERATE, no CVSS vector
    results = {r["ruleId"]: r for r in run["results"]}
    assert set(results) == {"DSA-5678-1", "DEBIAN-CVE-2023-1", "GHSA-aaaa-bbbb-cccc", "PYSEC-2025-1"}
    assert all(run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    assert results["DSA-5678-1"]["level"] == "error" and results["GHSA-aaaa-bbbb-cccc"]["level"] == "warning"
    validate(tmp_path, document)
    # Nothing critical without the database: the gate passes.
    assert run_cli("image", str(image), "--fail-on", "critical", "--select", "known-vulnerability").returncode == 0
    text = run_cli("image", str(image), "--vuln-db", str(database), "--fail-on", "never").stdout
    assert "CRITICAL  known-vulnerability" in text


def test_sbom_package_urls_carry_the_distribution_release(tmp_path):
    sbom = tmp_path / "sbom.json"
    assert run_cli("image", str(debian_image(tmp_path)), "--sbom", str(sbom), "--fail-on", "never").returncode == 0
    purls = {c["name"]: c["purl"] for c in json.loads(sbom.read_text())["components"]}
    assert purls["libssl3"] == "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    assert purls["express"] == "pkg:npm/express@5.1.0"  # language packages have no distribution
    alpine = oci_layout(tmp_path / "alpine", Image([layer(
        Entry("etc/os-release", b"ID=alpine\nVERSION_ID=3.20.3\n"), Entry("lib/apk/db/installed", APK_INSTALLED))], {"User": "1"}))
    assert run_cli("image", str(alpine), "--sbom", str(sbom), "--fail-on", "never").returncode == 0
    purls = {c["name"]: c["purl"] for c in json.loads(sbom.read_text())["components"]}
    assert purls["musl"].startswith("pkg:apk/alpine/musl@") and purls["musl"].endswith("?arch=x86_64&distro=alpine-3.20.3")


def test_bad_database_exits_two(tmp_path):
    image = debian_image(tmp_path)
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    assert run_cli("image", str(image), "--vuln-db", str(tmp_path / "bad.zip")).returncode == 2
    assert run_cli("image", str(image), "--vuln-db", str(tmp_path / "missing")).returncode == 2


# mcpharden db update: conditional downloads into a cache that --vuln-db auto reads ---------------


@pytest.fixture
def osv_server(tmp_path, database):
    """A local HTTP server serving one all.zip per ecosystem with ETags, counting full downloads."""
    import hashlib
    import http.server
    import threading

    dumps = {}
    for ecosystem in ("Debian", "npm", "PyPI", "Ubuntu", "Alpine"):
        path = tmp_path / f"{ecosystem}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for file in sorted(database.iterdir()):
                if ecosystem.lower() in json.loads(file.read_text())["affected"][0]["package"]["ecosystem"].lower():
                    archive.write(file, file.name)
        dumps[f"/{ecosystem}/all.zip"] = path.read_bytes()
    dumps["/Broken/all.zip"] = b"not a zip"
    served = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = dumps.get(self.path)
            if body is None:
                self.send_error(404)
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            served.append(self.path)
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *arguments):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served, dumps
    server.shutdown()


def test_db_update_downloads_what_an_image_needs_then_only_what_changed(tmp_path, osv_server, monkeypatch):
    url, served, dumps = osv_server
    image = debian_image(tmp_path)
    cache = tmp_path / "cache"
    first = run_cli("db", "update", "--dir", str(cache), "--image", str(image), "--url", url)
    assert first.returncode == 0, first.stderr
    assert sorted(served) == ["/Debian/all.zip", "/PyPI/all.zip", "/npm/all.zip"]  # not Alpine or Ubuntu
    assert "Debian: downloaded" in first.stdout
    again = run_cli("db", "update", "--dir", str(cache), "--image", str(image), "--url", url)
    assert again.returncode == 0 and len(served) == 3 and again.stdout.count("unchanged") == 3
    dumps["/npm/all.zip"] = dumps["/PyPI/all.zip"]  # npm's dump changes upstream
    run_cli("db", "update", "--dir", str(cache), "--ecosystem", "npm", "--url", url)
    assert served[-1] == "/npm/all.zip" and len(served) == 4


def test_vuln_db_auto_reads_the_cache(tmp_path, osv_server):
    url, _, _ = osv_server
    image = debian_image(tmp_path)
    env_cache = tmp_path / "xdg"
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(env_cache)}
    cli = [sys.executable, "-m", "mcpharden"]
    empty = subprocess.run([*cli, "image", str(image), "--vuln-db", "auto"], capture_output=True, text=True, env=env, timeout=60)
    assert empty.returncode == 2 and "run `mcpharden db update` first" in empty.stderr
    subprocess.run([*cli, "db", "update", "--image", str(image), "--url", url], check=True, env=env, timeout=60,
                   capture_output=True)
    assert (env_cache / "mcpharden" / "osv" / "Debian-all.zip").is_file()
    found = subprocess.run([*cli, "image", str(image), "--vuln-db", "auto", "--format", "json", "--fail-on", "never",
                            "--select", "known-vulnerability"], capture_output=True, text=True, env=env, timeout=60)
    advisories = {f["details"]["advisory"] for f in json.loads(found.stdout)["findings"]}
    assert {"DSA-5678-1", "GHSA-aaaa-bbbb-cccc", "PYSEC-2025-1"} <= advisories


def test_db_update_refuses_what_is_not_a_dump_and_plain_http_elsewhere(tmp_path, osv_server):
    url, _, _ = osv_server
    cache = tmp_path / "cache"
    missing = run_cli("db", "update", "--dir", str(cache), "--ecosystem", "Alpine", "--url", url + "/nowhere")
    assert missing.returncode == 2 and "404" in missing.stderr
    assert not list(cache.glob("*.zip")) and not list(cache.glob(".*part"))
    unknown = run_cli("db", "update", "--dir", str(cache), "--ecosystem", "Broken", "--url", url)
    assert unknown.returncode == 2 and "unknown ecosystem" in unknown.stderr
    remote = run_cli("db", "update", "--dir", str(cache), "--ecosystem", "npm", "--url", "http://example.com/osv")
    assert remote.returncode == 2 and "only https" in remote.stderr


def test_a_download_that_is_not_a_zip_is_not_kept(tmp_path, osv_server):
    from mcpharden.vulns import download

    url, _, dumps = osv_server
    dumps["/npm/all.zip"] = b"<html>captive portal</html>"
    with pytest.raises(download.DownloadError, match="not a zip"):
        download.update(tmp_path / "cache", ["npm"], url)
    assert not list((tmp_path / "cache").iterdir())
