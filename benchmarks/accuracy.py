"""Write docs/accuracy.md: mcpharden's verdicts on the labelled samples of KICS, Trivy's checks,
Checkov and hadolint (../shared/peer-samples), beside hadolint's own on the Dockerfile samples
its rules cover, and the by-design differences (tests/peer_disagreements.toml)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_peer_samples import DISAGREEMENTS, SAMPLES, verdicts  # noqa: E402

# hadolint's rules that judge what an mcpharden rule judges, on Dockerfiles.
HADOLINT_RULES = {"root-user": {"DL3002"}, "image-not-pinned-by-digest": {"DL3006", "DL3007"}, "no-healthcheck": {"DL3057"}}

# Checkov's checks that judge what an mcpharden rule judges (Dockerfiles and Kubernetes;
# Checkov does not read compose files). On Checkov's own samples, the sample's check decides.
CHECKOV_RULES = {
    "root-user": {"CKV_DOCKER_3", "CKV_DOCKER_8", "CKV_K8S_23"},
    "image-not-pinned-by-digest": {"CKV_DOCKER_7", "CKV_K8S_14", "CKV_K8S_43"},
    "no-healthcheck": {"CKV_DOCKER_2"},
    "privileged-container": {"CKV_K8S_16"},
    "host-namespace-shared": {"CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"},
    "privilege-escalation-allowed": {"CKV_K8S_20"},
    "root-filesystem-writable": {"CKV_K8S_22"},
    "dangerous-capability-added": {"CKV_K8S_25", "CKV_K8S_39"},
    "docker-socket-mount": {"CKV_K8S_27"},
    "capabilities-not-dropped": {"CKV_K8S_28", "CKV_K8S_37"},
}
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def checkov_failures() -> dict[str, set[str]] | None:
    """Checkov's failed checks per sample folder (peer/check/sample), from one run over all
    samples; None when Checkov is not installed (`make accuracy` installs it)."""
    if not CHECKOV.exists():
        return None
    done = subprocess.run([str(CHECKOV), "-d", str(SAMPLES), "--framework", "dockerfile", "kubernetes", "-o", "json",
                           "--quiet", "--skip-download"], capture_output=True, text=True, timeout=600)
    reports = json.loads(done.stdout or "[]")
    failures: dict[str, set[str]] = defaultdict(set)
    for report in reports if isinstance(reports, list) else [reports]:
        for failed in report.get("results", {}).get("failed_checks", []):
            sample = "/".join(Path(failed["file_path"].lstrip("/")).parts[:3])
            failures[sample].add(failed["check_id"])
    return failures


def checkov_verdict(failures: dict[str, set[str]], sample: str, label: dict, folder: Path) -> bool | None:
    """Whether Checkov flags the sample for the mcpharden rule's concern; None where it cannot judge."""
    if (folder / "docker-compose.yml").exists():
        return None
    checks = {label["check"]} if label["peer"] == "checkov" and "-" not in label["check"] else \
        set().union(*(CHECKOV_RULES.get(rule, set()) for rule in label["our_rule"].split("|")))
    if label["peer"] == "checkov" and "-" in label["check"]:  # CKV_K8S_17-19
        prefix, _, last = label["check"].rpartition("_")
        first, end = last.split("-")
        checks = {f"{prefix}_{number}" for number in range(int(first), int(end) + 1)}
    if not checks:
        return None
    return bool(failures.get(sample, set()) & checks)


def hadolint_flags(dockerfile: Path, codes: set[str]) -> bool | None:
    binary = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(binary).exists():
        return None
    done = subprocess.run([binary, "--format", "json", "--no-fail", str(dockerfile)], capture_output=True, text=True, timeout=60)
    try:
        return any(item.get("code") in codes for item in json.loads(done.stdout or "[]"))
    except ValueError:
        return None


