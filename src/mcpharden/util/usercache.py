"""The user's cache of mcpharden (`$XDG_CACHE_HOME/mcpharden`, else `~/.cache/mcpharden`): what
makes the next run faster (parser and knowledge tables, audits of image digests, OSV dumps,
clones). Everything in it can be rebuilt; a cache that cannot be written is simply not used.

Whoever can write in the cache chooses what a later run believes (parser tables, image audits,
advisories, clones), so it is the user's alone: every folder of it is created 0700 (missing
parents too), and an existing one that is a symbolic link, belongs to someone else or that
others may write is refused (`cache_folder`). Each entry starts with the SHA-256 of the rest
(`write_entry`) and is used only when it matches (`read_entry`): a truncated or altered entry
is rebuilt, never trusted.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path


class UnsafeCacheError(OSError):
    """A cache folder mcpharden will not use; the message says which and why."""


def _base() -> str:
    """Where the cache lives. OSError when there is no cache to have: no XDG_CACHE_HOME and no
    home directory (an arbitrary container uid without HOME); callers then run without it."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG rule: a relative value is invalid. Taken as it is, it would put the cache under
    # whatever folder mcpharden runs in, such as the checkout of the repository it scans.
    if os.path.isabs(base):
        return base
    try:
        return str(Path.home() / ".cache")
    except RuntimeError:
        raise OSError("no user cache: neither XDG_CACHE_HOME nor a home directory is set") from None


_ready: dict[tuple[str, ...], Path] = {}  # folders checked in this process: one check per start


def cache_folder(*parts: str) -> Path:
    """The folder `mcpharden/<parts>` of the cache, created with its missing parents (0700) or
    checked. UnsafeCacheError when the folder that holds the cache lets others replace
    `mcpharden/`, or when a folder of the cache is a symbolic link, is someone else's or others
    may write it; OSError when there is no cache to have or it cannot be created."""
    folder = _ready.get(parts)
    if folder is None:
        base = Path(_base())
        _check_holder(base)
        folder = private_folder(base.joinpath("mcpharden", *parts), below=base)
        _ready[parts] = folder
    return folder


def optional_cache_folder(*parts: str) -> Path | None:
    """`cache_folder` for a cache that only saves time (parser and knowledge tables, image
    audits): None means run without it. A refused folder is said once per process on stderr."""
    try:
        return cache_folder(*parts)
    except UnsafeCacheError as error:
        _notice_once(error)
    except OSError:
        pass  # no home, a read-only file system: uncached, as before
    return None


_noticed: list[str] = []


def _notice_once(error: UnsafeCacheError) -> None:
    if not _noticed:
        from mcpharden.safety import escape_control  # only here: a refusal is rare

        _noticed.append(str(error))
        print(escape_control(f"mcpharden: notice: {error}; running without the cache"), file=sys.stderr)


def private_folder(path: Path, below: Path | None = None) -> Path:
    """Create `path` and its missing parents 0700, or check that the existing one is a real
    folder of the current user that no one else may write (UnsafeCacheError otherwise); with
    `below`, every folder from there down to `path` is checked. Returns `path`. Batch calls it
    for each clone."""
    missing, folder = [], path
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)  # os.makedirs would give the parents the umask's mode
        except FileExistsError:
            pass  # another process made it meanwhile: checked below like any other
    checked = path.parts[len(below.parts):] if below is not None else path.parts[-1:]
    for depth in range(len(path.parts) - len(checked) + 1, len(path.parts) + 1):
        _check_own(Path(*path.parts[:depth]))
    return path


def _check_own(folder: Path) -> None:
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeCacheError(f"the cache folder {folder} is a symbolic link: mcpharden does not use it")
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeCacheError(f"the cache folder {folder} is not a folder")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise UnsafeCacheError(f"the cache folder {folder} belongs to uid {info.st_uid}, not to you (uid {os.getuid()}):"
                               " mcpharden does not use it")
    if info.st_mode & 0o022:
        raise UnsafeCacheError(f"the cache folder {folder} can be written by others (mode {stat.S_IMODE(info.st_mode):04o}):"
                               " mcpharden does not use it (chmod 700 it, or remove it)")
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)  # made by an older mcpharden (0755): private, as new ones are


def _check_holder(base: Path) -> None:
    """The folder the cache lives in ($XDG_CACHE_HOME, ~/.cache) may be shared, like /tmp, when
    only owners can rename or delete what is in it (the sticky bit): then `mcpharden/`, which
    must be the user's, cannot be swapped. Created 0700 with its parents when missing."""
    try:
        info = os.stat(base)  # a symbolic link here is the user's own setting: followed
    except FileNotFoundError:
        private_folder(base)
        return
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeCacheError(f"the cache folder {base} is not a folder")
    mode = stat.S_IMODE(info.st_mode)
    if hasattr(os, "getuid") and info.st_uid not in (os.getuid(), 0):
        raise UnsafeCacheError(f"the folder {base} that holds the cache belongs to uid {info.st_uid}, not to you:"
                               " mcpharden does not use it")
    if mode & 0o022 and not mode & stat.S_ISVTX:
        raise UnsafeCacheError(f"the folder {base} that holds the cache can be written by others and has no sticky bit"
                               f" (mode {mode:04o}): anyone could replace the cache; mcpharden does not use it")


def _sha256():
    """hashlib loads OpenSSL, about 2.5 ms: more than all the cache reads of a scan together. The
    interpreter's own SHA-256 loads in 0.2 ms and hashes a scan's entries in well under one;
    OpenSSL's is five times faster, so it is taken when something already loaded it."""
    if "hashlib" in sys.modules:  # already paid for by whatever imported it
        return sys.modules["hashlib"].sha256
    # Named by version: a failed import walks the whole sys.path, costing more than the hash.
    try:
        if sys.version_info >= (3, 12):
            from _sha2 import sha256
        else:
            from _sha256 import sha256
    except ImportError:  # an interpreter built without it
        from hashlib import sha256
    return sha256


def read_entry(path: Path) -> str | None:
    """The text of a cache entry whose digest matches; None when it is missing, truncated,
    altered or unreadable (the caller rebuilds it)."""
    sha256 = _sha256()
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    head, newline, body = data.partition(b"\n")
    if not newline or head != b"sha256:" + sha256(body).hexdigest().encode():
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def write_entry(path: Path, text: str) -> bool:
    """Store `text` as a cache entry that carries its own SHA-256: written beside the target
    (0600) and moved into place, so a reader never sees half a file. The folder comes from
    `cache_folder`. False when it could not be written."""
    import tempfile  # only a first run writes: most start-ups never need it

    sha256 = _sha256()
    body = text.encode("utf-8")
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(b"sha256:" + sha256(body).hexdigest().encode() + b"\n" + body)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return True
    except OSError:
        return False
