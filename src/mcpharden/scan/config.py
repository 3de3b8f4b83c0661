"""Project configuration: `.mcpharden.toml` or `[tool.mcpharden]` in `pyproject.toml`.

```toml
[tool.mcpharden]
select = ["root-user", "dev-dependencies-in-runtime"]   # only these rules
ignore = ["no-healthcheck"]                              # never these
exclude = ["examples/*", "test/fixtures"]                # paths not scanned
fail-on = "medium"
fail-on-parse-error = true                               # a file that does not parse fails the gate
target = "runtime"                                       # the stage that ships
severity = { "image-not-pinned-by-digest" = "medium" }
per-file-ignores = { "docs/*" = ["image-not-pinned-by-digest"] }   # these rules, in these files
[[tool.mcpharden.base-images]]                           # your own base images
images = ["registry.example.com/base/node"]
family = "chainguard"
```
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from mcpharden.errors import UsageError
from mcpharden.knowledge.base_images import ImageEntry, entry_from_table, families
from mcpharden.model.findings import Severity, fail_threshold
from mcpharden.util.globs import GlobIndex, is_plain

if TYPE_CHECKING:
    from mcpharden.sources.discovery import RepoReader

CONFIG_FILE = ".mcpharden.toml"
_KEYS = {"select", "ignore", "exclude", "fail-on", "fail-on-parse-error", "target", "severity", "base-images", "per-file-ignores"}


class ConfigError(UsageError, ValueError):
    """The configuration is invalid; the CLI exits with code 2."""


@dataclass(frozen=True)
class Config:
    """The project's `[tool.mcpharden]` / `.mcpharden.toml` settings after validation."""

    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    exclude: tuple[str, ...] = ()
    fail_on: str | None = None  # a severity name or "never"; None: not configured
    fail_on_parse_error: bool | None = None  # None: not configured (the default fails)
    target: str | None = None
    severity: Mapping[str, Severity] = field(default_factory=lambda: MappingProxyType({}))
    base_images: tuple[ImageEntry, ...] = ()
    # (path pattern, rule ids): findings of those rules in matching files count as suppressed.
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    source: str | None = None  # the file it came from, for messages
    # Found in a folder above the scanned one (scanning `services/api` of a repository whose root
    # holds the configuration): the scanned folder as seen from the configuration's, `services/api/`.
    # Its path patterns are relative to its own folder, as in ruff and pre-commit.
    prefix: str = ""
    # The ignore files (scan.ignorefile.IgnoreFile): `.mcpharden-ignore.yaml`, `.trivyignore`, --ignorefile.
    ignore_files: tuple = ()

    def ignores(self, rule_id: str, path: str) -> bool:
        index = self._per_file_index.get(rule_id)
        return index is not None and index.matches(self.prefix + path)

    def excludes(self, path: str) -> bool:
        """Whether `exclude` leaves out `path` (relative to the scanned folder) or one of its folders
        below the scanned one: a folder the user names is scanned even where the configuration
        above it excludes it (`scan examples/insecure` with `exclude = ["examples"]`), as ruff
        checks a file it is given."""
        if not self.exclude:
            return False
        index = _pattern_index(self.exclude)
        named = self.prefix.count("/")  # the scanned folder's own parts, and those above it
        parts = (self.prefix + path).split("/")
        return any(index.matches("/".join(parts[: end])) for end in range(named + 1, len(parts) + 1))

    @cached_property
    def _per_file_index(self) -> dict[str, GlobIndex]:
        """rule id -> its `per-file-ignores` patterns, indexed once: every finding is asked."""
        patterns: dict[str, list[str]] = {}
        for pattern, rules in self.per_file_ignores:
            for rule_id in rules:
                patterns.setdefault(rule_id, []).append(pattern)
        return {rule_id: GlobIndex(found) for rule_id, found in patterns.items()}


@cache
def _pattern_index(patterns: tuple[str, ...]) -> GlobIndex:
    return GlobIndex(pattern.rstrip("/") for pattern in patterns)


