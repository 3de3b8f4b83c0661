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
    "DSA-1.json": {"id": "DSA-5678-1", "aliases": ["CVE-2024-0001"], "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
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
        ("DSA-5678-1", "libssl3", "3.0.13-1~deb12u1", "high"),  # by source package; CVSS 9.8
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


def test_bad_database_exits_two(tmp_path):
    image = debian_image(tmp_path)
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    assert run_cli("image", str(image), "--vuln-db", str(tmp_path / "bad.zip")).returncode == 2
    assert run_cli("image", str(image), "--vuln-db", str(tmp_path / "missing")).returncode == 2
