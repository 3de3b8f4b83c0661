"""Issue 18, batch and its database: an audited repository cannot change its own verdict; the
`--db` file is input (never written through a link, never another application's or another
schema's, never a traceback); a crafted database gives a safe report; every Markdown, GitHub and
HTML output keeps file names and messages inert."""

import csv
import io
import json
import os
import re
import sqlite3
from html.parser import HTMLParser

import pytest

from conftest import run_cli, write_tree

# Three HIGH findings (root, privileged, the engine socket), each under an inline `ignore=all`.
COMMENTED = {
    "Dockerfile": "# mcpharden: ignore=all\nFROM node:22@sha256:" + "1" * 64 + "\n# mcpharden: ignore=all\nUSER root\n"
                  "CMD [\"node\", \"index.js\"]\n",
    "compose.yaml": "services:\n  # mcpharden: ignore=all\n  server:\n    build: .\n    # mcpharden: ignore=all\n"
                    "    privileged: true\n    volumes:\n      # mcpharden: ignore=all\n"
                    "      - /var/run/docker.sock:/var/run/docker.sock\n",
}
HIGH_RULES = {"root-user", "privileged-container", "docker-socket-mount"}


def uncommented(files):
    return {path: "".join(line for line in text.splitlines(True) if "mcpharden:" not in line) for path, text in files.items()}


def rows(db, query, *parameters):
    connection = sqlite3.connect(db)
    try:
        return connection.execute(query, parameters).fetchall()
    finally:
        connection.close()


def scan_summary(path):
    return json.loads(run_cli("scan", str(path), "--format", "json", "--fail-on", "never").stdout)["summary"]


def assert_no_traceback(result):
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr


# An audited repository cannot change its own verdict --------------------------------------------


def test_inline_ignore_all_does_not_turn_three_high_findings_into_an_a(tmp_path):
    repo = write_tree(tmp_path / "commented", COMMENTED)
    own = scan_summary(repo)  # the repository's own scan honours its comments: only node:22's shell and apt remain
    assert own["counts"]["high"] == 0 and own["grade"] == "B"
    db = tmp_path / "r.sqlite"
    result = run_cli("batch", str(repo), "--db", str(db), "--workers", "1")
    assert result.returncode == 0, result.stderr
    # Graded as if no comment existed: the same verdict as the repository without them.
    bare = scan_summary(write_tree(tmp_path / "bare", uncommented(COMMENTED)))
    [(score, grade, high, treated)] = rows(db, "SELECT score, grade, high, repository_suppressions FROM servers")
    assert (score, grade, high, treated) == (bare["score"], bare["grade"], 3, "counted")
    assert HIGH_RULES <= {rule for (rule,) in rows(db, "SELECT rule_id FROM findings")}
    # ... and each finding the comments would hide is listed as suppressed by the repository.
    suppressed = rows(db, "SELECT rule_id, severity, path, line, suppressed_by FROM suppressed")
    assert {rule for rule, severity, *_ in suppressed if severity == "high"} == HIGH_RULES
    assert all("mcpharden: ignore=all" in by and "(line " in by for *_, by in suppressed)
    assert "3 high" in result.stdout and "suppressed by the repository (counted)" in result.stdout

    # With the option a catalog owner honours them: the repository's own verdict returns.
    honoured = run_cli("batch", str(repo), "--db", str(db), "--workers", "1", "--honour-repository-suppressions")
    assert honoured.returncode == 0 and "Audited 1 server(s)" in honoured.stdout  # audited again under the new rule
    assert rows(db, "SELECT score, grade, high, repository_suppressions FROM servers") == [(own["score"], "B", 0, "honoured")]
    assert rows(db, "SELECT COUNT(*) FROM findings") == [(0,)]
    assert {rule for (rule,) in rows(db, "SELECT rule_id FROM suppressed WHERE severity = 'high'")} == HIGH_RULES


