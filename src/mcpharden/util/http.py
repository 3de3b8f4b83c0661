"""HTTP for the registry client and the advisory downloader: one policy for where a request may
go, what it carries and how long it may take, so `image`, `fix --resolve` and `db update` keep
the same rules.

- Where: https anywhere; plain http only to a loopback host (`localhost`, `127.0.0.1`, `::1`),
  where a local registry or mirror listens. Redirects are followed here, not by urllib: at most
  MAX_REDIRECTS, each target held to the same rule, and never from https down to http.
- What: a credential (a registry's bearer token) belongs to the origin (scheme, host, port) that
  asked for it and goes to that origin only: registries redirect blob GETs to a CDN, which gets
  the request without it. Messages name a URL by scheme, host and path (no query, which may be
  a CDN's signature, no userinfo) and never hold a header's value.
- How long: every operation (a pull, a download, a digest lookup) has an overall deadline, not
  only a timeout per read. A watchdog shuts the request's socket when the deadline passes,
  whatever it is blocked on (the TLS handshake, headers or a body dripping in a byte at a time),
  and the reader, finding the deadline passed, says so. MCPHARDEN_NETWORK_DEADLINE (seconds)
  sets it for every operation.
- Shape: http.client's bounds on status and header lines (64 KiB a line, 100 headers); a body
  that ends before its Content-Length, broken chunked encoding, an answer that is not HTTP: an
  HttpError with a plain message, never a traceback and never a silent short read.

urllib (imported only with this module: tens of milliseconds) is kept for its proxy support
(`https_proxy`, `no_proxy`); its redirect and error handlers are left out.
"""

from __future__ import annotations

import http.client
import io
import math
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_REDIRECTS = 5
MAX_URL_CHARS = 8192  # a Location header, a token realm
REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEADLINE_VARIABLE = "MCPHARDEN_NETWORK_DEADLINE"
# Overall deadlines by default, in seconds per operation.
LOOKUP_SECONDS = 60.0  # a digest lookup: `fix --resolve`, the image cache's key
PULL_SECONDS = 1800.0  # an image pull: manifests, configs and every layer
DOWNLOAD_SECONDS = 1800.0  # one OSV dump of `db update`
# A socket timeout that ends within this much of the deadline is the deadline's doing.
_SLACK_SECONDS = 0.05


class HttpError(Exception):
    """A request the policy refused, or that failed; the message is safe to show."""


class Unreachable(HttpError):
    """No connection could be made (refused, no route, unknown name, TLS failed)."""


@dataclass(frozen=True)
class Deadline:
    """When an operation must be over (time.monotonic), and the seconds it was given."""

    seconds: float
    ends: float

    @classmethod
    def after(cls, default_seconds: float) -> Deadline:
        seconds = configured_seconds(default_seconds)
        return cls(seconds, time.monotonic() + seconds)

    def left(self) -> float:
        return self.ends - time.monotonic()

    def passed(self) -> bool:
        return self.left() <= _SLACK_SECONDS

    def message(self) -> str:
        return f"took longer than its {self.seconds:g} s deadline ({DEADLINE_VARIABLE}): stopped"


def configured_seconds(default_seconds: float) -> float:
    """MCPHARDEN_NETWORK_DEADLINE if it is set, else the operation's default."""
    value = os.environ.get(DEADLINE_VARIABLE, "").strip()
    if not value:
        return default_seconds
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds < 10**7):  # also refuses nan and inf
        raise HttpError(f"{DEADLINE_VARIABLE}={value[:40]!r}: not a number of seconds above 0")
    return seconds


@dataclass(frozen=True)
class Credential:
    """An Authorization header value and the one origin it may be sent to."""

    origin: tuple[str, str, int]
    value: str = field(repr=False)


def _split(url: str) -> urllib.parse.SplitResult:
    """urlsplit, with a URL it cannot split (`https://[x/`, from a hostile Location or realm) as
    an HttpError, never a ValueError no caller expects."""
    try:
        return urllib.parse.urlsplit(url)
    except ValueError:
        raise HttpError(f"{url[:80]!r}: not a valid URL") from None


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL the policy accepted."""
    parts = _split(url)
    try:
        port = parts.port
    except ValueError:
        raise HttpError(f"{shown(url)}: not a valid port") from None
    return parts.scheme, (parts.hostname or "").lower(), port or (443 if parts.scheme == "https" else 80)


def shown(url: str) -> str:
    """How messages name a URL: scheme, host, port and path; never userinfo or a query."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # not a URL: its text up to the first `@`, `?` or `#`, cut short
        return url.split("@")[-1].split("?")[0].split("#")[0][:80]
    host = parts.netloc.rpartition("@")[2]
    text = f"{parts.scheme}://{host}{parts.path}" if parts.scheme else parts.path
    return text if len(text) <= 200 else text[:199] + "…"


