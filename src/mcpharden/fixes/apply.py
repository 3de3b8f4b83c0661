"""`mcpharden fix` from its arguments to what it tells the user: a plan for every path (with the
digests given in a file or asked of registries), then each plan shown as a diff or written, and
what was left undecided. Errors are UsageErrors; the command line prints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Told:
    """One thing `mcpharden fix` tells the user, in order."""

    kind: str  # "diff" (a plan's diff: standard output, as it is), "fixed" (a file written),
    # "not written" (a write refused: exit code 2), "left" (what was not fixed, as fixes.shown_decisions
    # writes it: gated, every line ended; standard error)
    text: str


def plan_paths(paths: list[str], options, digests: Path | None, resolve: bool, rewrite_distroless: bool,
               all_services: bool = False) -> list:
    """The fix plan of every path (fixes.plan.FixReport)."""
    from mcpharden.fixes.plan import load_digests, plan_fixes
    from mcpharden.scan import ensure_valid_config

    ensure_valid_config(options.config_path)
    known = load_digests(digests) if digests else {}
    resolver = None
    if resolve:
        from mcpharden.fixes.digests import resolve_digest as resolver
    return [plan_fixes(Path(path), options, known, resolver, rewrite_distroless, all_services=all_services) for path in paths]


def apply_plans(reports: list, write: bool) -> Iterator[Told]:
    """Each plan's diff, or (with `write`) each plan written; then the decisions left."""
    from mcpharden.fixes import shown_decisions
    from mcpharden.fixes.writer import write_plan

    for report in reports:
        for plan in report.plans:
            if not write:
                yield Told("diff", plan.diff())
                continue
            outcome = write_plan(report.root, plan)
            if outcome.written:
                yield Told("fixed", f"fixed {plan.path}")
            else:
                yield Told("not written", f"mcpharden: not written: {plan.path}: {outcome.reason}")
        if report.decisions:
            yield Told("left", shown_decisions(report.decisions))


def left_over(paths: list[str], options, reports: list, written: bool, fail_on: str | None) -> list:
    """The findings at or above `fail_on` (else the configuration's `fail-on`, else high) that
    the fix leaves: after `--write`, what a new scan of every path still finds; in a dry run, what
    the scan finds now less what the plans resolve. Every selected rule counts, not only the ones
    `fix` can edit, so that `fix --write && git commit` cannot pass over work left to a person."""
    from mcpharden.model.findings import fail_threshold
    from mcpharden.scan import scan_target

    left = []
    for path, report in zip(paths, reports):
        result = scan_target(Path(path), options)
        threshold = fail_threshold(fail_on or result.config.fail_on or "high")
        if threshold is None:
            continue
        left.extend(f for f in result.findings if f.severity >= threshold
                    and (written or (f.path, f.rule_id) not in report.fixed))
    return left


def shown_left_over(findings: list, written: bool) -> str:
    """What `fix` tells about the findings it leaves, through the credential gate."""
    from mcpharden.safety import shown_line

    if not findings:
        return ""
    one = len(findings) == 1
    when = f"{'remains' if one else 'remain'} after the fix" if written else "would remain after this fix"
    lines = [f"{len(findings)} finding{'' if one else 's'} at or above the --fail-on level {when} "
             "(exit code 1 unless --exit-zero):"]
    lines += [f"  {f.path}:{f.line}: {f.rule_id} ({f.severity.name.lower()})" for f in findings]
    return "".join(shown_line(line) + "\n" for line in lines)


def fix_clients(home: Path, write: bool) -> Iterator[Told]:
    """`fix --clients`: each client file's diff, or (with `write`) each file written after a
    timestamped backup beside it; then what was left and what to rotate."""
    from datetime import datetime, timezone

    from mcpharden.fixes import shown_decisions
    from mcpharden.fixes.clients import plan_client_fixes
    from mcpharden.fixes.writer import write_plan
    from mcpharden.scan import TargetError

    if not home.is_dir():
        raise TargetError(f"{home}: not a directory")
    report = plan_client_fixes(home)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for plan in report.plans:
        if not write:
            yield Told("diff", plan.diff())
            continue
        backup = f".mcpharden-{stamp}.bak"
        outcome = write_plan(home, plan, backup)
        if outcome.written:
            yield Told("fixed", f"fixed {plan.path} (backup: {plan.path}{backup})")
        else:
            yield Told("not written", f"mcpharden: not written: {plan.path}: {outcome.reason}")
    if report.decisions:
        yield Told("left", shown_decisions(report.decisions).replace("Not fixed automatically:", "Left to you, and what changed:", 1))


def clients_left_over(home: Path, options, planned: dict[str, str], fail_on: str | None) -> list:
    """The laptop audit's findings at or above `fail_on` the fix leaves (see left_over): files it
    does not change as a scan finds them, files it plans to change (`planned`: path → fixed text,
    a dry run) as a scan of the fixed text finds them."""
    from mcpharden.model.findings import fail_threshold
    from mcpharden.scan import scan_clients, scan_text

    result = scan_clients(home, options)
    threshold = fail_threshold(fail_on or result.config.fail_on or "high")
    if threshold is None:
        return []
    findings = [f for f in result.findings if f.path not in planned]
    for path, text in planned.items():
        findings.extend(scan_text(path, text, options).findings)
    return [f for f in findings if f.severity >= threshold]
