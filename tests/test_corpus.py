"""Smoke test over real files from public MCP server repositories (../shared/corpus)."""

import csv
import json

from conftest import run_cli
from mcpharden.scan import ScanOptions, scan_target


def _manifest(corpus):
    with open(corpus / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _rejected_by_docker(path) -> bool:
    """A Dockerfile Docker itself would not build: its parser fails, it has no FROM, or it has an
    instruction Docker does not know (the corpora hold other scanners' deliberately broken fixtures)."""
    import dockerfile

    from mcpharden.sources.dockerfile import KNOWN_INSTRUCTIONS

    try:
        commands = [command.cmd.upper() for command in dockerfile.parse_file(str(path))]
    except Exception:
        return True
    return "FROM" not in commands or not set(commands) <= KNOWN_INSTRUCTIONS


def test_whole_corpus_scans_without_crash_or_parse_failure(corpus):
    result = scan_target(corpus, ScanOptions())
    failures = [n for n in result.notices if "rule" in n.message and "failed" in n.message]
    assert not failures, failures
    dockerfiles = {f"{row['repo'].replace('/', '__')}/{row['path']}" for row in _manifest(corpus) if row["kind"] == "dockerfile"}
    unparsed = [n for n in result.notices if n.path in dockerfiles and not _rejected_by_docker(corpus / n.path)]
    assert not unparsed, unparsed
    # YAML that does not parse is only allowed for Helm templates, which are skipped with a note.
    yaml_problems = [n for n in result.notices if n.path.endswith((".yml", ".yaml")) and "Helm template" not in n.message]
    assert not yaml_problems, yaml_problems
    assert result.files_scanned >= len(dockerfiles)


def test_every_corpus_file_scans_alone_through_the_cli(corpus):
    """Each Dockerfile and CI file named on the command line, in one CLI run."""
    rows = [r for r in _manifest(corpus) if r["kind"] in ("dockerfile", "workflow")]
    paths = [str(corpus / r["repo"].replace("/", "__") / r["path"]) for r in rows]
    paths = [p for p in paths if not (p.endswith(("ockerfile", "ontainerfile")) or "ockerfile." in p) or not _rejected_by_docker(p)]
    result = run_cli("scan", *paths, "--format", "json", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert not [n for n in document["notices"] if "not scanned" in n["message"]]


def test_corpus_findings_are_real_world_evidence(corpus):
    """Known facts about the corpus: most MCP images run a full OS; some pin by digest."""
    result = scan_target(corpus, ScanOptions())
    by_rule = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    assert len(by_rule["full-os-base-image"]) > 50
    assert by_rule["root-user"] and by_rule["dev-dependencies-in-runtime"]
    pinned_lines = [f for f in by_rule["image-not-pinned-by-digest"] if "@sha256:" in f.message and "malformed digest" not in f.message]
    assert not pinned_lines


def test_compose_kubernetes_and_client_configs_of_the_corpus_become_specs(corpus):
    """Each kind of run-time file in the corpus is read (no notice but Helm templates) and judged."""
    result = scan_target(corpus, ScanOptions())
    rows = _manifest(corpus)
    by_kind = {}
    for row in rows:
        by_kind.setdefault(row["kind"], set()).add(f"{row['repo'].replace('/', '__')}/{row['path']}")
    noticed = {n.path for n in result.notices if "Helm template" not in n.message}
    for kind in ("compose", "k8s", "mcp-config", "workflow"):
        assert not (by_kind[kind] & noticed), (kind, sorted(by_kind[kind] & noticed)[:5])
    judged = {f.path for f in result.findings}
    for kind in ("compose", "k8s", "mcp-config"):
        assert by_kind[kind] & judged, kind


def test_fix_plans_the_whole_corpus_and_every_plan_parses(corpus):
    """`fix --rewrite-distroless` over every real file: no crash, and (plan_fixes checks it)
    every planned file still parses as what it was."""
    from mcpharden.fixes.plan import plan_fixes

    report = plan_fixes(corpus, ScanOptions(), {}, None, True)
    assert len(report.plans) > 50
    assert not [d for d in report.decisions if "would not parse" in d.message]


def test_exposure_rules_on_the_corpus(corpus):
    """default-credentials-exposed and mcp-transport-unprotected on real repositories: each fires
    on the cases reviewed by hand, and no message shows a password or passes the gate changed."""
    from mcpharden.safety import redact_text

    rules = ("default-credentials-exposed", "mcp-transport-unprotected")
    result = scan_target(corpus, ScanOptions(select=rules))
    assert not [n for n in result.notices if "failed" in n.message]
    found = {(f.rule_id, f.path, f.line) for f in result.findings}
    if corpus.name == "corpus":
        expected = {
            ("default-credentials-exposed", "IBM__mcp-context-forge/README.md", 736),  # the password line of postgres' documented example password
            ("default-credentials-exposed", "neo4j-contrib__mcp-neo4j/servers/mcp-neo4j-cypher/docker-compose.yml", 6),
            ("mcp-transport-unprotected", "IBM__mcp-context-forge/docker-compose.yml", 2611),  # DANGEROUSLY_OMIT_AUTH
            ("mcp-transport-unprotected", "IBM__mcp-context-forge/docker-compose-embedded.yml", 66),  # ALLOWED_ORIGINS=["*"]
        }
    else:
        expected = {
            ("mcp-transport-unprotected", "r33drichards__mcp-js/Dockerfile", 71),  # ENV MCP_V8_ALLOWED_HOSTS=*
            ("mcp-transport-unprotected", "themesberg__flowbite-mcp/docker-compose.yml", 15),  # MCP_CORS_ORIGINS=*
            ("default-credentials-exposed", "felixkwasisarpong__incident-triage-mcp/docker-compose.yml", 135),  # MinIO
        }
    assert expected <= found, sorted(expected - found)
    for finding in result.findings:
        assert redact_text(finding.message) == finding.message, finding.message
    assert not [f for f in result.findings if "mysecretpassword" in f.message or "minioadmin" in f.message]


def test_world_writable_paths_in_the_corpus_dockerfiles(corpus):
    """Real `chmod 777` steps are found on their line; `chmod o+x /root` (awslabs) and group
    write for OpenShift (`chmod g=u`) are not world-writable."""
    result = scan_target(corpus, ScanOptions(select=("world-writable-path",)))
    found = {(f.path, f.line) for f in result.findings}
    expected = {"corpus": ("schogini__schogini_mcp_image_border/Dockerfile", 14),
                "corpus2": ("tuanle96__mcp-odoo/Dockerfile", 18)}[corpus.name]
    assert expected in found
    assert not [path for path, _ in found if path.startswith(("awslabs__mcp/", "quarkiverse__"))]
    for finding in result.findings:
        assert "writable by every user" in finding.message and ("chmod" in finding.message or "-m 0776" in finding.message
                                                                or "--chmod" in finding.message), finding.message


def test_build_contexts_of_the_corpus_are_read_without_notices(corpus):
    """The corpora hold container files and `.dockerignore` files, no credential files: every
    ignore file parses as Docker reads it, and nothing is reported without a file to report."""
    from mcpharden.syntax.dockerignore import parse_ignore_file

    ignore_files = [path for path in corpus.rglob("*.dockerignore") if path.is_file()]
    assert len(ignore_files) > 100
    for path in ignore_files:
        parse_ignore_file(path.read_text(encoding="utf-8", errors="replace"))  # IgnoreFileError: Docker would refuse it
    result = scan_target(corpus, ScanOptions(select=("build-context-leaks-secrets",)))
    assert not [n for n in result.notices if "failed" in n.message]
    assert not result.findings
