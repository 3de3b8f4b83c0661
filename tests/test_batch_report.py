"""`mcpharden report` for a platform team, end to end through the real CLI: two batch runs over a
catalog (a monorepo entry with a known GitHub URL, its image pulled from a loopback registry and
matched against OSV advisories), a folder that gets fixed between the runs, and a folder with
nothing to judge. The report links rules and files, shows the trend and the vulnerabilities,
keeps failed audits apart, names no folder of the machine, and filters offline in Chromium."""

import csv
import io
import json
import os
import re
import subprocess
import sys

from conftest import write_tree
from imagebuilder import Entry
from test_ecosystem_report import chromium, colour_counts
from test_fix_registry import registry  # noqa: F401  (the registry fixture: Debian's docker-registry on loopback)
from test_image_registry import push_platform_image
from test_image_vulns import ADVISORIES, DPKG

COMMIT = "c0ffee" + "0" * 34
ROOT_SOCKET = {"server/Dockerfile": "FROM node:22\nRUN npm ci\nCMD [\"node\", \"index.js\"]\n",
               "server/compose.yaml": "services:\n  s:\n    build: .\n    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n"}
ROOT = {"Dockerfile": "FROM node:22\nCMD [\"node\", \"index.js\"]\n"}
HARDENED = {"Dockerfile": "FROM gcr.io/distroless/nodejs22-debian12:nonroot@sha256:" + "1" * 64 + "\nCMD [\"/app/x.js\"]\n"}


