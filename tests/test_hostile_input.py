"""Hostile input: each case builds its input in a temporary directory and runs the real CLI,
which must finish within the budget (30 s, 512 MB peak RSS), exit 0, 1 or 2, print no
traceback, and name what it did not read.

Memory is measured as the child's peak RSS (wait4). An address-space limit (RLIMIT_AS) is set
too, as a backstop against a runaway, but it cannot be the measure: the Go runtime inside
Docker's parser reserves about 1 GB of address space at start-up, whatever the input.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from imagebuilder import Entry, Image, _write_tar, docker_archive_legacy, layer, oci_archive

SECONDS = 30
PEAK_BYTES = 512 * 1024**2
ADDRESS_SPACE_BACKSTOP = 2 * 1024**3


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_bytes: int


# The child measures itself: its peak RSS after exec (VmHWM) and its CPU time, written at exit. The rusage of a
# forked child would count the pytest process's own memory, copied before exec.
_CHILD = """
import atexit, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
def report():
    import os
    times = os.times()
    with open("/proc/self/status") as status, open({peak_file!r}, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
        out.write(" %r" % (times.user + times.system))
atexit.register(report)
from mcpharden.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_bounded(*arguments: str) -> Outcome:
    with tempfile.TemporaryDirectory() as scratch:
        peak_file = os.path.join(scratch, "peak")
        code = _CHILD.format(limit=ADDRESS_SPACE_BACKSTOP, peak_file=peak_file)
        started = time.monotonic()
        try:
            result = subprocess.run([sys.executable, "-c", code, *arguments], stdin=subprocess.DEVNULL, capture_output=True,
                                    timeout=SECONDS * 3, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        except subprocess.TimeoutExpired:  # generous: the assertion on seconds is the budget
            pytest.fail(f"mcpharden {' '.join(arguments)} ran past {SECONDS * 3} s")
        seconds = time.monotonic() - started
        peak = 0
        if os.path.exists(peak_file):  # the budget is CPU time: a loaded machine stretches wall time, not work
            kilobytes, cpu = Path(peak_file).read_text().split()
            peak, seconds = int(kilobytes) * 1024, float(cpu)
    return Outcome(result.returncode, result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace"),
                   seconds, peak)


def assert_survived(outcome: Outcome, *, codes=(0, 1, 2)) -> None:
    assert "Traceback" not in outcome.stderr, outcome.stderr[-3000:]
    assert outcome.returncode in codes, (outcome.returncode, outcome.stderr[-2000:])
    assert outcome.seconds < SECONDS, outcome.seconds
    assert outcome.peak_bytes < PEAK_BYTES, outcome.peak_bytes


def scan(target: Path, *extra: str) -> Outcome:
    return run_bounded("scan", str(target), "--fail-on", "never", *extra)


# Repositories -----------------------------------------------------------------------------------


def test_chained_build_arguments_are_bounded_and_reported(tmp_path):
    lines = ["ARG A0=xxxxxxxxxxxxxxxx"] + [f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}" for i in range(1, 90)]
    (tmp_path / "Dockerfile").write_text("\n".join(lines + ["FROM node:22", "USER ${A89}"]) + "\n")
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    image: x:1\n    privileged: true\n")
    outcome = scan(tmp_path)
    assert_survived(outcome)
    assert "expands to more than" in outcome.stdout
    assert "privileged-container" in outcome.stdout  # the rest is still scanned


def test_a_hundred_thousand_build_arguments(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM node:22\n" + "".join(f"ARG A{i}=v\n" for i in range(100_000)) + "USER node\n")
    assert_survived(scan(tmp_path))


def test_compose_extends_across_files_and_long_lists(tmp_path):
    for level in range(11):
        name = "compose.yaml" if level == 0 else f"level{level}.yml"
        body = "services:\n"
        for i in range(20):
            body += f"  s{i}:\n    image: x:{i}\n"
            if level < 10:
                body += f"    extends: {{file: level{level + 1}.yml, service: s{i}}}\n"
        (tmp_path / name).write_text(body)
    volumes = "".join(f"      - /d{i}:/d{i}\n" for i in range(40_000))
    (tmp_path / "base.yml").write_text(f"services:\n  b:\n    image: x\n    volumes:\n{volumes}")
    (tmp_path / "docker-compose.yml").write_text(
        f"services:\n  s:\n    extends: {{file: base.yml, service: b}}\n    volumes:\n{volumes.replace('/d', '/e')}")
    assert_survived(scan(tmp_path))


@pytest.mark.parametrize("block", [
    "docker run " + "$(" * 400 + "x" + ")" * 400,
    "docker run " + " ".join(f"<<E{i}" for i in range(800)),
    "docker run " + "<your-token> " * 600,
    "case x in " + " ".join(f"a{i}) docker run x;;" for i in range(800)) + " esac",
    "docker run \\\n" * 3000,
    # `[[` sends the block to the lexer fallback, which must piece a word together in linear time.
    "[[ x ]] && docker run " + "'a'\"b\"\\c" * 60_000,
])
def test_crafted_readme_blocks(tmp_path, block):
    (tmp_path / "README.md").write_text(f"# x\n\n```sh\n{block}\n```\n" * 3)
    assert_survived(scan(tmp_path))


def test_a_tree_a_thousand_folders_deep(tmp_path):
    deep = tmp_path
    for _ in range(1000):
        deep = deep / "d"
        deep.mkdir()  # one level at a time: os.makedirs recurses too
    (deep / "Dockerfile").write_text("FROM node:22\n")
    (tmp_path / "Dockerfile").write_text("FROM node:22\n")
    try:
        outcome = scan(tmp_path)
    finally:
        _remove_bottom_up(deep, tmp_path)  # pytest's own clean-up recurses once per level
    assert_survived(outcome)
    assert "folders deep" in outcome.stdout and "root-user" in outcome.stdout


def _remove_bottom_up(deepest: Path, top: Path) -> None:
    (deepest / "Dockerfile").unlink()
    while deepest != top:
        deepest.rmdir()
        deepest = deepest.parent


def test_deeply_nested_yaml_and_json(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor/mcp.json").write_text('{"mcpServers": ' + "[" * 50_000 + "]" * 50_000 + "}")
    (tmp_path / "Dockerfile").write_text("FROM node:22\n")
    outcome = scan(tmp_path)
    assert_survived(outcome)
    assert "root-user" in outcome.stdout


def test_a_huge_pyproject_is_not_read_whole(tmp_path):
    with open(tmp_path / "pyproject.toml", "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: 2 GB that costs no disk
    (tmp_path / "Dockerfile").write_text("FROM node:22\n")
    outcome = scan(tmp_path)
    assert_survived(outcome)
    assert "root-user" in outcome.stdout


def test_a_configuration_linked_out_of_the_root_is_not_applied(tmp_path):
    outside = tmp_path / "outside.toml"
    outside.write_text('ignore = ["root-user"]\nfail-on = "never"\n')
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text("FROM node:22\n")
    (repo / ".mcpharden.toml").symlink_to(outside)
    outcome = run_bounded("scan", str(repo))
    assert_survived(outcome)
    assert outcome.returncode != 0  # a linked configuration cannot turn a failing scan green
    assert "symlink" in outcome.stderr


def test_fix_on_hostile_input_is_bounded(tmp_path):
    lines = ["ARG A0=xxxxxxxxxxxxxxxx"] + [f"ARG A{i}=${{A{i - 1}}}${{A{i - 1}}}" for i in range(1, 90)]
    (tmp_path / "Dockerfile").write_text("\n".join(lines + ["FROM node:22"]) + "\n")
    (tmp_path / "compose.yaml").write_text("services:\n  a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    assert_survived(run_bounded("fix", str(tmp_path), "--write"))


# Images -----------------------------------------------------------------------------------------


def _json_blob(files: dict[str, bytes], document) -> str:
    data = json.dumps(document).encode()
    digest = hashlib.sha256(data).hexdigest()
    files[f"blobs/sha256/{digest}"] = data
    return f"sha256:{digest}"


def test_a_nested_index_cannot_fan_out(tmp_path):
    files: dict[str, bytes] = {}
    config = _json_blob(files, {"os": "linux", "architecture": "amd64", "config": {}})
    child = _json_blob(files, {"schemaVersion": 2, "config": {"digest": config}, "layers": []})
    for _ in range(4):
        child = _json_blob(files, {"manifests": [{"digest": child}] * 16})
    files["index.json"] = json.dumps({"manifests": [{"digest": child}] * 16}).encode()
    outcome = run_bounded("image", str(_write_tar(tmp_path / "fan.tar", files)))
    assert_survived(outcome, codes=(2,))
    assert "more than 64 images" in outcome.stderr or "entries in its image indexes" in outcome.stderr


def _raw_oci_archive(path: Path, layers: list[bytes], config: dict | None = None) -> Path:
    """An oci-archive of ready-made layer blobs (no decompression to compute diff_ids)."""
    files: dict[str, bytes] = {}
    config_digest = _json_blob(files, {"os": "linux", "architecture": "amd64", "config": config or {}})
    descriptors = []
    for blob in layers:
        digest = hashlib.sha256(blob).hexdigest()
        files[f"blobs/sha256/{digest}"] = blob
        descriptors.append({"digest": f"sha256:{digest}", "size": len(blob)})
    manifest = _json_blob(files, {"schemaVersion": 2, "config": {"digest": config_digest}, "layers": descriptors})
    files["index.json"] = json.dumps({"manifests": [{"digest": manifest}]}).encode()
    return _write_tar(path, files)


def _distinct(blob: bytes, number: int) -> bytes:
    """The same zstd layer under another digest: a skippable frame after it changes no content."""
    payload = number.to_bytes(4, "little")
    return blob + b"\x50\x2a\x4d\x18" + len(payload).to_bytes(4, "little") + payload


def _zero_layer_zstd(size: int) -> bytes:
    import zstandard

    buffer = io.BytesIO()
    with zstandard.ZstdCompressor(level=1).stream_writer(buffer, closefd=False) as writer:
        with tarfile.open(fileobj=writer, mode="w|") as archive:
            info = tarfile.TarInfo("zeros")
            info.size = size
            archive.addfile(info, _Zeros(size))
    return buffer.getvalue()


def _zstd_layer(entries: list[Entry]) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor(level=1).compress(layer(*entries, compress=False))


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count

    def readable(self) -> bool:
        return True


def test_one_big_layer_listed_many_times_is_read_once(tmp_path):
    blob = _zero_layer_zstd(1024**3)
    archive = _raw_oci_archive(tmp_path / "repeat.tar", [blob] * 200, {"User": "1000"})
    outcome = run_bounded("image", str(archive), "--fail-on", "never")
    assert_survived(outcome, codes=(0,))


def test_many_small_bombs_share_one_budget(tmp_path):
    # Every layer is a different 600 MB of zeros, a few hundred bytes compressed.
    blob = _zero_layer_zstd(600 * 1024**2)
    outcome = run_bounded("image", str(_raw_oci_archive(tmp_path / "bombs.tar", [_distinct(blob, n) for n in range(12)])))
    assert_survived(outcome, codes=(2,))
    assert "decompression bomb" in outcome.stderr


def test_whiteouts_cost_what_they_delete(tmp_path):
    base = layer(*(Entry(f"app/d{i // 100}/f{i}", b"x") for i in range(40_000)), compress=False)
    deletions = layer(*(Entry(f"app/d{i // 100}/.wh.f{i}") for i in range(0, 40_000, 5)),
                      *(Entry(f"app/.wh.d{i}") for i in range(100, 400, 2)), compress=False)
    outcome = run_bounded("image", str(docker_archive_legacy(tmp_path / "wh.tar", Image([base, deletions]))), "--fail-on", "never")
    assert_survived(outcome, codes=(0,))


def test_thousands_of_large_package_files_are_not_held(tmp_path):
    padding = "x" * (250 * 1024)
    entries = [Entry(f"app/node_modules/p{i}/package.json", json.dumps({"name": f"p{i}", "version": "1.0.0", "d": padding}).encode())
               for i in range(3000)]
    archive = _raw_oci_archive(tmp_path / "packages.tar", [_zstd_layer(entries)])
    sbom = tmp_path / "sbom.json"
    outcome = run_bounded("image", str(archive), "--sbom", str(sbom), "--fail-on", "never")
    assert_survived(outcome, codes=(0,))
    assert len(json.loads(sbom.read_text())["components"]) == 3000  # parsed as read, not dropped


WRONG_SHAPES = {
    "manifest is a list of numbers": ("docker", lambda m, c: ([1], c)),
    "Config is a number": ("docker", lambda m, c: ([{**m[0], "Config": 5}], c)),
    "Layers is a number": ("docker", lambda m, c: ([{**m[0], "Layers": 5}], c)),
    "Layers holds numbers": ("docker", lambda m, c: ([{**m[0], "Layers": [5]}], c)),
    "RepoTags is a string": ("docker", lambda m, c: ([{**m[0], "RepoTags": "x:1"}], c)),
    "config is a list": ("docker", lambda m, c: (m, [])),
    "config section is a string": ("docker", lambda m, c: (m, {**c, "config": "x"})),
    "Env holds numbers": ("docker", lambda m, c: (m, {**c, "config": {"Env": [1]}})),
    "Env is a string": ("docker", lambda m, c: (m, {**c, "config": {"Env": "A=b"}})),
    "ExposedPorts is a list": ("docker", lambda m, c: (m, {**c, "config": {"ExposedPorts": ["80/tcp"]}})),
    "index manifests is a number": ("oci", {"manifests": 5}),
    "descriptor platform is a string": ("oci", "platform"),
    "descriptor digest is a number": ("oci", {"manifests": [{"digest": 5}]}),
    "annotations is a list": ("oci", "annotations"),
}


def test_a_health_check_of_the_wrong_shape_counts_as_none(tmp_path):
    image = Image([layer(Entry("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"))], {"Healthcheck": {"Test": 5}, "ExposedPorts": {"80/tcp": {}}})
    outcome = run_bounded("image", str(oci_archive(tmp_path / "image.tar", image)), "--select", "no-healthcheck", "--fail-on", "info")
    assert_survived(outcome, codes=(1,))
    assert "no-healthcheck" in outcome.stdout


@pytest.mark.parametrize("case", sorted(WRONG_SHAPES))
def test_valid_json_of_the_wrong_shape(tmp_path, case):
    kind, change = WRONG_SHAPES[case]
    archive = tmp_path / "image.tar"
    if kind == "docker":
        docker_archive_legacy(archive, Image([layer(Entry("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"))]))
        with tarfile.open(archive) as original:
            files = {m.name: original.extractfile(m).read() for m in original.getmembers() if m.isfile()}
        manifest = json.loads(files["manifest.json"])
        config_name = manifest[0]["Config"]
        new_manifest, new_config = change(manifest, json.loads(files[config_name]))
        files["manifest.json"] = json.dumps(new_manifest).encode()
        files[config_name] = json.dumps(new_config).encode()
    else:
        oci_archive(archive, Image([layer(Entry("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"))]))
        with tarfile.open(archive) as original:
            files = {m.name: original.extractfile(m).read() for m in original.getmembers() if m.isfile()}
        index = json.loads(files["index.json"])
        if change in ("platform", "annotations"):
            index["manifests"][0][change] = "linux/amd64" if change == "platform" else ["x"]
        else:
            index = change
        files["index.json"] = json.dumps(index).encode()
    outcome = run_bounded("image", str(_write_tar(archive, files)))
    assert_survived(outcome, codes=(2,))
    assert "mcpharden: error:" in outcome.stderr