def test_the_repositorys_own_configuration_is_listed_not_honoured(tmp_path):
    files = {**uncommented(COMMENTED),
             "extra/compose.yaml": "services:\n  side:\n    image: busybox@sha256:" + "2" * 64 + "\n    network_mode: host\n",
             ".mcpharden.toml": 'ignore = ["root-user"]\nexclude = ["extra"]\n'
                                'severity = { "privileged-container" = "info" }\n'
                                'per-file-ignores = { "compose.yaml" = ["docker-socket-mount"] }\n'}
    repo = write_tree(tmp_path / "configured", files)
    own = scan_summary(repo)
    assert own["counts"]["high"] == 0  # what the repository's own scan says of itself
    db = tmp_path / "r.sqlite"
    assert run_cli("batch", str(repo), "--db", str(db), "--workers", "1").returncode == 0
    rules = {rule for (rule,) in rows(db, "SELECT rule_id FROM findings WHERE severity = 'high'")}
    assert HIGH_RULES | {"host-namespace-shared"} <= rules
    by = dict(rows(db, "SELECT rule_id, suppressed_by FROM suppressed WHERE severity = 'high'"))
    assert by["root-user"] == "`ignore` in .mcpharden.toml"
    assert by["privileged-container"] == "`severity` in .mcpharden.toml lowers it to info"
    assert by["docker-socket-mount"] == "`per-file-ignores` in .mcpharden.toml"
    assert by["host-namespace-shared"] == "`exclude` in .mcpharden.toml"
    [(grade, high)] = rows(db, "SELECT grade, high FROM servers")
    assert grade == "F" and high >= 4

    honoured = tmp_path / "h.sqlite"
    assert run_cli("batch", str(repo), "--db", str(honoured), "--honour-repository-suppressions").returncode == 0
    assert rows(honoured, "SELECT score, grade FROM servers") == [(own["score"], own["grade"])]


def test_an_invalid_repository_configuration_fails_no_outside_audit(tmp_path):
    repo = write_tree(tmp_path / "broken", {**uncommented(COMMENTED), ".mcpharden.toml": "ignore = [\n" + "[" * 5000})
    db = tmp_path / "r.sqlite"
    result = run_cli("batch", str(repo), "--db", str(db))
    assert result.returncode == 0 and rows(db, "SELECT status, high FROM servers") == [("done", 3)]
    assert any("configuration" in message for (message,) in rows(db, "SELECT message FROM notices"))


def test_a_catalog_entrys_own_comment_does_not_hide_its_socket(tmp_path):
    catalog = write_tree(tmp_path / "servers", {"sock/server.yaml": "name: sock\nimage: mcp/sock\ntype: server\nrun:\n  volumes:\n"
                                                                     "    # mcpharden: ignore=all\n"
                                                                     "    - /var/run/docker.sock:/var/run/docker.sock\n"})
    db = tmp_path / "r.sqlite"
    assert run_cli("batch", "--catalog", str(catalog), "--no-images", "--db", str(db)).returncode == 0
    assert rows(db, "SELECT source FROM findings WHERE rule_id = 'docker-socket-mount'") == [("catalog",)]
    assert rows(db, "SELECT source, suppressed_by FROM suppressed WHERE rule_id = 'docker-socket-mount'") == [
        ("catalog", "`mcpharden: ignore=all` (line 6)")]


def test_the_report_shows_suppressed_findings_apart(tmp_path):
    repo = write_tree(tmp_path / "commented", COMMENTED)
    db = tmp_path / "r.sqlite"
    assert run_cli("batch", str(repo), "--db", str(db)).returncode == 0
    out = {kind: tmp_path / f"report.{kind}" for kind in ("html", "md")}
    assert run_cli("report", "--db", str(db), "--html", str(out["html"]), "--markdown", str(out["md"])).returncode == 0
    text = out["md"].read_text()
    section = text.split("## Suppressed by the repository", 1)[1]
    assert "| commented | 7 | 3 |" in section and "`root-user`" in section and "| counted |" in section
    page = out["html"].read_text()
    findings, suppressed = page.split("Suppressed by the repository (counted", 1)
    assert "root-user" in findings and "<th>suppressed by</th>" in suppressed and "mcpharden: ignore=all" in suppressed


# The --db file ---------------------------------------------------------------------------------------


def a_results_database(tmp_path):
    repo = write_tree(tmp_path / "repo", uncommented(COMMENTED))
    db = tmp_path / "made.sqlite"
    assert run_cli("batch", str(repo), "--db", str(db)).returncode == 0
    return repo, db


def run_both(tmp_path, repo, db):
    """The same --db given to batch and to report."""
    batch = run_cli("batch", str(repo), "--db", str(db), "--rescan")
    report = run_cli("report", "--db", str(db), "--markdown", str(tmp_path / "out.md"))
    return batch, report


def test_a_dangling_symlink_db_is_refused_and_nothing_is_created(tmp_path):
    repo = write_tree(tmp_path / "repo", COMMENTED)
    target = tmp_path / "elsewhere" / "created.sqlite"
    target.parent.mkdir()
    link = tmp_path / "link.sqlite"
    link.symlink_to(target)
    batch, report = run_both(tmp_path, repo, link)
    for result in (batch, report):
        assert result.returncode == 2 and "symbolic link" in result.stderr
        assert_no_traceback(result)
    assert not target.exists() and not (tmp_path / "out.md").exists()