def load_config(directory: Path, explicit: Path | None, rule_ids: frozenset[str], descriptor: int | None = None,
                upwards: bool = False) -> Config:
    """The configuration for a scan of `directory`: `explicit` if given, else `.mcpharden.toml`,
    else `[tool.mcpharden]` in `pyproject.toml`, else defaults. `upwards`: looked for in
    `directory`, then each folder above it up to the repository's root (see config_folders).
    `descriptor`: the directory opened race-free by the caller (`mcpharden serve`, which never
    looks above the roots it was given)."""
    from mcpharden.sources.discovery import RepoReader

    if explicit is not None:
        return _from_file(explicit, explicit.parent, rule_ids,
                          table_path=("tool", "mcpharden") if explicit.name == "pyproject.toml" else ())
    folders = config_folders(directory) if upwards and descriptor is None else [(directory, "")]
    for folder, prefix in folders:
        # The scanned repository's own files are read like every other file of it: bounded, and
        # never through a symlink that leaves its folder (a linked config could turn a failing scan green).
        reader = RepoReader(folder, descriptor if folder is directory else None)
        if reader.exists(CONFIG_FILE):
            found = _from_file(folder / CONFIG_FILE, folder, rule_ids, table_path=(), reader=reader)
        elif reader.exists("pyproject.toml"):
            found = _from_file(folder / "pyproject.toml", folder, rule_ids, table_path=("tool", "mcpharden"), optional=True,
                               reader=reader)
        else:
            continue
        if found.source is not None:  # a pyproject.toml without [tool.mcpharden] configures nothing: go on up
            return replace(found, prefix=prefix)
    return Config()


def config_folders(directory: Path) -> list[tuple[Path, str]]:
    """Where a scan of `directory` looks for its configuration and ignore file, nearest first,
    each with the scanned folder as seen from it (`services/api/`): `directory` and every folder
    above it up to the one that holds `.git` (a folder or a worktree's file), as ruff and
    pre-commit stop at the repository's root. Outside a repository, `directory` alone: a file in
    some folder above an unrelated checkout must not configure its scan."""
    import os

    start = Path(os.path.abspath(directory))
    chain = [start, *start.parents]
    for depth, folder in enumerate(chain):
        if os.path.lexists(folder / ".git"):
            found = [(directory, "")]
            for level in range(1, depth + 1):
                found.append((chain[level], start.relative_to(chain[level]).as_posix() + "/"))
            return found
    return [(directory, "")]


def _read(path: Path, root: Path, reader: RepoReader | None = None) -> str:
    from mcpharden.sources.discovery import RepoReader

    reader = reader or RepoReader(root)
    text = reader.read(path.name)
    if text is None:
        problem = reader.notices[0].message if reader.notices else "no such file"
        raise ConfigError(f"{path}: cannot read configuration: {problem}")
    return text


def _from_file(path: Path, root: Path, rule_ids: frozenset[str], table_path: tuple[str, ...], optional: bool = False,
               reader: RepoReader | None = None) -> Config:
    import tomllib  # loaded only when a TOML file is read

    try:
        text = _read(path, root, reader)
        if optional and "mcpharden" not in text:
            return Config()  # a pyproject.toml without a [tool.mcpharden] table: nothing to parse
        document = tomllib.loads(text)
    except ConfigError:
        if optional:
            return Config()  # an unreadable pyproject.toml (too large, linked out) configures nothing
        raise
    except tomllib.TOMLDecodeError as error:
        if optional:
            return Config()  # a broken pyproject.toml is not ours to judge
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    table: Any = document
    for key in table_path:
        table = table.get(key, {}) if isinstance(table, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{'.'.join(table_path)}] must be a table")
    return parse_config(table, rule_ids, source=str(path))


def parse_config(table: dict[str, Any], rule_ids: frozenset[str], source: str) -> Config:
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(_KEYS))})")
    try:
        return Config(
            select=frozenset(_rule_list(table, "select", rule_ids)) if "select" in table else None,
            ignore=frozenset(_rule_list(table, "ignore", rule_ids)),
            exclude=tuple(_bounded_patterns(_string_list(table, "exclude"), "exclude")),
            fail_on=_fail_on(table.get("fail-on")),
            fail_on_parse_error=_optional_bool(table, "fail-on-parse-error"),
            target=_optional_string(table, "target"),
            severity=MappingProxyType(_severities(table.get("severity", {}), rule_ids)),
            base_images=_base_images(table.get("base-images", [])),
            per_file_ignores=_per_file_ignores(table.get("per-file-ignores", {}), rule_ids),
            source=source,
        )
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None