def check_url(url: str) -> None:
    """https anywhere, plain http only to this machine; plain ASCII, no credentials in it."""
    if len(url) > MAX_URL_CHARS or not url.isascii() or any(ord(c) <= 0x20 or c == "\x7f" for c in url):
        raise HttpError(f"{shown(url)}: not a plain URL (over-long, spaces, control or non-ASCII characters)")
    parts = _split(url)
    if "@" in parts.netloc:
        raise HttpError(f"{shown(url)}: credentials in a URL are not used: refused")
    host = (parts.hostname or "").lower()
    if host and (parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK)):
        origin(url)  # the port must parse
        return
    raise HttpError(f"{shown(url)}: only https (or plain http to this machine) is used")


def redirect_target(current: str, location: str) -> str:
    """Where a redirect from `current` may go: `location` resolved against it, held to the same
    rule as any URL, and never from https down to plain http."""
    location = location.strip()
    if not location:
        raise HttpError(f"{shown(current)}: a redirect without a Location")
    if len(location) > MAX_URL_CHARS:
        raise HttpError(f"{shown(current)}: a redirect to an over-long Location")
    try:
        target = urllib.parse.urljoin(current, location)
    except ValueError:
        raise HttpError(f"{shown(current)}: a redirect to a Location that is not a URL") from None
    if _split(current).scheme == "https" and _split(target).scheme != "https":
        raise HttpError(f"{shown(current)}: a redirect from https to {shown(target)}: refused (never down to plain http)")
    check_url(target)
    return target


def request(url: str, deadline: Deadline, *, method: str = "GET", headers: dict[str, str] | None = None,
            credential: Credential | None = None, idle: float = 30.0) -> Response:
    """The answer to `url` after the redirects the policy allows, whatever its status (the caller
    reads it). `idle`: seconds one read may wait for data."""
    check_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        response = _exchange(url, method, headers or {}, credential, deadline, idle)
        if response.status not in REDIRECTS:
            return response
        location = response.headers.get("Location", "")
        response.close()
        url = redirect_target(url, location)
    raise HttpError(f"{shown(url)}: more than {MAX_REDIRECTS} redirects")


class Response(io.RawIOBase):
    """An answer: status, headers and a body that keeps to the deadline and ends in an HttpError,
    never a silent short read, when the connection breaks off."""

    def __init__(self, answer: http.client.HTTPResponse, url: str, method: str, deadline: Deadline,
                 watchdog: _Watchdog, credential: Credential | None) -> None:
        self.answer, self.url, self.deadline, self.watchdog, self.credential = answer, url, deadline, watchdog, credential
        self.status: int = answer.status
        self.reason = _printable(str(answer.reason or ""))[:100]
        self.headers = answer.headers
        self.received = 0
        self.expected = None if method == "HEAD" or self.status in (204, 304) else _content_length(answer)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            count = self.answer.readinto(buffer)
        except Exception as error:
            raise _failure(error, self.url, self.deadline, self.credential) from None
        if count:
            self.received += count
            return count
        # The end of the body, or the watchdog shut the socket at the deadline.
        if self.watchdog.fired or self.deadline.passed():
            raise HttpError(f"{shown(self.url)}: {self.deadline.message()}")
        if self.expected is not None and self.received < self.expected:
            raise HttpError(f"{shown(self.url)}: the connection closed after {self.received} of the "
                            f"{self.expected} bytes its Content-Length states")
        return 0

    def read_limited(self, limit: int, what: str) -> bytes:
        """The whole body, refused once it is larger than `limit` bytes."""
        parts, total = [], 0
        while chunk := self.read(min(1024 * 1024, limit + 1 - total)):
            parts.append(chunk)
            total += len(chunk)
            if total > limit:
                raise HttpError(f"{what}: larger than {limit} bytes")
        return b"".join(parts)

    def close(self) -> None:
        if not self.closed:
            self.watchdog.cancel()
            self.answer.close()
        super().close()


