"""Baselines: adopt mcpharden without fixing everything on day one.

`--write-baseline FILE` records the findings of a scan by fingerprint (rule, file and
message, without line numbers, so an edit that only moves a finding keeps it matched);
`--baseline FILE` then leaves those findings out and reports only new ones. A fingerprint
seen twice in the baseline forgives two findings, not more.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

FORMAT = "mcpharden-baseline/1"


class BaselineError(Exception):
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