def test_batch_never_writes_through_a_symlinked_db(tmp_path):
    repo, db = a_results_database(tmp_path)
    before = db.read_bytes()
    link = tmp_path / "link.sqlite"
    link.symlink_to(db)
    result = run_cli("batch", str(repo), "--db", str(link), "--rescan")
    assert result.returncode == 2 and "symbolic link" in result.stderr
    assert db.read_bytes() == before
    # A journal file planted as a link beside a real database is refused as well.
    (tmp_path / "made.sqlite-wal").symlink_to(tmp_path / "planted")
    planted = run_cli("batch", str(repo), "--db", str(db), "--rescan")
    assert planted.returncode == 2 and "made.sqlite-wal" in planted.stderr and not (tmp_path / "planted").exists()


def test_another_applications_database_is_left_untouched(tmp_path):
    repo = write_tree(tmp_path / "repo", COMMENTED)
    db = tmp_path / "app.sqlite"
    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
    connection.execute("INSERT INTO users (email) VALUES ('a@example.com')")
    connection.commit()
    connection.close()
    before = db.read_bytes()
    batch, report = run_both(tmp_path, repo, db)
    for result in (batch, report):
        assert result.returncode == 2 and "not a results database" in result.stderr and "users" in result.stderr
        assert_no_traceback(result)
    assert db.read_bytes() == before  # no table of ours added, not even the journal mode changed


@pytest.mark.parametrize("version, word", [("1", "older"), ("2", "older"), ("4", "another")])
def test_another_schema_version_is_a_clear_error(tmp_path, version, word):
    repo, db = a_results_database(tmp_path)
    connection = sqlite3.connect(db)
    connection.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    connection.commit()
    connection.close()
    batch, report = run_both(tmp_path, repo, db)
    for result in (batch, report):
        assert result.returncode == 2 and f"schema {version}" in result.stderr and word in result.stderr
        assert_no_traceback(result)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    repo = write_tree(tmp_path / "repo", COMMENTED)
    db = tmp_path / "notes.sqlite"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)  # the header's magic, nothing after it
    batch, report = run_both(tmp_path, repo, db)
    for result in (batch, report):
        assert result.returncode == 2 and "results database" in result.stderr
        assert_no_traceback(result)
    fifo = tmp_path / "fifo.sqlite"
    os.mkfifo(fifo)
    batch, report = run_both(tmp_path, repo, fifo)  # would block an open for reading forever
    assert batch.returncode == report.returncode == 2 and "not a regular file" in report.stderr


def test_a_database_with_a_trigger_that_raises(tmp_path):
    repo, db = a_results_database(tmp_path)
    connection = sqlite3.connect(db)
    connection.execute("CREATE TRIGGER boom BEFORE INSERT ON servers BEGIN SELECT RAISE(ABORT, 'boom'); END")
    connection.commit()
    connection.close()
    batch, report = run_both(tmp_path, repo, db)
    for result in (batch, report):
        assert result.returncode == 2 and "trigger boom" in result.stderr
        assert_no_traceback(result)


def test_a_write_that_fails_mid_batch_is_a_clear_error(tmp_path):
    """Tables with the right columns and a constraint that refuses every run: the first write
    fails inside SQLite, and the batch says so instead of a traceback."""
    from mcpharden.batch.store import SCHEMA, SCHEMA_VERSION

    db = tmp_path / "r.sqlite"
    connection = sqlite3.connect(db)
    connection.executescript(SCHEMA.replace("executor TEXT NOT NULL,", "executor TEXT NOT NULL CHECK (executor = 'never'),"))
    connection.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    connection.commit()
    connection.close()
    result = run_cli("batch", str(write_tree(tmp_path / "repo", COMMENTED)), "--db", str(db))
    assert result.returncode == 2 and "results database failed" in result.stderr and "CHECK constraint" in result.stderr
    assert_no_traceback(result)


# A crafted database gives a safe report ------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = "high\" onmouseover=\"alert(1)\" x=\"' onclick=alert(2) "