def _content_length(answer: http.client.HTTPResponse) -> int | None:
    if "chunked" in answer.headers.get("Transfer-Encoding", "").lower():
        return None
    value = answer.headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def _exchange(url: str, method: str, headers: dict[str, str], credential: Credential | None,
              deadline: Deadline, idle: float) -> Response:
    if deadline.passed():
        raise HttpError(f"{shown(url)}: {deadline.message()}")
    request = urllib.request.Request(url, method=method, headers={"User-Agent": "mcpharden", **headers})
    if credential is not None and origin(url) == credential.origin:
        request.add_header("Authorization", credential.value)
    watchdog = _Watchdog(deadline)
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), _PlainHandler(watchdog), _SecureHandler(watchdog)):
        opener.add_handler(handler)
    try:
        answer = opener.open(request, timeout=max(min(idle, deadline.left()), _SLACK_SECONDS))
    except Exception as error:
        watchdog.cancel()
        raise _failure(error, url, deadline, credential) from None
    if watchdog.fired:  # the headers were cut short at the deadline: not an answer
        watchdog.cancel()
        answer.close()
        raise HttpError(f"{shown(url)}: {deadline.message()}")
    return Response(answer, url, method, deadline, watchdog, credential)


def _failure(error: Exception, url: str, deadline: Deadline, credential: Credential | None) -> HttpError:
    """The error a caller sees for what urllib, http.client or the socket raised."""
    where = shown(url)
    if isinstance(error, HttpError):
        return error
    if deadline.passed():  # whatever broke, the watchdog broke it
        return HttpError(f"{where}: {deadline.message()}")
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):
        return HttpError(f"{where}: no answer in time (the server stopped sending)")
    if isinstance(error, urllib.error.URLError):
        return Unreachable(_scrubbed(f"{where}: {reason}", credential))
    if isinstance(error, http.client.RemoteDisconnected):
        return HttpError(f"{where}: the server closed the connection without an answer")
    if isinstance(error, http.client.BadStatusLine):  # its text is whatever the server sent
        return HttpError(f"{where}: not an HTTP answer ({type(error).__name__})")
    if isinstance(error, (http.client.HTTPException, OSError, ValueError)):
        detail = _printable(str(error))[:200]
        return HttpError(_scrubbed(f"{where}: a broken HTTP answer ({type(error).__name__}{': ' + detail if detail else ''})", credential))
    raise error


def _scrubbed(text: str, credential: Credential | None) -> str:
    """What an error message holds never includes the credential, even if a server echoed it."""
    if credential is None:
        return text
    for secret in {credential.value, credential.value.partition(" ")[2]} - {""}:
        text = text.replace(secret, "***")
    return text


class _Watchdog:
    """Shuts the request's sockets when the deadline passes: whatever a socket is blocked on
    returns at once (a read gets end of file), and the reader, finding the deadline passed,
    says so. One timer thread per request, cancelled when the answer is closed."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.fired = False

    def connect(self, address, timeout=None, source_address=None, *arguments) -> socket.socket:
        """socket.create_connection, and the socket watched from then on (before any TLS)."""
        sock = socket.create_connection(address, timeout, source_address, *arguments)
        with self.lock:
            if self.fired:
                sock.close()
                raise TimeoutError("deadline")
            self.sockets.append(sock)
            if self.timer is None:
                self.timer = threading.Timer(max(self.deadline.left(), 0.0), self._fire)
                self.timer.daemon = True
                self.timer.start()
        return sock

    def _fire(self) -> None:
        with self.lock:
            self.fired = True
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cancel(self) -> None:
        with self.lock:
            timer, self.timer = self.timer, None
        if timer is not None:
            timer.cancel()


class _WatchedConnection(http.client.HTTPConnection):
    def __init__(self, *arguments, watchdog: _Watchdog, **options) -> None:
        super().__init__(*arguments, **options)
        self._create_connection = watchdog.connect  # http.client's own hook for making the socket


class _WatchedSecureConnection(http.client.HTTPSConnection):
    def __init__(self, *arguments, watchdog: _Watchdog, **options) -> None:
        super().__init__(*arguments, **options)
        self._create_connection = watchdog.connect


class _PlainHandler(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def http_open(self, request):
        return self.do_open(_WatchedConnection, request, watchdog=self.watchdog)


class _SecureHandler(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def https_open(self, request):
        # No context given: http.client's default one, which verifies certificates and honours
        # SSL_CERT_FILE / SSL_CERT_DIR.
        return self.do_open(_WatchedSecureConnection, request, watchdog=self.watchdog)
