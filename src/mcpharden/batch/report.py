"""`mcpharden report`: what a batch found, from its results database: one standalone HTML file
(inline CSS, charts drawn in HTML, one inline script that filters and sorts the findings: nothing
fetched to view it, it works offline), Markdown, and a CSV of the findings.

The figures are aggregated once (Ecosystem) and rendered per format. The database is input
like any other: `load` reads every value through a typed reader (text bounded, numbers checked,
JSON parsed or dropped), so a crafted database gives a safe report or a clear error; every string
is then escaped for the format it goes into. A report is shared: no absolute path of the machine
that ran the batch appears in it (a folder is shown by its name, a path in a message as `…/name`).

Graded servers and servers that are not graded (a failed audit, nothing to judge) are counted and
shown apart: a server that was not graded is never a pass.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from mcpharden.errors import UsageError
from mcpharden.safety import escape_control

SHARES = (
    ("root", "run as root"),
    ("socket", "mount the engine socket"),
    ("ci_scan", "scan their image in CI (of those with a Dockerfile)"),
    ("dev", "ship dev dependencies"),
    ("secrets", "are given a literal credential"),
    ("everywhere", "publish a port on every interface"),
)


SEVERITIES = ("critical", "high", "medium", "low", "info")
GRADES = ("A", "B", "C", "D", "F")
TEXT_LIMIT = 4096  # characters of one text value shown: a crafted database may hold megabytes in one
JSON_LIMIT = 8 * 1024 * 1024  # characters of one JSON column (a server's cards) parsed
FINDINGS_SHOWN = 20_000  # rows of the HTML findings table: a browser stays responsive; the CSV has every one
SERVER_FINDINGS_SHOWN = 50  # rows of one server's own table in its details: the page stays small for thousands of servers
SEVERITY_COLOURS = {"critical": "#862e9c", "high": "#c92a2a", "medium": "#d9480f", "low": "#3b5bdb", "info": "#868e96",
                    "unknown": "#868e96"}
GRADE_COLOURS = {"A": "#2b8a3e", "B": "#5c940d", "C": "#e67700", "D": "#d9480f", "F": "#c92a2a", None: "#868e96"}


@dataclass(frozen=True)
class Row:
    """A finding as the report shows it; `suppressed_by` is set for what the repository hides."""

    severity: str
    rule: str
    path: str
    line: int
    message: str
    suppressed_by: str = ""
    source: str = "repository"  # "repository", "catalog" or "image": only repository paths link to a file
    fingerprint: str = ""


@dataclass(frozen=True)
class Server:
    name: str
    location: str
    status: str
    score: int | None
    grade: str | None
    counts: dict[str, int]
    rules: frozenset[str]
    families: tuple[str, ...]
    cards: tuple[dict, ...]
    findings: tuple[Row, ...]
    errors: tuple[tuple[str, str], ...]
    # What the repository's own comments and configuration hide, and whether that was "honoured"
    # (left out of the score) or "counted" (the default: they change nothing).
    suppressed: tuple[Row, ...] = ()
    suppressions: str = "counted"
    key: str = ""
    commit: str = ""
    image: str = ""
    reason: str = ""  # why it is not graded, as the database says (when it has a column for it)
    notices: tuple[tuple[str, str], ...] = ()  # (where, what): files that could not be read, an image pulled by tag

    @property
    def graded(self) -> bool:
        """A grade counts only for an audit that was done: an error row is never a pass."""
        return self.status == "done" and self.grade is not None

    @property
    def not_graded_because(self) -> str:
        if self.reason:
            return self.reason
        if self.errors:
            return "the audit failed: " + "; ".join(f"{step}: {message}" for step, message in self.errors)
        return "nothing was judged" if self.status == "done" else f"the audit ended as {self.status or 'unknown'}"


@dataclass(frozen=True)
class Trend:
    """A server audited in more than one run: its previous audit against its latest."""

    server: Server
    before_score: int | None
    before_grade: str | None
    new_findings: tuple[Row, ...]
    fixed: int  # findings of the previous audit that are gone

    @property
    def change(self) -> int:
        before, after = self.before_score, self.server.score if self.server.graded else None
        return 0 if before is None or after is None else after - before


@dataclass(frozen=True)
class Ecosystem:
    servers: tuple[Server, ...]
    runs: int
    version: str
    trends: tuple[Trend, ...] = field(default=())

    @property
    def audited(self) -> tuple[Server, ...]:
        """The servers that were graded: every figure of the ecosystem is over these."""
        return tuple(s for s in self.servers if s.graded)

    @property
    def not_graded(self) -> tuple[Server, ...]:
        return tuple(s for s in self.servers if not s.graded)

    def grades(self) -> list[tuple[str, int]]:
        counted = Counter(s.grade for s in self.audited)
        return [(grade, counted.get(grade, 0)) for grade in GRADES]

    def severities(self) -> list[tuple[str, int]]:
        counted = Counter(f.severity for s in self.audited for f in s.findings)
        return [(severity, counted.get(severity, 0)) for severity in SEVERITIES]

    def prevalence(self) -> list[tuple[str, int]]:
        counted = Counter(rule for s in self.audited for rule in s.rules)
        return counted.most_common()

    def rule_severity(self, rule: str) -> str:
        """The most severe level a rule was reported at (rules can be raised or lowered)."""
        seen = {f.severity for s in self.audited for f in s.findings if f.rule == rule}
        return next((severity for severity in SEVERITIES if severity in seen), "unknown")

    def families(self) -> list[tuple[str, int]]:
        return Counter(f for s in self.audited for f in set(s.families)).most_common()

    def share(self, key: str) -> tuple[int, int]:
        """(servers that do it, servers it is counted over)."""
        audited = self.audited
        if key == "ci_scan":
            built = [s for s in audited if s.families]
            return sum(1 for s in built if "no-image-scan-in-ci" not in s.rules), len(built)
        test = {
            "root": lambda s: "root-user" in s.rules or any(c.get("user") == "root" for c in s.cards),
            "socket": lambda s: "docker-socket-mount" in s.rules or any(c.get("engine_socket") for c in s.cards),
            "dev": lambda s: "dev-dependencies-in-runtime" in s.rules,
            "secrets": lambda s: bool({"secret-in-run-config", "secret-in-image"} & s.rules),
            "everywhere": lambda s: "port-exposed-on-all-interfaces" in s.rules,
        }[key]
        return sum(1 for s in audited if test(s)), len(audited)

    def worst(self, count: int = 10) -> list[Server]:
        return sorted(self.audited, key=lambda s: (s.score if s.score is not None else 101, -s.counts["critical"],
                                                   -s.counts["high"], s.name))[:count]

    def vulnerabilities(self) -> list[tuple[str, str, str, list[str]]]:
        """(advisory, severity, package, servers) of every known vulnerability found in an image,
        the most widespread first."""
        found: dict[tuple[str, str], tuple[str, set[str]]] = {}
        for server in self.servers:
            for f in server.findings:
                if f.rule != "known-vulnerability":
                    continue
                match = _ADVISORY.search(f.message)
                advisory, package = (match.group("advisory"), match.group("package")) if match else (f.message[:80], "")
                stated = _STATED.search(f.message)  # the advisory's own level (CRITICAL included), else the finding's
                level = stated.group(1) if stated and stated.group(1) in SEVERITIES else f.severity
                severity, names = found.setdefault((advisory, package), (level, set()))
                names.add(server.name)
                if _rank(level) < _rank(severity):
                    found[(advisory, package)] = (level, names)
        return sorted(((advisory, severity, package, sorted(names)) for (advisory, package), (severity, names) in found.items()),
                      key=lambda v: (-len(v[3]), _rank(v[1]), v[0]))

    def imaged(self) -> list[Server]:
        """Servers whose image was audited (findings from their image)."""
        return [s for s in self.servers if s.image and any(f.source == "image" for f in s.findings)]


_ADVISORY = re.compile(r"has (?P<package>\S+) \S+ affected by (?P<advisory>[A-Za-z0-9][\w.:-]*)")
_STATED = re.compile(r"\[(critical|high|medium|low)\]$")


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def load(db_path: Path) -> Ecosystem:
    """The ecosystem a results database holds (read-only; StoreError for anything that is not
    mcpharden's own results database of this schema)."""
    import sqlite3

    from mcpharden.batch.store import StoreError, open_for_reading

    db = open_for_reading(db_path)
    try:
        columns = {str(column[1]) for column in db.execute("PRAGMA table_xinfo(servers)")}
        # The reason a server is not graded, when the database has a column for it (`…reason`).
        reason = next((column for column in sorted(columns) if column.endswith("reason") and column.isidentifier()), "")
        findings = _rows(db, "findings", "")
        suppressed = _rows(db, "suppressed", ", " + _text_sql("suppressed_by"))
        errors: dict[object, list] = {}
        for server_id, step, message in db.execute(f"SELECT server_id, {_text_sql('step')}, {_text_sql('message')} FROM errors"):
            errors.setdefault(server_id, []).append((_text(step), _text(message)))
        notices: dict[object, list] = {}
        for server_id, path, message in db.execute(
                f"SELECT server_id, {_text_sql('path')}, {_text_sql('message')} FROM notices ORDER BY rowid LIMIT 100000"):
            notices.setdefault(server_id, []).append((_text(path), _text(message)))
        servers = [_server(row, findings, suppressed, errors, notices) for row in db.execute(
            f"SELECT id, {_text_sql('name')}, {_text_sql('location')}, {_text_sql('status')}, {_int_sql('score')},"
            f" {_text_sql('grade')}, {_int_sql('high')}, {_int_sql('medium')}, {_int_sql('low')}, {_int_sql('info')},"
            f" {_text_sql('base_families', JSON_LIMIT + 1)}, {_text_sql('cards', JSON_LIMIT + 1)},"
            f" {_text_sql('repository_suppressions')}, {_text_sql('key')}, {_text_sql('source_commit')}, {_text_sql('image')},"
            f" {_text_sql(reason) if reason else 'NULL'} FROM servers ORDER BY name")]
        runs, version = db.execute(f"SELECT COUNT(*), MAX({_text_sql('mcpharden_version')}) FROM runs").fetchone()
        trends = _trends(db, servers) if _count(runs) > 1 else ()
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{db_path}: not a readable results database ({error})") from None
    finally:
        db.close()
    return Ecosystem(tuple(servers), _count(runs), _text(version), tuple(trends))


def _rows(db, table: str, extra: str) -> dict[object, list[Row]]:
    found: dict[object, list[Row]] = {}
    query = (f"SELECT server_id, {_text_sql('severity')}, {_text_sql('rule_id')}, {_text_sql('path')}, {_int_sql('line')},"
             f" {_text_sql('message')}, {_text_sql('source')}, {_text_sql('fingerprint', 200)}{extra} FROM {table}"
             " ORDER BY server_id, path, line")
    for server_id, severity, rule, path, line, message, source, fingerprint, *by in db.execute(query):
        found.setdefault(server_id, []).append(Row(_severity(severity), _text(rule), _text(path), _count(line), _text(message),
                                                   _text(by[0]) if by else "", _text(source), _text(fingerprint)))
    return found


def _server(row, findings, suppressed, errors, notices) -> Server:
    (server_id, name, location, status, score, grade, high, medium, low, info, families, cards, suppressions,
     key, commit, image, reason) = row
    mine = tuple(findings.get(server_id, ()))
    counted = Counter(f.severity for f in mine)
    graded = grade if grade in GRADES else None
    return Server(
        name=_text(name), location=_text(location), status=_text(status),
        score=score if isinstance(score, int) and 0 <= score <= 100 and graded else None,
        grade=graded,
        # From the findings themselves: the stored columns have no place for CRITICAL.
        counts={severity: counted.get(severity, 0) for severity in SEVERITIES},
        rules=frozenset(f.rule for f in mine),
        families=tuple(_text(f) for f in _json_list(families) if isinstance(f, str)),
        cards=tuple(card for card in _json_list(cards) if isinstance(card, dict)),
        findings=mine, errors=tuple(errors.get(server_id, ())), suppressed=tuple(suppressed.get(server_id, ())),
        suppressions="honoured" if suppressions == "honoured" else "counted",
        key=_text(key), commit=_text(commit), image=_text(image), reason=_text(reason) if reason else "",
        notices=tuple(notices.get(server_id, ())[:50]),
    )


def _trends(db, servers: list[Server]) -> list[Trend]:
    """Each server's latest audit against its audit in an earlier run (the `audits` table; a
    database without it has no trends)."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audits'").fetchone():
        return []
    history: dict[str, list[tuple]] = {}
    for key, run, status, score, grade, fingerprints in db.execute(
            f"SELECT {_text_sql('key')}, {_int_sql('run_id')}, {_text_sql('status')}, {_int_sql('score')}, {_text_sql('grade')},"
            f" {_text_sql('fingerprints', JSON_LIMIT + 1)} FROM audits ORDER BY audited_at, rowid"):
        history.setdefault(_text(key), []).append((run, _text(status), score, grade, fingerprints))
    trends = []
    for server in servers:
        audits = history.get(server.key, [])
        latest_run = audits[-1][0] if audits else None
        earlier = [a for a in audits if a[0] != latest_run]
        if not audits or not earlier:
            continue
        _, status, score, grade, fingerprints = earlier[-1]
        before = {str(f) for f in _json_list(fingerprints)}
        graded_before = status == "done" and grade in GRADES and isinstance(score, int) and 0 <= score <= 100
        new = tuple(f for f in server.findings if f.fingerprint and f.fingerprint not in before) if status == "done" else ()
        now = {f.fingerprint for f in server.findings}
        trends.append(Trend(server, score if graded_before else None, grade if graded_before else None, new,
                            len(before - now)))
    return trends


def _text_sql(column: str, limit: int = TEXT_LIMIT + 1) -> str:
    """A column as bounded text, cut in SQLite: a value of megabytes never reaches Python whole."""
    return f"substr(CAST({column} AS TEXT), 1, {limit})"


def _int_sql(column: str) -> str:
    return f"CASE WHEN typeof({column}) = 'integer' THEN {column} END"


def _text(value: object) -> str:
    """Text from the database, cut to TEXT_LIMIT characters (what is cut is said)."""
    text = "" if value is None else str(value)
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "… (cut)"


def _count(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _severity(value: object) -> str:
    return value if value in SEVERITIES else "unknown"


def _json_list(value: object) -> list:
    """A JSON list column; anything else (not JSON, too large, too deeply nested) is empty."""
    if not isinstance(value, str) or len(value) > JSON_LIMIT:
        return []
    try:
        document = json.loads(value)
    except (ValueError, RecursionError):
        return []
    return document if isinstance(document, list) else []




# What a shared report may say about places ------------------------------------------------------------

# An absolute path of this machine inside a text (`/home/ci/cache/x: not a directory`): the slash
# that starts it follows no word character, colon or slash, so URLs (`https://host/a/b`) stay.
_LOCAL_PATH = re.compile(r"(?<![\w:/.~-])(?:/[^\s/'\"`<>|,;:()\[\]]+)+/([^\s/'\"`<>|,;:()\[\]]+)")
_REPOSITORY_URL = re.compile(r"^(?:https://|ssh://git@|git@)(?P<host>github\.com|gitlab\.com)[:/]"
                             r"(?P<path>[\w.-]+(?:/[\w.-]+)+)/?$")
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def shown_location(location: str) -> str:
    """Where a server comes from, fit to share: a URL as it is, a folder of this machine by its name."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", location, re.IGNORECASE) or re.match(r"^[\w.-]+@[\w.-]+:", location):
        return location
    return Path(location).name or location


