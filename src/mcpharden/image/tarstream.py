"""A lean reader of tar headers for image layers.

A layer is read once, in order, and the audit wants every header but the content of very few
files. Python's tarfile spends about 25 µs on each header (and keeps every TarInfo); this reader
parses the fields the audit uses with slicing, skips contents by seeking where the stream can
seek, and understands what image layers contain: ustar and GNU headers, GNU long names and
links, pax extended headers (path, linkpath, size, uid) and base-256 numbers. Anything it cannot
read is a tarfile.ReadError, as tarfile would raise.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO
from zlib import adler32

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
MAX_EXTENDED_HEADER = 1024 * 1024  # a GNU long name or a pax header larger than this is not an image
SMALL_SKIP = 64 * 1024
FILE_TYPES = frozenset({b"0", b"\0", b"7", b"S", b""})


@dataclass(slots=True)
class Member:
    name: str
    type: bytes
    mode: int
    uid: int
    size: int
    linkname: str

    def isfile(self) -> bool:
        return self.type in FILE_TYPES


# Type flags of members whose size field is not content (links, devices, directories, FIFOs).
_NO_CONTENT = frozenset({b"1", b"2", b"3", b"4", b"5", b"6"})
# GNU long name and link, pax extended and global headers: records about the next member.
_EXTENDED = frozenset({b"L", b"K", b"x", b"g"})


class Content:
    """Reads up to N bytes of the current member's content; what is left unread is skipped when
    the next header is read. One per archive, so a member costs no closure."""

    __slots__ = ("stream", "remaining")

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.remaining = 0

    def __call__(self, limit: int) -> bytes:
        count = min(limit, self.remaining)
        data = _exactly(self.stream, count)
        self.remaining -= count
        return data


def members(stream: IO[bytes]) -> Iterator[tuple[Member, Callable[[int], bytes]]]:
    """Each member and a function reading up to N bytes of its content (before the next member)."""
    seekable = _seekable(stream)
    end = None
    if seekable:  # where the data ends, so a skip past it is a truncated archive, as a read would tell
        start = stream.tell()
        end = stream.seek(0, 2)
        stream.seek(start)
    read_block = stream.read
    content = Content(stream)
    long_name = long_link = None
    pax: dict[str, str] = {}
    while True:
        block = read_block(BLOCK)
        if len(block) != BLOCK:
            block = _rest_of_header(stream, block)
        if not block or block == ZERO_BLOCK:
            return  # the end-of-archive marker (or an archive that stops at a header boundary)
        _check(block)
        kind = block[156:157]
        size = _number(block[124:136])
        if size < 0:
            raise tarfile.ReadError("negative member size")
        if kind in _EXTENDED:
            if size > MAX_EXTENDED_HEADER:
                raise tarfile.ReadError("an extended header larger than 1 MiB")
            data = _exactly(stream, size)
            _skip(stream, _padding(size), end)
            if kind == b"L":
                long_name = _text(data)
            elif kind == b"K":
                long_link = _text(data)
            elif kind == b"x":
                pax = _pax(data)
            continue  # a global pax header (g) sets nothing an image audit reads
        name = long_name if long_name is not None else _name(block)
        linkname = long_link if long_link is not None else (_text(block[157:257]) if block[157] else "")
        uid = _number(block[108:116])
        if pax:
            name = pax.get("path", name)
            linkname = pax.get("linkpath", linkname)
            size = _pax_number(pax, "size", size)
            uid = _pax_number(pax, "uid", uid)
            pax = {}
        if kind in _NO_CONTENT:
            size = 0
        elif kind in (b"0", b"\0") and name[-1:] == "/":
            kind, size = b"5", 0  # old tars mark a directory with a trailing slash
        if kind == b"5" and name != "/":
            name = name.rstrip("/")
        long_name = long_link = None
        content.remaining = size
        yield Member(name, kind, _number(block[100:108]), uid, size, linkname), content
        _skip(stream, content.remaining + _padding(size), end)
        content.remaining = 0


def _rest_of_header(stream: IO[bytes], first: bytes) -> bytes:
    """A header block after a short read: empty at the end of the archive."""
    return first + _exactly(stream, BLOCK - len(first)) if first else b""


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _exactly(stream: IO[bytes], count: int, allow_end: bool = False) -> bytes:
    data = stream.read(count)
    while len(data) < count:
        more = stream.read(count - len(data))
        if not more:
            if allow_end and not data:
                return b""
            raise tarfile.ReadError("unexpected end of data")
        data += more
    return data


def _skip(stream: IO[bytes], count: int, end: int | None) -> None:
    """Past `count` bytes: by seeking when the stream's end is known, else by reading."""
    if count <= 0:
        return
    if end is not None:
        if stream.seek(count, 1) > end:
            raise tarfile.ReadError("unexpected end of data")
        return
    if count <= SMALL_SKIP:  # most files of a layer: one read, no scratch buffer
        count -= len(stream.read(count))
        if not count:
            return
    readinto = getattr(stream, "readinto", None)
    scratch = memoryview(bytearray(min(count, 1024 * 1024))) if readinto else None
    while count > 0:
        # Into one scratch buffer: skipping a large file of a compressed layer allocates nothing.
        got = readinto(scratch[: min(count, len(scratch))]) if scratch is not None else len(stream.read(min(count, 1024 * 1024)))
        if not got:
            raise tarfile.ReadError("unexpected end of data")
        count -= got


