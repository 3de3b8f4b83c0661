"""Cost bounds on hostile sizes (issue 18): many client files, many `exclude` patterns, a
compose value that expands past the variable budget, a huge `scan_text` file name. Each is
linear and bounded; what is left out is named in a notice, never a traceback.

No test here asserts wall-clock time: inputs are large enough that a quadratic regression
runs past `run_cli`'s 120 s timeout, or the work is counted."""

from __future__ import annotations

import fnmatch
import json
import random
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from mcpharden.scan import TargetError
from mcpharden.scan.config import MAX_COMPLEX_PATTERNS, Config
from mcpharden.scan.targets import MAX_CLIENT_FILES
from mcpharden.sources.compose import MAX_FILE_EXPANDED_CHARS, parse_compose
from mcpharden.sources.discovery import RepoReader, discover
from mcpharden.util import globs
from mcpharden.util.globs import GlobIndex

CONTINUE_SERVER = "name: s{i}\nmcpServers:\n  - name: srv{i}\n    command: docker\n    args: [run, -i, --rm, --privileged, ghcr.io/acme/s{i}:1]\n"


def _write_continue_servers(home: Path, count: int) -> list[str]:
    folder = home / ".continue" / "mcpServers"
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        (folder / f"s{i:05d}.yaml").write_text(CONTINUE_SERVER.format(i=i), encoding="utf-8")
        paths.append(f".continue/mcpServers/s{i:05d}.yaml")
    return paths


def test_clients_audit_of_ten_thousand_continue_files_judges_each_once_and_caps_the_rest(tmp_path):
    """Was quadratic (10,000 files: over two minutes); now every file up to the cap is
    judged, the ones past it are named in a notice, and other clients are still read."""
    paths = _write_continue_servers(tmp_path, MAX_CLIENT_FILES + 7)
    write_tree(tmp_path, {".codex/config.toml": '[mcp_servers.gh]\ncommand = "docker"\n'
                                                'args = ["run", "-v", "/var/run/docker.sock:/var/run/docker.sock", "gh:1"]\n'})
    result = run_cli("scan", "--clients", "--home", str(tmp_path), "--format", "json")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    document = json.loads(result.stdout)
    privileged = {f["path"] for f in document["findings"] if f["rule_id"] == "privileged-container"}
    assert privileged == set(paths[:MAX_CLIENT_FILES])
    assert {f["path"] for f in document["findings"] if f["rule_id"] == "docker-socket-mount"} == {".codex/config.toml"}
    assert len(document["servers"]) == MAX_CLIENT_FILES + 1 and len(document["cards"]) == MAX_CLIENT_FILES + 1
    [notice] = [n for n in document["notices"] if n["path"] == ".continue/mcpServers/*.yaml"]
    assert f"the first {MAX_CLIENT_FILES:,} by name were read, 7 were not" in notice["message"]
    assert paths[MAX_CLIENT_FILES] in notice["message"]


def _exclude_repository(root: Path, filler: int) -> tuple[set[str], list[str]]:
    """A repository of 10,000 files whose `exclude` holds `filler` patterns that match nothing
    (in every shape) and six that each exclude one root-user Dockerfile; returns the
    Dockerfiles that stay and the patterns."""
    dockerfile = 'FROM debian:12\nCMD ["server"]\n'
    kept = {"keep/Dockerfile", "pkg000/Dockerfile", "skip-prefix/Dockerfile"}
    files = {path: dockerfile for path in kept}
    files |= {path: dockerfile for path in ("skip-literal/Dockerfile", "skip-prefix-a/Dockerfile", "deep/x/skip.Dockerfile",
                                            "mid/partSKIPpart/Dockerfile", "q7/Dockerfile", "pkg001/Dockerfile")}
    write_tree(root, files)
    for n in range(10_000):
        path = root / f"pkg{n % 100:03d}" / f"mod{n:05d}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text("x\n", encoding="utf-8")
    plain = ("gen{i}", "gen{i}/*", "*.gen{i}", "*gen{i}x*", "*/gen{i}/*")
    matched_by_expression = ("g[e]n{i}?", "gen{i}/*/Dockerfile")  # 200 of these, within their bound
    patterns = [(matched_by_expression if i < 200 else plain)[i % (2 if i < 200 else 5)].format(i=i) for i in range(filler)]
    patterns += ["skip-literal/", "skip-prefix-*", "*/skip.Dockerfile", "*SKIP*", "q[0-9]", "pkg001/Dockerfile"]
    (root / ".mcpharden.toml").write_text("exclude = [" + ", ".join(json.dumps(p) for p in patterns) + "]\n", encoding="utf-8")
    return kept, patterns


