"""Configuration found as ruff and pre-commit find theirs (issue 24), and the documentation's own
configuration examples load as written with the real loaders."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from conftest import ROOT, run_cli, write_tree
from mcpharden.rules import all_rules
from mcpharden.scan.config import CONFIG_FILE, load_config
from mcpharden.scan.ignorefile import IGNORE_FILE, find_ignore_files

DOCKERFILE = "FROM node:22\nCMD [\"node\", \"index.js\"]\n"
RULE_IDS = frozenset(rule.id for rule in all_rules())


def _rules(path, *options) -> set[str]:
    result = run_cli("scan", str(path), "-f", "json", *options)
    assert result.returncode in (0, 1), result.stderr
    return {f["rule_id"] for f in json.loads(result.stdout)["findings"]}


def test_a_sub_folder_and_a_single_file_use_the_repository_configuration(tmp_path):
    write_tree(tmp_path, {"repo/.git/HEAD": "ref: refs/heads/main\n", "repo/services/api/Dockerfile": DOCKERFILE,
                          "repo/.mcpharden.toml": 'ignore = ["root-user"]\n'})
    api = tmp_path / "repo" / "services" / "api"
    assert "root-user" not in _rules(api) and "full-os-base-image" in _rules(api)
    assert "root-user" not in _rules(api / "Dockerfile")
    assert "root-user" not in _rules(tmp_path / "repo")


def test_a_worktree_git_file_marks_the_root_too(tmp_path):
    write_tree(tmp_path, {"repo/.git": "gitdir: /elsewhere\n", "repo/api/Dockerfile": DOCKERFILE,
                          "repo/pyproject.toml": '[project]\nname = "x"\n[tool.mcpharden]\nignore = ["root-user"]\n'})
    assert "root-user" not in _rules(tmp_path / "repo" / "api")


def test_the_search_stops_at_the_repository_root(tmp_path):
    write_tree(tmp_path, {".mcpharden.toml": 'ignore = ["root-user"]\n', "repo/.git/HEAD": "x\n", "repo/api/Dockerfile": DOCKERFILE})
    assert "root-user" in _rules(tmp_path / "repo" / "api")


def test_outside_a_repository_only_the_scanned_folder_counts(tmp_path):
    write_tree(tmp_path, {".mcpharden.toml": 'ignore = ["root-user"]\n', "api/Dockerfile": DOCKERFILE})
    assert "root-user" in _rules(tmp_path / "api")
    assert "root-user" not in _rules(tmp_path)


def test_the_nearest_configuration_wins_and_a_pyproject_without_the_table_is_passed_over(tmp_path):
    write_tree(tmp_path, {"repo/.git/HEAD": "x\n", "repo/.mcpharden.toml": 'ignore = ["root-user"]\n',
                          "repo/api/.mcpharden.toml": 'ignore = ["full-os-base-image"]\n', "repo/api/Dockerfile": DOCKERFILE,
                          "repo/web/pyproject.toml": '[project]\nname = "web"\n', "repo/web/Dockerfile": DOCKERFILE})
    api = _rules(tmp_path / "repo" / "api")
    assert "full-os-base-image" not in api and "root-user" in api  # no merging, as ruff
    assert "root-user" not in _rules(tmp_path / "repo" / "web")


def test_paths_in_a_configuration_above_are_relative_to_its_folder(tmp_path):
    write_tree(tmp_path, {
        "repo/.git/HEAD": "x\n", "repo/services/api/Dockerfile": DOCKERFILE, "repo/services/api/vendor/Dockerfile": DOCKERFILE,
        "repo/services/api/docs/run.md": "```sh\ndocker run --privileged x/y:1\n```\n",
        "repo/.mcpharden.toml": 'exclude = ["services/api/vendor"]\n'
                                'per-file-ignores = { "services/api/docs/*" = ["privileged-container"] }\n',
    })
    document = json.loads(run_cli("scan", str(tmp_path / "repo" / "services" / "api"), "-f", "json").stdout)
    paths = {f["path"] for f in document["findings"]}
    assert "vendor/Dockerfile" not in paths and "Dockerfile" in paths
    assert not [f for f in document["findings"] if f["rule_id"] == "privileged-container"]
    named = json.loads(run_cli("scan", str(tmp_path / "repo" / "services" / "api" / "vendor"), "-f", "json").stdout)
    assert {f["path"] for f in named["findings"]} >= {"Dockerfile"}  # a folder the user names is scanned


def test_an_explicit_config_is_used_as_given(tmp_path):
    write_tree(tmp_path, {"repo/.git/HEAD": "x\n", "repo/.mcpharden.toml": 'ignore = ["root-user"]\n',
                          "repo/api/Dockerfile": DOCKERFILE, "other.toml": 'ignore = ["full-os-base-image"]\n'})
    rules = _rules(tmp_path / "repo" / "api", "--config", str(tmp_path / "other.toml"))
    assert "root-user" in rules and "full-os-base-image" not in rules


# The documentation's examples -----------------------------------------------------------------

_BLOCK = re.compile(r"^```(toml|yaml|yml)\n(.*?)^```", re.S | re.M)


def _blocks():
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for match in _BLOCK.finditer(document.read_text(encoding="utf-8")):
            yield document.name, match.group(1), match.group(2)


def _configuration_blocks():
    """The blocks that look like mcpharden configuration: a `[tool.mcpharden]` table, a TOML
    document whose keys are all settings, or an ignore file (`ignores:`)."""
    found = []
    for name, language, text in _blocks():
        if language == "toml":
            keys = set(tomllib.loads(text)) if "[tool.mcpharden" not in text else set()
            if "[tool.mcpharden" in text or (keys and keys <= {"select", "ignore", "exclude", "fail-on", "target", "severity"}):
                found.append((name, "toml", text))
        elif re.match(r"^ignores:", text):
            found.append((name, "ignore", text))
    return found


def test_the_documentation_holds_configuration_examples():
    kinds = {kind for _, kind, _ in _configuration_blocks()}
    assert kinds == {"toml", "ignore"}  # the README shows both: this test must have something to load


@pytest.mark.parametrize("where, kind, text", _configuration_blocks())
def test_every_configuration_example_loads_as_written(tmp_path, where, kind, text):
    if kind == "toml":
        name = "pyproject.toml" if "[tool.mcpharden" in text else CONFIG_FILE
        (tmp_path / name).write_text(text, encoding="utf-8")
        config = load_config(tmp_path, None, RULE_IDS)
        assert config.source is not None, where
    else:
        (tmp_path / IGNORE_FILE).write_text(text, encoding="utf-8")
        [ignore_file] = find_ignore_files([(tmp_path, "")], None, RULE_IDS)
        assert ignore_file.entries and not ignore_file.notices, (where, ignore_file.notices)
