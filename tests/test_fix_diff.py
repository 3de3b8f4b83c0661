"""The dry-run diff of `mcpharden fix` is a patch: `git apply` applies it whenever it holds no
credential (CRLF files, a missing final newline, tabs and a BOM included), and a hunk that
shows a masked value or an escape, in a changed or a context line, says so above itself and
stops `git apply` instead of writing `***`."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import run_cli, write_tree
from mcpharden.fixes import ESCAPED_HUNK, REDACTED_HUNK

GIT = shutil.which("git")
PIN = "@sha256:" + "e" * 64
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0" * 2


@pytest.fixture
def repository(tmp_path):
    if GIT is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run([GIT, "init", "-q", str(root)], check=True)
    return root


def _write_bytes(root, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def fix_diff(root, *arguments: str) -> subprocess.CompletedProcess:
    """`mcpharden fix` with its output as bytes decoded as they are (run_cli's text mode would
    turn `\\r\\n` into `\\n`)."""
    result = subprocess.run([sys.executable, "-m", "mcpharden", "fix", str(root), *arguments], capture_output=True,
                            timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode("utf-8", "surrogateescape"),
                                       result.stderr.decode("utf-8", "replace"))


def git_apply(root, diff: str, check: bool = True) -> subprocess.CompletedProcess:
    (root.parent / "fix.diff").write_bytes(diff.encode("utf-8", "surrogateescape"))
    arguments = ["apply", "--check"] if check else ["apply"]
    return subprocess.run([GIT, "-C", str(root), *arguments, str(root.parent / "fix.diff")], capture_output=True, text=True)


def test_a_diff_without_credentials_applies_and_equals_fix_write(repository, tmp_path):
    files = {
        "Dockerfile": b"\xef\xbb\xbfFROM node:22\r\nRUN npm ci\r\nCMD [\"node\", \"s.js\"]",  # BOM, CRLF, no final newline
        "tools/Dockerfile": b"FROM node:22\nRUN\tnpm ci \\\n\t--ignore-scripts\nCMD [\"node\"]\n",  # tabs
        "compose.yaml": b"services:\r\n  mcp:\r\n    build: .\r\n    ports:\r\n      - \"3000:3000\"",
        ".vscode/mcp.json": b'{\n  // mine\n  "servers": {"x": {"command": "docker", "args": ["run", "-i", "-p", "8080:8080", "img' + PIN.encode() + b'"]}}\n}\n',
    }
    _write_bytes(repository, files)
    diff = fix_diff(repository, "--exit-zero")
    assert diff.returncode == 0, diff.stderr
    assert REDACTED_HUNK.strip() not in diff.stdout and ESCAPED_HUNK.strip() not in diff.stdout
    assert "\\ No newline at end of file" in diff.stdout
    checked = git_apply(repository, diff.stdout)
    assert checked.returncode == 0, checked.stderr
    assert git_apply(repository, diff.stdout, check=False).returncode == 0
    applied = {name: (repository / name).read_bytes() for name in files}
    written = tmp_path / "written"
    shutil.copytree(repository, written, ignore=shutil.ignore_patterns(".git"))
    _write_bytes(written, files)
    assert run_cli("fix", str(written), "--write", "--exit-zero").returncode == 0
    assert applied == {name: (written / name).read_bytes() for name in files}  # the patch is the write
    assert applied["Dockerfile"] == b"\xef\xbb\xbfFROM node:22\r\nRUN npm ci --omit=dev\r\nUSER node\r\nCMD [\"node\", \"s.js\"]"


def test_a_credential_in_a_context_line_marks_that_hunk_only(repository):
    lines = [f"ENV LINE{n}=x" for n in range(12)]
    lines[2] = f"ENV GITHUB_TOKEN={TOKEN}"  # a context line of the hunk, not a changed one
    dockerfile = "FROM node:22\nRUN npm ci\n" + "\n".join(lines) + "\nCMD [\"node\"]\n"
    write_tree(repository, {"Dockerfile": dockerfile, "compose.yaml": f"services:\n  mcp:\n    image: ghcr.io/acme/mcp{PIN}\n"})
    diff = run_cli("fix", str(repository), "--select", "root-user,dev-dependencies-in-runtime,capabilities-not-dropped").stdout
    assert TOKEN not in diff and "GITHUB_TOKEN=***" in diff
    shown = diff.splitlines()
    hunks = [i for i, line in enumerate(shown) if line.startswith("@@ ")]
    assert len(hunks) == 2
    assert shown[hunks[0] - 1] == REDACTED_HUNK.rstrip("\n")  # the hunk that shows the masked line
    assert shown[hunks[1] - 1] != REDACTED_HUNK.rstrip("\n")  # the other one applies as it is
    refused = git_apply(repository, diff)
    assert refused.returncode != 0
    assert (repository / "Dockerfile").read_text() == dockerfile


def test_an_escaped_control_character_marks_its_hunk(repository):
    _write_bytes(repository, {"Dockerfile": b"FROM node:22\n# bell \x07 here\nCMD [\"node\"]\n"})
    diff = run_cli("fix", str(repository), "--select", "root-user").stdout
    assert "\x07" not in diff and "\\x07" in diff
    assert ESCAPED_HUNK.rstrip("\n") in diff.splitlines()
    assert git_apply(repository, diff).returncode != 0
