"""Text for people: findings grouped by file, each with why and how to fix; a summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcpharden.model.findings import NOTE, PARSE_ERROR, SUPPRESSION
from mcpharden.reports.entries import entries, places_text
from mcpharden.safety import escape_control

if TYPE_CHECKING:
    from mcpharden.reports import Report

# ANSI styles per severity, for a terminal (NO_COLOR / FORCE_COLOR decide in the CLI).
_STYLES = {"HIGH": "\033[1;31m", "MEDIUM": "\033[33m", "LOW": "\033[36m", "INFO": "\033[2m"}
_RESET = "\033[0m"


def render(report: Report, quiet: bool = False, colour: bool = False, cards: bool = False) -> str:
    """The report for people; `quiet`: one line per finding, nothing else; `cards`: each
    server's blast radius after its findings."""
    if quiet:
        return _quiet(report, colour)
    lines: list[str] = []
    several = len(report.results) > 1
    for result in report.results:
        if several:
            lines.append(f"== {escape_control(result.target)} ==")
        lines.extend(_entry_lines(entries(result.findings, report.rule), colour))
        if result.scope == "clients":
            lines.extend(_client_servers(result))
        if cards:
            for card in result.cards:
                lines.extend(card_lines(card))
        for heading, kind in (("Parse errors (nothing in these files was judged):", PARSE_ERROR),
                              ("Suppressions that hide nothing, or no longer:", SUPPRESSION),
                              ("Not scanned or only partly scanned:", NOTE)):
            notices = [n for n in result.notices if n.kind == kind or (kind == NOTE and n.kind not in (PARSE_ERROR, SUPPRESSION))]
            if notices:
                lines.append(heading)
                lines.extend(f"  {escape_control(n.path)}{f':{n.line}' if n.line else ''}: {escape_control(n.message)}"
                             for n in notices)
                lines.append("")
        if not result.findings:
            lines.append(f"No findings in {escape_control(result.target)}")
            lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def render_page(report: Report, findings, notes: list[str], footer: list[str]) -> str:
    """One page of a long report (`mcpharden serve`'s answers): the page's findings as entries,
    `notes` (the files not scanned), the whole report's summary line, then `footer` (which page
    this is, what was not read)."""
    lines = _entry_lines(entries(findings, report.rule), colour=False) + notes
    lines.append(_summary(report))
    return "\n".join(lines + footer) + "\n"


# Places listed with an entry that stands for the same weakness in several places.
PLACES_SHOWN = 12
DOCUMENTATION_HEADING = "In documentation (README and docs examples: they do not ship, so they come last)"


def _entry_lines(listed, colour: bool) -> list[str]:
    """Entries under the file of their first place; documentation entries last, under a heading
    of their own."""
    lines: list[str] = []
    heading = None
    explained: set[tuple[str, ...]] = set()  # a rule's why and fix are printed once per target
    for entry in listed:
        current = DOCUMENTATION_HEADING if entry.documentation else escape_control(entry.path)
        if current != heading:
            if heading is not None:
                lines.append("")
            lines.append(current)
            heading = current
        lines.append(f"  {_severity(entry.severity.name, colour)}  {entry.rule_label}  "
                     f"{escape_control(entry.path)}:{entry.line}")
        lines.append(f"          {escape_control(entry.message)}")
        if len(entry.places) > 1:
            lines.append(f"          in {len(entry.places)} places: {places_text(entry, PLACES_SHOWN, escape_control)}")
        if len(entry.rule_ids) > 1:
            lines.append(f"          rules: {', '.join(entry.rule_ids)}")
        if entry.rule_ids in explained:
            lines.append(f"          why and fix: as for {entry.rule_label} above")
        else:
            explained.add(entry.rule_ids)
            lines.append(f"          why: {entry.why}")
            lines.append(f"          fix: {entry.fix}")
    return lines + [""] if lines else lines


