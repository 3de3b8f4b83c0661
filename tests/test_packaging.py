"""The package people install: `python -m build` gives an sdist and a wheel with LICENSE,
project URLs, classifiers, compatible dependency ranges and every data file the scanner reads;
the version has one source."""

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser

import pytest

from conftest import ROOT
from mcpharden import __version__


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], capture_output=True, text=True,
                          timeout=900)
    if done.returncode and "Could not find a version" in done.stderr + done.stdout:
        pytest.skip("the build backend could not be fetched (no package index)")
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return out


def test_wheel_metadata_and_files(dist):
    [wheel] = dist.glob("mcpharden-*.whl")
    assert wheel.name == f"mcpharden-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = Parser().parsestr(archive.read(f"mcpharden-{__version__}.dist-info/METADATA").decode())
    assert f"mcpharden-{__version__}.dist-info/licenses/LICENSE" in names
    knowledge = {path.name for path in (ROOT / "src" / "mcpharden" / "knowledge").glob("*.toml")}
    assert {f"mcpharden/knowledge/{name}" for name in knowledge} <= names  # the data the rules read
    samples = {path.relative_to(ROOT / "tests" / "data").as_posix() for path in (ROOT / "tests" / "data").rglob("*") if path.is_file()}
    assert samples and {f"mcpharden/rules/samples/{name}" for name in samples} <= names  # what the rule pages show
    assert metadata["Version"] == __version__ and metadata["License-Expression"] == "MIT"
    assert any(url.startswith("Repository, https://") for url in metadata.get_all("Project-URL"))
    assert "Topic :: Security" in metadata.get_all("Classifier")
    requirements = metadata.get_all("Requires-Dist")
    runtime = [r for r in requirements if "extra ==" not in r]
    versions = [r.split(";")[0] for r in runtime]  # an environment marker may compare with ==
    assert runtime and all(">=" in v and "==" not in v for v in versions), runtime  # ranges, not pins
    assert any(r.startswith("zlib-ng") and "platform_machine" in r for r in runtime)  # only where wheels exist
    assert metadata.get_payload().startswith("# mcpharden")


def test_sdist_holds_license_tests_and_constraints(dist):
    [sdist] = dist.glob("mcpharden-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "pyproject.toml", "constraints.txt", "src/mcpharden/__init__.py"} <= names


def test_the_cli_reports_the_packages_version():
    done = subprocess.run([sys.executable, "-m", "mcpharden", "--version"], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == f"mcpharden {__version__}"
