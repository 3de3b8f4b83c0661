"""What mcpharden knows about the field, kept as data that is easy to extend.

- base_images.toml: base-image families and the images that belong to them;
- ci_scanners.toml: CI actions and commands that scan (or build) container images;
- transports.toml: how MCP SDKs reveal a server's transport in source code;
- installers.py: package-manager commands and the flags that leave dev dependencies out.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_table(name: str) -> dict[str, Any]:
    """Load one of the bundled TOML tables by file name."""
    return tomllib.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
