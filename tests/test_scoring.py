"""The score (docs/scoring.md): it ranks the hardening guides' patterns in order, counts one weakness
once, weighs documentation examples apart, grades a repository by its server cards, and gives no
grade where nothing was judged - in every format and in the batch database."""

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import run_cli, write_tree
from mcpharden.model.card import DOCUMENTATION, HELPER, ServerCard
from mcpharden.model.findings import PARSE_ERROR, Notice
from mcpharden.verdicts.scoring import scored, verdict

RANKING = Path(__file__).parent / "ranking"


def scan_json(path, *extra):
    result = run_cli("scan", str(path), "--format", "json", "--fail-on", "never", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def rows(db, query):
    with sqlite3.connect(db) as connection:
        return connection.execute(query).fetchall()


# The three patterns of the MCP hardening guides -------------------------------------------------


def test_the_guides_patterns_rank_distroless_then_alpine_non_root_then_root_on_a_full_os():
    summaries = {name: scan_json(RANKING / name)["summary"] for name in ("distroless", "alpine", "root")}
    grades = {name: summary["grade"] for name, summary in summaries.items()}
    assert grades["distroless"] == "A" and grades["root"] == "F"
    assert grades["alpine"] not in ("A", "F")  # clearly better than root on a full OS, below distroless
    scores = [summaries[name]["score"] for name in ("distroless", "alpine", "root")]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 3
    assert scores[1] - scores[2] >= 40  # "clearly better"
    # What separates them, as the cards say: a shell and a package manager; then root and the rest.
    [alpine] = scan_json(RANKING / "alpine")["cards"]
    assert {loss["dimension"] for loss in alpine["losses"]} == {"shell", "package manager"}
    [root] = scan_json(RANKING / "root")["cards"]
    assert {"root", "no image scan", "dev dependencies", "digest pinning"} <= {loss["dimension"] for loss in root["losses"]}


def test_the_ranking_reads_the_same_in_text_and_markdown():
    text = run_cli("scan", str(RANKING / "alpine"), "--fail-on", "never").stdout
    assert text.splitlines()[-1].endswith("Container score: 85/100 (grade B), the worst of 1 server card(s): alpine.")
    markdown = run_cli("scan", str(RANKING / "root"), "--format", "markdown", "--fail-on", "never").stdout
    assert markdown.startswith("## mcpharden: container score 30/100 (grade F)")


def test_removing_the_image_scan_from_the_distroless_pattern_costs_its_a(tmp_path):
    import shutil

    copy = tmp_path / "distroless"
    shutil.copytree(RANKING / "distroless", copy)
    workflow = copy / ".github/workflows/image.yml"
    workflow.write_text(workflow.read_text().split("      - uses: aquasecurity")[0])
    summary = scan_json(copy)["summary"]
    assert summary["grade"] == "A" and summary["score"] == 90  # -10: the image is built and never scanned
    dockerfile = copy / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("RUN npm ci --omit=dev", "RUN npm ci"))
    assert scan_json(copy)["summary"]["grade"] == "B"


# One weakness once; documentation apart -------------------------------------------------------

DOCKERFILE = "FROM gcr.io/distroless/nodejs22-debian12:nonroot@sha256:" + "1" * 64 + '\nCMD ["/app/x.js"]\n'


def test_a_weakness_repeated_in_many_snippets_counts_once(tmp_path):
    def unpinned(count):
        stages = "".join(f"FROM node:22-alpine AS s{index}\nRUN echo {index}\n" for index in range(count))
        return {"Dockerfile": stages + "FROM gcr.io/distroless/nodejs22-debian12:nonroot\nCMD [\"/app/x.js\"]\n"}

    once = scan_json(write_tree(tmp_path / "one", unpinned(1)))
    many = scan_json(write_tree(tmp_path / "many", unpinned(6)))
    assert len([f for f in many["findings"] if f["rule_id"] == "image-not-pinned-by-digest"]) == 7
    assert once["summary"]["score"] == many["summary"]["score"] == 85  # -5 digest pinning, -10 no image scan


def test_documentation_examples_weigh_apart_from_the_files_that_ship(tmp_path):
    run = "docker run --privileged -v /var/run/docker.sock:/var/run/docker.sock -p 3000:3000 acme/x:1\n"
    readme = {"Dockerfile": DOCKERFILE, "README.md": "# x\n\n```sh\n" + run * 5 + "```\n"}
    script = {"Dockerfile": DOCKERFILE, "scripts/run.sh": "#!/bin/sh\n" + run}
    documented = scan_json(write_tree(tmp_path / "readme", readme))
    shipped = scan_json(write_tree(tmp_path / "script", script))
    # The shipped server (90: no image scan) loses at most 10 for what its README shows.
    assert [card["score"] for card in documented["cards"] if card["role"] == "server"] == [90]
    assert (documented["summary"]["score"], documented["summary"]["grade"]) == (80, "B")
    assert "documentation examples show" in documented["summary"]["grade_reason"]
    roles = sorted(card["role"] for card in documented["cards"])
    assert roles == ["documentation", "server"]
    assert shipped["summary"]["grade"] == "F"  # a script that ships is a run configuration like any other


