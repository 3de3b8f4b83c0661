"""Fuzzing, seeded from the shared corpus: real files, mutated, through every reader and the
fix planner. Whatever the bytes, a reader either gives a model or raises the error it
declares (which the scan turns into a notice); a whole scan, every report format and a fix
plan never raise; a planned fix still parses.

CI runs a short, fixed, derandomized budget; `make fuzz` runs a long random one
(MCPHARDEN_FUZZ_EXAMPLES, MCPHARDEN_FUZZ_RANDOM=1).
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS

EXAMPLES = int(os.environ.get("MCPHARDEN_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("MCPHARDEN_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
# Pieces that parsers treat specially: substitutions, line breaks Python and Docker disagree
# on, YAML anchors and merge keys, deep nesting, quotes, control and undecodable bytes.
TOKENS = [b"${", b"$(", b"`", b"\\\n", b"\r", b"\r\n", b"\x0c", b"\x1c", b"\xc2\x85", b"\xe2\x80\xa8", b"\xff\xfe",
          b"\xef\xbb\xbf", b"\x00", b"\x1b[2J", b"'", b'"', b"<<: *a\n", b"&a ", b"*a", b"[" * 50, b"{" * 50,
          b"\n  - ", b"\n    ", b"FROM scratch\n", b"ARG A=${A}${A}\n", b"USER 0\n", b"\t", b"#", b"<<EOF\n",
          b"docker run -v /:/h ", b"--privileged ", b"securityContext:\n", b": ", b"- ", b"\xf0\x9f\x98\x80"]
KINDS = {
    "dockerfile": ("*ockerfile*", "Dockerfile"),
    "compose": ("*compose*.y*ml", "compose.yaml"),
    "kubernetes": ("*deployment*.y*ml", "k8s/deployment.yaml"),
    "client": ("*mcp*.json", ".cursor/mcp.json"),
    "runlines": ("README.md", "README.md"),
    "workflow": ("*.yml", ".github/workflows/ci.yml"),
}


@cache
def seeds(kind: str) -> tuple[bytes, ...]:
    pattern = KINDS[kind][0]
    found = []
    for path in sorted(CORPUS.rglob(pattern))[:400] if CORPUS.is_dir() else []:
        if path.is_file() and not path.is_symlink() and path.stat().st_size < 64 * 1024:
            found.append(path.read_bytes())
    return tuple(found) or (b"FROM node:22\nRUN npm ci\n",)


@st.composite
def mutated(draw, kind: str) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds(kind))))
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["token", "bytes", "delete", "duplicate"]))
        if action == "token":
            data[at:at] = draw(st.sampled_from(TOKENS)) * draw(st.integers(1, 3))
        elif action == "bytes":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
    return bytes(data)


def _scan_and_render(root: Path) -> None:
    from mcpharden import __version__
    from mcpharden.reports import FORMATS, Report, render
    from mcpharden.scan import ScanOptions, scan_target

    result = scan_target(root, ScanOptions())
    report = Report(version=__version__, results=(result,), fail_on=None)
    for format_name in FORMATS:
        output = render(format_name, report)
        output.encode("utf-8")  # no lone surrogates: every format can be written
        if format_name in ("text", "markdown"):
            assert "\x1b" not in output and "\r" not in output


def _plan_and_check(root: Path) -> None:
    from mcpharden.fixes.plan import plan_fixes
    from mcpharden.scan import ScanOptions
    from mcpharden.sources.discovery import classify
    from mcpharden.sources.dockerfile import parse_dockerfile
    from mcpharden.syntax.text import parsable

    for plan in plan_fixes(root, ScanOptions(), {}).plans:
        plan.fixed_bytes()
        assert "\x1b" not in plan.diff()
        artifact = classify(plan.path)
        if artifact is not None and artifact.kind == "dockerfile":
            parse_dockerfile(parsable(plan.fixed_text()), plan.path)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_mutated_files_never_break_a_scan_a_report_or_a_fix(kind):
    @FUZZ
    @given(data=mutated(kind))
    def run(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as directory:
            root = Path(directory)
            target = root / KINDS[kind][1]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            _scan_and_render(root)
            _plan_and_check(root)

    run()


@FUZZ
@given(script=st.one_of(st.text(max_size=400), st.lists(st.sampled_from(
    ["npm ci", "&&", "||", ";", "|", "$(", ")", "`", "'", '"', "\\\n", "if", "then", "fi", "case", "esac", "<<EOF",
     "${A:-b}", "sudo", "sh -c", "corepack", "pipx run", "python3 -m uv pip install", "-r", "req-dev.txt", "\n", "(", "{"]),
    max_size=40).map(" ".join)))
def test_shell_splitting_is_total(script):
    from mcpharden.syntax.shell import split_commands

    for command in split_commands(script):
        assert isinstance(command.argv, tuple)


@FUZZ
@given(layers=st.lists(st.lists(st.tuples(
    st.sampled_from(["etc/passwd", "app/x", "app/.wh.x", "app/.wh..wh..opq", "../escape", "/abs", "app",
                     "app/node_modules/p/package.json", "usr/lib/python3/site-packages/a-1.dist-info/METADATA",
                     "var/lib/dpkg/status", ".env"]),
    st.binary(max_size=200), st.sampled_from(["file", "dir", "symlink", "char"])), max_size=8), min_size=1, max_size=4),
    config=st.dictionaries(st.sampled_from(["User", "Env", "ExposedPorts", "Healthcheck", "Cmd"]),
                           st.one_of(st.none(), st.integers(), st.text(max_size=8), st.lists(st.text(max_size=8), max_size=3),
                                     st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3)), max_size=5),
    corrupt=st.integers(0, 3))
def test_image_reader_is_total(layers, config, corrupt):
    from imagebuilder import Entry, Image, docker_archive_legacy, layer, oci_archive
    from mcpharden.image import ImageError
    from mcpharden.image.read import read_images

    built = [layer(*(Entry(path, data if kind == "file" else b"", kind=kind, link="/etc" if kind == "symlink" else "")
                     for path, data, kind in entries)) for entries in layers]
    with tempfile.TemporaryDirectory() as directory:
        image = Image(built, config)
        archive = (oci_archive if corrupt % 2 else docker_archive_legacy)(Path(directory) / "image.tar", image)
        if corrupt >= 2:  # truncate the archive somewhere
            data = archive.read_bytes()
            archive.write_bytes(data[: len(data) * corrupt // 4])
        try:
            read_images(archive)
        except ImageError:
            pass