def local_paths_removed(text: str) -> str:
    """An error of the batch (a clone that failed in the cache folder, a folder that is not one)
    with each absolute path cut to `…/its-name`."""
    return _LOCAL_PATH.sub(lambda match: f"…/{match.group(1)}", text)


def in_server(server: Server, text: str) -> str:
    """A finding's text with the server's own folder (when it is one of this machine) cut to
    its name; the paths a finding is about (`/var/run/docker.sock`) stay as they are."""
    location = server.location
    if not location.startswith("/") or len(location) < 2:
        return text
    folder = location.rstrip("/")
    return text.replace(folder, Path(folder).name).replace(str(Path(folder).parent) + "/", "…/")


def file_link(server: Server, row: Row) -> str:
    """The finding's file and line in its repository's web view (GitHub, GitLab), at the commit
    audited when it is known; "" when the repository has no known URL or the path is not one of it."""
    repository, path = web_repository(server.location), row.path
    if (not repository or row.source != "repository" or not path or path.startswith("/") or "\\" in path
            or any(part in ("", ".", "..") for part in path.split("/"))):
        return ""
    ref = server.commit if _SHA.fullmatch(server.commit) else "HEAD"
    where = quote(path, safe="/")
    anchor = f"#L{row.line}" if row.line > 0 else ""
    return f"{repository}/blob/{ref}/{where}{anchor}" if repository.startswith("https://github.com/") else \
        f"{repository}/-/blob/{ref}/{where}{anchor}"


