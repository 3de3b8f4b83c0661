"""A fixed Dockerfile builds for real (Debian's buildah: vfs storage, chroot isolation, no
registry, no network) and the image runs as the user the fix chose."""

import shutil
import subprocess

import pytest

from conftest import run_cli, write_tree

BUILDAH = shutil.which("buildah")


@pytest.fixture
def buildah(tmp_path):
    if BUILDAH is None:
        pytest.skip("Debian's buildah is not installed (apt-get install buildah)")
    storage = ["--root", str(tmp_path / "storage"), "--runroot", str(tmp_path / "run"), "--storage-driver", "vfs"]

    def run(*arguments):
        return subprocess.run([BUILDAH, *storage, *arguments], capture_output=True, text=True, timeout=300)

    return run


def test_fixed_scratch_image_builds_and_runs_as_non_root(tmp_path, buildah):
    repo = tmp_path / "repo"
    write_tree(repo, {
        "server": "#!/bin/sh\necho serving\n",
        "Dockerfile": "FROM scratch\nCOPY server /server\nENTRYPOINT [\"/server\"]\n",
    })
    assert run_cli("fix", str(repo), "--select", "root-user", "--write").returncode == 0
    assert "USER 65532:65532" in (repo / "Dockerfile").read_text()
    built = buildah("bud", "--isolation", "chroot", "--pull-never", "-t", "localhost/fixed:1", str(repo))
    assert built.returncode == 0, built.stderr
    user = buildah("inspect", "--format", "{{.OCIv1.Config.User}}", "localhost/fixed:1")
    assert user.stdout.strip() == "65532:65532"
    assert run_cli("scan", str(repo / "Dockerfile"), "--select", "root-user").returncode == 0
