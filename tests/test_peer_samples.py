"""mcpharden against the labelled samples of KICS, Trivy's checks, Checkov and hadolint
(../shared/peer-samples): every verdict agrees with the peer's label, or the disagreement is
listed with its reason in tests/peer_disagreements.toml. docs/accuracy.md shows the figures
(`make accuracy` writes it)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from mcpharden.scan import ScanOptions, scan_target

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "peer-samples"
DISAGREEMENTS = Path(__file__).with_name("peer_disagreements.toml")


def verdicts() -> list[tuple[str, bool, bool]]:
    """(peer/check/sample, the peer's label, mcpharden's verdict) for every sample."""
    found = []
    for labels in sorted(SAMPLES.glob("*/*/*/labels.json")):
        label = json.loads(labels.read_text())
        rules = tuple(label["our_rule"].split("|"))
        result = scan_target(labels.parent, ScanOptions(select=rules))
        flagged = any(finding.rule_id in rules for finding in result.findings)
        found.append(("/".join(labels.parent.parts[-3:]), bool(label["expect_flagged"]), flagged))
    return found


def test_every_disagreement_with_a_peer_is_by_design():
    if not SAMPLES.is_dir():
        pytest.skip(f"the peer samples are absent ({SAMPLES})")
    documented = tomllib.loads(DISAGREEMENTS.read_text())
    listed = documented["disagreements"]
    assert set(listed.values()) <= set(documented["reasons"]), "a disagreement names an unknown reason"
    results = verdicts()
    assert len(results) > 250
    disagreeing = {sample for sample, expected, flagged in results if expected != flagged}
    assert sorted(disagreeing - set(listed)) == [], "disagreements without a documented reason"
    assert sorted(set(listed) - disagreeing) == [], "listed disagreements that now agree: remove them"
