"""`mcpharden image`: built images read offline, in every layout, with the final file system."""

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from conftest import run_cli
from imagebuilder import Entry, Image, docker_archive_legacy, docker_archive_oci, layer, oci_archive, oci_layout
from mcpharden.image import ImageError, streams
from mcpharden.image.read import read_images

PASSWD = b"root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/home/app:/sbin/nologin\ntoor:x:0:0::/:/bin/sh\n"
BASE = layer(
    Entry("etc/", kind="dir", mode=0o755), Entry("etc/passwd", PASSWD),
    Entry("bin/", kind="dir", mode=0o755), Entry("bin/busybox", b"\x7fELF", mode=0o755),
    Entry("bin/sh", kind="symlink", link="busybox"), Entry("sbin/apk", b"\x7fELF", mode=0o755),
    Entry("usr/bin/passwd", b"\x7fELF", mode=0o4755), Entry("tmp/", kind="dir", mode=0o1777),
    Entry("app/", kind="dir", mode=0o777), Entry("dev/null", kind="char", mode=0o666),
)


def hardened():
    return Image([layer(Entry("server", b"\x7fELF", mode=0o755))], {"User": "65532:65532"})


def rules_of(path: Path, *extra: str) -> set[str]:
    result = run_cli("image", str(path), "--format", "json", "--fail-on", "never", *extra)
    assert result.returncode == 0, result.stderr
    return {f["rule_id"] for f in json.loads(result.stdout)["findings"]}


# Layouts -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("write", [
    lambda p, i: oci_layout(p / "layout", i), lambda p, i: oci_archive(p / "image.oci.tar", i),
    lambda p, i: docker_archive_legacy(p / "legacy.tar", i), lambda p, i: docker_archive_oci(p / "docker25.tar", i),
])
def test_every_layout_gives_the_same_image(tmp_path, write):
    path = write(tmp_path, Image([BASE], {"User": "", "ExposedPorts": {"8080/tcp": {}}}))
    [model] = read_images(path)
    assert model.platform == "linux/amd64" and model.config_user == "" and model.exposed_ports == ("8080/tcp",)
    assert model.files["/usr/bin/passwd"].mode & 0o4000 and model.files["/bin/sh"].kind == "symlink"
    assert "app:x:10001" in model.contents["/etc/passwd"]
    assert rules_of(path) == {"root-user", "no-healthcheck", "shell-in-runtime-image", "package-manager-in-runtime-image",
                              "setuid-binary", "world-writable-path"}


def test_hardened_image_is_clean(tmp_path):
    assert rules_of(oci_layout(tmp_path, hardened())) == set()


def test_multi_platform_index_and_platform_choice(tmp_path):
    path = oci_archive(tmp_path / "multi.tar", Image([BASE], {"User": "app"}, "amd64"), Image([BASE], {"User": "root"}, "arm64"),
                       multi_platform=True)
    assert [m.platform for m in read_images(path)] == ["linux/amd64", "linux/arm64"]
    assert "root-user" not in rules_of(path, "--platform", "linux/amd64", "--select", "root-user")
    assert "root-user" in rules_of(path, "--platform", "linux/arm64", "--select", "root-user")
    assert run_cli("image", str(path), "--platform", "linux/s390x").returncode == 2


# The final file system: whiteouts ------------------------------------------------------------------------


def test_whiteouts_and_opaque_directories(tmp_path):
    upper = layer(Entry("bin/.wh.sh"), Entry("bin/.wh.busybox"), Entry("sbin/.wh..wh..opq"), Entry("sbin/init", b"x", mode=0o755),
                  Entry("usr/bin/passwd", b"\x7fELF", mode=0o755), Entry("app/", kind="dir", mode=0o755))
    [model] = read_images(oci_layout(tmp_path, Image([BASE, upper], {"User": "app"})))
    assert "/bin/sh" not in model.files and "/bin/busybox" not in model.files
    assert "/sbin/apk" not in model.files and "/sbin/init" in model.files  # the opaque dir kept this layer's file
    assert not model.files["/usr/bin/passwd"].mode & 0o4000
    assert rules_of(oci_layout(tmp_path / "b", Image([BASE, upper], {"User": "app"}))) == set()


def test_whiteout_of_a_directory_removes_its_children(tmp_path):
    upper = layer(Entry(".wh.etc"))
    [model] = read_images(oci_layout(tmp_path, Image([BASE, upper], {"User": "1000"})))
    assert not any(p.startswith("/etc") for p in model.files) and "/etc/passwd" not in model.contents


