"""A layer's bytes: an uncompressed layer as it is, any other through a bounded decompressor
(gzip through zlib-ng where it is installed, zstd, bzip2, xz) that decodes ahead in a thread.
One layer may expand to MAX_LAYER_BYTES, all layers of an archive to its budget."""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from collections.abc import Callable, Iterator
from typing import IO

from mcpharden.image import ImageError

MAX_LAYER_BYTES = 16 * 1024**3  # uncompressed bytes one layer may expand to
# All layers of an archive together may expand to this much, or to 100 times the archive's own
# size if that is more: a small archive cannot make mcpharden decompress gigabytes many times.
# For a pull, the bytes that arrived stand for the archive's size (never what a manifest says).
MIN_EXPANSION_BUDGET = 4 * 1024**3
EXPANSION_RATIO = 100


class _Budget:
    """Uncompressed bytes all layers of an archive may produce together: the larger of
    MIN_EXPANSION_BUDGET and EXPANSION_RATIO times `source_bytes()`, the bytes they came from."""

    def __init__(self, source_bytes: Callable[[], int]) -> None:
        self.source_bytes = source_bytes
        self.spent = 0

    def limit(self) -> int:
        return max(MIN_EXPANSION_BUDGET, EXPANSION_RATIO * self.source_bytes())

    def spend(self, count: int, what: str) -> None:
        self.spent += count
        if self.spent > MIN_EXPANSION_BUDGET and self.spent > self.limit():  # the cheap test first
            raise ImageError(f"{what}: the archive's layers expand past {self.limit()} bytes (decompression bomb?)")


class _Bounded(io.RawIOBase):
    """A read-only stream that fails once more than `limit` bytes came out of it, or the
    archive's shared budget is spent."""

    def __init__(self, inner: IO[bytes], limit: int, what: str, budget: _Budget) -> None:
        self.inner, self.left, self.what, self.budget = inner, limit, what, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.inner.readinto(buffer)  # in place: a layer's bytes are copied as few times as can be
        self.left -= count
        if self.left < 0:
            raise ImageError(f"{self.what} expands past {MAX_LAYER_BYTES} bytes (decompression bomb?)")
        self.budget.spend(count, self.what)
        return count


_COMPRESSED = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"BZh", b"\xfd7zXZ\x00")


def _layer_stream(raw: IO[bytes], what: str, budget: _Budget) -> IO[bytes]:
    """The layer's tar bytes: an uncompressed layer in a seekable file as it is (its file contents
    are skipped by seeking; nothing is decompressed, so nothing can expand), any other through
    the bounded decompressor."""
    try:
        seekable = raw.seekable()
    except (AttributeError, OSError, ValueError):
        seekable = False
    if seekable:
        start = raw.tell()
        head = raw.read(6)
        raw.seek(start)
        if not head.startswith(_COMPRESSED):
            return raw
    return _decompressed(raw, what, budget)


def _decompressed(raw: IO[bytes], what: str, budget: _Budget) -> IO[bytes]:
    head = raw.read(6)
    stream = io.BufferedReader(_Prefixed(head, raw), buffer_size=1024 * 1024)
    if head.startswith(b"\x1f\x8b"):
        chunks: Iterator[bytes] = _gzip_chunks(stream)
    elif head.startswith(b"\x28\xb5\x2f\xfd"):
        try:
            import zstandard
        except ImportError:
            raise ImageError(f"{what} is zstd-compressed and the zstandard module is not installed") from None
        chunks = _read_chunks(zstandard.ZstdDecompressor().stream_reader(stream, read_size=1024 * 1024))
    elif head.startswith(b"BZh"):
        chunks = _read_chunks(bz2.BZ2File(stream))
    elif head.startswith(b"\xfd7zXZ\x00"):
        chunks = _read_chunks(lzma.LZMAFile(stream))
    else:
        return io.BufferedReader(_Bounded(stream, MAX_LAYER_BYTES, what, budget), buffer_size=1024 * 1024)
    return io.BufferedReader(_Prefetched(_bounded_chunks(chunks, what, budget)), buffer_size=1024 * 1024)


