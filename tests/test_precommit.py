"""The pre-commit hook, run by the real pre-commit (`try-repo`) on fixture repositories, and
its `files` pattern checked against every file kind the scanner reads."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import CORPUS, ROOT, write_tree
from mcpharden.sources.discovery import RepoReader, discover

HOOK = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]
FILES = re.compile(HOOK["files"])
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")


def test_the_hook_pattern_matches_every_file_the_scanner_reads():
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is absent ({CORPUS})")
    checked = 0
    for repository in sorted(CORPUS.iterdir())[:120]:
        if not repository.is_dir():
            continue
        for artifact in discover(repository, (), RepoReader(repository)).artifacts:
            assert FILES.search(artifact.path), f"the hook would not run for {repository.name}/{artifact.path}"
            checked += 1
    assert checked > 1000
    for manifest in ("package.json", "sub/pyproject.toml", ".mcpharden.toml", "Dockerfile-8000", "Containerfile.dev",
                     ".cursor/mcp.json", ".codex/config.toml", ".husky/pre-push", "Makefile", "server.yaml"):
        assert FILES.search(manifest), manifest
    for other in ("src/logo.png", "LICENSE", "Cargo.lock"):
        assert not FILES.search(other), other


@pytest.fixture(scope="module")
def try_repo(tmp_path_factory):
    if not PRE_COMMIT.exists() or shutil.which("git") is None:
        pytest.skip("pre-commit or git is not installed (pip install -e '.[dev]')")
    home = tmp_path_factory.mktemp("pre-commit-home")  # one hook environment for the module

    def run(files: dict[str, str]) -> subprocess.CompletedProcess[str]:
        repo = tmp_path_factory.mktemp("repo")
        write_tree(repo, files)
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
        subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
        subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
        subprocess.run([*git, "commit", "-q", "-m", "fixture"], cwd=repo, check=True)
        env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_CONSTRAINT": str(ROOT / "constraints.txt")}
        return subprocess.run([str(PRE_COMMIT), "try-repo", str(ROOT), "mcpharden", "--all-files"], cwd=repo,
                              capture_output=True, text=True, timeout=900, env=env)

    return run


HARDENED_DOCKERFILE = """
FROM node:22@sha256:0000000000000000000000000000000000000000000000000000000000000000 AS build
WORKDIR /app
COPY . .
RUN npm ci --omit=dev
FROM gcr.io/distroless/nodejs22-debian12:nonroot@sha256:1111111111111111111111111111111111111111111111111111111111111111
COPY --from=build /app /app
CMD ["/app/index.js"]
"""


def test_fails_on_an_insecure_dockerfile(try_repo):
    result = try_repo({"Dockerfile": "FROM node:22\nCMD [\"node\", \"index.js\"]\n"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Dockerfile:1: HIGH root-user" in result.stdout


def test_fails_on_an_insecure_cursor_config(try_repo):
    config = {"mcpServers": {"fs": {"command": "docker", "args": [
        "run", "-i", "--rm", "--privileged", "-v", "/var/run/docker.sock:/var/run/docker.sock", "mcp/filesystem:1"]}}}
    result = try_repo({".cursor/mcp.json": json.dumps(config)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "HIGH privileged-container" in result.stdout and "HIGH docker-socket-mount" in result.stdout


def test_passes_on_hardened_files(try_repo):
    config = {"mcpServers": {"fs": {"command": "docker", "args": [
        "run", "-i", "--rm", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--user", "1000",
        "mcp/filesystem:1@sha256:2222222222222222222222222222222222222222222222222222222222222222"]}}}
    result = try_repo({"Dockerfile": HARDENED_DOCKERFILE, "package.json": "{}", ".cursor/mcp.json": json.dumps(config)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout
