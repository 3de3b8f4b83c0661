"""The OSV dumps a user keeps in the cache: `mcpharden db update` fills it, `--vuln-db auto`
reads what is there. The downloader (urllib's HTTP and TLS stack) loads only when asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mcpharden.errors import UsageError


def update_dumps(directory: str | None, ecosystems: list[str], images: list[str], url: str | None) -> list:
    """Download the dumps of `ecosystems` and of what `images`' packages need (all when neither
    names one) into `directory` (default: the user cache); conditional, as download.update is."""
    from mcpharden.scan import open_images
    from mcpharden.vulns.download import ECOSYSTEMS, OSV_URL, default_cache, ecosystems_of, update

    ecosystems = list(ecosystems)
    try:
        folder = Path(directory).expanduser() if directory else default_cache()
        for archive in images:
            ecosystems += ecosystems_of(open_images(archive, None))
        return update(folder, sorted(set(ecosystems)) or list(ECOSYSTEMS), url or OSV_URL)
    except OSError as error:  # no user cache, a folder that cannot be written, the network
        raise UsageError(str(error)) from None


def vuln_db_paths(values: list[str], notice: Callable[[str], None] | None = None) -> tuple[Path, ...]:
    """The `--vuln-db` paths; `auto` is every intact dump in the cache that `mcpharden db update`
    fills. `notice` is told of each damaged dump left out (the command line prints it)."""
    paths: list[Path] = []
    for value in values:
        if value != "auto":
            paths.append(Path(value))
            continue
        # Only here: the downloader brings urllib's HTTP and TLS stack, tens of milliseconds.
        from mcpharden.vulns.download import default_cache, dumps_in, intact_dump

        try:
            cached = dumps_in(default_cache())
            for damaged in [path for path in cached if not intact_dump(path)]:
                if notice is not None:
                    notice(f"mcpharden: notice: {damaged}: damaged (no zip directory at its end): not used;"
                           " `mcpharden db update` fetches it again")
                cached.remove(damaged)
            if not cached:
                raise UsageError(f"--vuln-db auto: no OSV dump in {default_cache()}: run `mcpharden db update` first")
        except OSError as error:  # no user cache to find `auto` in
            raise UsageError(str(error)) from None
        paths.extend(cached)
    return tuple(paths)
