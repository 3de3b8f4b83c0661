"""A client of the OCI distribution API: manifests, digests and blobs of public images.

Registries that want a token (Docker Hub, GHCR, gcr.io, cgr.dev, quay.io, ...) answer 401 with
a `WWW-Authenticate: Bearer realm=...,service=...,scope=...` challenge; an anonymous token from
the realm opens public repositories, and is kept for the client's next requests to that
registry, and sent to it only (util.http: never to a CDN a blob GET is redirected to).
Registries on localhost are spoken to over plain HTTP, as Docker does; every other one over
HTTPS. Every blob is checked against its digest and its descriptor's size as it arrives; one
client is one operation, with one overall deadline.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mcpharden.errors import UsageError
from mcpharden.model.references import parse_image_name
from mcpharden.util import http

# Index (multi-platform) first: it is what `image@digest` should pin.
MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
ACCEPT = ", ".join(MANIFEST_TYPES)
TIMEOUT_SECONDS = 15  # one read waiting for data; the operation's deadline bounds the whole
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # a manifest, an index or a config
MAX_TOKEN_ANSWER_BYTES = 1024 * 1024
MAX_CHALLENGE_CHARS = 8192
# A challenge's parameters: quoted strings (with backslash escapes) or bare tokens (RFC 7235).
_CHALLENGE = re.compile(r'([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))')
# What a bearer token may be: visible ASCII, bounded (it becomes a header line).
_TOKEN = re.compile(r"[\x21-\x7e]{1,16384}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


class RegistryError(UsageError):
    """The registry could not be asked, or did not answer as the API says."""


def registry_endpoint(registry: str) -> str:
    if registry == "docker.io":
        return "https://registry-1.docker.io"
    host = registry.rsplit(":", 1)[0] if not registry.startswith("[") else registry.split("]")[0] + "]"
    scheme = "http" if host in _LOOPBACK else "https"
    return f"{scheme}://{registry}"


class Repository:
    """One repository of one registry (`ghcr.io/github/github-mcp-server`), for one operation: a
    digest lookup or a pull (`seconds`: its overall deadline, see util.http)."""

    def __init__(self, reference: str, seconds: float = http.LOOKUP_SECONDS) -> None:
        name = parse_image_name(reference)
        self.reference = reference
        self.name = name
        self.base = f"{registry_endpoint(name.registry)}/v2/{name.repository}"
        self.credential: http.Credential | None = None
        with self._errors():
            self.deadline = http.Deadline.after(seconds)

    @property
    def tag_or_digest(self) -> str:
        return self.name.digest or self.name.tag or "latest"

    def digest(self) -> str:
        """The digest the reference points at now (HEAD of its manifest)."""
        if self.name.digest:
            return self.name.digest
        with self._open(f"{self.base}/manifests/{self.tag_or_digest}", "HEAD", ACCEPT) as response:
            digest = response.headers.get("Docker-Content-Digest", "")
        if not _DIGEST.fullmatch(digest):
            raise RegistryError(f"{self.reference}: no Docker-Content-Digest in the registry's answer")
        return digest

    def manifest(self, reference: str) -> tuple[str, dict[str, Any]]:
        """(digest, document) of a manifest or index, by tag or digest; the digest is checked."""
        with self._open(f"{self.base}/manifests/{reference}", "GET", ACCEPT) as response, self._errors():
            data = response.read_limited(MAX_DOCUMENT_BYTES, f"{self.reference}: manifest {reference}")
            stated = response.headers.get("Docker-Content-Digest", "")
        actual = "sha256:" + hashlib.sha256(data).hexdigest()
        if reference.startswith("sha256:") and actual != reference:
            raise RegistryError(f"{self.reference}: manifest {reference} does not match its digest")
        if stated and stated != actual:
            raise RegistryError(f"{self.reference}: the manifest does not match the digest the registry states")
        return actual, _json(data, f"{self.reference}: manifest {reference}")

    def blob_json(self, digest: str, size: int | None = None) -> dict[str, Any]:
        """A small blob (an image config), read whole and checked against its digest."""
        if size is not None and size > MAX_DOCUMENT_BYTES:
            raise RegistryError(f"{self.reference}: blob {digest}: larger than {MAX_DOCUMENT_BYTES} bytes")
        with self.blob(digest, size) as blob:
            data = blob.read_all(MAX_DOCUMENT_BYTES)
        return _json(data, f"{self.reference}: blob {digest}")

    def blob(self, digest: str, size: int | None = None, counted: Callable[[int], None] | None = None) -> Blob:
        """A blob as a stream (a layer is read as it arrives, never stored), checked against its
        digest and `size` (its descriptor's) by Blob.verify; `counted` hears of every byte read."""
        if not _DIGEST.fullmatch(digest):
            raise RegistryError(f"{self.reference}: invalid digest {digest!r}")
        return Blob(self._open(f"{self.base}/blobs/{digest}", "GET", "*/*"), digest, size,
                    f"{self.reference}: blob {digest}", counted)

    def _open(self, url: str, method: str, accept: str) -> http.Response:
        for attempt in range(2):
            with self._errors():
                response = http.request(url, self.deadline, method=method, headers={"Accept": accept},
                                        credential=self.credential, idle=TIMEOUT_SECONDS)
                if 200 <= response.status < 300:
                    return response
                response.close()
                # Only the registry itself may ask for a token (a 401 from a CDN it redirected to is
                # not a challenge of the registry's).
                asked = response.status == 401 and http.origin(response.url) == http.origin(self.base)
                if asked and attempt == 0 and self.credential is None:
                    token = _anonymous_token(response.headers.get("WWW-Authenticate", ""), self.reference, self.deadline)
                    self.credential = http.Credential(http.origin(self.base), f"Bearer {token}")
                    continue
            raise RegistryError(f"{self.reference}: the registry answered {response.status} for {http.shown(response.url)}")
        raise RegistryError(f"{self.reference}: the registry refused the anonymous token")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """HttpError → RegistryError, named after the reference."""
        try:
            yield
        except http.Unreachable as error:
            raise RegistryError(f"{self.reference}: cannot reach the registry ({error})") from None
        except http.HttpError as error:
            raise RegistryError(f"{self.reference}: {error}") from None


class Blob(io.RawIOBase):
    """A blob as it arrives, hashed and counted on the way. `verify` reads what is left and checks
    the whole against the digest and the size its descriptor states, so a blob that does not
    match, or stops short, is an error before anything read from it is kept. Its length is never
    trusted for a budget: `counted` hears the bytes that really arrived."""

    def __init__(self, response: http.Response, digest: str, size: int | None, what: str,
                 counted: Callable[[int], None] | None) -> None:
        self.response, self.digest, self.size, self.what = response, digest, size, what
        self.counted = counted
        self.hash = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            count = self.response.readinto(buffer)
        except http.HttpError as error:
            raise RegistryError(f"{self.what}: {error}") from None
        if count:
            self.hash.update(memoryview(buffer)[:count])
            self.count += count
            if self.counted is not None:
                self.counted(count)
            if self.size is not None and self.count > self.size:
                raise RegistryError(f"{self.what}: longer than the {self.size} bytes its descriptor states")
        return count

    def verify(self) -> None:
        """Read the rest (what a reader stopped short of: tar padding, a trailer) and check it all."""
        chunk = bytearray(1024 * 1024)
        while self.readinto(chunk):
            pass
        if self.size is not None and self.count != self.size:
            raise RegistryError(f"{self.what}: short: {self.count} of the {self.size} bytes its descriptor states")
        if "sha256:" + self.hash.hexdigest() != self.digest:
            raise RegistryError(f"{self.what}: does not match its digest")

    def read_all(self, limit: int) -> bytes:
        """The whole blob, checked, refused once it is larger than `limit` bytes."""
        parts, total = [], 0
        while chunk := self.read(min(1024 * 1024, limit + 1 - total)):
            parts.append(chunk)
            total += len(chunk)
            if total > limit:
                raise RegistryError(f"{self.what}: larger than {limit} bytes")
        self.verify()
        return b"".join(parts)

    def close(self) -> None:
        if not self.closed:
            self.response.close()
        super().close()


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError as error:
        raise RegistryError(f"{what}: not JSON ({error})") from None
    if not isinstance(document, dict):
        raise RegistryError(f"{what}: not a JSON object")
    return document


def challenge_fields(challenge: str, reference: str) -> dict[str, str]:
    """The parameters of a `Bearer` challenge; anything else is a clear RegistryError."""
    if len(challenge) > MAX_CHALLENGE_CHARS:
        raise RegistryError(f"{reference}: the registry's challenge is over-long ({len(challenge)} characters)")
    scheme, _, rest = challenge.strip().partition(" ")
    if scheme.lower() != "bearer":
        shown = re.sub(r"[^\w-]", "?", scheme[:20]) or "no challenge"
        raise RegistryError(f"{reference}: the registry wants credentials ({shown})")
    fields: dict[str, str] = {}
    for key, quoted, bare in _CHALLENGE.findall(rest):
        fields.setdefault(key.lower(), re.sub(r"\\(.)", r"\1", quoted) if quoted or not bare else bare)
    if not fields.get("realm"):
        raise RegistryError(f"{reference}: the registry's Bearer challenge names no token realm")
    return fields


def _anonymous_token(challenge: str, reference: str, deadline: http.Deadline) -> str:
    fields = challenge_fields(challenge, reference)
    realm = fields.pop("realm")
    try:
        http.check_url(realm)
    except http.HttpError as error:
        raise RegistryError(f"{reference}: unusable token realm ({error})") from None
    query = urllib.parse.urlencode({key: value for key, value in fields.items() if key in ("service", "scope")})
    url = f"{realm}{'&' if urllib.parse.urlsplit(realm).query else '?'}{query}"
    try:
        with http.request(url, deadline, headers={"Accept": "application/json"}, idle=TIMEOUT_SECONDS) as response:
            if response.status != 200:
                raise http.HttpError(f"{http.shown(response.url)} answered {response.status}")
            data = response.read_limited(MAX_TOKEN_ANSWER_BYTES, "the token answer")
    except http.HttpError as error:
        raise RegistryError(f"{reference}: no anonymous token ({error})") from None
    try:
        answer = json.loads(data)
    except ValueError:
        raise RegistryError(f"{reference}: the token service did not answer JSON") from None
    token = answer.get("token") or answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str):
        raise RegistryError(f"{reference}: the token service answered without a token")
    if not _TOKEN.fullmatch(token):
        raise RegistryError(f"{reference}: the token service answered a token that cannot be sent (control characters, spaces or over 16 KiB)")
    return token