# Cards per server ----------------------------------------------------------------------------


def test_each_client_server_has_its_own_card_and_grade(tmp_path):
    config = {"mcpServers": {
        "docker": {"command": "docker", "args": ["run", "-i", "--rm", "--user", "0", "-v",
                                                  "/var/run/docker.sock:/var/run/docker.sock", "mcp/docker:1"]},
        "time": {"command": "docker", "args": ["run", "-i", "--rm", "--network", "none", "--read-only", "--cap-drop", "ALL",
                                                "--security-opt", "no-new-privileges", "--memory", "256m", "--pids-limit",
                                                "64", "mcp/time@sha256:" + "2" * 64]}}}
    write_tree(tmp_path, {".cursor/mcp.json": json.dumps(config, indent=2)})
    document = json.loads(run_cli("scan", "--clients", "--home", str(tmp_path), "--format", "json", "--fail-on", "never").stdout)
    cards = {card["name"].split(" ")[0]: card for card in document["cards"]}
    assert cards["docker"]["engine_socket"] is True and cards["docker"]["grade"] == "F"
    assert cards["time"]["engine_socket"] is False and cards["time"]["user"] != "root"
    assert "docker-socket-mount" not in dict(cards["time"]["weaknesses"]) and cards["time"]["grade"] == "A"
    assert document["summary"]["grade"] == "F" and "docker" in document["summary"]["grade_reason"]


REPOSITORY = {
    "Dockerfile": DOCKERFILE,
    ".devcontainer/Dockerfile": "FROM mcr.microsoft.com/devcontainers/base:ubuntu\nUSER root\n",
    "compose.yaml": """
        services:
          server:
            build: .
            read_only: true
            cap_drop: [ALL]
            security_opt: ["no-new-privileges:true"]
            mem_limit: 256m
            pids_limit: 64
            environment:
              API_TOKEN: ${API_TOKEN}
          db:
            image: postgres:16
            environment:
              POSTGRES_PASSWORD: postgres
            ports: ["5432:5432"]
          register:
            build: .
            privileged: true
            cap_add: [SYS_ADMIN]
    """,
    ".github/workflows/ci.yml": """
        on: push
        jobs:
          image:
            runs-on: ubuntu-latest
            steps:
              - run: docker build -t ghcr.io/acme/weather:1 .
              - uses: aquasecurity/trivy-action@0.28.0
                with: {image-ref: "ghcr.io/acme/weather:1", exit-code: "1"}
    """,
    "deploy/pod.yaml": """
        apiVersion: v1
        kind: Pod
        metadata: {name: weather}
        spec:
          containers:
            - name: weather
              image: ghcr.io/acme/weather:1
              ports: [{containerPort: 8080, hostPort: 8080}]
    """,
}


def test_a_repository_gets_one_card_per_server_and_helpers_stay_off_it(tmp_path):
    document = scan_json(write_tree(tmp_path / "weather", REPOSITORY))
    cards = {card["name"]: card for card in document["cards"]}
    server = cards["weather"]
    assert server["role"] == "server"
    # The compose service that builds it and the pod that runs its image (CI tags it) join its card...
    assert server["sources"] == ["Dockerfile", "compose.yaml", "deploy/pod.yaml"]
    assert [port["host_port"] for port in server["published_ports"]] == ["8080"]
    # ... the database, the one-off job and the devcontainer do not.
    assert server["secret_names"] == ["API_TOKEN"] and not server["privileged"] and server["capabilities_added"] == []
    assert not server["open_entries"] and "privileged-container" not in dict(server["weaknesses"])
    helpers = {name: card for name, card in cards.items() if card["role"] == HELPER}
    assert set(helpers) == {"weather (.devcontainer/Dockerfile)", "service 'db' in compose.yaml",
                            "service 'register' in compose.yaml"}
    assert "database" in helpers["service 'db' in compose.yaml"]["role_reason"]
    assert helpers["service 'register' in compose.yaml"]["privileged"] is True
    assert "development environment" in helpers["weather (.devcontainer/Dockerfile)"]["role_reason"]
    # Graded by the server alone; the text output says which cards are helpers.
    assert document["summary"]["grade"] == server["grade"] and document["summary"]["score"] == server["score"]
    shown = run_cli("scan", str(tmp_path / "weather"), "--cards", "--fail-on", "never").stdout
    assert "Blast radius of service 'db' in compose.yaml [helper: image postgres: a database beside the server" in shown


