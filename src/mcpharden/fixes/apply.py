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


def plan_paths(paths: list[str], options, digests: Path | None, resolve: bool, rewrite_distroless: bool) -> list:
    """The fix plan of every path (fixes.plan.FixReport)."""
    from mcpharden.fixes.plan import load_digests, plan_fixes
    from mcpharden.scan import ensure_valid_config

    ensure_valid_config(options.config_path)
    known = load_digests(digests) if digests else {}
    resolver = None
    if resolve:
        from mcpharden.fixes.digests import resolve_digest as resolver
    return [plan_fixes(Path(path), options, known, resolver, rewrite_distroless) for path in paths]


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
