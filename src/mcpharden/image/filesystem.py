"""A layer's entries and the final file system they build: tar members turned into files (names
normalized, what climbs out of the root refused, the contents the rules need kept), whiteouts
and opaque whiteouts applied to a tree indexed by directory."""

from __future__ import annotations

import contextlib
import lzma
import posixpath
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcpharden.image import ImageError, inventory, tarstream
from mcpharden.image.streams import _Budget, _layer_stream
from mcpharden.knowledge.image_contents import secret_candidate
from mcpharden.model.image import ImageFile, Package

if TYPE_CHECKING:
    from mcpharden.image.layout import _Blobs

MAX_ENTRIES = 2_000_000  # tar entries in one image
MAX_CONTENT_BYTES = 1024**2  # small files kept for the rules (/etc/passwd)
KEPT_CONTENTS = frozenset({"/etc/passwd", "/etc/group"})
MAX_SECRET_CANDIDATE_BYTES = 64 * 1024
# A layer listed again is replayed from memory when it was at most this large.
MAX_REPLAYED_ENTRIES = 100_000
MAX_REPLAYED_TEXT = 32 * 1024**2


def _normalize(name: str) -> str | None:
    """`./usr/bin/sh` → `/usr/bin/sh`; names that climb out of the root are refused."""
    if "\\" not in name and ".." not in name and "//" not in name and "/./" not in name and not name.endswith("/."):
        # What nearly every layer entry looks like: one slice, not a split and a join.
        path = name[2:] if name.startswith("./") else name.lstrip("/")
        path = path.rstrip("/")
        return "/" + path if path not in ("", ".") else "/"
    parts = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            return None
        parts.append(part)
    return "/" + "/".join(parts)


@dataclass(slots=True)  # one per tar entry of every layer: built fast, never shared
class _Entry:
    """One tar entry of a layer: the file it puts in the tree and the part of its content the
    rules keep. A layer listed again replays the same objects."""

    file: ImageFile
    text: str | None  # kept content (passwd, secret candidates, package databases)
    packages: tuple[Package, ...] | None = None  # parsed from package.json / METADATA as read


class _LayerReader:
    """Streams layers as entries; a layer listed again (in this image or another of the
    archive) is replayed from memory instead of being decompressed again."""

    def __init__(self, blobs: _Blobs, source_bytes: Callable[[], int]) -> None:
        self.blobs = blobs
        self.budget = _Budget(source_bytes)
        self.replays: dict[str, list[_Entry] | None] = {}
        self.entries = 0

    def entries_of(self, layer: str, what: str) -> Iterator[_Entry]:
        replay = self.replays.get(layer)
        if replay is not None:
            for entry in replay:
                self._count(what)
                yield entry
            return
        kept: list[_Entry] | None = []
        kept_text = 0
        try:
            with self.blobs.open(layer) as raw:
                with contextlib.closing(_layer_stream(raw, what, self.budget)) as stream:
                    for member, read in tarstream.members(stream):
                        self._count(what)
                        entry = _entry(member, read)
                        if entry is None:
                            continue
                        kept_text += len(entry.text or "")
                        if kept is not None and (len(kept) >= MAX_REPLAYED_ENTRIES or kept_text > MAX_REPLAYED_TEXT):
                            kept = None  # too large to hold: read it again if it is listed again
                        if kept is not None:
                            kept.append(entry)
                        yield entry
                # After the decoder (and its thread) stopped reading: the rest, and the checks.
                self.blobs.finish(raw)
        except self.blobs.errors as error:  # a registry's: the message says what failed
            raise ImageError(str(error)) from None
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as error:
            raise ImageError(f"{what}: corrupt or truncated ({error})") from None
        except Exception as error:  # zstandard.ZstdError and other decoder errors
            if isinstance(error, ImageError):
                raise
            raise ImageError(f"{what}: corrupt or truncated ({error})") from None
        self.replays[layer] = kept

    def _count(self, what: str) -> None:
        self.entries += 1
        if self.entries > MAX_ENTRIES:
            raise ImageError(f"{what}: more than {MAX_ENTRIES} entries in the archive's images")