def _per_file_ignores(value: Any, rule_ids: frozenset[str]) -> tuple[tuple[str, frozenset[str]], ...]:
    if not isinstance(value, dict):
        raise ConfigError("`per-file-ignores` must be a table of path pattern = [rule ids]")
    _bounded_patterns(list(value), "per-file-ignores")
    return tuple((pattern, frozenset(_rule_list(value, pattern, rule_ids))) for pattern in value)


# Patterns with `?`, `[...]` or several `*` are matched by regular expression, at a cost per
# path that grows with their number (the plain ones are looked up: any number of them is fine).
MAX_COMPLEX_PATTERNS = 256


def _bounded_patterns(patterns: list[str], key: str) -> list[str]:
    complex_ones = [pattern for pattern in patterns if not is_plain(pattern)]
    if len(complex_ones) > MAX_COMPLEX_PATTERNS:
        raise ConfigError(f"`{key}`: {len(complex_ones)} patterns with `?`, `[...]` or several `*`; at most "
                          f"{MAX_COMPLEX_PATTERNS} (plain names and `dir/*`, `*.ext`, `*part*` have no limit)")
    return patterns


def _string_list(table: dict[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"`{key}` must be a list of strings")
    return value


def _rule_list(table: dict[str, Any], key: str, rule_ids: frozenset[str]) -> list[str]:
    values = _string_list(table, key)
    check_rule_ids(values, rule_ids, f"`{key}`")
    return values


def check_rule_ids(values: list[str] | tuple[str, ...], rule_ids: frozenset[str], where: str) -> None:
    unknown = [value for value in values if value not in rule_ids]
    if unknown:
        raise ConfigError(f"{where}: {unknown_rule_message(unknown, rule_ids)}")


def unknown_rule_message(unknown: list[str], rule_ids: frozenset[str]) -> str:
    """`unknown rule id(s) root_user; did you mean 'root-user'? (see `mcpharden rules`)`."""
    from difflib import get_close_matches

    guesses = [close[0] for value in unknown if (close := get_close_matches(value.replace("_", "-"), sorted(rule_ids), n=1))]
    hint = f"; did you mean {', '.join(repr(g) for g in guesses)}?" if guesses else ""
    return f"unknown rule id(s) {', '.join(unknown)}{hint} (see `mcpharden rules`)"


def _optional_string(table: dict[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"`{key}` must be a string")
    return value


def _optional_bool(table: dict[str, Any], key: str) -> bool | None:
    value = table.get(key)
    if value is not None and not isinstance(value, bool):
        raise ConfigError(f"`{key}` must be true or false")
    return value


def _fail_on(value: Any) -> str | None:
    if value is None:
        return None
    try:
        fail_threshold(str(value))
    except ValueError as error:
        raise ConfigError(f"`fail-on`: {error}") from None
    return str(value).lower()


def _severities(value: Any, rule_ids: frozenset[str]) -> dict[str, Severity]:
    if not isinstance(value, dict):
        raise ConfigError("`severity` must be a table of rule id = severity")
    check_rule_ids(list(value), rule_ids, "`severity`")
    try:
        return {rule: Severity.parse(str(level)) for rule, level in value.items()}
    except ValueError as error:
        raise ConfigError(f"`severity`: {error}") from None


def _base_images(value: Any) -> tuple[ImageEntry, ...]:
    if not isinstance(value, list):
        raise ConfigError("`base-images` must be a list of tables")
    entries = []
    for raw in value:
        if not isinstance(raw, dict) or not isinstance(raw.get("images"), list) or "family" not in raw:
            raise ConfigError("each `base-images` entry needs `images` (a list) and `family`")
        if raw["family"] not in families() and raw["family"] != "by-tag":
            raise ConfigError(f"`base-images`: unknown family {raw['family']!r} (known: {', '.join(sorted(families()))})")
        entries.append(entry_from_table(raw))
    return tuple(entries)
