"""What `fix` pins an image to. A digest comes from outside (the `--digests` map, or
`resolve_digest`: a registry's answer to `--resolve`, asked over the OCI distribution API that
image.registry speaks) and becomes part of a line `fix` writes, so it is written only when it is
exactly `sha256:` and 64 lowercase hexadecimal digits: a value carrying `\\nRUN curl ... | sh` or
`\\rUSER root` never reaches a Dockerfile. The map's keys must be image references, so that no
key (shown in messages, matched against the file) carries a line break either.
"""

from __future__ import annotations

import json
import re

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# Docker's reference grammar (distribution/reference): [domain[:port]/]path-component(/path-component)*
# [:tag][@digest], path components in lower case.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?"
REFERENCE = re.compile(rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(?:@{DIGEST.pattern})?")
MAX_REFERENCE_LENGTH = 512  # checked first: the grammar never runs over a megabyte of key
NOT_A_DIGEST = "not a sha256 digest (`sha256:` and 64 lowercase hexadecimal digits)"


def digest_problem(value: object) -> str | None:
    """Why `value` may not be written as a digest, or None when it may."""
    return None if isinstance(value, str) and DIGEST.fullmatch(value) else NOT_A_DIGEST


def reference_problem(value: object) -> str | None:
    """Why `value` is not an image reference (`node:22`, `ghcr.io/o/server:1.2`), or None."""
    if isinstance(value, str) and len(value) <= MAX_REFERENCE_LENGTH and REFERENCE.fullmatch(value):
        return None
    return "not an image reference (`name:tag`, `registry/name:tag`)"


def shown_value(value: object, limit: int = 80) -> str:
    """A JSON value as a message quotes it: escaped by JSON itself, cut short."""
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def map_problems(data: object) -> list[str]:
    """What is wrong with a digest map (`{"node:22": "sha256:..."}`), one message per entry."""
    if not isinstance(data, dict):
        return ['not a JSON object of "image:tag": "sha256:..."']
    problems = []
    for key, value in data.items():
        problem = reference_problem(key)
        if problem is None:
            problem = digest_problem(value)
            if problem is not None:
                problem = f"its digest {shown_value(value)} is {problem}"
        else:
            problem = f"the key is {problem}"
        if problem is not None:
            problems.append(f"{shown_value(key)}: {problem}")
    return problems


def resolve_digest(reference: str) -> str:
    """The digest `reference` (name[:tag]) points at now (image.registry.RegistryError when the
    registry does not say)."""
    # Only here: the registry client brings urllib's HTTP and TLS stack.
    from mcpharden.image.registry import Repository

    return Repository(reference).digest()
