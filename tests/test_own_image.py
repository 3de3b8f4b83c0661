"""mcpharden's own image: the project's Dockerfile is hardened by mcpharden's own rules, and it
builds for real with Debian's buildah (vfs storage, chroot isolation, no registry, no package
index: pip installs from a wheelhouse in the build context), from bases
made here out of Debian's Python 3.11 the way the distroless Python image is made (a build
base with pip; a runtime base with no shell and no package manager), then runs
`mcpharden --version` as the non-root user and passes `mcpharden image`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

BUILDAH = shutil.which("buildah")
DEBIAN_PYTHON = Path("/usr/bin/python3.11")
PIP = Path("/usr/lib/python3/dist-packages/pip")
PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"


def test_the_project_scans_clean_at_low():
    """Only what cannot be true offline is set aside, in pyproject.toml, with the reason."""
    result = run_cli("scan", str(ROOT), "--fail-on", "low", "--format", "json")
    document = json.loads(result.stdout)
    assert result.returncode == 0 and document["findings"] == [], document["findings"]
    scanned = run_cli("scan", str(ROOT / "Dockerfile"), "--format", "json", "--fail-on", "never")
    assert {f["rule_id"] for f in json.loads(scanned.stdout)["findings"]} <= {"no-image-scan-in-ci"}


def _libraries(*binaries: Path) -> set[str]:
    """The shared libraries `binaries` load, as ldd resolves them on this machine."""
    found: set[str] = set()
    for binary in binaries:
        done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True)
        for line in done.stdout.splitlines():
            parts = line.split()
            if "=>" in parts and len(parts) > parts.index("=>") + 1 and parts[parts.index("=>") + 1].startswith("/"):
                found.add(parts[parts.index("=>") + 1])
            elif parts and parts[0].startswith("/"):
                found.add(parts[0])  # the dynamic loader
    return found


@pytest.fixture(scope="module")
def buildah(tmp_path_factory):
    if BUILDAH is None:
        pytest.skip("Debian's buildah is not installed (apt-get install buildah)")
    if not DEBIAN_PYTHON.exists() or not PIP.is_dir() or shutil.which("ldd") is None:
        pytest.skip("Debian's python3.11 with pip is not installed (apt-get install python3 python3-pip)")
    work = tmp_path_factory.mktemp("own-image")
    storage = ["--root", str(work / "storage"), "--runroot", str(work / "run"), "--storage-driver", "vfs"]

    def run(*arguments, check=True):
        done = subprocess.run([BUILDAH, *storage, *arguments], capture_output=True, text=True, timeout=900)
        if check:
            assert done.returncode == 0, done.stderr[-4000:]
        return done

    passwd = work / "passwd"
    passwd.write_text(PASSWD)
    dynload = sorted((Path("/usr/lib/python3.11/lib-dynload")).glob("*.so"))
    libraries = _libraries(DEBIAN_PYTHON, *dynload)
    for name, with_pip in (("localhost/python-build:test", True), ("localhost/python-runtime:test", False)):
        container = run("from", "scratch").stdout.strip()
        run("copy", container, str(DEBIAN_PYTHON), "/usr/bin/python3.11")
        run("copy", container, "/usr/lib/python3.11", "/usr/lib/python3.11")
        for library in sorted(libraries):
            run("copy", container, library, library)
        run("copy", container, str(passwd), "/etc/passwd")
        if with_pip:
            run("copy", container, str(PIP), "/usr/lib/python3/dist-packages/pip")
        run("copy", container, str(DEBIAN_PYTHON), "/usr/bin/python3")  # as distroless names it
        run("config", "--env", "PATH=/usr/local/bin:/usr/bin", "--user", "65532:65532" if not with_pip else "0", container)
        run("commit", container, name)
    return run


@pytest.fixture(scope="module")
def built(buildah, tmp_path_factory):
    """The project's Dockerfile built offline: the build context holds a wheelhouse of the
    pinned dependencies and the build backend, which pip reads through PIP_NO_INDEX/PIP_FIND_LINKS."""
    context = tmp_path_factory.mktemp("context")
    for name in ("Dockerfile", ".dockerignore", "pyproject.toml", "constraints.txt", "README.md", "LICENSE", "docs/pypi.md"):
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, context / name)
    shutil.copytree(ROOT / "src", context / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(ROOT / "tests" / "data", context / "tests" / "data")  # the rules' samples, shipped in the wheel
    wheelhouse = context / "wheelhouse"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    backend = subprocess.run([*pip, "download", "--only-binary=:all:", "-d", str(wheelhouse), "hatchling==1.33.0"],
                             capture_output=True, text=True, timeout=600)
    wheels = subprocess.run([*pip, "wheel", "--wheel-dir", str(wheelhouse), "-c", str(ROOT / "constraints.txt"), f"{ROOT}[serve]"],
                            capture_output=True, text=True, timeout=900)
    if backend.returncode or wheels.returncode:
        pytest.skip(f"the wheelhouse could not be made (no package index?): {(backend.stderr + wheels.stderr)[-500:]}")
    for stale in wheelhouse.glob("mcpharden-*.whl"):
        stale.unlink()  # the image must build mcpharden from the sources in the context
    # chroot isolation cannot cut the network; PIP_NO_INDEX keeps pip off every index.
    buildah("bud", "--isolation", "chroot", "--pull-never", "--format", "docker",  # docker keeps HEALTHCHECK
            "--build-arg", "BUILD_IMAGE=localhost/python-build:test",
            "--build-arg", "RUNTIME_IMAGE=localhost/python-runtime:test",
            "--build-arg", "PIP_NO_INDEX=1", "--build-arg", "PIP_FIND_LINKS=/src/wheelhouse",
            "-t", "localhost/mcpharden:test", str(context))
    return "localhost/mcpharden:test"


def test_the_image_runs_mcpharden_as_non_root(buildah, built):
    config = json.loads(buildah("inspect", "--type", "image", built).stdout)["OCIv1"]["config"]
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["/usr/bin/python3", "-m", "mcpharden"]
    assert "Healthcheck" in json.loads(buildah("inspect", "--type", "image", built).stdout)["Docker"]["config"]
    container = buildah("from", "--pull-never", built).stdout.strip()
    version = buildah("run", "--isolation", "chroot", "--user", "65532:65532", container, "--",
                      "/usr/bin/python3", "-m", "mcpharden", "--version")
    assert version.stdout.strip() == f"mcpharden {__import__('mcpharden').__version__}"
    whoami = buildah("run", "--isolation", "chroot", "--user", "65532:65532", container, "--",
                     "/usr/bin/python3", "-c", "import os; print(os.getuid())")
    assert whoami.stdout.strip() == "65532"


def test_the_built_image_passes_mcpharden_image(buildah, built, tmp_path):
    archive = tmp_path / "mcpharden.tar"
    buildah("push", built, f"docker-archive:{archive}:mcpharden:test")  # as `docker save` gives it, health check kept
    result = run_cli("image", str(archive), "--format", "json", "--fail-on", "never")
    rules = {f["rule_id"] for f in json.loads(result.stdout)["findings"]}
    assert not rules & {"root-user", "shell-in-runtime-image", "package-manager-in-runtime-image", "no-healthcheck",
                        "dev-dependencies-in-runtime", "secret-in-image", "sudo-in-image"}, rules