# Tar type flags as the model names them; anything else (devices, FIFOs) is "other", recorded
# and never opened.
_KINDS = {b"5": "dir", b"2": "symlink", b"1": "hardlink", **dict.fromkeys(tarstream.FILE_TYPES, "file")}


def _entry(member: tarstream.Member, read) -> _Entry | None:
    path = _normalize(member.name)
    if path is None or path == "/":
        return None
    kind = _KINDS.get(member.type, "other")
    text = None
    limit = _content_limit(path, member.size) if kind == "file" else 0
    if limit:
        text = read(limit).decode("utf-8", "replace")
    packages = None
    if text is not None and inventory.per_package(path):
        text, packages = None, tuple(inventory.packages_in(path, text))  # never held as text
    return _Entry(ImageFile(path, kind, member.mode & 0o7777, member.uid, member.size, member.linkname), text, packages)


def _split(path: str) -> tuple[str, str]:
    """posixpath.split for the tree's paths, which are normalized (absolute, no `//`, no
    trailing `/`): asked several times for every entry of every layer."""
    slash = path.rfind("/")
    return path[:slash] or "/", path[slash + 1 :]


class _FileTree:
    """The final file system as layers build it. Children are indexed by directory, so a
    whiteout costs the size of what it deletes, not of the whole image."""

    def __init__(self) -> None:
        self.files: dict[str, ImageFile] = {}
        self.children: dict[str, set[str]] = {}

    def add(self, file: ImageFile, directory: str) -> None:
        """`directory`: the file's parent (callers have split its path already)."""
        if file.path not in self.files:
            self.children.setdefault(directory, set()).add(file.path)
        self.files[file.path] = file

    def remove(self, path: str, keep: set[str] | frozenset[str] = frozenset(), itself: bool = True) -> list[str]:
        """Delete `path` (unless `itself` is False) and everything below it that is not in
        `keep`; returns the deleted paths."""
        removed: list[str] = []
        stack = [path]
        while stack:
            current = stack.pop()
            for child in list(self.children.get(current, ())):
                if child in keep:
                    continue
                stack.append(child)
                self._drop(child, removed)
        if itself and path in self.files:
            self._drop(path, removed)
        return removed

    def _drop(self, path: str, removed: list[str]) -> None:
        if self.files.pop(path, None) is not None:
            removed.append(path)
        siblings = self.children.get(_split(path)[0])
        if siblings is not None:
            siblings.discard(path)


@dataclass
class _Layers:
    """What the rules keep while layers are applied: file contents and their older versions,
    and packages parsed from their metadata as it arrives (never the raw files)."""

    tree: _FileTree
    contents: dict[str, str]
    shadowed: dict[str, str]
    packages: dict[str, tuple[Package, ...]]


def _content_limit(path: str, size: int) -> int:
    """How much of a file to keep: rule inputs, secret candidates, inventory sources."""
    if path in KEPT_CONTENTS and size <= MAX_CONTENT_BYTES:
        return MAX_CONTENT_BYTES
    if size <= MAX_SECRET_CANDIDATE_BYTES and secret_candidate(path):
        return MAX_SECRET_CANDIDATE_BYTES
    return inventory.wanted(path)


def _apply(entry: _Entry, state: _Layers, added: set[str]) -> None:
    file = entry.file
    path = file.path
    tree = state.tree
    directory, base = _split(path)
    if base.startswith(".wh."):
        if base == ".wh..wh..opq":  # opaque directory: hide what lower layers put inside
            tree.remove(directory, keep=added, itself=False)
        else:  # whiteout: delete the path and everything below it
            tree.remove(posixpath.join(directory, base[len(".wh."):]))
        return
    existing = tree.files.get(path)
    if existing is not None and existing.kind == "dir" and file.kind != "dir":
        tree.remove(path, itself=False)
    tree.add(file, directory)
    added.add(path)
    if entry.packages is not None:
        state.packages[path] = entry.packages
    elif entry.text is not None:
        if path in state.contents and state.contents[path] != entry.text:
            state.shadowed[path] = state.contents[path]  # the lower layer still holds the old content
        state.contents[path] = entry.text
    else:
        state.packages.pop(path, None)
        if path in state.contents:  # replaced by something we did not keep
            state.shadowed[path] = state.contents.pop(path)
