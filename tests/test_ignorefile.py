"""The ignore file (issue 24): `.mcpharden-ignore.yaml` entries with a rule, an optional path
glob, a reason and an expiry date; `.trivyignore` lines that map to rules; `--ignorefile`;
inline suppressions with a reason; a suppression naming no rule is a visible notice. An outside
audit (batch) still does not honour any of them."""

from __future__ import annotations

import json
from datetime import date, timedelta

from conftest import run_cli, write_tree
from mcpharden.scan import ScanOptions, scan_target

FUTURE = (date.today() + timedelta(days=30)).isoformat()
PAST = (date.today() - timedelta(days=1)).isoformat()
TODAY = date.today().isoformat()
ROOT_DOCKERFILE = "FROM node:22\nCMD [\"node\", \"index.js\"]\n"


def _entries(*entries: str) -> str:
    return "ignores:\n" + "".join(entries)


def _entry(rule: str, expires: str, reason: str = "accepted", path: str | None = None) -> str:
    return (f"  - rule: {rule}\n" + (f"    path: {path}\n" if path else "") + f"    reason: {reason}\n"
            f"    expires: {expires}\n")


def _report(path, *options):
    result = run_cli("scan", str(path), "-f", "json", *options)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def _rules(document) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in document["findings"]:
        found.setdefault(finding["rule_id"], set()).add(finding["path"])
    return found


def test_an_entry_hides_its_rule_where_its_path_matches_until_it_expires(tmp_path):
    write_tree(tmp_path, {"Dockerfile": ROOT_DOCKERFILE, "legacy/Dockerfile": ROOT_DOCKERFILE,
                          ".mcpharden-ignore.yaml": _entries(_entry("root-user", FUTURE, "rebuilt as non-root in Q3", "legacy"),
                                                             _entry("full-os-base-image", TODAY, "the last day counts"))})
    document = _report(tmp_path)
    rules = _rules(document)
    assert rules["root-user"] == {"Dockerfile"}  # only legacy/ was ignored
    assert "full-os-base-image" not in rules  # expires today: still holds
    assert document["summary"]["suppressed"] == 3
    assert not [n for n in document["notices"] if n["kind"] == "suppression"]
    [legacy] = [s for s in document["suppressions"] if s["rule_id"] == "root-user"]
    assert legacy["path"] == "legacy/Dockerfile"
    assert legacy["by"] == f".mcpharden-ignore.yaml (line 2, until {FUTURE}): rebuilt as non-root in Q3"


def test_an_expired_entry_brings_its_findings_back_with_a_notice(tmp_path):
    write_tree(tmp_path, {"Dockerfile": ROOT_DOCKERFILE,
                          ".mcpharden-ignore.yaml": _entries(_entry("root-user", PAST, "was temporary"))})
    document = _report(tmp_path)
    assert "root-user" in _rules(document)
    [notice] = [n for n in document["notices"] if n["kind"] == "suppression"]
    assert notice["path"] == ".mcpharden-ignore.yaml" and notice["line"] == 2
    assert f"the ignore of root-user expired on {PAST}: its findings are reported again (reason given: was temporary)" in notice["message"]
    text = run_cli("scan", str(tmp_path)).stdout
    assert "Suppressions that hide nothing, or no longer:" in text and "expired on" in text


def test_an_entry_naming_no_rule_is_a_notice_and_hides_nothing(tmp_path):
    write_tree(tmp_path, {"Dockerfile": ROOT_DOCKERFILE, ".mcpharden-ignore.yaml": _entries(_entry("root_user", FUTURE))})
    document = _report(tmp_path)
    assert "root-user" in _rules(document)
    [notice] = [n for n in document["notices"] if n["kind"] == "suppression"]
    assert "names no rule" in notice["message"] and "did you mean 'root-user'?" in notice["message"]


def _each_is_an_error(tmp_path, cases: dict[str, str]) -> None:
    """Each ignore file text is a usage error (exit 2) whose message holds its expected part."""
    for text, message in cases.items():
        (tmp_path / ".mcpharden-ignore.yaml").write_text(text)
        result = run_cli("scan", str(tmp_path))
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, (text[:40], result.stderr)


def test_an_entry_without_reason_or_expiry_is_an_error(tmp_path):
    write_tree(tmp_path, {"Dockerfile": ROOT_DOCKERFILE})
    cases = {
        "ignores:\n  - rule: root-user\n    expires: 2099-01-01\n": "`reason` is required",
        "ignores:\n  - rule: root-user\n    reason: x\n": "`expires` (YYYY-MM-DD) is required",
        "ignores:\n  - rule: root-user\n    reason: x\n    expires: next year\n": "is not a date",
        "ignores:\n  - rule: root-user\n    reason: x\n    expires: 2099-01-01\n    until: 1\n": "unknown key(s) until",
        "- rule: root-user\n": "expected a mapping with one key, `ignores`",
        "ignores: [\n": "invalid YAML",
    }
    _each_is_an_error(tmp_path, cases)


def test_ignorefile_names_another_file_instead(tmp_path):
    write_tree(tmp_path, {"Dockerfile": ROOT_DOCKERFILE, ".mcpharden-ignore.yaml": _entries(_entry("full-os-base-image", FUTURE)),
                          "policy/accepted.yaml": _entries(_entry("root-user", FUTURE))})
    rules = _rules(_report(tmp_path, "--ignorefile", str(tmp_path / "policy" / "accepted.yaml")))
    assert "root-user" not in rules and "full-os-base-image" in rules  # the default file is not read then
    missing = run_cli("scan", str(tmp_path), "--ignorefile", str(tmp_path / "none.yaml"))
    assert missing.returncode == 2 and "ignore file not found" in missing.stderr


