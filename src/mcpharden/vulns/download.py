"""`mcpharden db update`: the OSV dumps (one `all.zip` per ecosystem) in a local cache, so that
`mcpharden image --vuln-db auto` matches offline.

Each download is conditional (the ETag of the copy in the cache goes in `If-None-Match`; a 304
keeps it), bounded in size, written beside the target and moved into place only when complete,
and must be a zip archive. HTTPS only, except for a server on this machine (tests, mirrors).
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mcpharden.errors import UsageError

OSV_URL = "https://osv-vulnerabilities.storage.googleapis.com"
ECOSYSTEMS = ("Debian", "Ubuntu", "Alpine", "npm", "PyPI")
MAX_DOWNLOAD_BYTES = 2 * 1024 ** 3  # the largest dump (Debian) is well under this
TIMEOUT_SECONDS = 60
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class DownloadError(UsageError):
    """A dump that could not be fetched or is not an OSV dump (exit code 2)."""


@dataclass(frozen=True)
class Outcome:
    ecosystem: str
    path: Path
    status: str  # "downloaded" | "unchanged"
    size: int


def default_cache() -> Path:
    from mcpharden.util.usercache import user_cache

    return user_cache("osv")


def dumps_in(directory: Path) -> list[Path]:
    """The dumps a cache holds (what `--vuln-db auto` matches against)."""
    return sorted(path for path in directory.glob("*-all.zip") if path.is_file() and not path.is_symlink())


def ecosystems_of(images) -> list[str]:
    """The OSV ecosystems whose advisories apply to these images' packages."""
    from mcpharden.vulns.osv import OSV_ECOSYSTEMS

    found = set()
    for image in images:
        for package in image.packages:
            found.add(OSV_ECOSYSTEMS.get(package.ecosystem) or OSV_ECOSYSTEMS.get((package.ecosystem, image.distro), "Debian"))
    return sorted(found)


def update(directory: Path, ecosystems: list[str], base_url: str = OSV_URL) -> list[Outcome]:
    _check_url(base_url)
    directory.mkdir(parents=True, exist_ok=True)
    return [_fetch(directory, ecosystem, base_url) for ecosystem in ecosystems]


def _check_url(base_url: str) -> None:
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return
    raise DownloadError(f"{base_url}: only https (or http on this machine) is used")


def _fetch(directory: Path, ecosystem: str, base_url: str) -> Outcome:
    if ecosystem not in ECOSYSTEMS:
        raise DownloadError(f"unknown ecosystem {ecosystem!r} (known: {', '.join(ECOSYSTEMS)})")
    target = directory / f"{ecosystem}-all.zip"
    meta_path = directory / f"{ecosystem}-all.json"
    meta = _read_meta(meta_path) if target.is_file() else {}
    request = urllib.request.Request(f"{base_url.rstrip('/')}/{urllib.parse.quote(ecosystem)}/all.zip",
                                     headers={"User-Agent": "mcpharden"})
    if meta.get("etag"):
        request.add_header("If-None-Match", meta["etag"])
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Outcome(ecosystem, target, "unchanged", target.stat().st_size)
        raise DownloadError(f"{ecosystem}: the server answered {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        raise DownloadError(f"{ecosystem}: {getattr(error, 'reason', error)}") from None
    with response:
        size = _save(response, target, ecosystem)
        etag = response.headers.get("ETag")
    meta_path.write_text(json.dumps({"etag": etag, "url": request.full_url}) + "\n", encoding="utf-8")
    return Outcome(ecosystem, target, "downloaded", size)


def _save(response, target: Path, ecosystem: str) -> int:
    """Stream to a file beside the target, check it is a zip, then move it into place."""
    handle, temporary = tempfile.mkstemp(prefix=f".{ecosystem}-", suffix=".part", dir=target.parent)
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := response.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise DownloadError(f"{ecosystem}: larger than {MAX_DOWNLOAD_BYTES // 1024 ** 3} GiB: not kept")
                out.write(chunk)
        if not zipfile.is_zipfile(temporary):
            raise DownloadError(f"{ecosystem}: the download is not a zip archive: not kept")
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return size


def _read_meta(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}
