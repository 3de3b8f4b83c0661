"""`mcpharden db update`: the OSV dumps (one `all.zip` per ecosystem) in a local cache, so that
`mcpharden image --vuln-db auto` matches offline.

Each download is conditional (the ETag of the copy in the cache goes in `If-None-Match`; a 304
keeps it), bounded in size and time (util.http: a deadline per dump, redirects never down to
plain http), written beside the target and moved into place only when complete, and must be a
zip archive. HTTPS only, except for a server on this machine (tests, mirrors). Nothing is
written through a symbolic link: a linked cache folder, dump or metadata file is refused.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mcpharden.errors import UsageError

OSV_URL = "https://osv-vulnerabilities.storage.googleapis.com"
ECOSYSTEMS = ("Debian", "Ubuntu", "Alpine", "npm", "PyPI")
MAX_DOWNLOAD_BYTES = 2 * 1024 ** 3  # the largest dump (Debian) is well under this
TIMEOUT_SECONDS = 60  # one read waiting for data; each dump has an overall deadline too
_ETAG = re.compile(r'(W/)?"[\x21\x23-\x7e]{0,256}"')  # what is sent back in If-None-Match


class DownloadError(UsageError):
    """A dump that could not be fetched or is not an OSV dump (exit code 2)."""


@dataclass(frozen=True)
class Outcome:
    ecosystem: str
    path: Path
    status: str  # "downloaded" | "unchanged"
    size: int


def default_cache() -> Path:
    """The user cache's `osv/` folder, created 0700 or checked (UnsafeCacheError, an OSError,
    when it is not the user's alone: `db update` and `--vuln-db auto` then stop with it)."""
    from mcpharden.util.usercache import cache_folder

    return cache_folder("osv")


def dumps_in(directory: Path) -> list[Path]:
    """The dumps a cache holds (what `--vuln-db auto` matches against)."""
    return sorted(path for path in directory.glob("*-all.zip") if path.is_file() and not path.is_symlink())


def intact_dump(path: Path) -> bool:
    """Whether a dump is whole as far as a cheap look tells: a zip's directory is at its end, so a
    truncated download has none. An altered member fails its CRC-32 when matching reads it."""
    return path.is_file() and not path.is_symlink() and zipfile.is_zipfile(path)


def ecosystems_of(images) -> list[str]:
    """The OSV ecosystems whose advisories apply to these images' packages."""
    from mcpharden.vulns.osv import OSV_ECOSYSTEMS

    found = set()
    for image in images:
        for package in image.packages:
            found.add(OSV_ECOSYSTEMS.get(package.ecosystem) or OSV_ECOSYSTEMS.get((package.ecosystem, image.distro), "Debian"))
    return sorted(found)


def update(directory: Path, ecosystems: list[str], base_url: str = OSV_URL) -> list[Outcome]:
    from mcpharden.util import http

    try:
        http.check_url(base_url)
    except http.HttpError as error:
        raise DownloadError(str(error)) from None
    _refuse_link(directory, "the cache folder")
    directory.mkdir(parents=True, exist_ok=True)
    return [_fetch(directory, ecosystem, base_url) for ecosystem in ecosystems]


def _refuse_link(path: Path, what: str) -> None:
    if path.is_symlink():
        raise DownloadError(f"{path}: {what} is a symbolic link: refused (db update never writes through one)")


def _fetch(directory: Path, ecosystem: str, base_url: str) -> Outcome:
    from mcpharden.util import http

    if ecosystem not in ECOSYSTEMS:
        raise DownloadError(f"unknown ecosystem {ecosystem!r} (known: {', '.join(ECOSYSTEMS)})")
    target = directory / f"{ecosystem}-all.zip"
    meta_path = directory / f"{ecosystem}-all.json"
    _refuse_link(target, "the dump")
    _refuse_link(meta_path, "the dump's metadata")
    meta = _read_meta(meta_path) if intact_dump(target) else {}  # a damaged dump is fetched again, not kept by a 304
    url = f"{base_url.rstrip('/')}/{urllib.parse.quote(ecosystem)}/all.zip"
    etag = meta.get("etag") if isinstance(meta.get("etag"), str) and _ETAG.fullmatch(meta["etag"]) else None
    try:
        with http.request(url, http.Deadline.after(http.DOWNLOAD_SECONDS), idle=TIMEOUT_SECONDS,
                          headers={"If-None-Match": etag} if etag else {}) as response:
            if response.status == 304 and etag:
                return Outcome(ecosystem, target, "unchanged", target.stat().st_size)
            if response.status != 200:
                raise DownloadError(f"{ecosystem}: the server answered {response.status} {response.reason}".rstrip())
            size = _save(response, target, ecosystem)
            etag = response.headers.get("ETag")
    except http.HttpError as error:
        raise DownloadError(f"{ecosystem}: {error}") from None
    kept = etag if isinstance(etag, str) and _ETAG.fullmatch(etag) else None
    _write_beside(meta_path, (json.dumps({"etag": kept, "url": http.shown(url)}) + "\n").encode(), ecosystem)
    return Outcome(ecosystem, target, "downloaded", size)


def _write_beside(target: Path, data: bytes, ecosystem: str) -> None:
    """Written to a new file beside the target, then moved over it: never through a link."""
    handle, temporary = tempfile.mkstemp(prefix=f".{ecosystem}-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


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