def mcpharden(tmp_path, *arguments):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    result = subprocess.run([sys.executable, "-m", "mcpharden", *arguments], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def test_a_report_for_a_platform_team(registry, tmp_path):  # noqa: F811
    push_platform_image(f"http://{registry}", "mcp/debian-app", "amd64", "0", [
        Entry("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"), Entry("var/lib/dpkg/status", DPKG)])
    osv = tmp_path / "osv"
    osv.mkdir()
    for name, advisory in ADVISORIES.items():
        (osv / name).write_text(json.dumps(advisory))
    write_tree(tmp_path / "mirror" / "example__servers", ROOT_SOCKET | {"other/Dockerfile": HARDENED["Dockerfile"]})
    write_tree(tmp_path / "catalog", {"weather/server.yaml": (
        "name: weather\ntype: server\nimage: mcp/debian-app:amd64-only\nsource:\n  project: https://github.com/example/servers\n"
        f"  commit: {COMMIT}\n  directory: server\n")})
    local = write_tree(tmp_path / "fixed-later", ROOT)
    write_tree(tmp_path / "empty", {"README.md": "no container here\n"})
    db = tmp_path / "r.sqlite"
    arguments = ["batch", str(local), str(tmp_path / "empty"), "--catalog", str(tmp_path / "catalog"), "--mirror",
                 str(tmp_path / "mirror"), "--registry-mirror", registry, "--vuln-db", str(osv), "--db", str(db), "--workers", "1"]
    mcpharden(tmp_path, *arguments)
    write_tree(local, HARDENED)  # fixed between the runs
    mcpharden(tmp_path, *arguments, "--rescan")
    out = {kind: tmp_path / "out" / f"report.{kind}" for kind in ("html", "md", "csv")}
    out["html"].parent.mkdir()
    mcpharden(tmp_path, "report", "--db", str(db), "--html", str(out["html"]), "--markdown", str(out["md"]), "--csv", str(out["csv"]))
    page, text, table = (out[kind].read_text() for kind in ("html", "md", "csv"))

    # No folder of the machine that ran the batch, in any report.
    for written in (page, text, table):
        assert str(tmp_path) not in written and "/tmp/" not in written

    # Every finding links to its rule page; a repository with a known URL, to the file and line at the commit audited.
    rules = set(re.findall(r'<tr data-severity="\d" data-rule="([^"]+)"', page))
    assert {"root-user", "docker-socket-mount", "known-vulnerability"} <= rules
    for rule in rules:
        assert f'href="https://github.com/mcpharden/mcpharden/blob/main/docs/rules/{rule}.md"' in page
    assert f'href="https://github.com/example/servers/blob/{COMMIT}/server/compose.yaml#L4"' in page
    assert f'href="https://github.com/example/servers/blob/{COMMIT}/server/Dockerfile#L1"' in page
    assert "other/Dockerfile" not in page  # the monorepo's other server is not this one's
    assert "/blob/HEAD/" not in page and "fixed-later/Dockerfile" not in page  # a folder has no URL to link

    # The trend: the folder fixed between the runs improved; nothing got worse.
    trend = page.split("<h2>Since the previous run</h2>", 1)[1].split("<h2>", 1)[0]
    assert "1 improved" in trend and "0 worsened" in trend
    improved = trend.split("<h3>Improved</h3>", 1)[1].split("</table>", 1)[0]
    assert "fixed-later" in improved and "weather" not in improved
    assert "## Since the previous run" in text and "| fixed-later | " in text

    # The vulnerabilities of the audited image, by advisory, with the servers that ship it.
    vulnerabilities = page.split("<h2>Vulnerabilities in the images</h2>", 1)[1].split("<h2>", 1)[0]
    assert "DSA-5678-1" in vulnerabilities and "libssl3" in vulnerabilities and "weather" in vulnerabilities
    assert "DSA-9999-1" not in vulnerabilities  # Debian 11's advisory: not this image's release
    # At the advisory's own level: its CVSS 9.8 makes it CRITICAL, above every rule's HIGH.
    assert '<td><code>DSA-5678-1</code></td><td class="sev-critical" data-key="0">critical</td>' in vulnerabilities
    assert "| `DSA-5678-1` |" in text
    assert "the catalog pins no digest: `mcp/debian-app:amd64-only` was audited as" in page  # a tag moves: said with its findings

    # Failed audits apart from graded servers, in all three reports.
    not_graded = page.split("<h2>Not graded</h2>", 1)[1].split("</table>", 1)[0]
    assert "empty" in not_graded and "nothing to judge" in not_graded
    assert "empty" not in page.split("<h2>Worst offenders</h2>", 1)[1].split("</table>", 1)[0]
    assert "| empty | `empty` | the audit failed: scan: nothing to judge" in text
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [(row["status"], row["grade"]) for row in rows if row["server"] == "empty"] == [("not graded", "")]
    assert {row["location"] for row in rows} == {"empty", "fixed-later", "https://github.com/example/servers"}
    assert {row["source"] for row in rows if row["server"] == "weather"} == {"repository", "catalog", "image"}

    # In Chromium, offline: the filters apply; at a phone's width the charts still draw in the severity colours.
    view = chromium("--dump-dom", out["html"].as_uri() + "#rule=known-vulnerability").stdout.decode()
    shown = [row for row in re.findall(r'<tr data-severity="\d" data-rule="([^"]+)" data-server="[^"]*"( hidden="")?>', view)
             if not row[1]]
    assert shown and {rule for rule, _ in shown} == {"known-vulnerability"}
    for width in (1280, 390):
        shot = tmp_path / f"report-{width}.png"
        chromium(f"--screenshot={shot}", f"--window-size={width},2000", out["html"].as_uri())
        drawn, counts = colour_counts(shot, {"high": (0xc9, 0x2a, 0x2a), "medium": (0xd9, 0x48, 0x0f)})
        assert drawn == width and all(count > 100 for count in counts.values()), (width, counts)


def test_a_database_from_before_the_audits_table_reports_without_a_trend_and_gains_it(tmp_path):
    import sqlite3

    write_tree(tmp_path / "a", ROOT)
    db = tmp_path / "r.sqlite"
    mcpharden(tmp_path, "batch", str(tmp_path / "a"), "--db", str(db))
    mcpharden(tmp_path, "batch", str(tmp_path / "a"), "--db", str(db), "--rescan")
    with sqlite3.connect(db) as connection:  # as a database written before the table was added
        connection.execute("DROP TABLE audits")
    mcpharden(tmp_path, "report", "--db", str(db), "--html", str(tmp_path / "r.html"))
    assert "Since the previous run" not in (tmp_path / "r.html").read_text()
    mcpharden(tmp_path, "batch", str(tmp_path / "a"), "--db", str(db), "--rescan")
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM audits").fetchone() == (1,)


def test_links_and_places_are_built_only_from_what_is_safe():
    from mcpharden.batch.report import Row, Server, file_link, local_paths_removed, rule_link, shown_location

    def server(location, commit=""):
        return Server(name="s", location=location, status="done", score=90, grade="A", counts={}, rules=frozenset(),
                      families=(), cards=(), findings=(), errors=(), commit=commit)

    row = Row("high", "root-user", "src/a b/Dockerfile", 3, "m")
    assert file_link(server("https://github.com/o/r", COMMIT), row) == f"https://github.com/o/r/blob/{COMMIT}/src/a%20b/Dockerfile#L3"
    assert file_link(server("git@gitlab.com:g/sub/r.git"), row) == "https://gitlab.com/g/sub/r/-/blob/HEAD/src/a%20b/Dockerfile#L3"
    for location in ("javascript:alert(1)//github.com/o/r", "https://github.com.evil.example/o/r", "/home/me/r", "https://github.com/o"):
        assert file_link(server(location), row) == "", location
    for path in ("../x", "/etc/passwd", "a//b", "a/./b"):
        assert file_link(server("https://github.com/o/r"), Row("high", "root-user", path, 1, "m")) == "", path
    assert file_link(server("https://github.com/o/r"), Row("high", "root-user", "Dockerfile", 1, "m", source="image")) == ""
    assert rule_link("root-user").endswith("/docs/rules/root-user.md") and rule_link("<script>") == ""
    assert shown_location("/home/ci/work/weather") == "weather" and shown_location("https://github.com/o/r") == "https://github.com/o/r"
    assert local_paths_removed("git fetch failed: could not write '/home/ci/.cache/mcpharden/repos/x.part'") == \
        "git fetch failed: could not write '…/x.part'"
    assert local_paths_removed("see https://github.com/o/r/blob/main/a and /var") == "see https://github.com/o/r/blob/main/a and /var"