def test_gzip_images_read_the_same_without_zlib_ng(tmp_path):
    """zlib-ng is installed only where it ships wheels; elsewhere the standard zlib reads the
    same layers into the same report."""
    import subprocess
    import sys

    path = docker_archive_oci(tmp_path / "image.tar", Image([BASE, layer(Entry("app/.env", b"API_TOKEN=9f8e7d6c5b4a39281706\n"))],
                                                           {"User": "app"}))
    blocked = "import sys; sys.modules['zlib_ng'] = None; from mcpharden.cli import run; sys.argv[0] = 'mcpharden'; run()"
    arguments = ["image", str(path), "--format", "json", "--fail-on", "never"]
    without = subprocess.run([sys.executable, "-c", blocked, *arguments], capture_output=True, text=True, timeout=120)
    with_zlib_ng = run_cli(*arguments)
    assert without.returncode == with_zlib_ng.returncode == 0, without.stderr
    assert json.loads(without.stdout)["findings"] == json.loads(with_zlib_ng.stdout)["findings"] != []


def test_wildcard_tool_paths_match_where_the_pattern_says(tmp_path):
    """Package managers named by a pattern (`/usr/bin/pip3.*`, `/opt/yarn-*`) are found in the
    pattern's directory, and not in a neighbour or under a longer name."""
    from mcpharden.knowledge.image_contents import package_managers

    found = layer(Entry("usr/bin/pip3.12", b"#!", mode=0o755), Entry("opt/yarn-v1.22.19/", kind="dir"))
    near_misses = layer(Entry("usr/lib/pip3.12", b"#!"), Entry("usr/bin/xpip3.12", b"#!"),
                        Entry("opt/yarn/", kind="dir"), Entry("opt/xyarn-1/", kind="dir"), Entry("srv/opt/yarn-2/", kind="dir"))
    [model] = read_images(oci_layout(tmp_path / "a", Image([found, near_misses], {"User": "app"})))
    assert package_managers(model) == {"pip": ["/usr/bin/pip3.12"], "yarn": ["/opt/yarn-v1.22.19"]}
    [model] = read_images(oci_layout(tmp_path / "b", Image([near_misses], {"User": "app"})))
    assert package_managers(model) == {}


# root-user from the config and /etc/passwd -------------------------------------------------------------------


@pytest.mark.parametrize("user, root", [("", True), ("0", True), ("root", True), ("0:0", True), ("toor", True),
                                        ("app", False), ("10001:10001", False), ("nobody-not-in-passwd", False)])
def test_config_user(tmp_path, user, root):
    path = oci_layout(tmp_path, Image([BASE], {"User": user}))
    assert ("root-user" in rules_of(path, "--select", "root-user")) == root


def test_healthcheck_read_from_the_raw_config(tmp_path):
    ports = {"ExposedPorts": {"3000/tcp": {}}, "User": "app"}
    assert "no-healthcheck" in rules_of(oci_layout(tmp_path / "a", Image([BASE], ports)))
    disabled = {**ports, "Healthcheck": {"Test": ["NONE"]}}
    assert "no-healthcheck" in rules_of(oci_layout(tmp_path / "b", Image([BASE], disabled)))
    present = {**ports, "Healthcheck": {"Test": ["CMD", "/server", "--health"]}}
    assert "no-healthcheck" not in rules_of(oci_layout(tmp_path / "c", Image([BASE], present)))
    assert "no-healthcheck" not in rules_of(oci_layout(tmp_path / "d", Image([BASE], {"User": "app"})))  # no port: stdio


# Hostile archives ---------------------------------------------------------------------------------------------


def test_paths_that_climb_out_are_ignored(tmp_path):
    evil = layer(Entry("../../etc/evil", b"x"), Entry("/abs/file", b"y"), Entry("ok/../../escape", b"z"))
    [model] = read_images(oci_layout(tmp_path, Image([evil], {"User": "1"})))
    assert set(model.files) == {"/abs/file"}


