"""The user's cache of mcpharden (`$XDG_CACHE_HOME/mcpharden`, else `~/.cache/mcpharden`): what
makes the next run faster (parser and knowledge tables, audits of image digests, OSV dumps,
clones). Everything in it can be rebuilt; a cache that cannot be written is simply not used."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache(*parts: str) -> Path:
    """A path in the cache. OSError when there is no cache to have: no XDG_CACHE_HOME and no home
    directory (an arbitrary container uid without HOME); callers then run without it."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:
            raise OSError("no user cache: neither XDG_CACHE_HOME nor a home directory is set") from None
    return Path(base, "mcpharden", *parts)


def write_atomically(path: Path, text: str) -> bool:
    """Write beside the target and move into place, so a reader never sees half a file."""
    import tempfile  # only a first run writes: most start-ups never need it

    try:
        # Private: image audits hold file contents the secret check read (the files are 0600 too).
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
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
