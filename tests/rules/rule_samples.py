"""The rules' samples (tests/data/<rule-id>/), read and scanned as a user would scan them.

A sample is named `bad` or `good`, alone or followed by `-what` and/or `.ext`:

- a file (`bad.Dockerfile`, `good.compose.yaml`, `bad-run.sh`) is a repository that holds
  only that file, under that name (so its name must be one discovery knows);
- a folder (`bad/`, `good-vscode/`) is a repository tree. Two names in it are not repository
  files: `image.toml` describes a built image (what `docker build` of the tree's Dockerfile
  gives, as far as the rules read it), audited with the tree as `scan --image` does, and
  `osv/` holds OSV advisories, passed as `--vuln-db`.

image.toml: `tag` (default "example/mcp:1"), `[config]` (the image config: User, Env,
ExposedPorts, Healthcheck) and `[[files]]` (one layer: `path`, and `text`, `mode` (0o4755),
`kind` ("dir", "symlink" with `link`), `uid`).
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from imagebuilder import Entry, Image, layer, oci_archive
from mcpharden.rules.pages import samples_root
from mcpharden.scan import ScanOptions, TargetResult, scan_target

SAMPLE_NAME = re.compile(r"^(?P<kind>bad|good)(?:-[a-z0-9-]+)?(?:\.[A-Za-z0-9.]+)?$")
NOT_IN_THE_REPOSITORY = ("image.toml", "osv")


@dataclass(frozen=True)
class Sample:
    rule_id: str
    path: Path

    @property
    def kind(self) -> str:
        return SAMPLE_NAME.match(self.path.name)["kind"]

    @property
    def name(self) -> str:
        return f"{self.rule_id}/{self.path.name}"

    @property
    def image(self) -> Path | None:
        description = self.path / "image.toml"
        return description if description.is_file() else None

    def __str__(self) -> str:
        return self.name


def samples(rule_id: str) -> list[Sample]:
    folder = samples_root() / rule_id
    return [Sample(rule_id, path) for path in sorted(folder.iterdir())] if folder.is_dir() else []


def repository(sample: Sample, where: Path) -> Path:
    """A copy of the sample as the repository it stands for (the samples live in this
    project, whose own configuration must not apply to them)."""
    root = where / "repository"
    if sample.path.is_dir():
        shutil.copytree(sample.path, root, ignore=lambda folder, names: [n for n in names if n in NOT_IN_THE_REPOSITORY
                                                                         and Path(folder) == sample.path])
    else:
        root.mkdir(parents=True)
        shutil.copyfile(sample.path, root / sample.path.name)
    return root


def build_image(description: Path, archive: Path) -> Path:
    """The image an image.toml describes, as an oci-archive."""
    data = tomllib.loads(description.read_text(encoding="utf-8"))
    entries = []
    for file in data.get("files", []):
        kind = file.get("kind", "file")
        mode = file.get("mode", 0o755 if kind == "dir" else 0o644)
        entries.append(Entry(file["path"], file.get("text", "").encode("utf-8"), mode, kind, file.get("link", ""), file.get("uid", 0)))
    return oci_archive(archive, Image([layer(*entries)], data.get("config", {}), tag=data.get("tag", "example/mcp:1")))


def scan_sample(sample: Sample, where: Path, select: tuple[str, ...] | None = None) -> TargetResult:
    """The sample scanned for its rule (or `select`), with its image and advisories."""
    root = repository(sample, where)
    images = (build_image(sample.image, where / "image.tar"),) if sample.image else ()
    osv = sample.path / "osv"
    vuln_dbs = (osv,) if osv.is_dir() else ()
    return scan_target(root, ScanOptions(select=select or (sample.rule_id,), images=images, vuln_dbs=vuln_dbs))


def findings_of(result: TargetResult, rule_id: str) -> list:
    return [f for f in result.findings if f.rule_id == rule_id]