# Decoded bytes handed over at a time. Large on purpose: the decoding thread needs the GIL
# between two chunks, and while the parser holds it that wait is up to a switch interval.
DECODED_CHUNK = 4 * 1024 * 1024
COMPRESSED_READ = 1024 * 1024


def _read_chunks(decoder: IO[bytes]) -> Iterator[bytes]:
    while chunk := decoder.read(DECODED_CHUNK):
        yield chunk


def _inflater():
    """zlib-ng where it is installed (a dependency; it inflates about twice as fast as zlib,
    with zlib's interface and checks), else the standard library's zlib."""
    try:
        from zlib_ng import zlib_ng
    except ImportError:
        return zlib
    return zlib_ng


def _gzip_chunks(stream: IO[bytes], inflater=None) -> Iterator[bytes]:
    """The members of a gzip stream one after another, as GzipFile reads them (zero bytes may
    pad the end), decoded in one call per chunk; the inflater checks each member's CRC and
    length itself. GzipFile decodes in 128 KiB steps, each needing the GIL back."""
    inflater = inflater or _inflater()
    data = b""
    while True:
        decoder = inflater.decompressobj(16 + zlib.MAX_WBITS)
        while not decoder.eof:
            if not data:
                data = stream.read(COMPRESSED_READ)
            if not data:
                rest = decoder.flush()  # what inflate holds back once the input is spent
                if rest:
                    yield rest
                if not decoder.eof:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                break
            chunk = decoder.decompress(data, DECODED_CHUNK)
            data = decoder.unconsumed_tail
            if chunk:
                yield chunk
        data = decoder.unused_data.lstrip(b"\0")
        while not data:
            more = stream.read(COMPRESSED_READ)
            if not more:
                return
            data = more.lstrip(b"\0")


def _bounded_chunks(chunks: Iterator[bytes], what: str, budget: _Budget) -> Iterator[bytes]:
    """Fails once a layer expands past MAX_LAYER_BYTES or the archive's budget is spent (checked
    a chunk at a time, so at most one chunk past the bound)."""
    left = MAX_LAYER_BYTES
    for chunk in chunks:
        left -= len(chunk)
        if left < 0:
            raise ImageError(f"{what} expands past {MAX_LAYER_BYTES} bytes (decompression bomb?)")
        budget.spend(len(chunk), what)
        yield chunk


class _Prefetched(io.RawIOBase):
    """Decodes ahead in a thread while the caller parses: zlib, zstd, bz2 and lzma release the
    GIL while they work, so on two cores a layer costs about the larger of the two instead of
    their sum. At most a few chunks are held; errors (a corrupt stream, a spent budget) reach
    the reader in order; closing stops the thread before the blob is closed."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        import queue
        import threading

        self.chunks: queue.Queue = queue.Queue(maxsize=4)
        self.stop = threading.Event()
        self.left = memoryview(b"")  # a view: handing out part of a chunk copies only that part
        self.done = False
        self.thread = threading.Thread(target=self._produce, args=(chunks,), daemon=True)
        self.thread.start()

    def _produce(self, chunks: Iterator[bytes]) -> None:
        try:
            for chunk in chunks:
                if not self._put(memoryview(chunk)):
                    return
            self._put(None)
        except BaseException as error:  # handed to the reader, raised there
            self._put(error)

    def _put(self, item: object) -> bool:
        """Hand over one item, waiting for room unless the reader has closed."""
        import queue

        while not self.stop.is_set():
            try:
                self.chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.left and not self.done:
            item = self.chunks.get()
            if item is None:
                self.done = True
            elif isinstance(item, BaseException):
                self.done = True
                raise item
            else:
                self.left = item
        count = min(len(buffer), len(self.left))
        buffer[:count] = self.left[:count]
        self.left = self.left[count:]
        return count

    def close(self) -> None:
        if not self.closed:
            self.stop.set()
            self.thread.join()
        super().close()


class _Prefixed(io.RawIOBase):
    """Puts back the bytes read to sniff the compression."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            count = min(len(buffer), len(self.head))
            buffer[:count], self.head = self.head[:count], self.head[count:]
            return count
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
