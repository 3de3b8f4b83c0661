"""`mcpharden report`: what a batch found, from its results database: one standalone HTML file
(inline CSS and SVG charts, nothing fetched to view it), Markdown, and a CSV of the findings.

The figures are aggregated once (Ecosystem) and rendered per format. The database is input
like any other: `load` reads every value through a typed reader (text bounded, numbers checked,
JSON parsed or dropped), so a crafted database gives a safe report or a clear error; every string
is then escaped for the format it goes into.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


SEVERITIES = ("high", "medium", "low", "info")
GRADES = ("A", "B", "C", "D", "F")
TEXT_LIMIT = 4096  # characters of one text value shown: a crafted database may hold megabytes in one
JSON_LIMIT = 8 * 1024 * 1024  # characters of one JSON column (a server's cards) parsed


@dataclass(frozen=True)
class Row:
    """A finding as the report shows it; `suppressed_by` is set for what the repository hides."""

    severity: str
    rule: str
    path: str
    line: int
    message: str
    suppressed_by: str = ""


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


@dataclass(frozen=True)
class Ecosystem:
    servers: tuple[Server, ...]
    runs: int
    version: str

    @property
    def audited(self) -> tuple[Server, ...]:
        return tuple(s for s in self.servers if s.status == "done")

    def grades(self) -> list[tuple[str, int]]:
        counted = Counter(s.grade for s in self.audited)
        return [(grade, counted.get(grade, 0)) for grade in "ABCDF"]

    def prevalence(self) -> list[tuple[str, int]]:
        counted = Counter(rule for s in self.audited for rule in s.rules)
        return counted.most_common()

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
        return sorted(self.audited, key=lambda s: (s.score if s.score is not None else 101, -s.counts["high"], s.name))[:count]


def load(db_path: Path) -> Ecosystem:
    """The ecosystem a results database holds (read-only; StoreError for anything that is not
    mcpharden's own results database of this schema)."""
    import sqlite3

    from mcpharden.batch.store import StoreError, open_for_reading

    db = open_for_reading(db_path)
    try:
        findings = _rows(db, "findings", "")
        suppressed = _rows(db, "suppressed", ", " + _text_sql("suppressed_by"))
        errors: dict[object, list] = {}
        for server_id, step, message in db.execute(f"SELECT server_id, {_text_sql('step')}, {_text_sql('message')} FROM errors"):
            errors.setdefault(server_id, []).append((_text(step), _text(message)))
        servers = [_server(row, findings, suppressed, errors) for row in db.execute(
            f"SELECT id, {_text_sql('name')}, {_text_sql('location')}, {_text_sql('status')}, {_int_sql('score')},"
            f" {_text_sql('grade')}, {_int_sql('high')}, {_int_sql('medium')}, {_int_sql('low')}, {_int_sql('info')},"
            f" {_text_sql('base_families', JSON_LIMIT + 1)}, {_text_sql('cards', JSON_LIMIT + 1)},"
            f" {_text_sql('repository_suppressions')} FROM servers ORDER BY name")]
        runs, version = db.execute(f"SELECT COUNT(*), MAX({_text_sql('mcpharden_version')}) FROM runs").fetchone()
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{db_path}: not a readable results database ({error})") from None
    finally:
        db.close()
    return Ecosystem(tuple(servers), _count(runs), _text(version))


def _rows(db, table: str, extra: str) -> dict[object, list[Row]]:
    found: dict[object, list[Row]] = {}
    query = (f"SELECT server_id, {_text_sql('severity')}, {_text_sql('rule_id')}, {_text_sql('path')}, {_int_sql('line')},"
             f" {_text_sql('message')}{extra} FROM {table} ORDER BY server_id, path, line")
    for server_id, severity, rule, path, line, message, *by in db.execute(query):
        found.setdefault(server_id, []).append(Row(_severity(severity), _text(rule), _text(path), _count(line), _text(message),
                                                   _text(by[0]) if by else ""))
    return found


def _server(row, findings, suppressed, errors) -> Server:
    server_id, name, location, status, score, grade, high, medium, low, info, families, cards, suppressions = row
    mine = tuple(findings.get(server_id, ()))
    return Server(
        name=_text(name), location=_text(location), status=_text(status),
        score=score if isinstance(score, int) and 0 <= score <= 100 else None,
        grade=grade if grade in GRADES else None,
        counts={"high": _count(high), "medium": _count(medium), "low": _count(low), "info": _count(info)},
        rules=frozenset(f.rule for f in mine),
        families=tuple(_text(f) for f in _json_list(families) if isinstance(f, str)),
        cards=tuple(card for card in _json_list(cards) if isinstance(card, dict)),
        findings=mine, errors=tuple(errors.get(server_id, ())), suppressed=tuple(suppressed.get(server_id, ())),
        suppressions="honoured" if suppressions == "honoured" else "counted",
    )


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


# Markdown -----------------------------------------------------------------------------------------


def markdown(eco: Ecosystem) -> str:
    from mcpharden.reports.markdown import code, text

    audited = len(eco.audited)
    lines = [f"# MCP servers audited by mcpharden {text(eco.version)}", "",
             f"{audited} server(s) audited, {len(eco.servers) - audited} could not be audited, over {eco.runs} run(s).", "",
             "## At a glance", "", "| servers that ... | share |", "| --- | --- |"]
    for key, label in SHARES:
        part, whole = eco.share(key)
        lines.append(f"| {label} | {_percent(part, whole)} ({part} of {whole}) |")
    lines += ["", "## Grades", "", "| grade | servers |", "| --- | --- |"]
    lines += [f"| {grade} | {count} |" for grade, count in eco.grades()]
    lines += ["", "## How often each rule fires", "", "| rule | servers | share |", "| --- | --- | --- |"]
    lines += [f"| {code(rule)} | {count} | {_percent(count, audited)} |" for rule, count in eco.prevalence()]
    lines += ["", "## Base images of the images that ship", "", "| family | servers |", "| --- | --- |"]
    lines += [f"| {text(family)} | {count} |" for family, count in eco.families()]
    lines += ["", "## Worst offenders", "", "| server | score | high | medium | low |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {text(s.name)} | {_shown_score(s)} | {s.counts['high']} | {s.counts['medium']} | {s.counts['low']} |"
              for s in eco.worst()]
    suppressing = [s for s in eco.servers if s.suppressed]
    if suppressing:
        lines += ["", "## Suppressed by the repository", "",
                  "Findings a repository's own `# mcpharden: ignore=` comments or configuration hide. Counted: they stay in "
                  "the grade (an audited repository does not grade itself); honoured: left out "
                  "(`batch --honour-repository-suppressions`).", "",
                  "| server | suppressed | high | rules | treated |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {text(s.name)} | {len(s.suppressed)} | {sum(r.severity == 'high' for r in s.suppressed)} "
                  f"| {', '.join(code(rule) for rule in sorted({r.rule for r in s.suppressed}))} | {s.suppressions} |"
                  for s in suppressing]
    return "\n".join(lines) + "\n"


def _shown_score(server: Server) -> str:
    return f"{server.score} ({server.grade})" if server.score is not None else "–"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


# CSV -------------------------------------------------------------------------------------------------


def findings_csv(eco: Ecosystem) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["server", "location", "severity", "rule_id", "path", "line", "message"])
    for server in eco.servers:
        for f in server.findings:
            writer.writerow([_cell(value) for value in (server.name, server.location, f.severity, f.rule, f.path, f.line, f.message)])
    return out.getvalue()


