"""Writing fixed files: only below the root, never through a symlink, atomically, and only
over the bytes that were planned on.

Every path component below the root is opened relative to its parent's descriptor with
`O_NOFOLLOW`, so a symlinked directory or file anywhere on the way is refused, even one that
points back inside the root; a missing directory is created there. The new content goes to a
temporary file beside the target and replaces it with `os.replace`, keeping the target's
mode. A file whose bytes changed since they were read (another editor, a second fix run) is
skipped. Every problem is an outcome with a reason, never an exception.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcpharden.fixes import FilePlan

_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
NEW_FILE_MODE = 0o644


@dataclass(frozen=True)
class WriteOutcome:
    path: str
    written: bool
    reason: str = ""  # why it was not written


class _Refused(Exception):
    pass


def write_plan(root: Path, plan: FilePlan, backup: str | None = None) -> WriteOutcome:
    """`backup`: a suffix; the file's bytes as they were are first kept beside it under its name
    plus that suffix (a new file, never one that exists or a symlink)."""
    try:
        parts = _parts(plan.path)
        directory = _open_directories(root, parts[:-1], create=not plan.original)
        try:
            _replace(directory, parts[-1], plan, backup)
        finally:
            os.close(directory)
    except _Refused as refusal:
        return WriteOutcome(plan.path, False, str(refusal))
    except OSError as error:
        return WriteOutcome(plan.path, False, f"could not write: {error.strerror or error}")
    return WriteOutcome(plan.path, True)


def _parts(relative: str) -> list[str]:
    path = PurePosixPath(relative)
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts):
        raise _Refused("not a plain path below the root")
    return list(path.parts)


def _open_directories(root: Path, names: list[str], create: bool) -> int:
    """A descriptor of root/names..., each step checked; missing steps made when `create`."""
    try:
        descriptor = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as error:
        raise _Refused(f"cannot open the root: {error.strerror or error}") from None
    for name in names:
        try:
            child = os.open(name, _DIRECTORY_FLAGS, dir_fd=descriptor)
        except FileNotFoundError:
            if not create:
                os.close(descriptor)
                raise _Refused("its directory disappeared since it was read") from None
            try:
                os.mkdir(name, 0o755, dir_fd=descriptor)
                child = os.open(name, _DIRECTORY_FLAGS, dir_fd=descriptor)
            except OSError as error:
                os.close(descriptor)
                raise _Refused(f"cannot create directory {name}: {error.strerror or error}") from None
        except OSError as error:
            os.close(descriptor)
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                raise _Refused(f"{name} is a symlink or not a directory: not written through") from None
            raise
        os.close(descriptor)
        descriptor = child
    return descriptor


def _replace(directory: int, name: str, plan: FilePlan, backup: str | None = None) -> None:
    expected = plan.original_bytes() if plan.original else None
    mode = NEW_FILE_MODE
    try:
        info = os.lstat(name, dir_fd=directory)
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise _Refused("is a symlink: not written through")
        if not stat.S_ISREG(info.st_mode):
            raise _Refused("is not a regular file")
        if expected is None:
            raise _Refused("exists already (it was not there when the fix was planned)")
        if _current_bytes(directory, name, len(expected)) != expected:
            raise _Refused("changed since it was read: run fix again")
        mode = stat.S_IMODE(info.st_mode)
        if not os.access(name, os.W_OK, dir_fd=directory) or not mode & stat.S_IWUSR:
            raise _Refused("is read-only")
    elif expected is not None:
        raise _Refused("disappeared since it was read")
    if backup and expected is not None:
        _keep(directory, name + backup, expected, mode)
    temporary = f".{name}.mcpharden-{secrets.token_hex(4)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600,
                         dir_fd=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(plan.fixed_bytes())
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=directory)
        except OSError:
            pass
        raise


def _keep(directory: int, name: str, data: bytes, mode: int) -> None:
    """The backup: created new (O_EXCL, no symlink followed), written whole before the file changes."""
    try:
        descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode & 0o600 or 0o600,
                             dir_fd=directory)
    except FileExistsError:
        raise _Refused(f"the backup {name} exists already: not overwritten") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _current_bytes(directory: int, name: str, expected_size: int) -> bytes | None:
    try:
        descriptor = os.open(name, _READ_FLAGS, dir_fd=directory)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(expected_size + 1)
