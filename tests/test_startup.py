"""Start-up: a scan imports the readers, models and rules of the file kinds its target holds, and
no others (issue 25). Each test runs the real command in a fresh interpreter and looks at what it
imported; how long that takes is measured by `make perf` (the `peers` and `process` rows), not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Run the command line as the `mcpharden` script does, then list what the process imported.
_PROBE = """
import json, sys
from mcpharden.cli import _command
_command(sys.argv[1:])
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

DOCKERFILE = 'FROM node:22-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nUSER node\nCMD ["node", "server.js"]\n'
COMPOSE = "services:\n  mcp:\n    image: ghcr.io/acme/mcp:1.0\n    ports: ['8080:8080']\n"

# The readers and models of the kinds a repository of one Dockerfile does not have.
NOT_FOR_A_DOCKERFILE = {
    "yaml", "tomllib",
    "mcpharden.sources.compose", "mcpharden.sources.kubernetes", "mcpharden.sources.helm", "mcpharden.sources.kustomize",
    "mcpharden.sources.ci", "mcpharden.sources.clients", "mcpharden.sources.smithery", "mcpharden.sources.devcontainer",
    "mcpharden.sources.runlines", "mcpharden.model.container", "mcpharden.model.pipeline", "mcpharden.model.image",
    "mcpharden.image", "mcpharden.fixes", "mcpharden.vulns", "mcpharden.batch", "mcpharden.serve",
    "mcpharden.reports.sarif", "mcpharden.reports.json_report",
}
NOT_FOR_A_COMPOSE_FILE = {
    "dockerfile", "tree_sitter", "tree_sitter_bash", "mcpharden.sources.dockerfile", "mcpharden.syntax.bashtree",
    "mcpharden.sources.transport", "mcpharden.sources.kubernetes", "mcpharden.sources.ci", "mcpharden.model.pipeline",
    "mcpharden.image", "mcpharden.fixes",
}


def _imported(tmp_path: Path, *arguments: str) -> set[str]:
    """What the second of two runs imports: the first fills the user cache with the knowledge
    tables as JSON (a first run ever parses their TOML). No configuration is found above the
    target: the search stops at the folder holding .git."""
    (tmp_path / ".git").mkdir(exist_ok=True)
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", _PROBE, *arguments], capture_output=True, text=True, cwd=tmp_path,
                              env=environment, timeout=120)
        assert done.returncode in (0, 1), done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _rules_imported(modules: set[str]) -> set[str]:
    prefix = "mcpharden.rules."
    return {name[len(prefix):].replace("_", "-") for name in modules
            if name.startswith(prefix) and name not in ("mcpharden.rules.base", "mcpharden.rules.pages")}


def _rules_reading(*models: str) -> set[str]:
    from mcpharden.rules import RULES

    return {rule_id for rule_id, reads in RULES.items() if set(reads) & set(models)}


def _loaded(modules: set[str], names: set[str]) -> set[str]:
    return {name for name in names if name in modules or any(module.startswith(name + ".") for module in modules)}


def test_a_scan_of_one_dockerfile_imports_only_the_dockerfile_reader_and_the_rules_of_builds(tmp_path):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    modules = _imported(tmp_path, "scan", "Dockerfile")
    assert "mcpharden.sources.dockerfile" in modules and "dockerfile" in modules
    assert not _loaded(modules, NOT_FOR_A_DOCKERFILE)
    # Only the rules that read a build (or the server facts a build gives) are imported.
    assert _rules_imported(modules) == _rules_reading("BuildModel", "ServerFacts")


def test_a_scan_of_a_compose_file_imports_neither_the_dockerfile_parser_nor_the_shell_grammar(tmp_path):
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    modules = _imported(tmp_path, "scan", ".")
    assert "mcpharden.sources.compose" in modules
    assert not _loaded(modules, NOT_FOR_A_COMPOSE_FILE)
    assert _rules_imported(modules) == _rules_reading("ContainerSpec")


def test_the_catalogue_and_the_formats_that_list_every_rule_still_import_them_all(tmp_path):
    from mcpharden.rules import RULES

    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    assert _rules_imported(_imported(tmp_path, "scan", "Dockerfile", "--format", "sarif")) == set(RULES)
    assert _rules_imported(_imported(tmp_path, "rules")) == set(RULES)
    assert _rules_imported(_imported(tmp_path, "explain", "root-user")) == {"root-user"}


@pytest.mark.parametrize("arguments", [("--version",), ("scan", "--help")])
def test_version_and_help_import_no_scanner(tmp_path, arguments):
    done = subprocess.run([sys.executable, "-c", _PROBE.replace("_command(sys.argv[1:])",
                                                                "try:\n    _command(sys.argv[1:])\nexcept SystemExit:\n    pass"),
                           *arguments], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    modules = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert not {name for name in modules if name.startswith(("mcpharden.scan", "mcpharden.rules", "mcpharden.model",
                                                              "mcpharden.sources", "dataclasses"))}
