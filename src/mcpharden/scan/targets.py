"""Scan targets: what the user asked (ScanOptions), and each kind of target up to the point
where its files are judged (scan_target: a directory or a file; scan_text: a file given as
text; scan_clients: a user's MCP client configurations; scan_image, in scan.images: a built
image). Each starts with the one preamble: the configuration its findings are judged by and
the rules it selects.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mcpharden.errors import UsageError
from mcpharden.model.findings import Notice
from mcpharden.rules import RULES
from mcpharden.scan.config import Config, ConfigError, check_rule_ids, load_config
from mcpharden.scan.judge import _judge
from mcpharden.scan.suppression import _claimed_config
from mcpharden.sources.discovery import Artifact, OpenedTarget, RepoReader, classify, discover

if TYPE_CHECKING:
    from mcpharden.scan.results import TargetResult


class TargetError(UsageError):
    """A scan target that does not exist or cannot be read (exit code 2)."""


@dataclass(frozen=True)
class ScanOptions:
    """What the user asked of a scan, from the command line or the MCP tools."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    target_stage: str | None = None
    config_path: Path | None = None
    # `scan --image`: built images to audit with the repository and compare with a Dockerfile.
    images: tuple[Path, ...] = ()
    image_dockerfile: str | None = None
    platform: str | None = None
    # OSV databases (directories or all.zip) to match image packages against.
    vuln_dbs: tuple[Path, ...] = ()
    ignore_unfixed: bool = False
    # `--skip-dirs`/`--skip-files`: paths not scanned, added to the configuration's `exclude`.
    exclude: tuple[str, ...] = ()
    # `--ignorefile`: the ignore file to read instead of `.mcpharden-ignore.yaml` / `.trivyignore`.
    ignore_path: Path | None = None
    # False for an outside audit (`mcpharden batch`): nothing the repository says about its own
    # findings (.mcpharden.toml, [tool.mcpharden], `# mcpharden: ignore=` comments) changes them,
    # or the audited could grade themselves; what it would hide is listed, still counted, in
    # TargetResult.repository_suppressions.
    use_repository_config: bool = True


class Preamble(NamedTuple):
    """What every scan starts from: the configuration its findings are judged by, the rules
    that configuration and the options select (by id: a rule is imported only when the target
    holds what it reads), and every rule id (names are checked against)."""

    config: Config
    rules: tuple[str, ...]
    rule_ids: frozenset[str]


def preamble(root: Path, options: ScanOptions, configuration: str, directory: int | None = None) -> Preamble:
    """The one preamble of scan_target, scan_text, scan_clients and scan_image. `configuration`
    says where the target's configuration may come from: "own", its own (found from `root`
    upwards, or --config) unless the scan is an outside audit (use_repository_config); "explicit",
    only a --config the user named; "none", nowhere. `directory`: `root` already opened
    race-free (`mcpharden serve`), the configuration then read through it."""
    rule_ids = frozenset(RULES)
    if configuration == "own":
        configured = options.use_repository_config
    else:
        configured = configuration == "explicit" and bool(options.config_path)
    config = load_config(root, options.config_path, rule_ids, directory, upwards=configuration == "own") if configured else Config()
    own = configuration == "own" and options.use_repository_config
    if own or options.ignore_path is not None:
        from mcpharden.scan.config import config_folders
        from mcpharden.scan.ignorefile import find_ignore_files

        folders = config_folders(root) if own and directory is None else [(root, "")]
        config = replace(config, ignore_files=find_ignore_files(folders if own else [], options.ignore_path, rule_ids,
                                                                directory))
    return Preamble(config, _selected_rules(config, options, rule_ids), rule_ids)


def scan_target(target: Path, options: ScanOptions, opened: OpenedTarget | None = None) -> TargetResult:
    """`opened`: the target already resolved and opened race-free (`mcpharden serve`); every
    file is then read through its descriptor."""
    if opened is None and not target.exists() and not target.is_symlink():
        raise TargetError(f"{target}: no such file or directory")
    is_directory = target.is_dir() if opened is None else opened.name is None
    root = target if is_directory else target.parent
    directory = opened.directory if opened else None
    config, rules, rule_ids = preamble(root, options, "own", directory)
    reader = RepoReader(root, directory)
    claimed = config if options.use_repository_config else _claimed_config(root, rule_ids, reader)
    if is_directory:
        # A configuration found above the scanned folder matches its patterns from its own folder.
        discovery = discover(root, options.exclude + (() if config.prefix else config.exclude), reader)
        artifacts = tuple(a for a in discovery.artifacts if not (config.prefix and config.excludes(a.path)))
        notices = [n for n in discovery.notices if not (config.prefix and config.excludes(n.path))]
    else:
        artifacts, notices = (_artifact_for_file(target),), []
        if reader.read(target.name) is None:
            problem = reader.notices[0].message if reader.notices else "cannot be read"
            raise TargetError(f"{target}: {problem}")
    scope = "repository" if is_directory else "files"
    return _judge(str(target), root, artifacts, reader, notices, config, rules, options, scope, claimed)