def crafted_database(path):
    from mcpharden.batch.store import SCHEMA, SCHEMA_VERSION

    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA)
    connection.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    connection.execute("INSERT INTO runs (started_at, mcpharden_version, executor) VALUES (0, ?, 'x')", (SCRIPT,))
    deep = "[" * 100_000 + "]" * 100_000
    cards = json.dumps([1, "x", None, {"user": SCRIPT, "host_mounts": "not a list", "download_tools": {"a": 1},
                                       "published_ports": [1, {"interface": SCRIPT}], "secret_names": [SCRIPT, 7],
                                       "engine_socket": SCRIPT}])
    servers = [
        # wrong types everywhere a number belongs; HTML and JavaScript everywhere text belongs
        (SCRIPT + "-a", SCRIPT, "done", "<b>9</b>", ATTRIBUTE, "x", b"\x00\xff", 1.5, "", "[not json", cards),
        # huge values
        ("huge", "h" * 5_000_000, "done", 10 ** 18, "A", 2 ** 62, -5, 0, 0, deep, "{\"not\": \"a list\"}"),
        # text that is not UTF-8, a status nobody writes, a grade outside A-F
        (b"\xff\xfename", "loc", ATTRIBUTE, 50, "Z", 1, 1, 1, 1, "[\"debian\", 3, [\"x\"]]", "[]"),
    ]
    for index, (name, location, status, score, grade, high, medium, low, info, families, card_list) in enumerate(servers):
        connection.execute(
            "INSERT INTO servers (id, key, name, location, status, run_id, audited_at, score, grade, high, medium, low, info,"
            " base_families, cards) VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
            (index + 1, f"k{index}", name, location, status, score, grade, high, medium, low, info, families, card_list))
        for table in [t for t in ("findings", "suppressed") if f"TABLE IF NOT EXISTS {t} (" in SCHEMA]:
            extra = ", ?" if table == "suppressed" else ""
            connection.execute(
                f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?{extra})",
                (index + 1, SCRIPT, ATTRIBUTE, SCRIPT + "=cmd|' /C calc'!A0", "a|b\n| forged | row |\x1b[31m", "NaN",
                 "m" * 3_000_000 if index == 1 else "=HYPERLINK(\"http://evil\")" + SCRIPT, "f", *([SCRIPT] if extra else [])))
        connection.execute("INSERT INTO errors VALUES (?, ?, ?)", (index + 1, SCRIPT, ATTRIBUTE))
    connection.commit()
    connection.close()


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "div", "b", "span", "table", "thead",
        "tbody", "tr", "th", "td", "details", "summary", "code", "a", "label", "select", "option", "input", "script"}
# Attribute values that are not free text (free text is escaped and quoted: checked below).
CHECKED = {
    # Space-separated names, each from the report's own stylesheet.
    "class": re.compile(r"(?:(?:tiles?|lead|note|panel|card|scroll|bars|bar-(?:row|label|track|value)|bar|legend|key|filters|count"
                        r"|up|down|msg|nw|sort|sortable|stack|wide|grade|g-(?:A|B|C|D|F|None)"
                        r"|sev-(?:critical|high|medium|low|info|unknown))(?: (?=\S)|$))+"),
    "href": re.compile(r"https://(github\.com|gitlab\.com)/[^\s\"'<>]+"),
    "style": re.compile(r"(width:\d+(\.\d)?%;)?background:#[0-9a-f]{6}"),
    "id": re.compile(r"filters|findings|f-(severity|rule|server|count)"),
    "type": re.compile(r"search"),
    "data-severity": re.compile(r"[0-5]"),
}
FREE = {"lang", "charset", "name", "content", "placeholder", "value", "hidden", "data-key", "data-rule", "data-server"}


def assert_inert_html(page):
    from mcpharden.batch.report import _SCRIPT

    parser = _Elements()
    parser.feed(page)
    for tag, attrs in parser.elements:
        assert tag in TAGS, tag
        for name, value in attrs:
            assert name in FREE or name in CHECKED, (tag, name, value)
            if name in CHECKED:
                assert CHECKED[name].fullmatch(value or ""), (name, value)
    for tag in re.findall(r"<[a-zA-Z][^<>]*>", page):  # every attribute value quoted (what is inside a quote is text)
        assert not re.search(r"\s[\w:-]+=[^\"'\s>]", re.sub(r'"[^"]*"', '""', tag)), tag
    assert "\x1b" not in page and "\x07" not in page
    # One script, mcpharden's own constant: nothing from the database is part of it.
    assert page.count("<script") == 1 and f"<script>{_SCRIPT}</script>" in page


CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")  # CommonMark: a run closed by the next run as long


def assert_inert_markdown_table(text, pipes):
    """Every table row has its cells and no more (a pipe that is not escaped would add one: GitHub
    reads a pipe right after a backslash as part of the cell), no line starts with text forged
    after a line break, and outside code spans (shown literally) no HTML but the report's own."""
    for line in text.splitlines():
        if line.startswith("| "):
            assert len(re.findall(r"(?<!\\)\|", line)) in pipes, line
        assert not line.startswith(("| forged", "LF", "next")), line
        assert not re.search(r"<(?!/?(details|summary)>)", CODE_SPAN.sub("", line)), line
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text


