"""Runners that download a package to run it, tools that install one by name, and the names
of references that move (packages.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from mcpharden.knowledge import load_table


@dataclass(frozen=True)
class PackageTool:
    """A runner (`npx`, `uvx`) or a tool installer (`cargo install`), as packages.toml says."""

    command: tuple[str, ...]
    registry: str
    syntax: str
    package_options: frozenset[str] = frozenset()
    value_options: frozenset[str] = frozenset()
    version_options: frozenset[str] = frozenset()
    prefers_installed: str = ""

    @property
    def shown(self) -> str:
        return " ".join(self.command)


def _tools(key: str) -> tuple[PackageTool, ...]:
    return tuple(
        PackageTool(
            command=tuple(entry["command"]),
            registry=entry["registry"],
            syntax=entry["syntax"],
            package_options=frozenset(entry.get("package_options", ())),
            value_options=frozenset(entry.get("value_options", ())),
            version_options=frozenset(entry.get("version_options", ())),
            prefers_installed=entry.get("prefers_installed", ""),
        )
        # longest command first: `uv tool run` before `uv`, `npm exec` before `npm`
        for entry in sorted(load_table("packages.toml")[key], key=lambda entry: -len(entry["command"]))
    )


@cache
def runners() -> tuple[PackageTool, ...]:
    return _tools("runners")


@cache
def tool_installers() -> tuple[PackageTool, ...]:
    return _tools("tool_installers")


@cache
def moving_names() -> frozenset[str]:
    return frozenset(name.lower() for name in load_table("packages.toml")["moving_names"])


@cache
def node_bins() -> dict[str, str]:
    """bin → the package that provides it, where the names differ (`tsc` → `typescript`)."""
    return dict(load_table("packages.toml")["node_bins"])
