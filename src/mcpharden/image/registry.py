"""A client of the OCI distribution API: manifests, digests and blobs of public images.

Registries that want a token (Docker Hub, GHCR, gcr.io, cgr.dev, quay.io, ...) answer 401 with
a `WWW-Authenticate: Bearer realm=...,service=...,scope=...` challenge; an anonymous token from
the realm opens public repositories, and is kept for the client's next requests. Registries on
localhost are spoken to over plain HTTP, as Docker does; every other one over HTTPS.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any

from mcpharden.errors import UsageError
from mcpharden.model.references import parse_image_name

# Index (multi-platform) first: it is what `image@digest` should pin.
MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
ACCEPT = ", ".join(MANIFEST_TYPES)
TIMEOUT_SECONDS = 15
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # a manifest, an index or a config
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
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
    """One repository of one registry (`ghcr.io/github/github-mcp-server`)."""

    def __init__(self, reference: str) -> None:
        name = parse_image_name(reference)
        self.reference = reference
        self.name = name
        self.base = f"{registry_endpoint(name.registry)}/v2/{name.repository}"
        self.token: str | None = None

    @property
    def tag_or_digest(self) -> str:
        return self.name.digest or self.name.tag or "latest"

    def digest(self) -> str:
        """The digest the reference points at now (HEAD of its manifest)."""
        if self.name.digest:
            return self.name.digest
        with self._open(f"{self.base}/manifests/{self.tag_or_digest}", "HEAD", ACCEPT) as response:
            digest = response.headers.get("Docker-Content-Digest", "")
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise RegistryError(f"{self.reference}: no Docker-Content-Digest in the registry's answer")
        return digest

    def manifest(self, reference: str) -> tuple[str, dict[str, Any]]:
        """(digest, document) of a manifest or index, by tag or digest; the digest is checked."""
        with self._open(f"{self.base}/manifests/{reference}", "GET", ACCEPT) as response:
            data = _bounded_read(response, f"{self.reference}: manifest {reference}")
            stated = response.headers.get("Docker-Content-Digest", "")
        actual = "sha256:" + hashlib.sha256(data).hexdigest()
        if reference.startswith("sha256:") and actual != reference:
            raise RegistryError(f"{self.reference}: manifest {reference} does not match its digest")
        if stated and stated != actual:
            raise RegistryError(f"{self.reference}: the manifest does not match the digest the registry states")
        return actual, _json(data, f"{self.reference}: manifest {reference}")

    def blob_json(self, digest: str) -> dict[str, Any]:
        """A small blob (an image config), read whole and checked against its digest."""
        with self.blob(digest) as response:
            data = _bounded_read(response, f"{self.reference}: blob {digest}")
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise RegistryError(f"{self.reference}: blob {digest} does not match its digest")
        return _json(data, f"{self.reference}: blob {digest}")

    def blob(self, digest: str) -> IO[bytes]:
        """A blob as a stream (a layer is read as it arrives, never stored)."""
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise RegistryError(f"{self.reference}: invalid digest {digest!r}")
        return self._open(f"{self.base}/blobs/{digest}", "GET", "*/*")

    def _open(self, url: str, method: str, accept: str):
        for attempt in range(2):
            request = urllib.request.Request(url, method=method, headers={"Accept": accept, "User-Agent": "mcpharden"})
            if self.token:
                request.add_header("Authorization", f"Bearer {self.token}")
            try:
                return urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
            except urllib.error.HTTPError as error:
                if error.code == 401 and attempt == 0 and not self.token:
                    self.token = _anonymous_token(error.headers.get("WWW-Authenticate", ""), self.reference)
                    continue
                raise RegistryError(f"{self.reference}: the registry answered {error.code} for {url}") from None
            except (urllib.error.URLError, OSError) as error:
                raise RegistryError(f"{self.reference}: cannot reach the registry ({getattr(error, 'reason', error)})") from None
        raise RegistryError(f"{self.reference}: the registry refused the anonymous token")


def _bounded_read(response, what: str) -> bytes:
    data = response.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise RegistryError(f"{what}: larger than {MAX_DOCUMENT_BYTES} bytes")
    return data


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError as error:
        raise RegistryError(f"{what}: not JSON ({error})") from None
    if not isinstance(document, dict):
        raise RegistryError(f"{what}: not a JSON object")
    return document


def _anonymous_token(challenge: str, reference: str) -> str:
    if not challenge.lower().startswith("bearer "):
        raise RegistryError(f"{reference}: the registry wants credentials ({challenge.split(' ', 1)[0] or 'no challenge'})")
    fields = dict(_CHALLENGE.findall(challenge))
    realm = fields.pop("realm", "")
    parts = urllib.parse.urlsplit(realm)
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)):
        raise RegistryError(f"{reference}: unusable token realm {realm!r}")
    url = f"{realm}?{urllib.parse.urlencode(fields)}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read(1_000_000))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise RegistryError(f"{reference}: no anonymous token ({error})") from None
    token = answer.get("token") or answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str):
        raise RegistryError(f"{reference}: the token service answered without a token")
    return token