def test_a_crafted_database_gives_a_safe_report(tmp_path):
    db = tmp_path / "crafted.sqlite"
    crafted_database(db)
    out = {kind: tmp_path / f"report.{kind}" for kind in ("html", "md", "csv")}
    result = run_cli("report", "--db", str(db), "--html", str(out["html"]), "--markdown", str(out["md"]), "--csv", str(out["csv"]))
    assert result.returncode == 0, result.stderr
    page = out["html"].read_text()
    assert_inert_html(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, as text
    assert len(page) < 1_000_000  # megabytes of one value are cut, and say so
    assert "… (cut)" in page
    text = out["md"].read_text()
    assert_inert_markdown_table(text, pipes={3, 4, 6, 7})
    for row in csv.reader(io.StringIO(out["csv"].read_text())):
        assert all(not cell[:1] in ("=", "+", "-", "@") for cell in row), row
        assert all("\x1b" not in cell for cell in row)


# Markdown, GitHub commands and terminals keep names and messages inert -------------------------------

# The backticks first: a code span that a name's own backticks close early would leave the rest live.
HOSTILE_DIRECTORY = "a|b x``y <img src=x onerror=alert(1)> \x1b]8;;https:evil\x07link\x1b]8;;\x07 \x1b[31mred\rCR\nLF \\|"
HOSTILE_SERVICE = ("s|t <script>alert(1)</script> \\e]8;;http://evil/\\aclick\\e]8;;\\a \\e[31mred\\rCR\\nnext ``x`` [a](http://e)")
HOSTILE = {f"{HOSTILE_DIRECTORY}/Dockerfile": "FROM node:22\nCMD [\"node\", \"index.js\"]\n",
           "compose.yaml": f"services:\n  \"{HOSTILE_SERVICE}\":\n    image: nginx\n    privileged: true\n"}


def test_scan_markdown_keeps_hostile_paths_and_messages_inert(tmp_path):
    repo = write_tree(tmp_path / "repo", HOSTILE)
    result = run_cli("scan", str(repo), "--format", "markdown", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert_inert_markdown_table(text, pipes={6})
    assert "privileged" in text and "&lt;script&gt;" in text
    # Terminal sequences are stripped whole: the OSC link and its URL, the colour code.
    assert "link" in text and "evil" not in text and "[31m" not in text and "]8;;" not in text
    assert "\\[a\\](http://e)" in text  # no link the message did not mean
    rows = [line for line in text.splitlines() if line.startswith("| 🔴")]
    assert rows and all(line.count(" | ") >= 4 for line in rows)


def test_github_commands_escape_like_the_toolkit_and_strip_control_characters(tmp_path):
    repo = write_tree(tmp_path / "repo", HOSTILE)
    out = run_cli("scan", str(repo), "--format", "github", "--fail-on", "never").stdout
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    for line in out.splitlines():
        assert line.startswith(("::error ", "::warning ", "::notice ", "mcpharden: ")), line  # no command forged
    assert "red%0DCR%0ALF" in out and "red%0DCR%0Anext" in out  # CR and LF as GitHub's toolkit writes them
    properties = [line.split("::")[1] for line in out.splitlines() if line.startswith("::")]
    assert all(re.fullmatch(r"(error|warning|notice) file=[^,:]*(,line=\d+)?,title=[^,:]*", p) for p in properties), properties
    # Terminal sequences are stripped whole (the OSC link with its URL, the colour code), the text kept.
    assert "link" in out and "evil" not in out and "[31m" not in out and "]8;;" not in out


def test_batch_report_keeps_hostile_names_and_messages_inert(tmp_path):
    repo = write_tree(tmp_path / HOSTILE_DIRECTORY, HOSTILE)  # the server's name is hostile too
    db = tmp_path / "r.sqlite"
    batch = run_cli("batch", str(repo), "--db", str(db))
    assert batch.returncode == 0, batch.stderr
    assert "\x1b" not in batch.stdout and "\r" not in batch.stdout  # the per-server line on the terminal
    out = {kind: tmp_path / f"report.{kind}" for kind in ("html", "md", "csv")}
    assert run_cli("report", "--db", str(db), "--html", str(out["html"]), "--markdown", str(out["md"]),
                   "--csv", str(out["csv"])).returncode == 0
    assert_inert_html(out["html"].read_text())
    assert_inert_markdown_table(out["md"].read_text(), pipes={3, 4, 6, 7})
    assert "\x1b" not in out["csv"].read_text()