def card_lines(card) -> list[str]:
    """A server card for a terminal: what an attacker inside the server holds."""
    def yes(value) -> str:
        return "unknown" if value is None else ("yes" if value else "no")

    def listed(items) -> str:
        return ", ".join(escape_control(str(item)) for item in items) or "none"

    mounts = [f"{escape_control(m.source)} → {escape_control(m.target)} ({'read-only' if m.read_only else 'writable'}"
              f"{', ' + m.sensitive if m.sensitive else ''}) at {escape_control(m.where)}" for m in card.host_mounts]
    ports = [f"{p.interface}:{p.host_port} → {p.container_port} at {escape_control(p.where)}" for p in card.published_ports]
    fetched = [f"{escape_control(f.package)} from {f.registry} ({escape_control(f.reference)}) at {escape_control(f.where)}" for f in card.fetched_at_start]
    outside = {"helper": "not in the grade", "documentation": "weighed apart in the grade"}.get(card.role, "")
    role = f" [{card.role}: {escape_control(card.role_reason)}; {outside}]" if outside else ""
    lost = ", ".join(f"-{loss.points} {loss.dimension}" for loss in card.losses) or "nothing lost"
    return [
        f"Blast radius of {escape_control(card.name)}{role}: {card.headline}",
        *([f"  score          {card.score}/100 (grade {card.grade}): {lost}"] if card.score is not None else []),
        f"  user           {card.user} ({escape_control(card.user_evidence)})",
        f"  tools          shell: {yes(card.shell)} · package manager: {card.package_manager or 'none known'}"
        f" · download tools: {listed(card.download_tools)}",
        f"  file system    root writable: {yes(card.writable_root_filesystem)} · can rewrite its own code: {yes(card.can_rewrite_own_code)}"
        f" · writable by every user: {listed(card.world_writable_paths)}",
        f"  host access    engine socket: {yes(card.engine_socket)} · privileged: {yes(card.privileged)}"
        f" · capabilities added: {listed(card.capabilities_added)} · host namespaces: {listed(card.host_namespaces)}",
        f"  host mounts    {'; '.join(mounts) or 'none'}",
        f"  ports          {'; '.join(ports) or 'none published'}",
        f"  secrets        {listed(card.secret_names)} (names only)"
        + (f" · credential files in the image: {listed(card.secret_files)}" if card.secret_files else ""),
        f"  open to others {'; '.join(f'{e.kind}: {escape_control(e.what)} at {escape_control(e.where)}' for e in card.open_entries) or 'nothing found'}",
        f"  at each start  {'downloads ' + '; '.join(fetched) if fetched else 'downloads nothing'}",
        *([f"  API tokens     {listed(card.service_account_tokens)} (Kubernetes service accounts)"]
          if card.service_account_tokens else []),
        *([f"  confinement    {listed(card.unconfined)}"] if card.unconfined else []),
        f"  egress         {card.egress}",
        "",
    ]


def _quiet(report: Report, colour: bool) -> str:
    lines = [f"{escape_control(finding.path)}:{finding.line}: {_severity(finding.severity.name, colour, pad=False)} "
             f"{finding.rule_id}: {escape_control(finding.message)}" for _, finding in report.findings]
    return "".join(line + "\n" for line in lines)


def _severity(name: str, colour: bool, pad: bool = True) -> str:
    padded = f"{name:<6}" if pad else name
    return f"{_STYLES[name]}{padded}{_RESET}" if colour else padded


def _client_servers(result) -> list[str]:
    """The laptop audit lists every server, container or not (the latter are not findings)."""
    if not result.servers:
        return [f"No MCP client configuration found under {escape_control(result.target)}.", ""]
    lines = ["MCP servers configured for this user:"]
    for server in result.servers:
        where = "container" if server.in_container else "not in a container"
        lines.append(f"  {server.client:<14} {escape_control(server.name):<24} {where:<20} "
                     f"{escape_control(server.path)}:{server.line}  ({escape_control(server.command)})")
    return lines + [""]


def _summary(report: Report) -> str:
    # CRITICAL is named only when there is one: most scans have none, and the line stays short.
    counts = ", ".join(f"{count} {label}" for label, count in report.counts().items() if count or label != "critical")
    files = sum(result.files_scanned for result in report.results)
    suppressed = sum(result.suppressed for result in report.results)
    extra = f", {suppressed} suppressed" if suppressed else ""
    if report.nothing_scanned and report.notices:
        return "Summary: nothing scanned: no file could be read and parsed (see above), so there is no score."
    if report.nothing_scanned:
        return ("Summary: nothing scanned: no Dockerfile, compose file, Kubernetes manifest, CI definition or MCP "
                "client configuration was found, so there is no score.")
    unparsed = ""
    if report.parse_errors:
        gate = " (the gate fails)" if report.fail_on_parse_error and report.fail_on is not None else ""
        unparsed = f" {len(report.parse_errors)} file(s) do not parse{gate}."
    verdict = report.verdict
    judged = (f"Container score: {verdict.score}/100 (grade {verdict.grade}), {escape_control(verdict.reason)}."
              if verdict.graded else f"Not graded: {escape_control(verdict.reason)}.")
    return f"Summary: {counts}{extra} in {files} file(s) scanned. {judged}{unparsed}"