def test_trivyignore_lines_that_map_to_rules(tmp_path):
    write_tree(tmp_path, {
        "Dockerfile": ROOT_DOCKERFILE,
        "run.sh": "docker run -d --privileged -v /var/run/docker.sock:/var/run/docker.sock x/y:1\n",
        ".trivyignore": f"# the sandbox runs as root\nAVD-DS-0002\nKSV017 exp:{FUTURE}\nAVD-KSV-0006 exp:{PAST}\n"
                        "CVE-2023-44487\nGHSA-xxxx-yyyy-zzzz\n",
    })
    document = _report(tmp_path)
    rules = _rules(document)
    assert "root-user" not in rules and "privileged-container" not in rules
    assert "docker-socket-mount" in rules  # its line expired
    messages = [n["message"] for n in document["notices"] if n["kind"] == "suppression"]
    assert any("2 line(s) name no check mcpharden has a rule for" in m and "CVE-2023-44487" in m for m in messages)
    assert any("the ignore of docker-socket-mount expired" in m for m in messages)


def test_inline_suppression_with_a_reason(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "# mcpharden: ignore=root-user -- runs as root by design\nFROM node:22\n"
                                        "# mcpharden: ignore=full-os-base-image,image-not-pinned-by-digest  --  pinned elsewhere\n"
                                        "CMD [\"node\"]\n"})
    document = _report(tmp_path)
    assert "root-user" not in _rules(document)
    [by] = {s["by"] for s in document["suppressions"] if s["rule_id"] == "root-user"}
    assert by == "`mcpharden: ignore=root-user -- runs as root by design` (line 1)"
    write_tree(tmp_path, {"compose.yaml": "services:\n  api:\n    image: x/y:1\n"
                                          "    # mcpharden: ignore=privileged-container # the YAML comment goes on\n"
                                          "    privileged: true\n"})
    assert "privileged-container" not in _rules(_report(tmp_path))
    write_tree(tmp_path, {"Dockerfile": "# mcpharden: ignore=root-user -- runs as root by design\n"
                                        "# mcpharden: ignore=no_healthcheck,root-user\nFROM node:22\nCMD [\"node\"]\n"})
    document = _report(tmp_path)
    assert "root-user" not in _rules(document)
    [notice] = [n for n in document["notices"] if n["kind"] == "suppression"]
    assert notice["path"] == "Dockerfile" and notice["line"] == 2
    assert "names no rule and hides nothing: unknown rule id(s) no_healthcheck; did you mean 'no-healthcheck'?" in notice["message"]


def test_an_outside_audit_lists_the_ignore_file_and_still_counts_its_findings(tmp_path):
    write_tree(tmp_path, {"Dockerfile": ROOT_DOCKERFILE,
                          ".mcpharden-ignore.yaml": _entries(_entry("root-user", FUTURE, "trust me")),
                          ".trivyignore": "AVD-DS-0026\n"})
    audit = scan_target(tmp_path, ScanOptions(use_repository_config=False))
    assert [f for f in audit.findings if f.rule_id == "root-user"] and audit.suppressed == 0
    [listed] = [s for s in audit.repository_suppressions if s.finding.rule_id == "root-user"]
    assert ".mcpharden-ignore.yaml (line 2" in listed.by and "trust me" in listed.by
    honoured = scan_target(tmp_path, ScanOptions())
    assert not [f for f in honoured.findings if f.rule_id == "root-user"]


def test_the_ignore_file_is_found_up_to_the_repository_root(tmp_path):
    write_tree(tmp_path, {"repo/.git/HEAD": "ref: refs/heads/main\n", "repo/services/api/Dockerfile": ROOT_DOCKERFILE,
                          "repo/.mcpharden-ignore.yaml": _entries(_entry("root-user", FUTURE, path="services/api/*")),
                          ".mcpharden-ignore.yaml": _entries(_entry("full-os-base-image", FUTURE))})  # above the repository
    for target in ("repo/services/api", "repo/services/api/Dockerfile"):
        rules = _rules(_report(tmp_path / target))
        assert "root-user" not in rules and "full-os-base-image" in rules, target


def test_a_hostile_ignore_file_is_a_clear_error_never_a_crash(tmp_path):
    write_tree(tmp_path, {"Dockerfile": ROOT_DOCKERFILE})
    cases = {
        "ignores: " + "[" * 20000 + "]" * 20000 + "\n": "mcpharden: error:",
        "ignores:\n  - rule: [1, 2]\n    reason: x\n    expires: 2099-01-01\n": "`rule` (a rule id) is required",
        "ignores:\n  - rule: root-user\n    reason: x\n    expires: 2099-01-01\n    path: {a: b}\n": "`path` must be a glob",
        "ignores: {rule: root-user}\n": "`ignores` must be a list of entries",
        "ignores:\n  - just a string\n": "an entry is a mapping",
    }
    _each_is_an_error(tmp_path, cases)
    (tmp_path / "big.yaml").write_bytes(b"#" * (3 * 1024 * 1024))
    big = run_cli("scan", str(tmp_path), "--ignorefile", str(tmp_path / "big.yaml"))
    assert big.returncode == 2 and "larger than" in big.stderr
    (tmp_path / ".mcpharden-ignore.yaml").unlink()
    (tmp_path / ".trivyignore").symlink_to("/etc/hostname")
    linked = run_cli("scan", str(tmp_path))  # a symlink out of the repository is never read
    assert linked.returncode == 2 and ".trivyignore: cannot read the ignore file" in linked.stderr
