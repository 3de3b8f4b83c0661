"""`fix --write` never writes through a symlink or outside the root, writes atomically,
keeps every byte it does not mean to change, and reports what it could not write."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import dockerfile

from conftest import run_cli
from mcpharden.fixes import Edit, FilePlan
from mcpharden.fixes.writer import write_plan

INSECURE = b"FROM node:22\nRUN npm ci --omit=dev\nCMD [\"node\", \"index.js\"]\n"
WORKFLOW = ".github/workflows/mcpharden-image-scan.yml"


def _repository(root: Path, dockerfile_bytes: bytes = INSECURE) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_bytes(dockerfile_bytes)
    return root


def test_workflow_symlinked_to_a_file_outside_is_not_overwritten(tmp_path):
    outside = tmp_path / "outside.yml"
    outside.write_text("precious\n")
    repo = _repository(tmp_path / "repo")
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / WORKFLOW).symlink_to(outside)
    result = run_cli("fix", str(repo), "--write")
    assert outside.read_text() == "precious\n"
    assert "not written" in result.stderr and "Traceback" not in result.stderr
    assert "USER node" in (repo / "Dockerfile").read_text()  # the other file is still fixed
    assert result.returncode == 2


def test_github_folder_symlinked_outside_gets_no_workflow(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    repo = _repository(tmp_path / "repo")
    (repo / ".github").symlink_to(outside, target_is_directory=True)
    result = run_cli("fix", str(repo), "--write")
    assert list(outside.rglob("*")) == []
    assert "symlink" in result.stderr


def test_symlinked_dockerfile_inside_the_root_is_not_written_through(tmp_path):
    repo = _repository(tmp_path / "repo")
    (repo / "docker").mkdir()
    (repo / "docker/Dockerfile").symlink_to("../Dockerfile")
    before = (repo / "Dockerfile").read_bytes()
    result = run_cli("fix", str(repo), "--write", "--select", "root-user")
    assert "docker/Dockerfile" in result.stderr and "symlink" in result.stderr
    assert (repo / "docker/Dockerfile").is_symlink()
    assert (repo / "Dockerfile").read_bytes() != before  # the real file is fixed once, as itself


def test_a_directory_where_the_workflow_goes_is_reported_and_the_rest_written(tmp_path):
    repo = _repository(tmp_path / "repo")
    (repo / WORKFLOW).mkdir(parents=True)
    result = run_cli("fix", str(repo), "--write")
    assert "not a regular file" in result.stderr and "Traceback" not in result.stderr
    assert "USER node" in (repo / "Dockerfile").read_text()


def test_edits_land_where_dockers_parser_says_despite_unusual_line_breaks(tmp_path):
    # Form feed, \x1c-\x1e, NEL and U+2028 are line breaks for str.splitlines(), not for Docker.
    comment = "# notes\x0cmore\x1cand\x1d\x1e\x85next\u2028last\n".encode()
    repo = _repository(tmp_path / "repo", b"FROM node:22\n" + comment + b"RUN npm ci --omit=dev\nCMD [\"node\", \"i.js\"]\n")
    run_cli("fix", str(repo), "--write", "--select", "root-user")
    fixed = (repo / "Dockerfile").read_bytes()
    assert fixed == b"FROM node:22\n" + comment + b"RUN npm ci --omit=dev\nUSER node\nCMD [\"node\", \"i.js\"]\n"


def test_bom_latin1_crlf_and_missing_final_newline_are_kept(tmp_path):
    original = b"\xef\xbb\xbfFROM node:22\r\n# caf\xe9 \xff\r\nRUN npm ci --omit=dev\r\nEXPOSE 3000"
    repo = _repository(tmp_path / "repo", original)
    result = run_cli("fix", str(repo), "--write", "--select", "root-user")
    assert result.returncode == 0, result.stderr
    fixed = (repo / "Dockerfile").read_bytes()
    assert fixed == b"\xef\xbb\xbfFROM node:22\r\n# caf\xe9 \xff\r\nRUN npm ci --omit=dev\r\nUSER node\r\nEXPOSE 3000"
    assert not run_cli("fix", str(repo), "--write", "--select", "root-user").stdout  # a second run writes nothing


def test_the_diff_escapes_control_characters(tmp_path):
    repo = _repository(tmp_path / "repo", b"FROM node:22\n# \x1b[2J\rclear\nRUN npm ci --omit=dev\n")
    diff = run_cli("fix", str(repo), "--select", "root-user").stdout
    assert "\x1b" not in diff and "\\x1b[2J\\rclear" in diff


def test_mode_is_kept_and_no_temporary_file_is_left(tmp_path):
    repo = _repository(tmp_path / "repo")
    os.chmod(repo / "Dockerfile", 0o640)
    run_cli("fix", str(repo), "--write", "--select", "root-user")
    assert stat.S_IMODE(os.stat(repo / "Dockerfile").st_mode) == 0o640
    assert sorted(p.name for p in repo.iterdir()) == ["Dockerfile"]


def test_a_file_changed_since_it_was_read_is_skipped(tmp_path):
    repo = _repository(tmp_path / "repo")
    plan = FilePlan("Dockerfile", "FROM node:20\n", (Edit(2, 1, ("USER node",), "root-user"),))
    outcome = write_plan(repo, plan)
    assert not outcome.written and "changed since it was read" in outcome.reason
    assert (repo / "Dockerfile").read_bytes() == INSECURE


def test_paths_that_climb_out_are_refused(tmp_path):
    repo = _repository(tmp_path / "repo")
    for path in ("../escape", "/etc/passwd", "a/../../b"):
        outcome = write_plan(repo, FilePlan(path, "", (Edit(1, 0, ("x",), "r"),)))
        assert not outcome.written, path
    assert not (tmp_path / "escape").exists()


def test_fixed_dockerfiles_parse_with_dockers_parser(tmp_path):
    repo = _repository(tmp_path / "repo", b"FROM python:3.12\nCOPY . /app\nRUN pip install -r requirements.txt\nEXPOSE 8000\n")
    run_cli("fix", str(repo), "--write")
    dockerfile.parse_file(str(repo / "Dockerfile"))