def test_two_thousand_exclude_patterns_over_ten_thousand_files(tmp_path):
    kept, _ = _exclude_repository(tmp_path, 2_000)
    result = run_cli("scan", str(tmp_path), "--format", "json", "--select", "root-user")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    document = json.loads(result.stdout)
    assert {f["path"] for f in document["findings"]} == kept


def test_exclude_patterns_are_not_each_tried_on_every_path(tmp_path, monkeypatch):
    """The work of excluding grows with the files, not with files × patterns: no pattern is
    tried one by one on a path (it was 2,000 tries per path and per folder of it)."""
    kept, patterns = _exclude_repository(tmp_path, 2_000)
    tries = []
    real_matches, real_fnmatchcase = globs._matches, fnmatch.fnmatchcase
    monkeypatch.setattr(globs, "_matches", lambda *a: tries.append(a) or real_matches(*a))
    monkeypatch.setattr(fnmatch, "fnmatchcase", lambda *a: tries.append(a) or real_fnmatchcase(*a))
    discover(tmp_path, (), RepoReader(tmp_path))
    classifying = len(tries)  # what naming the files' kinds costs, with nothing to exclude
    found = discover(tmp_path, tuple(patterns), RepoReader(tmp_path))
    assert {a.path for a in found.artifacts if a.kind == "dockerfile"} == kept
    excluding = len(tries) - 2 * classifying
    assert excluding < 1_000, f"{excluding} pattern tries to exclude among {10_000 + len(kept)} paths"


def test_too_many_patterns_matched_by_expression_are_a_clear_configuration_error(tmp_path):
    """Patterns with `?`, `[...]` or several `*` cost each path a regular expression per
    pattern: past MAX_COMPLEX_PATTERNS the configuration is refused (exit 2), as unknown keys are."""
    write_tree(tmp_path, {"Dockerfile": 'FROM debian:12\nCMD ["x"]\n'})
    many = ", ".join(f'"*a{i}*b*"' for i in range(MAX_COMPLEX_PATTERNS + 1))
    (tmp_path / ".mcpharden.toml").write_text(f"exclude = [{many}]\n", encoding="utf-8")
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"`exclude`: {MAX_COMPLEX_PATTERNS + 1} patterns with `?`, `[...]` or several `*`; at most {MAX_COMPLEX_PATTERNS}" in result.stderr
    plain = ", ".join(f'"gen{i}/*", "*.gen{i}"' for i in range(2_000))
    (tmp_path / ".mcpharden.toml").write_text(f"exclude = [{plain}]\n", encoding="utf-8")
    assert run_cli("scan", str(tmp_path)).returncode == 1  # plain patterns: no bound
    table = ", ".join(f'"d[0-9]{i}" = ["root-user"]' for i in range(MAX_COMPLEX_PATTERNS + 1))
    (tmp_path / ".mcpharden.toml").write_text(f"per-file-ignores = {{ {table} }}\n", encoding="utf-8")
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 2 and "`per-file-ignores`: 257 patterns" in result.stderr and "Traceback" not in result.stderr


def test_per_file_ignores_answer_without_trying_each_pattern(monkeypatch):
    """`per-file-ignores` is asked of every finding: thousands of patterns must not multiply."""
    entries = tuple((f"gen{i}/*", frozenset({"root-user"})) for i in range(2_000))
    config = Config(per_file_ignores=entries + (("docs/*", frozenset({"root-user", "no-healthcheck"})),))
    tries = []
    real_matches, real_fnmatchcase = globs._matches, fnmatch.fnmatchcase
    monkeypatch.setattr(globs, "_matches", lambda *a: tries.append(a) or real_matches(*a))
    monkeypatch.setattr(fnmatch, "fnmatchcase", lambda *a: tries.append(a) or real_fnmatchcase(*a))
    answers = [config.ignores(rule, path) for rule in ("root-user", "no-healthcheck", "privileged-container")
               for path in (f"src/f{n}.py" for n in range(500))]
    assert not any(answers) and len(tries) < 100
    assert config.ignores("root-user", "docs/a/Dockerfile") and config.ignores("root-user", "gen1999/x")
    assert config.ignores("no-healthcheck", "docs/Dockerfile") and not config.ignores("no-healthcheck", "gen3/x")
    assert not config.ignores("privileged-container", "docs/Dockerfile")


def test_glob_index_answers_as_fnmatch_does():
    """Every shape the index splits patterns into gives fnmatchcase's answer."""
    chance = random.Random(18)
    alphabet = "ab/.*?[]!-"
    patterns = ["".join(chance.choice(alphabet) for _ in range(chance.randint(0, 6))) for _ in range(400)]
    texts = ["".join(chance.choice("ab/.-*?[]") for _ in range(chance.randint(0, 8))) for _ in range(400)]
    for start in range(0, len(patterns), 7):
        group = patterns[start:start + 7]
        index = GlobIndex(group)
        for text in texts:
            assert index.matches(text) == any(fnmatch.fnmatchcase(text, p) for p in group), (text, group)
    assert not GlobIndex([]).matches("anything")