def test_a_repository_with_several_servers_is_graded_by_its_worst(tmp_path):
    files = {"api/Dockerfile": DOCKERFILE, "worker/Dockerfile": "FROM node:22\nCMD [\"node\", \"w.js\"]\n"}
    document = scan_json(write_tree(tmp_path / "two", files))
    grades = {card["name"]: card["grade"] for card in document["cards"]}
    assert grades == {"two (api/Dockerfile)": "A", "two (worker/Dockerfile)": "D"}
    assert document["summary"]["grade"] == "D" and "worker/Dockerfile" in document["summary"]["grade_reason"]


# Nothing judged, nothing graded --------------------------------------------------------------


def test_no_container_setup_is_not_graded(tmp_path):
    repo = write_tree(tmp_path / "docs-only", {
        "README.md": "# x\n\n```sh\ndocker run -p 3000:3000 acme/x:1\n```\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n"})
    summary = scan_json(repo)["summary"]
    assert summary["grade"] is None and summary["score"] is None
    assert summary["grade_reason"] == "no container setup ships: only documentation examples run a container"
    text = run_cli("scan", str(repo), "--fail-on", "never").stdout
    assert text.splitlines()[-1].endswith("Not graded: no container setup ships: only documentation examples run a container.")
    assert "grade A" not in text
    markdown = run_cli("scan", str(repo), "--format", "markdown", "--fail-on", "never").stdout
    assert markdown.startswith("## mcpharden: not graded") and "Not graded: no container setup ships" in markdown


def test_a_file_that_does_not_parse_prevents_the_grade(tmp_path):
    repo = write_tree(tmp_path / "broken", {"Dockerfile": DOCKERFILE, "compose.yaml": "services: [unclosed\n"})
    document = scan_json(repo)
    assert any(notice["path"] == "compose.yaml" for notice in document["notices"])
    assert document["summary"]["grade"] is None and document["summary"]["files_scanned"] == 1
    assert document["summary"]["grade_reason"] == "compose.yaml did not parse, so what it sets was never judged"
    assert "Not graded: compose.yaml did not parse" in run_cli("scan", str(repo), "--fail-on", "never").stdout
    (repo / "compose.yaml").write_text("services:\n  s:\n    build: .\n    read_only: true\n")
    assert scan_json(repo)["summary"]["grade"] is not None  # fixed: graded again


