"""A Python package whose `*.egg-info` is a single file (distutils' PKG-INFO headers, as Debian's
`python3-*` packages ship them) is in the image's inventory, as Syft lists it (issue 22)."""

import json

from conftest import run_cli
from imagebuilder import Entry, Image, layer, oci_layout
from mcpharden.image.read import read_images

DIST_PACKAGES = "usr/lib/python3/dist-packages"
SIX = (b"Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\nSummary: Python 2 and 3 compatibility utilities\n"
       b"Home-page: https://github.com/benjaminp/six\n\nsix is a library\nName: not-a-header\n")


def egg_image(tmp_path):
    files = layer(
        Entry(f"{DIST_PACKAGES}/six-1.16.0.egg-info", SIX),
        # A directory egg-info keeps its PKG-INFO inside: read as before, once.
        Entry(f"{DIST_PACKAGES}/chardet-5.1.0.egg-info", kind="dir", mode=0o755),
        Entry(f"{DIST_PACKAGES}/chardet-5.1.0.egg-info/PKG-INFO", b"Metadata-Version: 2.1\nName: chardet\nVersion: 5.1.0\n"),
        # Not metadata: a file that only ends like one, and an egg-info without a version.
        Entry(f"{DIST_PACKAGES}/notes.egg-info.txt", b"Name: nope\nVersion: 1\n"),
        Entry(f"{DIST_PACKAGES}/broken.egg-info", b"Metadata-Version: 1.1\nName: broken\n"),
    )
    return oci_layout(tmp_path, Image([files], {"User": "1000"}))


def test_single_file_egg_info_is_listed(tmp_path):
    [model] = read_images(egg_image(tmp_path))
    found = {(p.ecosystem, p.name, p.version, p.path) for p in model.packages}
    assert found == {
        ("pypi", "six", "1.16.0", f"/{DIST_PACKAGES}/six-1.16.0.egg-info"),
        ("pypi", "chardet", "5.1.0", f"/{DIST_PACKAGES}/chardet-5.1.0.egg-info/PKG-INFO"),
    }


def test_single_file_egg_info_reaches_the_sbom(tmp_path):
    sbom = tmp_path / "sbom.json"
    result = run_cli("image", str(egg_image(tmp_path / "img")), "--sbom", str(sbom), "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    purls = {c["purl"] for c in json.loads(sbom.read_text())["components"]}
    assert {"pkg:pypi/six@1.16.0", "pkg:pypi/chardet@5.1.0"} <= purls
    assert not any("broken" in purl or "nope" in purl for purl in purls)