def zeros_tar() -> bytes:
    """A tar of one 64 MiB file of zeros: a few hundred KB once compressed."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        info = tarfile.TarInfo("zeros")
        info.size = 64 * 1024 * 1024
        archive.addfile(info, io.BytesIO(bytes(info.size)))
    return raw.getvalue()


def test_gzip_bomb_is_stopped(tmp_path, monkeypatch):
    raw = io.BytesIO(zeros_tar())
    bomb = gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)
    assert len(bomb) < 200_000
    monkeypatch.setattr(streams, "MAX_LAYER_BYTES", 8 * 1024 * 1024)
    with pytest.raises(ImageError, match="decompression bomb"):
        read_images(oci_layout(tmp_path, Image([bomb], {"User": "1"})))


@pytest.mark.parametrize("compress", [
    pytest.param(lambda data: gzip.compress(data, compresslevel=1, mtime=0), id="gzip"),
    pytest.param(lambda data: __import__("zstandard").ZstdCompressor().compress(data), id="zstd"),
])
@pytest.mark.parametrize("write", [docker_archive_legacy, docker_archive_oci, oci_archive])
def test_a_compressed_archive_reads_as_the_archive_does(tmp_path, write, compress):
    """`docker save IMG | gzip > img.tar.gz`: the same report as the archive itself."""
    plain = write(tmp_path / "image.tar", Image([BASE, layer(Entry("app/server", b"\x7fELF", mode=0o755))], {"User": ""}))
    packed = tmp_path / "image.tar.gz"
    packed.write_bytes(compress(plain.read_bytes()))
    [expected], [model] = read_images(plain), read_images(packed)
    assert model.files == expected.files and model.contents == expected.contents and model.packages == expected.packages
    assert rules_of(packed) == rules_of(plain)


def test_a_compressed_archive_is_inflated_once(tmp_path, monkeypatch):
    """One pass over the compressed bytes, however many documents and layers are read from it
    (seeking back inside a gzip stream starts its inflation over)."""
    from mcpharden.image import layout

    plain = docker_archive_legacy(tmp_path / "image.tar", Image([BASE, BASE, BASE], {"User": "app"}))
    packed = tmp_path / "image.tar.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    reads = []
    real = layout._archive

    def counted(path, opened):
        handle = real(path, opened)
        original = handle.read

        def read(size=-1):
            data = original(size)
            reads.append(len(data))
            return data

        handle.read = read
        return handle

    monkeypatch.setattr(layout, "_archive", counted)
    read_images(packed)
    assert sum(reads) <= packed.stat().st_size + 8  # the magic number is read twice, nothing else


def test_a_compressed_archive_bomb_is_stopped(tmp_path, monkeypatch):
    raw = io.BytesIO(zeros_tar())
    bomb = tmp_path / "bomb.tar.gz"
    bomb.write_bytes(gzip.compress(raw.getvalue(), compresslevel=9, mtime=0))
    monkeypatch.setattr(streams, "MAX_LAYER_BYTES", 8 * 1024 * 1024)
    with pytest.raises(ImageError, match="decompression bomb"):
        read_images(bomb)
    result = run_cli("image", str(bomb))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_no_room_to_inflate_is_a_clear_error(tmp_path, monkeypatch):
    import tempfile

    plain = docker_archive_legacy(tmp_path / "image.tar", Image([BASE], {"User": "app"}))
    packed = tmp_path / "image.tar.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))

    class Full(io.BytesIO):
        def write(self, data):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", lambda **_: Full())
    with pytest.raises(ImageError, match=r"could not inflate the archive into a temporary file \(No space left on device\)"):
        read_images(packed)


def test_corrupt_and_truncated_archives_exit_two(tmp_path):
    good = docker_archive_legacy(tmp_path / "good.tar", Image([BASE], {"User": "app"}))
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(os.urandom(4096))
    layout = oci_layout(tmp_path / "layout", Image([BASE], {"User": "app"}))
    blob = next((layout / "blobs" / "sha256").iterdir())
    for path in (truncated, garbage, tmp_path / "missing.tar"):
        result = run_cli("image", str(path))
        assert result.returncode == 2 and "mcpharden: error:" in result.stderr, path
    (layout / "index.json").write_text("{not json")
    assert run_cli("image", str(layout)).returncode == 2
    del blob


def test_blob_symlink_out_of_the_layout_is_refused(tmp_path):
    layout = oci_layout(tmp_path / "layout", Image([BASE], {"User": "app"}))
    index = json.loads((layout / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"][7:]
    target = layout / "blobs" / "sha256" / manifest_digest
    outside = tmp_path / "outside.json"
    outside.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(outside)
    with pytest.raises(ImageError, match="outside the layout"):
        read_images(layout)


def test_sarif_and_text_reports_for_images(tmp_path):
    path = docker_archive_legacy(tmp_path / "app.tar", Image([BASE], {"User": ""}))
    text = run_cli("image", str(path)).stdout
    assert "HIGH    root-user  app.tar:1" in text and "image example/mcp:1 (linux/amd64) runs as root" in text
    sarif = json.loads(run_cli("image", str(path), "--format", "sarif").stdout)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"root-user", "setuid-binary"}


def test_secrets_are_reported_by_place_and_kind_never_value(tmp_path):
    token = "ghp_" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
    key = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    files = layer(
        Entry("root/.ssh/id_ed25519", key, mode=0o600), Entry("root/.npmrc", b"//registry.npmjs.org/:_authToken=npm_Zx81kqLr0aB7\n"),
        Entry("app/.env", b"PORT=3000\nOPENAI_API_KEY=sk-proj-9f8e7d6c5b4a3f2e1d0c\n"), Entry("app/.env.example", b"OPENAI_API_KEY=your-key-here\n"),
        Entry("app/node_modules/x/test/key.pem", key), Entry("home/app/.aws/credentials", b"[default]\naws_secret_access_key = abc\n"),
    )
    config = {"User": "app", "Env": [f"GITHUB_TOKEN={token}", "LOG_LEVEL=debug", "API_KEY=changeme", "DB_PASSWORD="]}
    path = oci_layout(tmp_path, Image([BASE, files], config))
    result = run_cli("image", str(path), "--format", "json", "--select", "secret-in-image")
    assert result.returncode == 1
    found = {(f["details"]["where"], f["details"]["kind"]) for f in json.loads(result.stdout)["findings"]}
    assert found == {
        ("ENV GITHUB_TOKEN", "credential-looking value"), ("/root/.ssh/id_ed25519", "private key"),
        ("/root/.npmrc", "npm registry token"), ("/app/.env", "environment file with credentials"),
        ("/home/app/.aws/credentials", "AWS credentials"),
    }
    assert token not in result.stdout and "npm_Zx81" not in result.stdout and "sk-proj" not in result.stdout


def test_a_secret_deleted_by_a_later_layer_is_still_reported(tmp_path):
    add = layer(Entry("root/.npmrc", b"_authToken=npm_abcdef123456\n"))
    remove = layer(Entry("root/.wh..npmrc"))
    [model] = read_images(oci_layout(tmp_path / "a", Image([BASE, add, remove], {"User": "app"})))
    assert "/root/.npmrc" not in model.files  # gone from the file system...
    result = run_cli("image", str(tmp_path / "a"), "--format", "json", "--select", "secret-in-image")
    [finding] = json.loads(result.stdout)["findings"]
    assert "deleted by a later layer, still in the image's layers" in finding["message"]  # ...not from the layers


def test_scan_with_image_reports_contradictions(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text(
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY server /server\nUSER 65532\n"
        "HEALTHCHECK CMD [\"/server\", \"health\"]\nENTRYPOINT [\"/server\"]\n")
    image = docker_archive_legacy(tmp_path / "app.tar", Image([BASE], {"User": ""}))
    result = run_cli("scan", str(repo), "--image", str(image), "--format", "json", "--select",
                     "image-contradicts-dockerfile,root-user")
    findings = json.loads(result.stdout)["findings"]
    contradictions = {(f["path"], f["line"], f["message"].split(" but ")[0]) for f in findings if f["rule_id"] == "image-contradicts-dockerfile"}
    assert contradictions == {("Dockerfile", 3, "the Dockerfile runs as `65532`"), ("Dockerfile", 4, "the Dockerfile has a HEALTHCHECK"),
                              ("Dockerfile", 1, "the Dockerfile's runtime has no shell")}
    assert [f["path"] for f in findings if f["rule_id"] == "root-user"] == ["app.tar"]  # the image itself, judged too


def test_scan_with_image_needs_to_know_which_dockerfile(tmp_path):
    repo = tmp_path / "repo"
    for name in ("a/Dockerfile", "b/Dockerfile"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("FROM scratch\nUSER 1\n")
    image = oci_layout(tmp_path / "img", Image([BASE], {"User": ""}))
    document = json.loads(run_cli("scan", str(repo), "--image", str(image), "--format", "json").stdout)
    assert any("--dockerfile" in n["message"] for n in document["notices"])
    named = json.loads(run_cli("scan", str(repo), "--image", str(image), "--dockerfile", "a/Dockerfile", "--format", "json").stdout)
    assert any(f["rule_id"] == "image-contradicts-dockerfile" for f in named["findings"])
    assert run_cli("scan", str(repo), "--image", str(image), "--dockerfile", "c/Dockerfile").returncode == 2
    assert run_cli("scan", str(repo), "--image", str(tmp_path / "missing.tar")).returncode == 2


def test_zstd_layers_and_zstd_bombs(tmp_path, monkeypatch):
    from imagebuilder import zstd

    [model] = read_images(oci_layout(tmp_path / "z", Image([zstd(BASE)], {"User": "app"})))
    assert "/usr/bin/passwd" in model.files
    raw = io.BytesIO(zeros_tar())
    bomb = zstd(raw.getvalue())
    assert len(bomb) < 100_000
    monkeypatch.setattr(streams, "MAX_LAYER_BYTES", 8 * 1024 * 1024)
    with pytest.raises(ImageError, match="decompression bomb"):
        read_images(oci_layout(tmp_path / "bomb", Image([bomb], {"User": "1"})))
