"""The layer reader's own tar header parser reads what Python's tarfile reads, in every format
image tools write (ustar, GNU, pax), seekable or streamed, and refuses what tarfile refuses."""

import io
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpharden.image import tarstream

LONG = "app/" + "deep/" * 30 + "name-longer-than-one-hundred-characters.txt"


def archive(format: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=format) as tar:
        def add(name, data=b"", kind=tarfile.REGTYPE, link="", uid=0, mode=0o644):
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.uid, info.mode = kind, link, uid, mode
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

        add("etc/", kind=tarfile.DIRTYPE, mode=0o755)
        add("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
        add(LONG, b"x" * 700, uid=1000)
        add("bin/sh", kind=tarfile.SYMTYPE, link="/bin/" + "busybox" * 20)
        add("bin/ln", kind=tarfile.LNKTYPE, link="bin/sh")
        add("usr/bin/passwd", b"\x7fELF", mode=0o4755)
        add("dev/null", kind=tarfile.CHRTYPE, mode=0o666)
        if format != tarfile.USTAR_FORMAT:
            add("home/app/caf\u00e9.txt", b"bonjour", uid=2**22)
            add("big-uid", b"", uid=2**31)
    return buffer.getvalue()


def with_tarfile(data: bytes):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        return [(m.name.rstrip("/"), m.type if m.type != tarfile.AREGTYPE else tarfile.REGTYPE, m.mode, m.uid,
                 m.size if m.isfile() else 0, m.linkname, tar.extractfile(m).read() if m.isfile() else b"") for m in tar]


def with_tarstream(data: bytes, seekable: bool):
    stream = io.BytesIO(data) if seekable else io.BufferedReader(_Unseekable(data))
    return [(m.name, m.type, m.mode, m.uid, m.size, m.linkname, read(10**6)) for m, read in tarstream.members(stream)]


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self.inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self.inner.readinto(buffer)


@pytest.mark.parametrize("format", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
@pytest.mark.parametrize("seekable", [True, False])
def test_reads_what_tarfile_reads(format, seekable):
    data = archive(format) if format != tarfile.USTAR_FORMAT else archive_ustar()
    assert with_tarstream(data, seekable) == with_tarfile(data)


def archive_ustar() -> bytes:
    """ustar cannot hold the long link; a name over 100 characters goes in its prefix field."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(LONG[-150:])
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    return buffer.getvalue()


def test_contents_not_read_are_skipped_and_partial_reads_keep_the_position():
    data = archive(tarfile.PAX_FORMAT)
    seen = []
    for member, read in tarstream.members(io.BytesIO(data)):
        seen.append((member.name, read(4) if member.isfile() else b""))
    assert ("etc/passwd", b"root") in seen and seen[-1][0] == "big-uid"


def test_refuses_what_is_not_a_tar():
    data = bytearray(archive(tarfile.GNU_FORMAT))
    data[148:156] = b"0000000\0"  # a wrong checksum
    with pytest.raises(tarfile.ReadError):
        list(tarstream.members(io.BytesIO(bytes(data))))
    truncated = archive(tarfile.GNU_FORMAT)[:1024 + 100]
    with pytest.raises(tarfile.ReadError):
        for _member, read in tarstream.members(io.BytesIO(truncated)):
            read(10**6)
    assert list(tarstream.members(io.BytesIO(b""))) == []


@pytest.mark.parametrize("block", [bytes(512), b"\xff" * 512, bytes(range(256)) * 2, b"\x80" * 300 + b"\x7f" * 212])
def test_header_checksum_sum_is_the_byte_sum(block):
    """The checksum adds the header's bytes with Adler-32 (in C) in two halves: exact at the extremes."""
    import random

    assert tarstream._byte_sum(block) == sum(block)
    noisy = bytes(random.Random(len(block) + block[0]).randrange(256) for _ in range(512))
    assert tarstream._byte_sum(noisy) == sum(noisy)


def _gzip_outcome(decode, data: bytes):
    from zlib_ng import zlib_ng

    try:
        return "ok", decode(data)
    except (OSError, EOFError, __import__("zlib").error, zlib_ng.error):
        return "error", None


def _inflaters():
    import zlib

    from zlib_ng import zlib_ng

    return [pytest.param(zlib_ng, id="zlib-ng"), pytest.param(zlib, id="zlib (where zlib-ng is not installed)")]


def test_gzip_layers_use_zlib_ng_when_installed():
    from zlib_ng import zlib_ng

    from mcpharden.image.streams import _inflater

    assert _inflater() is zlib_ng


def test_gzip_layers_fall_back_to_zlib_without_zlib_ng(monkeypatch):
    import sys
    import zlib

    from mcpharden.image.streams import _inflater

    monkeypatch.setitem(sys.modules, "zlib_ng", None)  # as where no wheel was installed
    assert _inflater() is zlib


@pytest.mark.parametrize("inflater", _inflaters())
@pytest.mark.parametrize("case", ["one", "members", "padded", "truncated", "bad crc", "garbage after", "big"])
def test_gzip_layers_decode_as_gzip_does(case, inflater):
    """Layers are decoded by zlib-ng (or zlib) in large steps rather than GzipFile; what comes
    out (and what is refused) must not change."""
    import gzip
    import os

    from mcpharden.image.streams import _gzip_chunks

    one = gzip.compress(b"layer bytes " * 1000, mtime=0)
    data = {
        "one": one,
        "members": one + gzip.compress(b"second member", mtime=0),
        "padded": one + bytes(4096),
        "truncated": one[:-5],
        "bad crc": one[:-8] + bytes(4) + one[-4:],
        "garbage after": one + b"not gzip",
        "big": gzip.compress(os.urandom(3 * 1024 * 1024) + bytes(9 * 1024 * 1024), mtime=0),
    }[case]
    ours = _gzip_outcome(lambda blob: b"".join(_gzip_chunks(io.BytesIO(blob), inflater)), data)
    assert ours == _gzip_outcome(gzip.decompress, data)


def _number_outcome(parse, field: bytes):
    try:
        return "ok", parse(field)
    except tarfile.ReadError:
        return "refused", None


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(st.binary(min_size=8, max_size=12) | st.lists(st.sampled_from(b"01234567 \0\x80\xff_+-9"), min_size=8, max_size=12).map(bytes))
def test_header_numbers_fast_path_reads_what_the_full_parser_reads(field):
    """Numbers are first tried as plain octal; whatever that refuses (base-256, a NUL inside,
    blanks only) goes to the full parser, so the result must always be the full parser's."""
    assert _number_outcome(tarstream._number, field) == _number_outcome(tarstream._unusual_number, field)