def _cell(value: object) -> str:
    """A spreadsheet must not read a cell as a formula (CSV injection), and a terminal that shows
    the file must not act on a control character in it."""
    text = escape_control(str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# HTML -----------------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
main{max-width:1080px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 10px}
.lead{color:#4a5561;margin:0 0 18px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px}
.tile{background:#fff;border:1px solid #dfe3e8;border-radius:8px;padding:12px}
.tile b{display:block;font-size:26px}.tile span{color:#4a5561;font-size:13px}
.panel{background:#fff;border:1px solid #dfe3e8;border-radius:8px;padding:14px;margin:12px 0}
table{border-collapse:collapse;width:100%;font-size:14px}td,th{text-align:left;padding:5px 8px;border-bottom:1px solid #eceff3;vertical-align:top}
details{background:#fff;border:1px solid #dfe3e8;border-radius:8px;margin:8px 0;padding:8px 12px}
summary{cursor:pointer;font-weight:600}.sev-high{color:#c92a2a}.sev-medium{color:#d9480f}.sev-low{color:#5c7cfa}.sev-info{color:#868e96}.sev-unknown{color:#868e96}
.grade{display:inline-block;min-width:22px;text-align:center;border-radius:4px;color:#fff;font-weight:700;margin-right:6px}
.g-A{background:#2b8a3e}.g-B{background:#5c940d}.g-C{background:#e67700}.g-D{background:#d9480f}.g-F{background:#c92a2a}.g-None{background:#868e96}
code{font-size:13px}.card td:first-child{color:#4a5561;width:190px}
"""
_GRADE_COLOURS = {"A": "#2b8a3e", "B": "#5c940d", "C": "#e67700", "D": "#d9480f", "F": "#c92a2a"}


def html_report(eco: Ecosystem) -> str:
    """Every value from the database goes through `_h` (text) or a fixed class list (attributes);
    every attribute is quoted, so no value can open an element or an attribute of its own."""
    audited = len(eco.audited)
    tiles = [f'<div class="tile"><b>{audited}</b><span>servers audited</span></div>']
    for key, label in SHARES:
        part, whole = eco.share(key)
        tiles.append(f'<div class="tile"><b>{_percent(part, whole)}</b><span>{_h(label)} ({part} of {whole})</span></div>')
    grades = eco.grades()
    charts = [
        ("Grades", _bar_chart([(g, c) for g, c in grades], [_GRADE_COLOURS[g] for g, _ in grades], audited)),
        ("How often each rule fires (servers with at least one finding)",
         _bar_chart(eco.prevalence(), ["#d9480f"] * len(eco.prevalence()), audited)),
        ("Base images of the images that ship", _bar_chart(eco.families(), ["#1c7ed6"] * len(eco.families()), audited)),
    ]
    worst = "".join(
        f'<tr><td>{_grade(s.grade)}{_h(s.name)}</td><td>{_h(_shown_score(s))}</td><td class="sev-high">{s.counts["high"]}</td>'
        f'<td class="sev-medium">{s.counts["medium"]}</td><td class="sev-low">{s.counts["low"]}</td></tr>' for s in eco.worst())
    servers = "".join(_server_html(s) for s in sorted(eco.servers, key=lambda s: (s.score if s.score is not None else 101, s.name)))
    body = (
        f"<main><h1>MCP servers audited by mcpharden {_h(eco.version)}</h1>"
        f'<p class="lead">{audited} server(s) audited, {len(eco.servers) - audited} could not be audited, over {eco.runs} run(s). '
        "Each server's card is what an attacker who gets code execution inside it holds.</p>"
        f'<div class="tiles">{"".join(tiles)}</div>'
        + "".join(f'<h2>{_h(title)}</h2><div class="panel">{chart}</div>' for title, chart in charts)
        + '<h2>Worst offenders</h2><div class="panel"><table><tr><th>server</th><th>score</th><th>high</th><th>medium</th>'
          f"<th>low</th></tr>{worst}</table></div><h2>Every server</h2>{servers}</main>"
    )
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>mcpharden ecosystem report</title><style>{_CSS}</style></head><body>{body}</body></html>\n")


def _h(value: object) -> str:
    """Text for HTML: control characters and bidirectional overrides shown as escapes (they could
    make a name read as another), then every character HTML gives a meaning escaped, quotes too."""
    return html.escape(escape_control(str(value)), quote=True)


def _grade(grade: str | None) -> str:
    known = grade if grade in GRADES else None
    return f'<span class="grade g-{known}">{known or "–"}</span>'


def _severity_cell(severity: str) -> str:
    return f'<td class="sev-{severity if severity in SEVERITIES else "unknown"}">{_h(severity)}</td>'


def _bar_chart(rows: list[tuple[str, int]], colours: list[str], whole: int) -> str:
    """A horizontal bar chart as inline SVG: a label, a bar, the count and share."""
    if not rows:
        return "<p>Nothing to show.</p>"
    width, label_width, height, gap = 900, 290, 22, 6
    top = max((count for _, count in rows), default=1) or 1
    bars = []
    for index, ((label, count), colour) in enumerate(zip(rows, colours)):
        y = index * (height + gap)
        length = (width - label_width - 120) * count / top
        bars.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" font-size="13" fill="#1d2329">{_h(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{height}" rx="3" fill="{colour}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" font-size="12" fill="#4a5561">{count} ({_percent(count, whole)})</text>')
    total = len(rows) * (height + gap)
    return (f'<svg role="img" viewBox="0 0 {width} {total}" width="100%" xmlns="http://www.w3.org/2000/svg">'
            f'{"".join(bars)}</svg>')


def _server_html(server: Server) -> str:
    head = (f"<summary>{_grade(server.grade)}{_h(server.name)} — score {_h(_shown_score(server))}, "
            f"{server.counts['high']} high, {server.counts['medium']} medium, {server.counts['low']} low</summary>")
    parts = [f"<p><code>{_h(server.location)}</code></p>"]
    parts += [f'<p class="sev-high">could not {_h(step)}: {_h(message)}</p>' for step, message in server.errors]
    parts += [_card_html(card) for card in server.cards]
    if server.findings:
        parts.append(f"<table><tr><th>severity</th><th>rule</th><th>where</th><th>finding</th></tr>{_finding_rows(server.findings)}"
                     "</table>")
    if server.suppressed:
        treated = ("honoured: left out of the score" if server.suppressions == "honoured"
                   else "counted: they stay in the score, a repository does not grade itself")
        parts.append(f"<p>Suppressed by the repository ({_h(treated)}):</p><table><tr><th>severity</th><th>rule</th><th>where</th>"
                     f"<th>finding</th><th>suppressed by</th></tr>{_finding_rows(server.suppressed)}</table>")
    return f"<details>{head}{''.join(parts)}</details>"


def _finding_rows(rows: tuple[Row, ...]) -> str:
    return "".join(f"<tr>{_severity_cell(r.severity)}<td><code>{_h(r.rule)}</code></td><td><code>{_h(r.path)}:{r.line}</code></td>"
                   f"<td>{_h(r.message)}</td>" + (f"<td>{_h(r.suppressed_by)}</td>" if r.suppressed_by else "") + "</tr>"
                   for r in rows)


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
    return '<table class="card">' + "".join(f"<tr><td>{_h(k)}</td><td>{_h(_text(v))}</td></tr>" for k, v in rows) + "</table>"


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
