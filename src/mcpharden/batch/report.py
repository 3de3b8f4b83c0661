"""`mcpharden report`: what a batch found, from its results database: one standalone HTML file
(inline CSS and SVG charts, nothing fetched to view it), Markdown, and a CSV of the findings.

The figures are aggregated once (Ecosystem) and rendered per format; every string from the
database is escaped for the format it goes into.
"""

from __future__ import annotations

import csv
import html
import io
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SHARES = (
    ("root", "run as root"),
    ("socket", "mount the engine socket"),
    ("ci_scan", "scan their image in CI (of those with a Dockerfile)"),
    ("dev", "ship dev dependencies"),
    ("secrets", "are given a literal credential"),
    ("everywhere", "publish a port on every interface"),
)


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
    findings: tuple[tuple[str, str, str, int, str], ...]  # severity, rule, path, line, message
    errors: tuple[tuple[str, str], ...]


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
    if not db_path.is_file():
        raise FileNotFoundError(f"{db_path}: no such results database")
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        findings: dict[int, list] = {}
        for server_id, severity, rule, path, line, message in db.execute(
                "SELECT server_id, severity, rule_id, path, line, message FROM findings ORDER BY server_id, path, line"):
            findings.setdefault(server_id, []).append((severity, rule, path, line, message))
        errors: dict[int, list] = {}
        for server_id, step, message in db.execute("SELECT server_id, step, message FROM errors"):
            errors.setdefault(server_id, []).append((step, message))
        servers = []
        for row in db.execute("SELECT id, name, location, status, score, grade, high, medium, low, info, base_families, cards"
                              " FROM servers ORDER BY name"):
            server_id, name, location, status, score, grade, high, medium, low, info, families, cards = row
            mine = tuple(findings.get(server_id, ()))
            servers.append(Server(name, location, status, score, grade, {"high": high, "medium": medium, "low": low, "info": info},
                                  frozenset(f[1] for f in mine), tuple(json.loads(families)), tuple(json.loads(cards)), mine,
                                  tuple(errors.get(server_id, ()))))
        runs, version = db.execute("SELECT COUNT(*), MAX(mcpharden_version) FROM runs").fetchone()
    except sqlite3.DatabaseError as error:
        raise ValueError(f"{db_path}: not a results database ({error})") from None
    finally:
        db.close()
    return Ecosystem(tuple(servers), runs, version or "")


# Markdown -----------------------------------------------------------------------------------------


def markdown(eco: Ecosystem) -> str:
    audited = len(eco.audited)
    lines = [f"# MCP servers audited by mcpharden {eco.version}", "",
             f"{audited} server(s) audited, {len(eco.servers) - audited} could not be audited, over {eco.runs} run(s).", "",
             "## At a glance", "", "| servers that ... | share |", "| --- | --- |"]
    for key, label in SHARES:
        part, whole = eco.share(key)
        lines.append(f"| {label} | {_percent(part, whole)} ({part} of {whole}) |")
    lines += ["", "## Grades", "", "| grade | servers |", "| --- | --- |"]
    lines += [f"| {grade} | {count} |" for grade, count in eco.grades()]
    lines += ["", "## How often each rule fires", "", "| rule | servers | share |", "| --- | --- | --- |"]
    lines += [f"| `{rule}` | {count} | {_percent(count, audited)} |" for rule, count in eco.prevalence()]
    lines += ["", "## Base images of the images that ship", "", "| family | servers |", "| --- | --- |"]
    lines += [f"| {_md(family)} | {count} |" for family, count in eco.families()]
    lines += ["", "## Worst offenders", "", "| server | score | high | medium | low |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {_md(s.name)} | {s.score} ({s.grade}) | {s.counts['high']} | {s.counts['medium']} | {s.counts['low']} |"
              for s in eco.worst()]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return html.escape(str(text)).replace("|", "\\|")


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


# CSV -------------------------------------------------------------------------------------------------


def findings_csv(eco: Ecosystem) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["server", "location", "severity", "rule_id", "path", "line", "message"])
    for server in eco.servers:
        for severity, rule, path, line, message in server.findings:
            writer.writerow([_cell(server.name), _cell(server.location), severity, rule, _cell(path), line, _cell(message)])
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet must not read a cell as a formula (CSV injection)."""
    text = str(text)
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
summary{cursor:pointer;font-weight:600}.sev-high{color:#c92a2a}.sev-medium{color:#d9480f}.sev-low{color:#5c7cfa}.sev-info{color:#868e96}
.grade{display:inline-block;min-width:22px;text-align:center;border-radius:4px;color:#fff;font-weight:700;margin-right:6px}
.g-A{background:#2b8a3e}.g-B{background:#5c940d}.g-C{background:#e67700}.g-D{background:#d9480f}.g-F{background:#c92a2a}.g-None{background:#868e96}
code{font-size:13px}.card td:first-child{color:#4a5561;width:190px}
"""
_GRADE_COLOURS = {"A": "#2b8a3e", "B": "#5c940d", "C": "#e67700", "D": "#d9480f", "F": "#c92a2a"}