def main() -> None:
    documented = tomllib.loads(DISAGREEMENTS.read_text())
    ours = {sample: (expected, flagged) for sample, expected, flagged in verdicts()}
    checkov = checkov_failures()
    # samples, ours, hadolint agreed, hadolint judged, checkov agreed, checkov judged
    rows: dict[tuple[str, str, str], list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for labels in sorted(SAMPLES.glob("*/*/*/labels.json")):
        label = json.loads(labels.read_text())
        sample = "/".join(labels.parent.parts[-3:])
        expected, flagged = ours[sample]
        row = rows[(label["peer"], label["check"], label["our_rule"])]
        row[0] += 1
        row[1] += expected == flagged
        codes = HADOLINT_RULES.get(label["our_rule"])
        dockerfile = labels.parent / "Dockerfile"
        if codes and dockerfile.exists():
            verdict = hadolint_flags(dockerfile, codes)
            if verdict is not None:
                row[2] += verdict == expected
                row[3] += 1
        if checkov is not None and (verdict := checkov_verdict(checkov, sample, label, labels.parent)) is not None:
            row[4] += verdict == expected
            row[5] += 1
    lines = ["# Accuracy against other scanners' labelled samples", "",
             "Generated by `make accuracy` from `../shared/peer-samples` (the test samples of KICS, Trivy's checks,",
             "Checkov and hadolint for the checks that overlap mcpharden's rules). A sample agrees when mcpharden",
             "flags it exactly when the peer's label says it should. hadolint, run on the same Dockerfile samples",
             "with its own matching rules (DL3002 for root-user, DL3006/DL3007 for pinning, DL3057 for health",
             "checks), and Checkov (its Dockerfile and Kubernetes checks for the same concern; on Checkov's own",
             "samples, the sample's check; Checkov does not read compose files) are shown beside it.", "",
             "| peer | check | mcpharden rule | samples | mcpharden agrees | hadolint agrees | Checkov agrees |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    totals = Counter()
    for (peer, check, rule), (samples, agreed, hadolint_agreed, hadolint_judged, checkov_agreed, checkov_judged) in sorted(rows.items()):
        hadolint = f"{hadolint_agreed}/{hadolint_judged}" if hadolint_judged else "–"
        checkov_shown = f"{checkov_agreed}/{checkov_judged}" if checkov_judged else "–"
        shown = " or ".join(f"`{r}`" for r in rule.split("|"))
        lines.append(f"| {peer} | {check} | {shown} | {samples} | {agreed}/{samples} | {hadolint} | {checkov_shown} |")
        totals["samples"] += samples
        totals["agreed"] += agreed
        totals[f"{peer}-samples"] += samples
        totals[f"{peer}-agreed"] += agreed
        for tool, tool_agreed, tool_judged in (("hadolint", hadolint_agreed, hadolint_judged), ("checkov", checkov_agreed, checkov_judged)):
            totals[f"{peer}-{tool}-agreed"] += tool_agreed
            totals[f"{peer}-{tool}-judged"] += tool_judged
            totals[f"all-{tool}-agreed"] += tool_agreed
            totals[f"all-{tool}-judged"] += tool_judged
    lines += ["", "| peer | samples | mcpharden agrees | hadolint agrees (of those it judges) | Checkov agrees (of those it judges) |",
              "| --- | --- | --- | --- | --- |"]
    totals["all-samples"], totals["all-agreed"] = totals["samples"], totals["agreed"]
    for peer in sorted({peer for peer, _, _ in rows}) + ["all"]:
        tools = [_share(totals[f"{peer}-{tool}-agreed"], totals[f"{peer}-{tool}-judged"]) for tool in ("hadolint", "checkov")]
        lines.append(f"| {peer} | {totals[peer + '-samples']} | {_share(totals[peer + '-agreed'], totals[peer + '-samples'])} | "
                     f"{tools[0]} | {tools[1]} |")
    differences = len(documented["disagreements"])
    lines += ["", f"Where mcpharden's rule means what the peer's check means, it agrees on every sample: "
                  f"{totals['agreed']} of {totals['samples'] - differences}; the other {differences} are the differences below."]
    reasons = Counter(documented["disagreements"].values())
    lines += ["", "## The differences, all by design", "",
              "Every disagreement is listed, sample by sample, in `tests/peer_disagreements.toml`, and the tests fail on",
              "any other. They come from what mcpharden's rules mean:", "", "| reason | samples |", "| --- | --- |"]
    for key, count in reasons.most_common():
        lines.append(f"| {documented['reasons'][key]} | {count} |")
    (ROOT / "docs" / "accuracy.md").write_text("\n".join(lines) + "\n")
    print(f"docs/accuracy.md: {totals['agreed']}/{totals['samples']} agree")


def _share(agreed: int, judged: int) -> str:
    return f"{agreed}/{judged} ({100 * agreed // judged}%)" if judged else "–"


if __name__ == "__main__":
    main()
