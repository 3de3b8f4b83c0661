"""The user's cache of mcpharden (`$XDG_CACHE_HOME/mcpharden`, else `~/.cache/mcpharden`): what
makes the next run faster (parser and knowledge tables, audits of image digests, OSV dumps,
clones). Everything in it can be rebuilt; a cache that cannot be written is simply not used."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache(*parts: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "mcpharden", *parts)


def write_atomically(path: Path, text: str) -> bool:
    """Write beside the target and move into place, so a reader never sees half a file."""
    import tempfile  # only a first run writes: most start-ups never need it

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return True
    except OSError:
        return False