def _padding(size: int) -> int:
    return -size % BLOCK


def _check(block: bytes) -> None:
    """The header checksum, signed or unsigned, as tar writes either."""
    try:
        stored = int(block[148:156].split(b"\0", 1)[0].strip() or b"0", 8)
    except ValueError:
        raise tarfile.ReadError("invalid header") from None
    unsigned = _byte_sum(block) - sum(block[148:156]) + 256
    if stored != unsigned:
        signed = sum(b - 256 if b > 127 else b for b in block[:148] + block[156:]) + 256
        if stored != signed:
            raise tarfile.ReadError("bad checksum")


def _byte_sum(block: bytes) -> int:
    """sum(block) for a 512-byte header, in C: Adler-32's low half is 1 + the byte sum modulo
    65521, and the sum of 256 bytes (at most 65,280) never reaches the modulus."""
    return (adler32(block[:256]) & 0xFFFF) + (adler32(block[256:]) & 0xFFFF) - 2


def _number(field: bytes) -> int:
    """An octal field, or GNU's base-256 for values that do not fit."""
    try:
        # Nearly every header: octal digits and NULs after them. A NUL left inside, a base-256
        # byte or anything else int() refuses goes the long way.
        return int(field.rstrip(b"\0"), 8)
    except ValueError:
        return _unusual_number(field)


def _unusual_number(field: bytes) -> int:
    if field[:1] and field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        return -((1 << (8 * len(field) - 1)) - value) if field[0] == 0xFF else value
    text = field.split(b"\0", 1)[0]
    try:
        return int(text, 8)  # int() itself skips the blanks tar pads numbers with
    except ValueError:
        if not text.strip():
            return 0
        raise tarfile.ReadError("invalid number in a header") from None


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _name(block: bytes) -> str:
    name = _text(block[0:100])
    if block[257:263] == b"ustar\0" and block[345]:  # POSIX ustar: a prefix holds the leading directories
        prefix = _text(block[345:500])
        if prefix:
            return f"{prefix}/{name}"
    return name


def _pax(data: bytes) -> dict[str, str]:
    """`LENGTH KEY=VALUE\\n` records."""
    records: dict[str, str] = {}
    position = 0
    while position < len(data):
        space = data.find(b" ", position)
        if space < 0:
            break
        try:
            length = int(data[position:space])
        except ValueError:
            raise tarfile.ReadError("invalid pax header") from None
        if length <= 0 or position + length > len(data):
            raise tarfile.ReadError("invalid pax header")
        record = data[space + 1 : position + length - 1]
        key, _, value = record.partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        position += length
    return records


def _pax_number(pax: dict[str, str], key: str, default: int) -> int:
    try:
        return int(pax[key]) if key in pax else default
    except ValueError:
        raise tarfile.ReadError(f"invalid pax {key}") from None
