"""OSV advisories, read offline from a directory of OSV JSON files or the per-ecosystem
`all.zip` dumps, matched against an image's packages with each ecosystem's version order.

Only advisories that name a package the image has are kept, so a full dump streams
through in one pass without being held in memory. A dump is read with bounds on what it really
holds, not on what its zip directory says: the directory's size and entries are bounded before
it is loaded, and each member is inflated a chunk at a time, counting the bytes that come out.
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mcpharden.errors import UsageError
from mcpharden.vulns.versions import COMPARATORS, InvalidVersion

if TYPE_CHECKING:
    from mcpharden.model.image import ImageModel, Package

MAX_ADVISORY_BYTES = 8 * 1024**2
# A dump: entries, zip directory (loaded whole, one object per entry) and all its advisories
# inflated together. OSV's largest dumps hold a few hundred thousand advisories.
MAX_ARCHIVE_MEMBERS = 1_000_000
MAX_DIRECTORY_BYTES = 64 * 1024**2
MAX_ARCHIVE_BYTES = 8 * 1024**3
READ_CHUNK = 64 * 1024
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
    # The advisory's CVSS v3 base score when it gives a vector: code scanning ranks by it.
    cvss: float | None = None


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
        _check_directory(path)
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ARCHIVE_MEMBERS:
                raise VulnDbError(f"{path}: more than {MAX_ARCHIVE_MEMBERS:,} entries")
            left = MAX_ARCHIVE_BYTES
            for info in infos:
                if info.filename.endswith(".json") and info.file_size <= MAX_ADVISORY_BYTES:
                    data = _member(archive, info, path)
                    left -= len(data)
                    if left < 0:
                        raise VulnDbError(f"{path}: its advisories inflate past {MAX_ARCHIVE_BYTES:,} bytes")
                    yield data
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise VulnDbError(f"{path}: not a directory of OSV JSON files or an OSV all.zip ({error})") from None


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """One advisory, inflated a chunk at a time: a member whose directory entry understates its
    size is stopped at the bound (zipfile would inflate it whole in one call first)."""
    if info.flag_bits & 0x1:
        raise VulnDbError(f"{path}: {info.filename[:200]!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        # bzip2 and lzma inflate without an output bound per call; OSV writes deflate.
        raise VulnDbError(f"{path}: {info.filename[:200]!r} uses compression method {info.compress_type}, which is not read")
    parts, total = [], 0
    with archive.open(info) as member:
        while chunk := member.read(READ_CHUNK):
            total += len(chunk)
            if total > MAX_ADVISORY_BYTES:
                raise VulnDbError(f"{path}: {info.filename[:200]!r} inflates past {MAX_ADVISORY_BYTES} bytes")
            parts.append(chunk)
    return b"".join(parts)


def _check_directory(path: Path) -> None:
    """The zip directory's entries and size as its end record (or the zip64 one just before it,
    where zipfile reads it) states them, checked before zipfile loads the directory into memory."""
    with open(path, "rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        start = max(0, end - 22 - 65535 - 76)
        handle.seek(start)
        tail = handle.read()
    # Where zipfile looks: the end record with no comment, else the last one in the tail.
    no_comment = len(tail) >= 22 and tail[-22:-18] == b"PK\x05\x06" and tail[-2:] == b"\0\0"
    at = len(tail) - 22 if no_comment else tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return  # not a zip: zipfile says so
    entries = int.from_bytes(tail[at + 10:at + 12], "little")
    size = int.from_bytes(tail[at + 12:at + 16], "little")
    record = tail[at - 76:at - 20] if at >= 76 and tail[at - 20:at - 16] == b"PK\x06\x07" else b""
    if record[:4] == b"PK\x06\x06":  # zip64: the real values are there
        entries = int.from_bytes(record[32:40], "little")
        size = int.from_bytes(record[40:48], "little")
    if entries > MAX_ARCHIVE_MEMBERS:
        raise VulnDbError(f"{path}: more than {MAX_ARCHIVE_MEMBERS:,} entries")
    if size > MAX_DIRECTORY_BYTES:
        raise VulnDbError(f"{path}: a zip directory larger than {MAX_DIRECTORY_BYTES // 1024**2} MiB")


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
                    cvss=cvss_score(advisory),
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
    score = cvss_score(advisory)
    if score is not None:
        return "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"
    return "medium"


def cvss_score(advisory: dict) -> float | None:
    """The base score of the advisory's first CVSS v3 vector that computes."""
    for entry in advisory.get("severity") or []:
        if isinstance(entry, dict) and str(entry.get("type", "")).startswith("CVSS_V3"):
            score = cvss3_base_score(str(entry.get("score", "")))
            if score is not None:
                return score
    return None


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