def test_compose_value_past_the_variable_budget_is_a_notice_and_the_rest_is_judged(tmp_path):
    """`${A}` (40,000 characters in .env) twice through a default: past the 64 KiB a value may
    expand to. It was an uncaught error that lost the whole scan."""
    write_tree(tmp_path, {
        ".env": "A=" + "x" * 40_000 + "\n",
        "compose.yaml": """
            services:
              web:
                image: nginx:1
                privileged: true
                volumes:
                  - "${B:-$A$A}:/data"
              other:
                image: redis:7
                volumes:
                  - /var/run/docker.sock:/var/run/docker.sock
        """,
    })
    result = run_cli("scan", str(tmp_path), "--format", "json")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    document = json.loads(result.stdout)
    found = {(f["rule_id"], f["line"]) for f in document["findings"]}
    assert {("privileged-container", 4), ("docker-socket-mount", 10)} <= found
    [notice] = document["notices"]
    assert notice["path"] == "compose.yaml" and notice["line"] == 2
    assert "service web: 1 value(s) expand past the variable budget" in notice["message"] and "x" * 100 not in notice["message"]
    text = run_cli("scan", str(tmp_path))
    assert text.returncode == 1 and "Traceback" not in text.stderr and "judged as written" in text.stdout


def test_compose_values_together_stay_within_the_file_budget():
    """Each `${A}` (60,000 characters) is under the 64 KiB a value may reach, but 40 of them
    would hold 2.4 MB from a 1 KB file (20,000 of them a gigabyte): past the file's budget the
    values stay as written."""
    files = {"app/.env": "A=" + "y" * 60_000 + "\n"}
    text = "services:\n  web:\n    image: nginx:1\n    volumes:\n" + "".join(f'      - "${{A}}:/d{i}"\n' for i in range(40))
    notices = []
    [spec] = parse_compose("app/compose.yaml", text, files.get, notices=notices)
    assert len(spec.mounts) == 40
    assert sum(len(m.source) for m in spec.mounts) <= MAX_FILE_EXPANDED_CHARS + 64 * 1024
    assert spec.mounts[0].source == "y" * 60_000 and spec.mounts[-1].source == "${A}"
    [notice] = notices
    assert notice.path == "app/compose.yaml" and notice.line == 2 and "value(s) expand past the variable budget" in notice.message


@pytest.mark.parametrize("name, problem", [
    ("a" * (1024 * 1024), "a file name of 1048576 characters: at most 4096"),
    ("/".join(["d"] * 60) + "/Dockerfile", "a file name of 61 parts: at most 49"),
])
def test_scan_text_refuses_a_file_name_past_its_bounds(name, problem):
    """A megabyte name took minutes (each of its parts classified as a path of all the
    parts after it); it is refused at once, without echoing the name."""
    from mcpharden.serve import _scan_text

    with pytest.raises(TargetError) as raised:
        _scan_text(name, 'FROM debian:12\nCMD ["x"]\n', None, "high")
    assert str(raised.value).startswith(problem) and len(str(raised.value)) < 120


def test_scan_text_classifies_a_name_at_its_bounds_by_its_trailing_parts():
    from mcpharden.serve import _scan_text

    deepest = "/".join(["d" * 70] * 48) + "/Dockerfile"
    assert len(deepest) <= 4096
    result = _scan_text(deepest, 'FROM debian:12\nCMD ["x"]\n', ["root-user"], "high")
    assert [f["rule_id"] for f in result.structured_content["findings"]] == ["root-user"]
    hook = "/".join(["d"] * 40) + "/.husky/pre-push"  # a git hook by its last two parts only
    result = _scan_text(hook, "#!/bin/sh\ndocker build -t a .\n", None, "high")
    assert result.structured_content["summary"]["files_scanned"] == 1 and result.structured_content["notices"] == []


def test_a_script_of_many_words_the_shell_grammar_drops_is_read_whole(tmp_path):
    """tree-sitter-bash drops the `-` of `cmd - << E`; each such word's line was counted from the
    start of the script (1.6 MB: over 10 s, past the per-file budget, and the file went unread).
    The lines are now indexed once: the `docker run` after 40,000 of them is still judged."""
    script = "gh release edit v1 --notes-file - << E\nE\n" * 40_000 + "docker run --privileged ghcr.io/acme/srv:1\n"
    write_tree(tmp_path, {"release.sh": script})
    result = run_cli("scan", str(tmp_path), "--select", "privileged-container", "--format", "json", "--fail-on", "never")
    document = json.loads(result.stdout)
    assert [(f["path"], f["line"]) for f in document["findings"]] == [("release.sh", 80_001)]
    assert not document["notices"], document["notices"]
