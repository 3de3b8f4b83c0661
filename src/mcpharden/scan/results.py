"""What a scan gives back (TargetResult), and what is done with results before they are
reported: a baseline, and --min-severity.

Baselines: adopt mcpharden without fixing everything on day one.

`--write-baseline FILE` records the findings of a scan by fingerprint (rule, file and
message, without line numbers, so an edit that only moves a finding keeps it matched);
`--baseline FILE` then leaves those findings out and reports only new ones. A fingerprint
seen twice in the baseline forgives two findings, not more.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mcpharden.errors import UsageError

if TYPE_CHECKING:
    from mcpharden.model.container import ClientServer
    from mcpharden.model.findings import Finding, Notice
    from mcpharden.scan.config import Config
    from mcpharden.scan.suppression import RepositorySuppression

FORMAT = "mcpharden-baseline/1"


@dataclass(frozen=True)
class TargetResult:
    """Everything a scan found in one target, ready for the reports."""

    target: str  # as the user named it
    root: str  # the directory finding paths are relative to, as a posix path
    config: Config
    findings: tuple[Finding, ...]
    notices: tuple[Notice, ...]
    files_scanned: int
    suppressed: int
    scope: str = "repository"  # "repository" | "files" | "clients"
    # MCP servers that client configurations start (the laptop audit lists them all).
    servers: tuple[ClientServer, ...] = ()
    # Built images audited (`mcpharden image`), for the SBOM.
    images: tuple = ()
    # The blast radius of what was scanned (mcpharden.verdicts.cards).
    cards: tuple = ()
    # `scan --image`: the Dockerfile the images were built from, where SARIF places the findings
    # that point at the images' own paths.
    image_dockerfile: str | None = None
    image_paths: tuple[str, ...] = ()
    # Base-image families of the images the Dockerfiles ship (debian, distroless, ...).
    base_families: tuple[str, ...] = ()
    # The stage names of each Dockerfile read, so that a `--target` naming none is told so.
    dockerfile_stages: tuple[tuple[str, ...], ...] = ()
    # What the repository's own suppressions hide: left out of `findings` when honoured, kept in
    # them (and listed here) when not (ScanOptions.use_repository_config).
    repository_suppressions: tuple[RepositorySuppression, ...] = ()


class BaselineError(UsageError):
    """A baseline file that cannot be read or is not a baseline (exit code 2)."""


def write_baseline(path: Path, results) -> None:
    entries = [{"fingerprint": finding.fingerprint, "rule_id": finding.rule_id, "path": finding.path}
               for result in results for finding in result.findings]
    document = {"format": FORMAT, "findings": sorted(entries, key=lambda e: (e["path"], e["rule_id"], e["fingerprint"]))}
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise BaselineError(f"cannot write {path}: {error.strerror or error}") from None


def read_baseline(path: Path) -> Counter[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise BaselineError(f"{path}: not JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("findings"), list):
        raise BaselineError(f"{path}: not an mcpharden baseline (write one with --write-baseline)")
    return Counter(entry["fingerprint"] for entry in document["findings"]
                   if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str))


def apply_baseline(known: Counter[str], results) -> tuple:
    """The results without the findings the baseline knows; they count as suppressed."""
    remaining = Counter(known)
    filtered = []
    for result in results:
        kept = []
        for finding in result.findings:
            if remaining[finding.fingerprint] > 0:
                remaining[finding.fingerprint] -= 1
            else:
                kept.append(finding)
        forgiven = len(result.findings) - len(kept)
        filtered.append(replace(result, findings=tuple(kept), suppressed=result.suppressed + forgiven))
    return tuple(filtered)


def prepared(results: tuple, record: Path | None = None, known: Path | None = None, min_severity: str | None = None,
             severities: tuple[str, ...] | None = None) -> tuple:
    """The results as they are reported: recorded as the baseline (`--write-baseline`), without
    the findings a baseline knows (`--baseline`), those below `--min-severity` and those of a
    severity `--severity` does not list."""
    if record:
        write_baseline(record, results)
    if known:
        results = apply_baseline(read_baseline(known), results)
    if min_severity:
        results = _at_least(results, min_severity)
    if severities:
        results = _only(results, severities)
    return results


def _only(results, levels: tuple[str, ...]):
    from mcpharden.model.findings import Severity

    wanted = {Severity.parse(level) for level in levels}
    return tuple(replace(result, findings=tuple(f for f in result.findings if f.severity in wanted)) for result in results)


def _at_least(results, level: str):
    from dataclasses import replace

    from mcpharden.model.findings import Severity

    threshold = Severity.parse(level)
    return tuple(replace(result, findings=tuple(f for f in result.findings if f.severity >= threshold)) for result in results)
