"""Real images built with Debian's buildah (vfs storage, chroot isolation, no registry: the
base is made here from busybox-static) and audited with `mcpharden image`, checked against
`mcpharden scan`'s verdict on the same Dockerfile."""

import json
import shutil
import subprocess

import pytest

from conftest import run_cli, write_tree

BUILDAH, BUSYBOX = shutil.which("buildah"), shutil.which("busybox")
MULTI_STAGE = """\
FROM localhost/busybox-base:1 AS build
RUN mkdir -p /out && printf '#!/bin/sh\\necho serving\\n' > /out/server && chmod 755 /out/server
FROM localhost/busybox-base:1
COPY --from=build /out/server /server
{user}
EXPOSE 8080
ENTRYPOINT ["/server"]
"""


@pytest.fixture(scope="module")
def buildah(tmp_path_factory):
    if BUILDAH is None or BUSYBOX is None:
        pytest.skip("buildah or busybox-static is not installed (apt-get install buildah busybox-static)")
    work = tmp_path_factory.mktemp("buildah")
    storage = ["--root", str(work / "storage"), "--runroot", str(work / "run"), "--storage-driver", "vfs"]

    def run(*arguments):
        done = subprocess.run([BUILDAH, *storage, *arguments], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    container = run("from", "scratch")
    run("copy", container, BUSYBOX, "/bin/busybox")
    run("run", "--isolation", "chroot", container, "--", "/bin/busybox", "--install", "-s", "/bin")
    run("commit", container, "localhost/busybox-base:1")
    return run


@pytest.mark.parametrize("user_line, root", [("USER 10001", False), ("", True), ("USER 10001\nUSER root", True)])
def test_built_image_agrees_with_the_dockerfile(tmp_path, buildah, user_line, root):
    repo = tmp_path / "repo"
    write_tree(repo, {"Dockerfile": MULTI_STAGE.format(user=user_line)})
    buildah("bud", "--isolation", "chroot", "--pull-never", "-t", "localhost/app:1", str(repo))
    archives = [tmp_path / "app.oci.tar", tmp_path / "app.docker.tar"]
    buildah("push", "localhost/app:1", f"oci-archive:{archives[0]}")
    buildah("push", "localhost/app:1", f"docker-archive:{archives[1]}:app:1")
    shared = ("root-user", "no-healthcheck")
    scan = json.loads(run_cli("scan", str(repo / "Dockerfile"), "--format", "json", "--select", ",".join(shared)).stdout)
    scan_rules = {f["rule_id"] for f in scan["findings"]}
    assert ("root-user" in scan_rules) == root and "no-healthcheck" in scan_rules
    for archive in archives:
        image = json.loads(run_cli("image", str(archive), "--format", "json", "--fail-on", "never").stdout)
        image_rules = {f["rule_id"] for f in image["findings"]}
        assert image_rules & set(shared) == scan_rules, archive
        assert "shell-in-runtime-image" in image_rules  # busybox: what the Dockerfile alone cannot tell


SKOPEO, UMOCI = shutil.which("skopeo"), shutil.which("umoci")


@pytest.mark.skipif(SKOPEO is None or UMOCI is None, reason="skopeo or umoci is not installed (apt-get install skopeo umoci)")
def test_skopeo_layouts_and_an_image_changed_by_umoci(tmp_path, buildah):
    repo = tmp_path / "repo"
    write_tree(repo, {"Dockerfile": MULTI_STAGE.format(user="USER 10001")})
    buildah("bud", "--isolation", "chroot", "--pull-never", "-t", "localhost/app:2", str(repo))
    archive = tmp_path / "app.oci.tar"
    buildah("push", "localhost/app:2", f"oci-archive:{archive}")
    layout, docker = tmp_path / "layout", tmp_path / "app.docker.tar"
    for destination in (f"oci:{layout}:app", f"docker-archive:{docker}:app:2"):
        copied = subprocess.run([SKOPEO, "copy", "--insecure-policy", f"oci-archive:{archive}", destination],
                                capture_output=True, text=True, timeout=300)
        assert copied.returncode == 0, copied.stderr
    verdicts = [{f["rule_id"] for f in json.loads(run_cli("image", str(path), "--format", "json", "--fail-on", "never").stdout)["findings"]}
                for path in (archive, layout, docker)]
    assert verdicts[0] == verdicts[1] == verdicts[2] and "root-user" not in verdicts[0]
    # A pipeline step that changes the image after the build: umoci sets the user to root.
    changed = subprocess.run([UMOCI, "config", "--image", f"{layout}:app", "--config.user", "0"], capture_output=True, text=True, timeout=120)
    assert changed.returncode == 0, changed.stderr
    result = json.loads(run_cli("scan", str(repo), "--image", str(layout), "--format", "json", "--fail-on", "never").stdout)
    contradiction = [f for f in result["findings"] if f["rule_id"] == "image-contradicts-dockerfile"]
    assert contradiction and "runs as root" in contradiction[0]["message"]
