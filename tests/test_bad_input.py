"""Bad input never crashes a scan and never loses the other findings."""

import json
import os
import stat

import pytest

from conftest import findings, run_cli, scan_files, write_tree

GOOD = {"Dockerfile": "FROM node:22\n"}


def notices(result):
    return {n.path: n.message for n in result.notices}


def test_malformed_dockerfile_gets_a_notice_and_others_are_scanned(tmp_path):
    result = scan_files(tmp_path, {**GOOD, "broken/Dockerfile": "FRM node:22\nRUN x\n", "empty/Dockerfile": "", "nofrom/Dockerfile": "# just a comment\nARG X=1\n"})
    assert "unknown instruction" in notices(result)["broken/Dockerfile"]
    assert "no instructions" in notices(result)["empty/Dockerfile"]
    assert "no FROM" in notices(result)["nofrom/Dockerfile"]
    assert findings(result, "root-user")[0].path == "Dockerfile"


def test_broken_yaml_and_alias_bomb(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9)
    )
    result = scan_files(tmp_path, {**GOOD, ".github/workflows/a.yml": "jobs: [\n", ".github/workflows/b.yml": bomb})
    assert "invalid YAML" in notices(result)[".github/workflows/a.yml"]
    assert "alias bomb" in notices(result)[".github/workflows/b.yml"]
    assert findings(result, "root-user")


def test_invalid_utf8_is_read_with_replacement_and_still_scanned(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(b"# caf\xe9\nFROM node:22\n")
    result = scan_files(tmp_path, {})
    assert "not valid UTF-8" in notices(result)["Dockerfile"]
    assert findings(result, "root-user")


def test_binary_and_huge_files_are_skipped(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "Dockerfile").write_bytes(b"\x7fELF\x00\x00\x01")
    with open(tmp_path / "Containerfile", "wb") as handle:
        handle.write(b"FROM node:22\n" + b"# padding\n" * (50 * 1024 * 1024 // 10))
    result = scan_files(tmp_path, GOOD)
    assert notices(result)["bin/Dockerfile"] == "binary file: skipped"
    assert "larger than 2 MiB" in notices(result)["Containerfile"]
    assert findings(result, "root-user")[0].path == "Dockerfile"


def test_symlinks_out_of_the_repository_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write_tree(outside, {"Dockerfile": "FROM debian:12\n", "ci/.github/workflows/x.yml": "on: push\n"})
    repo = tmp_path / "repo"
    write_tree(repo, GOOD)
    (repo / "linked").mkdir()
    os.symlink(outside / "Dockerfile", repo / "linked" / "Dockerfile")
    os.symlink(outside / "ci", repo / "elsewhere")
    os.symlink(repo / "Dockerfile", repo / "linked" / "inside.Dockerfile")  # inside: fine to read
    result = scan_files(repo, {})
    assert "outside the scanned directory" in notices(result)["linked/Dockerfile"]
    assert "outside the scanned directory" in notices(result)["elsewhere"]
    paths = {f.path for f in result.findings}
    assert "linked/Dockerfile" not in paths and "linked/inside.Dockerfile" in paths


def test_fifo_and_special_files_are_not_opened(tmp_path):
    write_tree(tmp_path, GOOD)
    os.mkfifo(tmp_path / "fifo.Dockerfile")
    result = scan_files(tmp_path, {})
    assert notices(result)["fifo.Dockerfile"] == "not a regular file: skipped"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of their mode")
def test_unreadable_file_as_non_root(tmp_path):
    write_tree(tmp_path, {**GOOD, "locked/Dockerfile": "FROM node:22\n"})
    (tmp_path / "locked" / "Dockerfile").chmod(0)
    result = scan_files(tmp_path, {})
    assert "could not read" in notices(result)["locked/Dockerfile"]


def test_unreadable_file_reports_and_continues(tmp_path, monkeypatch):
    write_tree(tmp_path, {**GOOD, "locked/Dockerfile": "FROM node:22\n"})
    real_open = os.open
    locked = os.stat(tmp_path / "locked")

    def deny(path, flags, *args, dir_fd=None, **kwargs):
        # Files are opened by name from their folder's descriptor: deny the one in locked/.
        if path == "Dockerfile" and dir_fd is not None and os.path.samestat(os.fstat(dir_fd), locked):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, dir_fd=dir_fd, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    result = scan_files(tmp_path, {})
    assert notices(result)["locked/Dockerfile"] == "could not read: Permission denied"
    assert findings(result, "root-user")[0].path == "Dockerfile"


def test_empty_directory_is_a_clean_scan(tmp_path):
    result = run_cli("scan", str(tmp_path), "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["summary"]["total"] == 0


def test_notices_reach_every_report_format(tmp_path):
    write_tree(tmp_path, {**GOOD, "x/Dockerfile": "NOPE\n"})
    text = run_cli("scan", str(tmp_path)).stdout
    assert "x/Dockerfile:1: not scanned: unknown instruction 'NOPE'" in text
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)
    assert document["notices"][0]["path"] == "x/Dockerfile"
    sarif = json.loads(run_cli("scan", str(tmp_path), "--format", "sarif").stdout)
    assert sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]


def test_unreadable_single_file_target_exits_two(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(b"\x00\x01binary")
    result = run_cli("scan", str(tmp_path / "Dockerfile"))
    assert result.returncode == 2 and "binary file" in result.stderr
    os.mkfifo(tmp_path / "pipe")
    assert run_cli("scan", str(tmp_path / "pipe")).returncode == 2
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)


def test_deeply_nested_and_invalid_json(tmp_path):
    deep = '{"mcpServers": ' + "[" * 50000 + "]" * 50000 + "}"
    result = scan_files(tmp_path, {**GOOD, ".cursor/mcp.json": deep, ".vscode/mcp.json": '{"servers": {"a": }'})
    assert "nested deeper" in notices(result)[".cursor/mcp.json"]
    assert "invalid JSON" in notices(result)[".vscode/mcp.json"]
    assert findings(result, "root-user")


def test_ten_thousand_services_in_one_compose_file(tmp_path):
    services = "".join(f"  s{i}:\n    image: a:{i}\n    privileged: true\n" for i in range(10_000))
    result = scan_files(tmp_path, {"compose.yaml": "services:\n" + services}, select=("privileged-container",))
    assert len(findings(result, "privileged-container")) == 10_000


def test_alias_bomb_in_compose_and_manifests(tmp_path):
    bomb = "x: &a [a, a, a, a, a, a, a, a, a]\n" + "".join(
        f"x{i}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9)
    )
    result = scan_files(tmp_path, {**GOOD, "compose.yaml": bomb + "services: {}\n", "k8s/bomb.yaml": "apiVersion: v1\nkind: Pod\n" + bomb})
    assert "alias bomb" in notices(result)["compose.yaml"]
    assert "alias bomb" in notices(result)["k8s/bomb.yaml"]
    assert findings(result, "root-user")