def html_report(eco: Ecosystem) -> str:
    audited = len(eco.audited)
    e = html.escape
    tiles = [f'<div class="tile"><b>{audited}</b><span>servers audited</span></div>']
    for key, label in SHARES:
        part, whole = eco.share(key)
        tiles.append(f'<div class="tile"><b>{_percent(part, whole)}</b><span>{e(label)} ({part} of {whole})</span></div>')
    grades = eco.grades()
    charts = [
        ("Grades", _bar_chart([(g, c) for g, c in grades], [_GRADE_COLOURS[g] for g, _ in grades], audited)),
        ("How often each rule fires (servers with at least one finding)",
         _bar_chart(eco.prevalence(), ["#d9480f"] * len(eco.prevalence()), audited)),
        ("Base images of the images that ship", _bar_chart(eco.families(), ["#1c7ed6"] * len(eco.families()), audited)),
    ]
    worst = "".join(
        f"<tr><td>{_grade(s.grade)}{e(s.name)}</td><td>{s.score}</td><td class=sev-high>{s.counts['high']}</td>"
        f"<td class=sev-medium>{s.counts['medium']}</td><td class=sev-low>{s.counts['low']}</td></tr>" for s in eco.worst())
    servers = "".join(_server_html(s) for s in sorted(eco.servers, key=lambda s: (s.score if s.score is not None else 101, s.name)))
    body = (
        f"<main><h1>MCP servers audited by mcpharden {e(eco.version)}</h1>"
        f"<p class=lead>{audited} server(s) audited, {len(eco.servers) - audited} could not be audited, over {eco.runs} run(s). "
        "Each server's card is what an attacker who gets code execution inside it holds.</p>"
        f"<div class=tiles>{''.join(tiles)}</div>"
        + "".join(f"<h2>{e(title)}</h2><div class=panel>{chart}</div>" for title, chart in charts)
        + f"<h2>Worst offenders</h2><div class=panel><table><tr><th>server</th><th>score</th><th>high</th><th>medium</th>"
          f"<th>low</th></tr>{worst}</table></div><h2>Every server</h2>{servers}</main>"
    )
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>mcpharden ecosystem report</title><style>{_CSS}</style></head><body>{body}</body></html>\n")


def _grade(grade: str | None) -> str:
    return f'<span class="grade g-{html.escape(str(grade))}">{html.escape(grade or "–")}</span>'


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
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" font-size="13" fill="#1d2329">{html.escape(str(label))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{height}" rx="3" fill="{colour}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" font-size="12" fill="#4a5561">{count} ({_percent(count, whole)})</text>')
    total = len(rows) * (height + gap)
    return (f'<svg role="img" viewBox="0 0 {width} {total}" width="100%" xmlns="http://www.w3.org/2000/svg">'
            f'{"".join(bars)}</svg>')


def _server_html(server: Server) -> str:
    e = html.escape
    head = (f"<summary>{_grade(server.grade)}{e(server.name)} — score {server.score if server.score is not None else '–'}, "
            f"{server.counts['high']} high, {server.counts['medium']} medium, {server.counts['low']} low</summary>")
    parts = [f"<p><code>{e(server.location)}</code></p>"]
    parts += [f"<p class=sev-high>could not {e(step)}: {e(message)}</p>" for step, message in server.errors]
    parts += [_card_html(card) for card in server.cards]
    if server.findings:
        rows = "".join(f"<tr><td class=sev-{e(sev)}>{e(sev)}</td><td><code>{e(rule)}</code></td><td><code>{e(path)}:{line}</code></td>"
                       f"<td>{e(message)}</td></tr>" for sev, rule, path, line, message in server.findings)
        parts.append(f"<table><tr><th>severity</th><th>rule</th><th>where</th><th>finding</th></tr>{rows}</table>")
    return f"<details>{head}{''.join(parts)}</details>"


def _card_html(card: dict) -> str:
    e = html.escape

    def yes(value) -> str:
        return "unknown" if value is None else ("yes" if value else "no")

    mounts = "; ".join(f"{m['source']} → {m['target']} ({'read-only' if m['read_only'] else 'writable'}"
                       f"{', ' + m['sensitive'] if m['sensitive'] else ''})" for m in card.get("host_mounts", [])) or "none"
    ports = "; ".join(f"{p['interface']}:{p['host_port']} → {p['container_port']}" for p in card.get("published_ports", [])) or "none"
    rows = [
        ("user", f"{card.get('user')} ({card.get('user_evidence', '')})"),
        ("shell / package manager", f"{yes(card.get('shell'))} / {card.get('package_manager') or 'none known'}"),
        ("download tools", ", ".join(card.get("download_tools", [])) or "none"),
        ("root file system writable", yes(card.get("writable_root_filesystem"))),
        ("can rewrite its own code", yes(card.get("can_rewrite_own_code"))),
        ("engine socket / privileged", f"{yes(card.get('engine_socket'))} / {yes(card.get('privileged'))}"),
        ("capabilities added", ", ".join(card.get("capabilities_added", [])) or "none"),
        ("host namespaces", ", ".join(card.get("host_namespaces", [])) or "none"),
        ("host mounts", mounts), ("published ports", ports),
        ("secret names", ", ".join(card.get("secret_names", [])) or "none"), ("egress", str(card.get("egress"))),
    ]
    return "<table class=card>" + "".join(f"<tr><td>{e(k)}</td><td>{e(str(v))}</td></tr>" for k, v in rows) + "</table>"
