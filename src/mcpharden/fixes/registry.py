"""Resolve `name:tag` to its digest over the OCI distribution API.

`HEAD /v2/<repository>/manifests/<tag>` answers with `Docker-Content-Digest`. Registries
that want a token (Docker Hub, GHCR, gcr.io, cgr.dev, quay.io, ...) answer 401 with a
`WWW-Authenticate: Bearer realm=...,service=...,scope=...` challenge; an anonymous token
from the realm opens public repositories. Registries on localhost are spoken to over plain
HTTP, as Docker does.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

from mcpharden.model.images import parse_image_name

# The index (multi-platform) digest is what `image@digest` should pin.
ACCEPT = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))
TIMEOUT_SECONDS = 15
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """The registry could not be asked, or did not answer with a digest."""


def registry_endpoint(registry: str) -> str:
    if registry == "docker.io":
        return "https://registry-1.docker.io"
    host = registry.split(":", 1)[0]
    scheme = "http" if host in ("localhost", "127.0.0.1", "::1", "[::1]") else "https"
    return f"{scheme}://{registry}"


def resolve_digest(reference: str) -> str:
    """The digest `reference` (name[:tag]) points at now."""
    name = parse_image_name(reference)
    if name.digest:
        return name.digest
    url = f"{registry_endpoint(name.registry)}/v2/{name.repository}/manifests/{name.tag or 'latest'}"
    try:
        return _head_digest(url, token=None)
    except urllib.error.HTTPError as error:
        if error.code != 401:
            raise RegistryError(f"{reference}: the registry answered {error.code}") from None
        token = _anonymous_token(error.headers.get("WWW-Authenticate", ""), reference)
        try:
            return _head_digest(url, token)
        except urllib.error.HTTPError as retry:
            raise RegistryError(f"{reference}: the registry answered {retry.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise RegistryError(f"{reference}: cannot reach the registry ({getattr(error, 'reason', error)})") from None


def _head_digest(url: str, token: str | None) -> str:
    request = urllib.request.Request(url, method="HEAD", headers={"Accept": ACCEPT})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        digest = response.headers.get("Docker-Content-Digest", "")
    if not digest.startswith("sha256:"):
        raise RegistryError(f"{url}: no Docker-Content-Digest in the answer")
    return digest


def _anonymous_token(challenge: str, reference: str) -> str:
    if not challenge.lower().startswith("bearer "):
        raise RegistryError(f"{reference}: the registry wants credentials ({challenge.split(' ', 1)[0] or 'no challenge'})")
    fields = dict(_CHALLENGE.findall(challenge))
    realm = fields.pop("realm", "")
    if not realm.startswith(("https://", "http://")):
        raise RegistryError(f"{reference}: unusable token realm {realm!r}")
    url = f"{realm}?{urllib.parse.urlencode(fields)}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read(1_000_000))
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise RegistryError(f"{reference}: no anonymous token ({error})") from None
    token = answer.get("token") or answer.get("access_token")
    if not isinstance(token, str):
        raise RegistryError(f"{reference}: the token service answered without a token")
    return token