def scan_text(name: str, content: str, options: ScanOptions) -> TargetResult:
    """One file given as text (a Dockerfile, compose file, manifest or client configuration),
    scanned in memory: `name` decides its kind (`Dockerfile`, `.cursor/mcp.json`)."""
    from mcpharden.sources.discovery import MemoryReader

    relative = _memory_name(name)
    config, rules, _ = preamble(Path("."), options, "none")
    reader = MemoryReader({relative: content.encode("utf-8")})
    # Classified by its trailing parts (`x/.github/workflows/ci.yml`), as a file on disk is.
    starts = [0] + [index + 1 for index, char in enumerate(relative) if char == "/"]
    artifact = next((replace(found, path=relative) for start in starts
                     if (found := classify(relative[start:])) and found.kind != "source"),
                    Artifact(relative, "dockerfile"))
    return _judge(relative, Path("."), (artifact,), reader, [], config, rules, options, "files")


# A name is a path, not a payload: PATH_MAX characters, and no deeper than discovery walks
# (each part is one classification of the trailing parts).
MAX_NAME_CHARS = 4096


def _memory_name(name: str) -> str:
    """A relative posix path made from a user's file name: no root, no `..`, no empty parts."""
    from mcpharden.sources.discovery import MAX_DEPTH

    if len(name) > MAX_NAME_CHARS:
        raise TargetError(f"a file name of {len(name)} characters: at most {MAX_NAME_CHARS}")
    parts = [part for part in name.replace("\\", "/").split("/") if part not in ("", ".", "..")]
    if not parts or any("\x00" in part for part in parts):
        raise TargetError(f"{name!r}: not a usable file name")
    if len(parts) > MAX_DEPTH + 1:
        raise TargetError(f"a file name of {len(parts)} parts: at most {MAX_DEPTH + 1} (folders and the file)")
    return "/".join(parts)


def scan_clients(home: Path, options: ScanOptions) -> TargetResult:
    """The laptop audit: every MCP client configuration installed for the user of `home`."""
    from mcpharden.knowledge.clients import home_locations

    if not home.is_dir():
        raise TargetError(f"{home}: not a directory")
    config, rules, _ = preamble(home, options, "explicit")
    seen: dict[str, Artifact] = {}
    notices: list[Notice] = []
    for client, pattern in home_locations():
        for relative in _home_matches(home, pattern, notices):
            seen.setdefault(relative, Artifact(relative, "client", client))
    reader = RepoReader(home)
    return _judge(str(home), home, tuple(seen.values()), reader, notices, config, rules, options, "clients")


# Client files one home pattern may bring (Continue keeps one file per server in a folder): a
# laptop has a handful, and this many keep a laptop audit within the README's 30 s and 512 MB.
MAX_CLIENT_FILES = 10_000


def _home_matches(home: Path, pattern: str, notices: list[Notice]) -> list[str]:
    """The first MAX_CLIENT_FILES paths (by name) that match `pattern` in `home`, of at most
    MAX_WALKED_FILES looked at; a notice says what was left out."""
    from itertools import islice

    from mcpharden.sources.discovery import MAX_WALKED_FILES

    found = sorted(match.relative_to(home).as_posix() for match in islice(home.glob(pattern), MAX_WALKED_FILES + 1))
    if len(found) > MAX_WALKED_FILES:
        notices.append(Notice(pattern, f"more than {MAX_WALKED_FILES:,} files match: the first {MAX_CLIENT_FILES:,} "
                                       f"by name of {MAX_WALKED_FILES:,} looked at were read, the rest were not"))
    elif len(found) > MAX_CLIENT_FILES:
        notices.append(Notice(pattern, f"{len(found):,} files match: the first {MAX_CLIENT_FILES:,} by name were read, "
                                       f"{len(found) - MAX_CLIENT_FILES:,} were not (from {found[MAX_CLIENT_FILES]})"))
    return found[:MAX_CLIENT_FILES]


def _selected_rules(config: Config, options: ScanOptions, rule_ids: frozenset[str]) -> tuple[str, ...]:
    if options.select is not None:
        check_rule_ids(options.select, rule_ids, "--select")
    check_rule_ids(options.ignore, rule_ids, "--ignore")
    selected = set(options.select) if options.select is not None else (set(config.select) if config.select is not None else None)
    ignored = set(options.ignore) | set(config.ignore)
    return tuple(rule_id for rule_id in RULES if (selected is None or rule_id in selected) and rule_id not in ignored)


def _artifact_for_file(target: Path) -> Artifact:
    """A file named on the command line: classified by its trailing path components
    (.github/workflows/ci.yml), and read as a Dockerfile when nothing else matches."""
    parts = target.absolute().as_posix().split("/")
    for start in range(len(parts) - 1, 0, -1):
        artifact = classify("/".join(parts[start:]))
        if artifact and artifact.kind != "source":
            return replace(artifact, path=target.name)
    return Artifact(target.name, "dockerfile")


def ensure_valid_config(path: Path | None, what: str = "configuration file") -> None:
    """Validate an explicit --config (or --ignorefile) early, so a typo exits 2 before any scanning."""
    if path is not None and not path.is_file():
        raise ConfigError(f"{path}: {what} not found")