def web_repository(location: str) -> str:
    """The repository's page on GitHub or GitLab (`https://github.com/owner/name`), or ""."""
    match = _REPOSITORY_URL.match(location)
    if not match or any(part in (".", "..") for part in match.group("path").split("/")):
        return ""
    return f"https://{match.group('host')}/{match.group('path').removesuffix('.git')}"


@lru_cache(maxsize=1)
def _known_rules() -> frozenset[str]:
    from mcpharden.rules import all_rules

    return frozenset(rule.id for rule in all_rules())


def rule_link(rule: str) -> str:
    """The rule's page, for a rule this mcpharden knows (a crafted database names others)."""
    from mcpharden.rules.pages import page_url

    return page_url(rule) if rule in _known_rules() else ""


# Markdown -----------------------------------------------------------------------------------------


def markdown(eco: Ecosystem) -> str:
    from mcpharden.reports.markdown import code, text

    audited = len(eco.audited)
    lines = [f"# MCP servers audited by mcpharden {text(eco.version)}", "",
             f"{audited} server(s) graded, {len(eco.not_graded)} not graded (failed audits and servers with nothing to "
             f"judge, listed apart below), over {eco.runs} run(s). The figures are over the graded servers.", "",
             "## At a glance", "", "| servers that ... | share |", "| --- | --- |"]
    for key, label in SHARES:
        part, whole = eco.share(key)
        lines.append(f"| {label} | {_percent(part, whole)} ({part} of {whole}) |")
    lines += ["", "## Grades", "", "| grade | servers |", "| --- | --- |"]
    lines += [f"| {grade} | {count} |" for grade, count in eco.grades()]
    lines += [f"| not graded | {len(eco.not_graded)} |"]
    lines += ["", "## Findings by severity", "", "| severity | findings |", "| --- | --- |"]
    lines += [f"| {severity} | {count} |" for severity, count in eco.severities()]
    lines += ["", "## How often each rule fires", "", "| rule | servers | share |", "| --- | --- | --- |"]
    lines += [f"| {_md_rule(rule)} | {count} | {_percent(count, audited)} |" for rule, count in eco.prevalence()]
    lines += ["", "## Base images of the images that ship", "", "| family | servers |", "| --- | --- |"]
    lines += [f"| {text(family)} | {count} |" for family, count in eco.families()]
    lines += ["", "## Worst offenders", "", "| server | score | critical | high | medium | low |",
              "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {text(s.name)} | {_shown_score(s)} | {s.counts['critical']} | {s.counts['high']} | {s.counts['medium']} "
              f"| {s.counts['low']} |" for s in eco.worst()]
    if eco.trends:
        improved, worsened, new = _trend_lists(eco)
        lines += ["", "## Since the previous run", "",
                  f"{len(improved)} server(s) improved, {len(worsened)} worsened, {sum(len(t.new_findings) for t in new)} new "
                  f"finding(s) in {len(new)} server(s).", "", "| server | before | now | new findings | fixed |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {text(t.server.name)} | {_before(t)} | {_shown_score(t.server)} | {len(t.new_findings)} | {t.fixed} |"
                  for t in improved + worsened + [t for t in new if t not in improved and t not in worsened]]
    vulnerabilities = eco.vulnerabilities()
    if eco.imaged():
        lines += ["", "## Vulnerabilities in the images", "",
                  f"{len(eco.imaged())} image(s) audited, {len(vulnerabilities)} known vulnerabilit(ies) found.", ""]
        if vulnerabilities:
            lines += ["| advisory | severity | package | servers |", "| --- | --- | --- | --- |"]
            lines += [f"| {code(advisory)} | {severity} | {code(package)} | {text(', '.join(names[:10]))}"
                      f"{f' and {len(names) - 10} more' if len(names) > 10 else ''} |"
                      for advisory, severity, package, names in vulnerabilities[:50]]
    if eco.not_graded:
        lines += ["", "## Not graded", "", "Failed audits and servers with nothing to judge: never counted as a pass.", "",
                  "| server | location | why |", "| --- | --- | --- |"]
        lines += [f"| {text(s.name)} | {code(shown_location(s.location))} | {text(local_paths_removed(in_server(s, s.not_graded_because)))} |"
                  for s in eco.not_graded]
    suppressing = [s for s in eco.servers if s.suppressed]
    if suppressing:
        lines += ["", "## Suppressed by the repository", "",
                  "Findings a repository's own `# mcpharden: ignore=` comments or configuration hide. Counted: they stay in "
                  "the grade (an audited repository does not grade itself); honoured: left out "
                  "(`batch --honour-repository-suppressions`).", "",
                  "| server | suppressed | high | rules | treated |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {text(s.name)} | {len(s.suppressed)} | {sum(r.severity in ('critical', 'high') for r in s.suppressed)} "
                  f"| {', '.join(code(rule) for rule in sorted({r.rule for r in s.suppressed}))} | {s.suppressions} |"
                  for s in suppressing]
    return "\n".join(lines) + "\n"


