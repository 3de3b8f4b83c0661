"""What mcpharden knows about the field, kept as data that is easy to extend: each TOML table
has one loader of the same name (knowledge/<table>.py reads knowledge/<table>.toml through
`load_table`), and nothing else reads the table.

- base_images: base-image families and the images that belong to them;
- build: tools that fetch remote code, OS package managers, sudo and SSH server packages;
- ci_scanners: CI actions and commands that scan (or build) container images;
- clients: which files configure MCP clients, Docker's MCP gateway, published server images;
- credentials: credential names, value shapes and placeholders;
- helpers: what runs beside an MCP server without being it (databases, one-off jobs, devcontainers);
- fixes: what `mcpharden fix` writes (distroless tags, users, prune commands, healthchecks);
- pinned_actions: the GitHub Actions generated workflows use, each pinned by commit with its tag;
- service_needs: what a service needs at start that hardening could take away (installs, root programs, stateful images);
- image_contents: look-ups over an image's file system (shells, package managers, secrets);
- runtime: host paths and capabilities;
- packages: runners that download what they run (npx, uvx), tools that install by name
  (cargo install, go install) and the names of references that move (latest, main);
- default_credentials: well-known default logins of images and services;
- transport_security: MCP SDK settings that turn off Host/Origin checks, and authentication settings;
- transports: how MCP SDKs reveal a server's transport in source code;
- installers.py (no table): package-manager commands and the flags that leave dev dependencies out.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any


@cache
def load_table(name: str) -> dict[str, Any]:
    """Load one of the bundled TOML tables by file name.

    The TOML files are the source of truth; parsing them with the pure-Python tomllib costs
    every process about 15 ms, so each table is also kept as JSON in the user's cache, under
    a name that changes whenever the TOML file does (size, mtime and mcpharden's version), and
    used only when its digest matches (a damaged entry is parsed again)."""
    source = Path(__file__).with_name(name)
    cached = _cache_path(source)
    if cached is not None:
        from mcpharden.util.usercache import read_entry

        text = read_entry(cached)
        if text is not None:
            try:
                return json.loads(text)
            except ValueError:
                pass
    import tomllib

    table = tomllib.loads(source.read_text(encoding="utf-8"))
    _store(cached, table)
    return table


def _cache_path(source: Path) -> Path | None:
    from mcpharden import __version__
    from mcpharden.util.usercache import optional_cache_folder

    folder = optional_cache_folder("tables")
    if folder is None:
        return None
    try:
        info = source.stat()
    except OSError:
        return None
    return folder / f"{source.stem}-{__version__}-{info.st_size}-{info.st_mtime_ns}.json"


def _store(path: Path | None, table: dict[str, Any]) -> None:
    from mcpharden.util.usercache import write_entry

    if path is None:
        return
    try:
        text = json.dumps(table)
    except (TypeError, ValueError):
        return  # a table JSON cannot hold (dates): parsed each time
    write_entry(path, text)