def test_the_batch_stores_failed_and_empty_audits_as_not_graded(tmp_path):
    write_tree(tmp_path / "hardened", {"Dockerfile": DOCKERFILE})
    write_tree(tmp_path / "no-container", {".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
                                                                      "    steps:\n      - run: npm test\n"})
    write_tree(tmp_path / "broken", {"Dockerfile": DOCKERFILE, "compose.yaml": "services: [unclosed\n"})
    (tmp_path / "not-a-folder").write_text("hello")
    db = tmp_path / "r.sqlite"
    names = ("hardened", "no-container", "broken", "not-a-folder")
    result = run_cli("batch", *(str(tmp_path / name) for name in names), "--db", str(db), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "no-container: not graded (no container setup" in result.stdout
    stored = {name: (score, grade, reason) for name, score, grade, reason in
              rows(db, "SELECT name, score, grade, grade_reason FROM servers")}
    assert stored["hardened"][:2] == (90, "A") and stored["hardened"][2].startswith("the worst of 1 server card(s)")
    assert stored["no-container"][:2] == (None, None) and "no container setup" in stored["no-container"][2]
    assert stored["broken"][:2] == (None, None) and "compose.yaml did not parse" in stored["broken"][2]
    assert stored["not-a-folder"][:2] == (None, None) and stored["not-a-folder"][2].startswith("the audit failed: scan:")
    html = tmp_path / "r.html"
    assert run_cli("report", "--db", str(db), "--html", str(html)).returncode == 0
    assert "<td>role</td><td>server</td>" in html.read_text() and "<td>score</td><td>90 (A)</td>" in html.read_text()


def test_an_older_results_database_is_refused_with_the_reason(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as connection:
        connection.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                                 "CREATE TABLE servers (id INTEGER PRIMARY KEY);"
                                 "INSERT INTO meta VALUES ('schema_version', '2');")
    write_tree(tmp_path / "repo", {"Dockerfile": DOCKERFILE})
    result = run_cli("batch", str(tmp_path / "repo"), "--db", str(db))
    assert result.returncode == 2 and "schema 2, an older" in result.stderr and "give a new --db" in result.stderr
    assert "per-finding score" in result.stderr


# The model, unit by unit --------------------------------------------------------------------

BARE = ServerCard(name="s", user="non-root", user_evidence="", shell=False, package_manager="", download_tools=(),
                  writable_root_filesystem=None, can_rewrite_own_code=False, engine_socket=False, privileged=False,
                  capabilities_added=(), host_namespaces=(), host_mounts=(), published_ports=(), secret_names=(),
                  egress="unrestricted", sources=("Dockerfile",))


@pytest.mark.parametrize("weaknesses, score, grade", [
    ((), 100, "A"),
    ((("no-healthcheck", "info"),), 100, "A"),
    ((("image-not-pinned-by-digest", "low"), ("no-image-scan-in-ci", "low")), 85, "B"),
    ((("docker-socket-mount", "high"),), 40, "F"),  # the host is the attacker's: F whatever else is right
    ((("privileged-container", "low"),), 40, "F"),  # a lowered severity does not shrink the blast radius
    ((("sensitive-host-mount", "high"),), 60, "D"),
    ((("some-future-rule", "critical"),), 70, "D"),  # any severity, CRITICAL included, counts by its weight
    ((("some-future-rule", "high"), ("another-rule", "medium")), 80, "B"),
])
def test_card_scores(weaknesses, score, grade):
    card = scored(replace(BARE, weaknesses=weaknesses))
    assert (card.score, card.grade) == (score, grade)
    assert sum(loss.points for loss in card.losses) == 100 - score


def test_the_card_facts_that_no_repository_rule_reports_count():
    card = scored(replace(BARE, shell=True, package_manager="apk"))
    assert card.score == 85 and [loss.dimension for loss in card.losses] == ["shell", "package manager"]


def test_the_verdict_takes_the_worst_server_and_never_grades_what_was_not_judged():
    good, bad = scored(BARE), scored(replace(BARE, name="bad", weaknesses=(("root-user", "high"),)))
    helper = scored(replace(BARE, name="db", role=HELPER, weaknesses=(("privileged-container", "high"),)))
    assert verdict([good, bad, helper]).grade == "B" and "bad" in verdict([good, bad, helper]).reason
    assert verdict([good, helper]).grade == "A"
    assert verdict([helper]).grade is None and "only helpers (db)" in verdict([helper]).reason
    assert verdict([]).grade is None and verdict([good], files_scanned=0).grade is None
    assert verdict([good], [Notice("Dockerfile", "bad", kind=PARSE_ERROR)]).grade is None
    assert verdict([good], [Notice("x.sh", "too large")]).grade == "A"  # a note is not a parse error
    assert verdict([good], failures=["clone: timed out"]).reason == "the audit failed: clone: timed out"
    example = scored(replace(BARE, name="readme", role=DOCUMENTATION, weaknesses=(("docker-socket-mount", "high"),)))
    assert (verdict([good, example]).score, verdict([good, example]).grade) == (90, "A")  # 60 // 4, capped at 10


def test_a_server_named_after_a_database_is_not_taken_for_one(tmp_path):
    compose = """
        services:
          pg-mcp:
            image: ghcr.io/acme/postgres-mcp:1
            privileged: true
          postgres:
            image: ${PG_IMAGE}
          metrics:
            image: prometheuscommunity/postgres-exporter:v0.15.0
    """
    document = scan_json(write_tree(tmp_path / "r", {"compose.yaml": compose}))
    roles = {card["name"]: (card["role"], card["role_reason"]) for card in document["cards"]}
    assert roles["ghcr.io/acme/postgres-mcp:1 (compose.yaml)"] == ("server", "")
    assert roles["service 'postgres' in compose.yaml"] == ("helper", "service 'postgres': a database beside the server")
    assert roles["service 'metrics' in compose.yaml"][1] == "image postgres-exporter: a metrics exporter beside the server"
    assert document["summary"]["grade"] == "F"  # the MCP server is privileged: graded by its own card


def test_an_image_that_runs_nothing_is_not_the_server(tmp_path):
    files = {"Dockerfile": "FROM node:22\nCMD [\"node\", \"x.js\"]\n",
             "plugin/Dockerfile": "FROM alpine:3.20 AS build\nRUN echo x > /x.wasm\nFROM scratch\nCOPY --from=build /x.wasm /\n"}
    document = scan_json(write_tree(tmp_path / "r", files))
    roles = {card["name"]: card["role"] for card in document["cards"]}
    assert roles == {"r": "server", "r (plugin/Dockerfile)": "helper"}
    only = scan_json(write_tree(tmp_path / "only", {"Dockerfile": files["plugin/Dockerfile"]}))["summary"]
    assert only["grade"] is None and "only helpers" in only["grade_reason"]
