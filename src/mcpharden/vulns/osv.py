"""OSV advisories, read offline from a directory of OSV JSON files or the per-ecosystem
`all.zip` dumps, matched against an image's packages with each ecosystem's version order.

Only advisories that name a package the image has are kept, so a full dump streams
through in one pass without being held in memory.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mcpharden.errors import UsageError
from mcpharden.model.image import ImageModel, Package
from mcpharden.vulns.versions import COMPARATORS, InvalidVersion

MAX_ADVISORY_BYTES = 8 * 1024**2
# OSV ecosystem (before any ":release") for each of our package ecosystems and distros.
OSV_ECOSYSTEMS = {"npm": "npm", "pypi": "PyPI", ("deb", "debian"): "Debian", ("deb", "ubuntu"): "Ubuntu", "apk": "Alpine"}
GHSA_SEVERITY = {"LOW": "low", "MODERATE": "medium", "MEDIUM": "medium", "HIGH": "high", "CRITICAL": "critical"}


class VulnDbError(UsageError, ValueError):
    """The database path is missing or unreadable (exit code 2)."""


@dataclass(frozen=True)
class Vulnerability:
    advisory: str
    aliases: tuple[str, ...]
    package: Package
    fixed: str | None
    severity: str  # low | medium | high | critical
    summary: str


def _ecosystem(package: Package, image: ImageModel) -> str:
    return OSV_ECOSYSTEMS.get(package.ecosystem) or OSV_ECOSYSTEMS.get((package.ecosystem, image.distro), "Debian")


def _names(package: Package) -> set[str]:
    if package.ecosystem == "pypi":
        return {re.sub(r"[-_.]+", "-", package.name).lower()}
    return {package.name, package.source} - {""}


def _release_matches(osv_ecosystem: str, image: ImageModel) -> bool:
    """`Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04:LTS` must match the image's release; a
    bare ecosystem matches any."""
    _, colon, release = osv_ecosystem.partition(":")
    if not colon:
        return True
    release = release.split(":", 1)[0].lstrip("v")
    return bool(image.distro_version) and (image.distro_version == release or image.distro_version.startswith(release + "."))


def _documents(path: Path) -> Iterator[bytes]:
    if not path.exists():
        raise VulnDbError(f"{path}: no such file or directory")
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            if file.is_file() and file.stat().st_size <= MAX_ADVISORY_BYTES:
                yield file.read_bytes()
        return
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.endswith(".json") and info.file_size <= MAX_ADVISORY_BYTES:
                    yield archive.read(info)
    except (zipfile.BadZipFile, OSError) as error:
        raise VulnDbError(f"{path}: not a directory of OSV JSON files or an OSV all.zip ({error})") from None


def match(images: list[ImageModel], databases: list[Path], ignore_unfixed: bool = False) -> dict[int, list[Vulnerability]]:
    """Vulnerabilities per image (by position in `images`)."""
    index: dict[tuple[str, str], list[tuple[int, Package]]] = {}
    for position, image in enumerate(images):
        for package in image.packages:
            for name in _names(package):
                index.setdefault((_ecosystem(package, image), name), []).append((position, package))
    found: dict[int, list[Vulnerability]] = {}
    seen: set[tuple[int, str, str, str]] = set()
    for database in databases:
        for raw in _documents(database):
            for position, vulnerability in _advisory_matches(raw, index, images, ignore_unfixed):
                key = (position, vulnerability.advisory, vulnerability.package.name, vulnerability.package.version)
                if key not in seen:
                    seen.add(key)
                    found.setdefault(position, []).append(vulnerability)
    return found


def _advisory_matches(raw: bytes, index, images, ignore_unfixed) -> Iterator[tuple[int, Vulnerability]]:
    try:
        advisory = json.loads(raw)
    except ValueError:
        return
    if not isinstance(advisory, dict) or advisory.get("withdrawn"):
        return
    for affected in advisory.get("affected") or []:
        package_info = affected.get("package") or {}
        osv_ecosystem = str(package_info.get("ecosystem", ""))
        name = str(package_info.get("name", ""))
        base = osv_ecosystem.split(":", 1)[0]
        if base == "PyPI":
            name = re.sub(r"[-_.]+", "-", name).lower()
        for position, package in index.get((base, name), []):
            if not _release_matches(osv_ecosystem, images[position]):
                continue
            affected_now, fixed = _affects(affected, package)
            if affected_now and not (ignore_unfixed and fixed is None):
                yield position, Vulnerability(
                    advisory=str(advisory.get("id", "?")),
                    aliases=tuple(str(a) for a in advisory.get("aliases") or []),
                    package=package,
                    fixed=fixed,
                    severity=severity_of(advisory, affected),
                    summary=str(advisory.get("summary") or advisory.get("details", ""))[:200],
                )


def _affects(affected: dict, package: Package) -> tuple[bool, str | None]:
    compare = COMPARATORS[package.ecosystem]
    version = package.version
    try:
        if version in (affected.get("versions") or []):
            return True, _fixed_after(affected, version, compare)
        for version_range in affected.get("ranges") or []:
            if version_range.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue
            if _in_range(version_range.get("events") or [], version, compare):
                return True, _fixed_after(affected, version, compare)
    except InvalidVersion:
        return False, None
    return False, None


def _in_range(events: list[dict], version: str, compare) -> bool:
    """OSV's evaluation: walk the events in version order; introduced turns it on, fixed,
    limit and a passed last_affected turn it off."""
    def value(event: dict) -> str:
        return next(iter(event.values()), "0")

    def order(event: dict):
        from functools import cmp_to_key

        return cmp_to_key(lambda a, b: -1 if a == "0" and b != "0" else 1 if b == "0" and a != "0" else compare(a, b))(value(event))

    affected = False
    for event in sorted((e for e in events if isinstance(e, dict) and e), key=order):
        if "introduced" in event:
            if event["introduced"] == "0" or compare(version, event["introduced"]) >= 0:
                affected = True
        elif "fixed" in event or "limit" in event:
            if compare(version, event.get("fixed") or event.get("limit")) >= 0:
                affected = False
        elif "last_affected" in event:
            if compare(version, event["last_affected"]) > 0:
                affected = False
    return affected


def _fixed_after(affected: dict, version: str, compare) -> str | None:
    candidates = [e["fixed"] for r in affected.get("ranges") or [] for e in r.get("events") or [] if isinstance(e, dict) and "fixed" in e]
    later = [f for f in candidates if compare(f, version) > 0]
    if not later:
        return None
    best = later[0]
    for candidate in later[1:]:
        if compare(candidate, best) < 0:
            best = candidate
    return best


# Severity --------------------------------------------------------------------------------------------


def severity_of(advisory: dict, affected: dict) -> str:
    for source in (advisory.get("database_specific") or {}, affected.get("database_specific") or {},
                   affected.get("ecosystem_specific") or {}):
        label = str(source.get("severity", "")).upper()
        if label in GHSA_SEVERITY:
            return GHSA_SEVERITY[label]
    for entry in advisory.get("severity") or []:
        if str(entry.get("type", "")).startswith("CVSS_V3"):
            score = cvss3_base_score(str(entry.get("score", "")))
            if score is not None:
                return "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"
    return "medium"


_CVSS = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}, "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62}, "C": {"H": 0.56, "L": 0.22, "N": 0}, "I": {"H": 0.56, "L": 0.22, "N": 0},
    "A": {"H": 0.56, "L": 0.22, "N": 0},
}


def cvss3_base_score(vector: str) -> float | None:
    """The CVSS v3.x base score of a vector string (FIRST's formula)."""
    try:
        metrics = dict(part.split(":", 1) for part in vector.split("/")[1:])
        changed = metrics["S"] == "C"
        privileges = {"N": 0.85, "L": 0.68 if changed else 0.62, "H": 0.5 if changed else 0.27}[metrics["PR"]]
        impact_base = 1 - (1 - _CVSS["C"][metrics["C"]]) * (1 - _CVSS["I"][metrics["I"]]) * (1 - _CVSS["A"][metrics["A"]])
        exploitability = 8.22 * _CVSS["AV"][metrics["AV"]] * _CVSS["AC"][metrics["AC"]] * privileges * _CVSS["UI"][metrics["UI"]]
    except (KeyError, ValueError):
        return None
    impact = 7.52 * (impact_base - 0.029) - 3.25 * (impact_base - 0.02) ** 15 if changed else 6.42 * impact_base
    if impact <= 0:
        return 0.0
    total = min(1.08 * (impact + exploitability), 10) if changed else min(impact + exploitability, 10)
    return math.ceil(total * 10 - 1e-9) / 10