def _md_rule(rule: str) -> str:
    from mcpharden.reports.markdown import code

    link = rule_link(rule)
    return f"[{code(rule)}]({link})" if link else code(rule)


def _shown_score(server: Server) -> str:
    return f"{server.score} ({server.grade})" if server.graded and server.score is not None else "not graded"


def _before(trend: Trend) -> str:
    return f"{trend.before_score} ({trend.before_grade})" if trend.before_score is not None else "not graded"


def _trend_lists(eco: Ecosystem) -> tuple[list[Trend], list[Trend], list[Trend]]:
    improved = sorted((t for t in eco.trends if t.change > 0), key=lambda t: (-t.change, t.server.name))
    worsened = sorted((t for t in eco.trends if t.change < 0), key=lambda t: (t.change, t.server.name))
    new = sorted((t for t in eco.trends if t.new_findings), key=lambda t: (-len(t.new_findings), t.server.name))
    return improved, worsened, new


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


# CSV -------------------------------------------------------------------------------------------------


CSV_COLUMNS = ["server", "location", "status", "grade", "source", "severity", "rule_id", "path", "line", "message"]


def findings_csv(eco: Ecosystem) -> str:
    """One row per finding of a graded server; a server that was not graded is one row of its own,
    status `not graded` and the reason as its message, so a failed audit never reads as clean."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for server in eco.servers:
        location = shown_location(server.location)
        if not server.graded:
            writer.writerow([_cell(v) for v in (server.name, location, "not graded", "", "", "", "", "", "",
                                                local_paths_removed(in_server(server, server.not_graded_because)))])
        for f in server.findings:
            writer.writerow([_cell(value) for value in (server.name, location, "graded" if server.graded else "not graded",
                                                        server.grade or "", f.source, f.severity, f.rule,
                                                        in_server(server, f.path), f.line, in_server(server, f.message))])
    return out.getvalue()


def _cell(value: object) -> str:
    """A spreadsheet must not read a cell as a formula (CSV injection), and a terminal that shows
    the file must not act on a control character in it."""
    text = escape_control(str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# HTML -----------------------------------------------------------------------------------------------

_CSS = """
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
main{max-width:1120px;margin:0 auto;padding:24px 16px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:30px 0 10px}h3{font-size:16px;margin:16px 0 6px}
a{color:#1864ab}a:hover{text-decoration:underline}
.lead{color:#4a5561;margin:0 0 18px}.note{color:#4a5561;font-size:13px;margin:6px 0}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.tile{background:#fff;border:1px solid #dfe3e8;border-radius:8px;padding:12px}
.tile b{display:block;font-size:26px}.tile span{color:#4a5561;font-size:13px}
.panel{background:#fff;border:1px solid #dfe3e8;border-radius:8px;padding:14px;margin:12px 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:14px}td,th{text-align:left;padding:5px 8px;border-bottom:1px solid #eceff3;vertical-align:top}
th{white-space:nowrap}td{overflow-wrap:anywhere}
.sortable th.sort{cursor:pointer;user-select:none}.sortable th.sort:after{content:" \\2195";color:#adb5bd}
details{background:#fff;border:1px solid #dfe3e8;border-radius:8px;margin:8px 0;padding:8px 12px}
summary{cursor:pointer;font-weight:600;overflow-wrap:anywhere}
.sev-critical{color:#862e9c;font-weight:700}.sev-high{color:#c92a2a}.sev-medium{color:#d9480f}.sev-low{color:#3b5bdb}
.sev-info{color:#868e96}.sev-unknown{color:#868e96}.up{color:#2b8a3e}.down{color:#c92a2a}
.grade{display:inline-block;min-width:22px;text-align:center;border-radius:4px;color:#fff;font-weight:700;margin-right:6px;padding:0 4px}
.g-A{background:#2b8a3e}.g-B{background:#5c940d}.g-C{background:#e67700}.g-D{background:#d9480f}.g-F{background:#c92a2a}
.g-None{background:#868e96}
code{font-size:13px;overflow-wrap:anywhere}.nw,.nw code,table.wide td,table.wide code{white-space:nowrap;overflow-wrap:normal}.card td:first-child{color:#4a5561;width:190px}
.bars{display:grid;gap:6px}
.bar-row{display:grid;grid-template-columns:minmax(0,30%) minmax(0,1fr) 7.5em;gap:10px;align-items:center;font-size:13px}
.bar-label{text-align:right;overflow-wrap:anywhere}.bar-track{background:#f1f3f5;border-radius:3px;height:20px}
.bar{display:block;height:20px;border-radius:3px}.bar-value{color:#4a5561;white-space:nowrap}
.filters{display:flex;flex-wrap:wrap;gap:10px 16px;align-items:center;margin:8px 0 10px}
.filters label{font-size:13px;color:#4a5561;display:flex;gap:6px;align-items:center}
.filters select,.filters input{font:inherit;font-size:14px;padding:4px 6px;border:1px solid #ced4da;border-radius:4px;max-width:100%}
.count{font-size:13px;color:#4a5561}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px;margin:0 0 10px}.key{display:inline-block;width:11px;height:11px;
border-radius:2px;margin-right:5px;vertical-align:-1px}
@media (max-width:640px){main{padding:16px 10px}h1{font-size:21px}.bar-row{grid-template-columns:minmax(0,38%) minmax(0,1fr) 6em}
.card td:first-child{width:auto}.tile b{font-size:22px}
table.stack thead tr{display:flex;flex-wrap:wrap}table.stack thead th{border:0;padding:4px 10px 4px 0}
table.stack tbody tr{display:block;border-bottom:1px solid #dfe3e8;padding:6px 0}
table.stack td{display:inline-block;border:0;padding:1px 10px 1px 0}table.stack td.msg{display:block}}
"""
# Filters and sorts the findings, sorts every `sortable` table; reads only the page's own
# attributes (no value from the database is ever part of the script), fetches nothing.
_SCRIPT = """(function(){
function key(row,column){var cell=row.cells[column];var k=cell&&cell.getAttribute("data-key");
return k!==null&&k!==undefined?k:(cell?cell.textContent.toLowerCase():"");}
function number(value){return /^-?[0-9]+(\\.[0-9]+)?$/.test(value)?parseFloat(value):null;}
var sorters={},findings=document.getElementById("findings"),remember=function(){};
Array.prototype.forEach.call(document.querySelectorAll("table.sortable"),function(table){
var head=table.tHead.rows[0],body=table.tBodies[0];
Array.prototype.forEach.call(head.cells,function(th,column){if(!th.classList.contains("sort"))return;th.tabIndex=0;
function sort(up){Array.prototype.forEach.call(head.cells,function(c){c.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",up?"ascending":"descending");
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){var x=key(a,column),y=key(b,column),
nx=number(x),ny=number(y);if(nx!==null&&ny!==null){x=nx;y=ny;}return (x<y?-1:x>y?1:0)*(up?1:-1);});
rows.forEach(function(row){body.appendChild(row);});if(table===findings)remember();}
function toggle(){sort(th.getAttribute("aria-sort")!=="ascending");}
if(table===findings)sorters[th.textContent.trim()]=sort;
th.addEventListener("click",toggle);th.addEventListener("keydown",function(e){if(e.key==="Enter"||e.key===" "){e.preventDefault();toggle();}});});});
var filters=document.getElementById("filters");if(!findings||!filters)return;
filters.hidden=false;var rows=Array.prototype.slice.call(findings.tBodies[0].rows);
var severity=document.getElementById("f-severity"),rule=document.getElementById("f-rule"),
server=document.getElementById("f-server"),count=document.getElementById("f-count");
function apply(){var most=parseInt(severity.value,10),wanted=rule.value,name=server.value.trim().toLowerCase(),shown=0;
rows.forEach(function(row){var ok=parseInt(row.getAttribute("data-severity"),10)<=most&&(!wanted||row.getAttribute("data-rule")===wanted)
&&(!name||row.getAttribute("data-server").indexOf(name)>=0);row.hidden=!ok;if(ok)shown++;});
count.textContent=shown+" of "+rows.length+" findings shown";}
remember=function(){var wanted=[];if(severity.value!=="5")wanted.push("severity="+severity.value);
if(rule.value)wanted.push("rule="+encodeURIComponent(rule.value));if(server.value)wanted.push("server="+encodeURIComponent(server.value));
var sorted=findings.tHead.querySelector("[aria-sort]");
if(sorted)wanted.push("sort="+(sorted.getAttribute("aria-sort")==="descending"?"-":"")+sorted.textContent.trim());
try{history.replaceState(null,"",wanted.length?"#"+wanted.join("&"):location.pathname+location.search);}catch(e){}};
function changed(){apply();remember();}
var order="";
location.hash.replace(/^#/,"").split("&").forEach(function(pair){var at=pair.indexOf("=");if(at<0)return;
var name=pair.slice(0,at),value;try{value=decodeURIComponent(pair.slice(at+1));}catch(e){return;}
if(name==="sort"){order=value;return;}
var control=name==="severity"?severity:name==="rule"?rule:name==="server"?server:null;if(!control)return;
if(control.tagName==="SELECT"){Array.prototype.forEach.call(control.options,function(o){if(o.value===value)control.value=value;});}
else{control.value=value;}});
var column=order.replace(/^-/,"");if(Object.prototype.hasOwnProperty.call(sorters,column))sorters[column](order.charAt(0)!=="-");
severity.addEventListener("change",changed);rule.addEventListener("change",changed);server.addEventListener("input",changed);apply();
})();"""


def html_report(eco: Ecosystem) -> str:
    """Every value from the database goes through `_h` (text), `_href` (a link mcpharden built)
    or a fixed class list (attributes); every attribute is quoted, so no value can open an element
    or an attribute of its own; the one script is a constant that reads the page's attributes."""
    audited = len(eco.audited)
    tiles = [f'<div class="tile"><b>{audited}</b><span>servers graded</span></div>',
             f'<div class="tile"><b>{len(eco.not_graded)}</b><span>not graded (failed audits, nothing to judge)</span></div>']
    for key, label in SHARES:
        part, whole = eco.share(key)
        tiles.append(f'<div class="tile"><b>{_percent(part, whole)}</b><span>{_h(label)} ({part} of {whole})</span></div>')
    grades = eco.grades() + [("not graded", len(eco.not_graded))]
    severities = eco.severities()
    prevalence = eco.prevalence()
    charts = [
        ("Grades", "", _bar_chart([(g, c, GRADE_COLOURS.get(g, GRADE_COLOURS[None])) for g, c in grades], len(eco.servers))),
        ("Findings by severity", _legend(), _bar_chart([(s, c, SEVERITY_COLOURS[s]) for s, c in severities],
                                                        sum(c for _, c in severities))),
        ("How often each rule fires (graded servers with at least one finding; coloured by severity)", _legend(),
         _bar_chart([(rule, count, SEVERITY_COLOURS[eco.rule_severity(rule)]) for rule, count in prevalence], audited,
                    links=True)),
        ("Base images of the images that ship", "", _bar_chart([(f, c, "#1c7ed6") for f, c in eco.families()], audited)),
    ]
    body = [
        f"<main><h1>MCP servers audited by mcpharden {_h(eco.version)}</h1>"
        f'<p class="lead">{audited} server(s) graded and {len(eco.not_graded)} not graded, over {eco.runs} run(s); the figures '
        "are over the graded servers. Each server's card is what an attacker who gets code execution inside it holds.</p>"
        f'<div class="tiles">{"".join(tiles)}</div>',
        "".join(f'<h2>{_h(title)}</h2><div class="panel">{legend}{chart}</div>' for title, legend, chart in charts),
        '<h2>Worst offenders</h2><div class="panel scroll">' + _servers_table(eco.worst()) + "</div>",
        _trend_html(eco), _vulnerability_html(eco), _not_graded_html(eco), _findings_html(eco),
        '<h2>Every server</h2><div class="panel scroll">' + _servers_table(
            sorted(eco.servers, key=lambda s: (not s.graded, s.score if s.score is not None else 101, s.name))) + "</div>",
        "".join(_server_html(s) for s in sorted(eco.servers, key=lambda s: (not s.graded, s.score if s.score is not None
                                                                            else 101, s.name))),
        "</main>",
    ]
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,'
            f'initial-scale=1"><title>mcpharden ecosystem report</title><style>{_CSS}</style></head><body>{"".join(body)}'
            f"<script>{_SCRIPT}</script></body></html>\n")


def _h(value: object) -> str:
    """Text for HTML: control characters and bidirectional overrides shown as escapes (they could
    make a name read as another), then every character HTML gives a meaning escaped, quotes too."""
    return html.escape(escape_control(str(value)), quote=True)


def _href(url: str, inside: str) -> str:
    """A link mcpharden built (a rule page, a repository's https URL), or the text alone."""
    return f'<a href="{_h(url)}">{inside}</a>' if url.startswith("https://") else inside


def _grade(server_or_grade) -> str:
    grade = server_or_grade.grade if isinstance(server_or_grade, Server) and server_or_grade.graded else (
        server_or_grade if isinstance(server_or_grade, str) else None)
    known = grade if grade in GRADES else None
    return f'<span class="grade g-{known}">{known or "–"}</span>'


def _severity_cell(severity: str) -> str:
    known = severity if severity in SEVERITIES else "unknown"
    return f'<td class="sev-{known}" data-key="{_rank(severity)}">{_h(severity)}</td>'


def _legend() -> str:
    return '<div class="legend">' + "".join(
        f'<span><span class="key" style="background:{SEVERITY_COLOURS[s]}"></span>{s}</span>' for s in SEVERITIES) + "</div>"


def _bar_chart(rows: list[tuple[str, int, str]], whole: int, links: bool = False) -> str:
    """A horizontal bar chart in HTML (it reflows at any width): a label, a bar in the row's own
    colour (a fixed palette, never a value from the database), the count and share."""
    if not rows:
        return "<p>Nothing to show.</p>"
    top = max((count for _, count, _ in rows), default=1) or 1
    shown = []
    for label, count, colour in rows:
        text = _href(rule_link(label), f"<code>{_h(label)}</code>") if links else _h(label)
        shown.append(f'<div class="bar-row"><span class="bar-label">{text}</span><span class="bar-track">'
                     f'<span class="bar" style="width:{max(100 * count / top, 0.5) if count else 0:.1f}%;background:{colour}"></span></span>'
                     f'<span class="bar-value">{count} ({_percent(count, whole)})</span></div>')
    return f'<div class="bars">{"".join(shown)}</div>'


def _servers_table(servers: list[Server]) -> str:
    head = ('<table class="sortable wide"><thead><tr><th class="sort">server</th><th class="sort">grade</th><th class="sort">score</th>'
            + "".join(f'<th class="sort sev-{s}">{s}</th>' for s in SEVERITIES[:4]) + '<th class="sort">from</th></tr></thead><tbody>')
    rows = []
    for s in servers:
        score = s.score if s.graded and s.score is not None else -1
        rows.append(f'<tr><td>{_h(s.name)}</td><td data-key="{s.grade if s.graded else "Z"}">{_grade(s)}</td>'
                    f'<td data-key="{score}">{_h(_shown_score(s))}</td>'
                    + "".join(f"<td>{s.counts[severity]}</td>" for severity in SEVERITIES[:4])
                    + f"<td>{_location_html(s)}</td></tr>")
    return head + "".join(rows) + "</tbody></table>"


def _location_html(server: Server) -> str:
    shown = shown_location(server.location)
    return _href(web_repository(server.location), f"<code>{_h(shown)}</code>") if shown else ""


def _finding_cells(server: Server, row: Row) -> str:
    where = f"{in_server(server, row.path)}:{row.line}" if row.line else in_server(server, row.path)
    source = "" if row.source == "repository" else f" ({_h(row.source)})"
    return (f'{_severity_cell(row.severity)}<td class="nw">{_href(rule_link(row.rule), f"<code>{_h(row.rule)}</code>")}</td>'
            f'<td class="nw" data-key="{_h(row.path)}:{row.line:09d}">'
            f'{_href(file_link(server, row), f"<code>{_h(where)}</code>")}{source}</td>'
            f'<td class="msg">{_h(in_server(server, row.message))}</td>')


def _findings_html(eco: Ecosystem) -> str:
    every = [(server, row) for server in eco.servers for row in server.findings]
    if not every:
        return ""
    every.sort(key=lambda pair: (_rank(pair[1].severity), pair[0].name, pair[1].path, pair[1].line))
    shown = every[:FINDINGS_SHOWN]
    rules = sorted({row.rule for _, row in every})
    levels = [("5", "every severity")] + [(str(i), f"{s} and above" if i else s) for i, s in enumerate(SEVERITIES[:4])]
    filters = ('<div class="filters" id="filters" hidden>'
               '<label>severity <select id="f-severity">' + "".join(f'<option value="{v}">{t}</option>' for v, t in levels)
               + '</select></label><label>rule <select id="f-rule"><option value="">every rule</option>'
               + "".join(f'<option value="{_h(rule)}">{_h(rule)}</option>' for rule in rules)
               + '</select></label><label>server <input id="f-server" type="search" placeholder="name contains"></label>'
               '<span class="count" id="f-count"></span></div>')
    rows = "".join(f'<tr data-severity="{_rank(row.severity)}" data-rule="{_h(row.rule)}" data-server="{_h(server.name.lower())}">'
                   f"<td>{_h(server.name)}</td>{_finding_cells(server, row)}</tr>" for server, row in shown)
    cut = (f'<p class="note">The {len(shown)} most severe of {len(every)} findings are listed; the CSV report has every one.</p>'
           if len(every) > len(shown) else "")
    return ("<h2>Findings</h2><div class=\"panel\"><p class=\"note\">Filter by severity, rule and server, and sort by any column "
            "(works offline; the filters and the order are kept in the address, `#severity=1&rule=root-user&server=name&sort=-where`, to share a view). "
            "Each rule links to its page; a finding of a repository with a known URL links to its file and line "
            f"at the commit audited.</p>{filters}{cut}"
            '<div class="scroll"><table class="sortable stack" id="findings"><thead><tr><th class="sort">server</th>'
            '<th class="sort">severity</th><th class="sort">rule</th><th class="sort">where</th><th>finding</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div></div>")


def _trend_html(eco: Ecosystem) -> str:
    if not eco.trends:
        return ""
    improved, worsened, new = _trend_lists(eco)
    parts = [f'<h2>Since the previous run</h2><div class="panel"><p class="note">{len(eco.trends)} server(s) audited again: '
             f'<span class="up">{len(improved)} improved</span>, <span class="down">{len(worsened)} worsened</span>, '
             f"{sum(len(t.new_findings) for t in new)} new finding(s) in {len(new)} server(s).</p>"]
    for title, trends, css in (("Improved", improved, "up"), ("Worsened", worsened, "down")):
        if trends:
            parts.append(f'<h3>{title}</h3><div class="scroll"><table class="sortable wide"><thead><tr><th class="sort">server</th>'
                         '<th class="sort">before</th><th class="sort">now</th><th class="sort">change</th><th class="sort">fixed'
                         "</th><th class=\"sort\">new</th></tr></thead><tbody>" + "".join(
                             f"<tr><td>{_h(t.server.name)}</td><td>{_grade(t.before_grade)}{_h(_before(t))}</td>"
                             f"<td>{_grade(t.server)}{_h(_shown_score(t.server))}</td><td class=\"{css}\">{t.change:+d}</td>"
                             f"<td>{t.fixed}</td><td>{len(t.new_findings)}</td></tr>" for t in trends) + "</tbody></table></div>")
    if new:
        rows = [(t.server, row) for t in new for row in t.new_findings][:500]
        parts.append('<h3>New findings</h3><div class="scroll"><table class="sortable stack"><thead><tr><th class="sort">server</th>'
                     '<th class="sort">severity</th><th class="sort">rule</th><th class="sort">where</th><th>finding</th></tr></thead>'
                     "<tbody>" + "".join(f"<tr><td>{_h(server.name)}</td>{_finding_cells(server, row)}</tr>" for server, row in rows)
                     + "</tbody></table></div>")
    return "".join(parts) + "</div>"


def _vulnerability_html(eco: Ecosystem) -> str:
    imaged = eco.imaged()
    if not imaged:
        return ""
    vulnerabilities = eco.vulnerabilities()
    by_severity = Counter(severity for _, severity, _, _ in vulnerabilities)
    affected = {name for _, _, _, names in vulnerabilities for name in names}
    tiles = [f'<div class="tile"><b>{len(imaged)}</b><span>images audited</span></div>',
             f'<div class="tile"><b>{len(affected)}</b><span>with a known vulnerability</span></div>']
    tiles += [f'<div class="tile"><b class="sev-{s}">{by_severity.get(s, 0)}</b><span>{s} advisories</span></div>'
              for s in SEVERITIES[:3]]
    image_rules = Counter(row.rule for s in imaged for row in s.findings if row.source == "image" and row.rule != "known-vulnerability")
    chart = _bar_chart([(rule, count, SEVERITY_COLOURS[eco.rule_severity(rule)]) for rule, count in image_rules.most_common()],
                       len(imaged), links=True)
    table = ""
    if vulnerabilities:
        table = ('<h3>Known vulnerabilities</h3><div class="scroll"><table class="sortable"><thead><tr><th class="sort">advisory</th>'
                 '<th class="sort">severity</th><th class="sort">package</th><th class="sort">servers</th><th>which</th></tr></thead>'
                 "<tbody>" + "".join(
                     f"<tr><td><code>{_h(advisory)}</code></td>{_severity_cell(severity)}<td><code>{_h(package)}</code></td>"
                     f"<td>{len(names)}</td><td>{_h(', '.join(names[:20]))}{' …' if len(names) > 20 else ''}</td></tr>"
                     for advisory, severity, package, names in vulnerabilities[:500]) + "</tbody></table></div>")
    else:
        table = ('<p class="note">No known vulnerability was matched: the images were audited without an advisory database '
                 "(`mcpharden db update`), or none of their packages is affected.</p>")
    return (f'<h2>Vulnerabilities in the images</h2><div class="panel"><div class="tiles">{"".join(tiles)}</div>'
            f"<h3>What the images ship (servers whose image has it)</h3>{chart}{table}</div>")


def _not_graded_html(eco: Ecosystem) -> str:
    if not eco.not_graded:
        return ""
    rows = "".join(f"<tr><td>{_h(s.name)}</td><td>{_location_html(s)}</td><td>{_h(local_paths_removed(in_server(s, s.not_graded_because)))}</td></tr>"
                   for s in eco.not_graded)
    return ('<h2>Not graded</h2><div class="panel"><p class="note">Failed audits and servers with nothing to judge: never '
            'counted as a pass, and left out of every figure above.</p><div class="scroll"><table class="sortable"><thead><tr>'
            f'<th class="sort">server</th><th class="sort">from</th><th class="sort">why</th></tr></thead><tbody>{rows}'
            "</tbody></table></div></div>")


def _server_html(server: Server) -> str:
    counts = ", ".join(f"{server.counts[s]} {s}" for s in SEVERITIES[:4] if server.counts[s] or s in ("high", "medium", "low"))
    head = f"<summary>{_grade(server)}{_h(server.name)} — {_h(_shown_score(server))}, {counts}</summary>"
    parts = [f"<p>{_location_html(server)}{' at <code>' + _h(server.commit[:12]) + '</code>' if server.commit else ''}"
             f"{' · image <code>' + _h(server.image) + '</code>' if server.image else ''}</p>"]
    if not server.graded:
        parts.append(f'<p class="sev-high">not graded: {_h(local_paths_removed(in_server(server, server.not_graded_because)))}</p>')
    parts += [f'<p class="sev-high">could not {_h(step)}: {_h(local_paths_removed(in_server(server, message)))}</p>'
              for step, message in server.errors if server.graded]
    if server.notices:
        parts.append('<p class="note">Notes: ' + "; ".join(
            f"<code>{_h(local_paths_removed(in_server(server, where)))}</code>: {_h(local_paths_removed(in_server(server, what)))}"
            for where, what in server.notices) + "</p>")
    parts += [_card_html(card) for card in server.cards]
    if server.findings:
        listed = sorted(server.findings, key=lambda r: (_rank(r.severity), r.path, r.line))[:SERVER_FINDINGS_SHOWN]
        parts.append('<div class="scroll"><table class="stack"><thead><tr><th>severity</th><th>rule</th><th>where</th><th>finding</th>'
                     "</tr></thead><tbody>" + "".join(f"<tr>{_finding_cells(server, r)}</tr>" for r in listed)
                     + "</tbody></table></div>")
        if len(server.findings) > len(listed):
            parts.append(f'<p class="note">The {len(listed)} most severe of its {len(server.findings)} findings; the findings '
                         "table above (filter by server) and the CSV report have every one.</p>")
    if server.suppressed:
        treated = ("honoured: left out of the score" if server.suppressions == "honoured"
                   else "counted: they stay in the score, a repository does not grade itself")
        parts.append(f'<p>Suppressed by the repository ({_h(treated)}):</p><div class="scroll"><table><tr><th>severity</th>'
                     "<th>rule</th><th>where</th><th>finding</th><th>suppressed by</th></tr>"
                     + "".join(f"<tr>{_finding_cells(server, r)}<td>{_h(r.suppressed_by)}</td></tr>" for r in server.suppressed)
                     + "</table></div>")
    return f"<details>{head}{''.join(parts)}</details>"


def _card_html(card: dict) -> str:
    """A card from the database, read field by field: a crafted card shows what it holds, never breaks the page."""

    def yes(value) -> str:
        return "unknown" if value is None else ("yes" if value else "no")

    def listed(value) -> str:
        return ", ".join(str(item) for item in value) if isinstance(value, list) else ""

    def entries(key: str) -> list[dict]:
        value = card.get(key)
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

    mounts = "; ".join(f"{m.get('source')} → {m.get('target')} ({'read-only' if m.get('read_only') else 'writable'}"
                       f"{', ' + str(m['sensitive']) if m.get('sensitive') else ''})" for m in entries("host_mounts")) or "none"
    ports = "; ".join(f"{p.get('interface')}:{p.get('host_port')} → {p.get('container_port')}"
                      for p in entries("published_ports")) or "none"
    fetched = "; ".join(f"{f.get('package')} from {f.get('registry')} ({f.get('reference')})"
                        for f in entries("fetched_at_start")) or "nothing"
    rows = [
        # A helper (a database, a job) or a documentation example is shown, never graded as the server.
        ("role", f"{card.get('role') or 'server'}{': ' + str(card['role_reason']) if card.get('role_reason') else ''}"),
        ("score", f"{card.get('score')} ({card.get('grade')})" if card.get("grade") else "not scored"),
        ("user", f"{card.get('user')} ({card.get('user_evidence', '')})"),
        ("shell / package manager", f"{yes(card.get('shell'))} / {card.get('package_manager') or 'none known'}"),
        ("download tools", listed(card.get("download_tools")) or "none"),
        ("root file system writable", yes(card.get("writable_root_filesystem"))),
        ("can rewrite its own code", yes(card.get("can_rewrite_own_code"))),
        ("writable by every user", listed(card.get("world_writable_paths")) or "none"),
        ("engine socket / privileged", f"{yes(card.get('engine_socket'))} / {yes(card.get('privileged'))}"),
        ("capabilities added", listed(card.get("capabilities_added")) or "none"),
        ("host namespaces", listed(card.get("host_namespaces")) or "none"),
        ("host mounts", mounts), ("published ports", ports),
        ("secret names", listed(card.get("secret_names")) or "none"),
        ("credential files in the image", listed(card.get("secret_files")) or "none"), ("egress", str(card.get("egress"))),
        ("open to others", "; ".join(f"{e.get('kind')}: {e.get('what')} ({e.get('where')})" for e in entries("open_entries"))
         or "nothing found"),
        ("downloaded at every start", fetched),
        ("Kubernetes API tokens", listed(card.get("service_account_tokens")) or "none"),
        ("kernel confinement off", listed(card.get("unconfined")) or "none found"),
    ]
    name = card.get("name")
    title = f"<h3>Card: {_h(_text(name))}</h3>" if isinstance(name, str) and name else "<h3>Card</h3>"
    return (title + '<div class="scroll"><table class="card">' + "".join(f"<tr><td>{_h(k)}</td><td>{_h(_text(v))}</td></tr>"
                                                                       for k, v in rows) + "</table></div>")


def write_reports(db: Path, html_path: str | None, markdown_path: str | None, csv_path: str | None) -> Iterator[str]:
    """`mcpharden report`: each report asked for, written from the results database; yields the
    path of each as it is written."""
    outputs = [(html_path, html_report), (markdown_path, markdown), (csv_path, findings_csv)]
    if not any(path for path, _ in outputs):
        raise UsageError("give --html, --markdown or --csv", command="report")
    try:
        ecosystem = load(db)
        for path, render in outputs:
            if path:
                Path(path).write_text(render(ecosystem), encoding="utf-8")
                yield path
    except (OSError, ValueError) as error:  # the database's own failures are StoreErrors (UsageErrors)
        raise UsageError(str(error)) from None
