"""Package inventory of built images, and the CycloneDX SBOM written from it."""

import json

from conftest import run_cli
from imagebuilder import APK_INSTALLED, DPKG_STATUS, Entry, Image, dist_info, hidden_lockfile, layer, node_package, oci_layout
from mcpharden.image.read import read_images

SITE = "usr/local/lib/python3.12/site-packages"


def inventory_image(tmp_path):
    base = layer(Entry("etc/os-release", b'PRETTY_NAME="Debian GNU/Linux 12"\nID=debian\n'), Entry("var/lib/dpkg/status", DPKG_STATUS))
    app = layer(
        node_package("app", "express", "5.1.0"), node_package("app", "@modelcontextprotocol/sdk", "1.20.0"),
        node_package("app", "typescript", "5.9.2"), hidden_lockfile("app", ["typescript"]),
        dist_info(SITE, "mcp", "1.15.0"), dist_info(SITE, "pytest", "8.4.2"),
        Entry("var/lib/dpkg/status.d/tzdata", b"Package: tzdata\nVersion: 2024a-0+deb12u1\nStatus: install ok installed\n"),
    )
    return oci_layout(tmp_path, Image([base, app], {"User": "app"}))


def test_inventory_of_every_ecosystem(tmp_path):
    [model] = read_images(inventory_image(tmp_path))
    found = {(p.ecosystem, p.name, p.version, p.dev) for p in model.packages}
    assert found == {
        ("deb", "openssl", "3.0.11-1~deb12u2", False), ("deb", "libc6", "2.36-9+deb12u4", False),
        ("deb", "tzdata", "2024a-0+deb12u1", False),
        ("npm", "express", "5.1.0", False), ("npm", "@modelcontextprotocol/sdk", "1.20.0", False),
        ("npm", "typescript", "5.9.2", True), ("pypi", "mcp", "1.15.0", False), ("pypi", "pytest", "8.4.2", False),
    }
    assert model.distro == "debian"
    assert not [p for p in model.contents if p.endswith("package.json")]  # parsed, not kept


def test_alpine_database_and_whiteouts(tmp_path):
    base = layer(Entry("lib/apk/db/installed", APK_INSTALLED), node_package("srv", "left-pad", "1.3.0"))
    upper = layer(Entry("srv/node_modules/.wh.left-pad"))
    [model] = read_images(oci_layout(tmp_path, Image([base, upper], {"User": "1"})))
    assert {(p.ecosystem, p.name) for p in model.packages} == {("apk", "musl"), ("apk", "busybox")}


def test_sbom_is_cyclonedx_with_package_urls(tmp_path):
    sbom = tmp_path / "sbom.json"
    result = run_cli("image", str(inventory_image(tmp_path / "img")), "--sbom", str(sbom), "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    document = json.loads(sbom.read_text())
    assert document["bomFormat"] == "CycloneDX" and document["specVersion"] == "1.6"
    assert document["serialNumber"].startswith("urn:uuid:")
    assert document["metadata"]["component"]["type"] == "container"
    purls = {c["purl"] for c in document["components"]}
    assert {"pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian", "pkg:npm/%40modelcontextprotocol/sdk@1.20.0",
            "pkg:npm/express@5.1.0", "pkg:pypi/mcp@1.15.0"} <= purls
    assert all(c["bom-ref"] == c["purl"] and c["type"] == "library" for c in document["components"])
    dev = next(c for c in document["components"] if c["name"] == "typescript")
    assert {"name": "mcpharden:dev", "value": "true"} in dev["properties"]


def test_dev_dependencies_in_the_image(tmp_path):
    result = run_cli("image", str(inventory_image(tmp_path)), "--format", "json", "--select", "dev-dependencies-in-runtime")
    [finding] = json.loads(result.stdout)["findings"]
    assert "2 dev dependencies: pytest@8.4.2, typescript@5.9.2" in finding["message"]
    clean = oci_layout(tmp_path / "clean", Image([layer(node_package("app", "express", "5.1.0"), hidden_lockfile("app", []))], {"User": "1"}))
    assert json.loads(run_cli("image", str(clean), "--format", "json").stdout)["findings"] == []
