"""The GitHub Actions generated workflows use, each pinned by commit with its release tag
(pinned_actions.toml)."""

from __future__ import annotations

from functools import cache

from mcpharden.knowledge import load_table


@cache
def actions() -> dict[str, dict[str, str]]:
    """Action name (`owner/repo[/path]`) → {"tag": ..., "commit": 40 hex digits}."""
    return load_table("pinned_actions.toml")["actions"]


def uses(action: str) -> str:
    """The `uses:` value of a pinned action, with its tag as a comment: `owner/repo@COMMIT # v1.2.3`."""
    entry = actions()[action]
    return f"{action}@{entry['commit']} # {entry['tag']}"
