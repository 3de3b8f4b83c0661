"""The ignore file: findings a team has looked at and accepts for a while, each with its reason
and the date after which it comes back.

`.mcpharden-ignore.yaml` (or the file `--ignorefile` names):

```yaml
ignores:
  - rule: root-user
    path: legacy/*                  # optional: a glob relative to this file's folder
    reason: the legacy image is rebuilt as non-root in Q3
    expires: 2027-06-30             # the finding comes back the day after
```

`.trivyignore` (Trivy's ignore file) is read too: its lines that name a Trivy check mcpharden
has a rule for (a rule's `peers` fact, such as `Trivy KSV017` for privileged-container; `DS002`,
`AVD-DS-0002` and `AVD-KSV-0017` are spelled either way) ignore that rule everywhere until their
`exp:` date, with the comment above them as the reason. The other lines (CVE ids, checks of
other kinds) are left out, with one notice that lists them.

Both are found like the configuration: in the scanned folder, then up to the repository's root.
An entry naming no rule is a notice, never silently nothing; an entry without a reason or an
expiry date, or a date that is not one, is an error of the configuration (exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mcpharden.model.findings import SUPPRESSION, Finding, Notice
from mcpharden.scan.config import ConfigError, unknown_rule_message

if TYPE_CHECKING:
    from datetime import date


IGNORE_FILE = ".mcpharden-ignore.yaml"
TRIVY_IGNORE_FILE = ".trivyignore"
_KEYS = {"rule", "path", "reason", "expires"}


@dataclass(frozen=True)
class IgnoreEntry:
    rule_id: str
    path: str | None  # a glob relative to the ignore file's folder; None: everywhere
    reason: str
    expires: date | None  # None: a .trivyignore line without `exp:`
    line: int

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires


@dataclass(frozen=True)
class IgnoreFile:
    """The entries of one ignore file, and what it said that could not be used."""

    source: str  # the file's name as shown (`.mcpharden-ignore.yaml`, `../.trivyignore`)
    entries: tuple[IgnoreEntry, ...] = ()
    notices: tuple[Notice, ...] = ()
    # The scanned folder as seen from the file's folder (`services/api/`), as Config.prefix.
    prefix: str = ""

    def hiding(self, finding: Finding, today: date) -> IgnoreEntry | None:
        """The entry that hides `finding` today, if any."""
        for entry in self.entries:
            if entry.rule_id == finding.rule_id and not entry.expired(today) and _covers(entry.path, self.prefix + finding.path):
                return entry
        return None

    def expired_notices(self, today: date) -> list[Notice]:
        return [Notice(self.source, f"the ignore of {entry.rule_id}{f' in {entry.path}' if entry.path else ''} expired on "
                                    f"{entry.expires.isoformat()}: its findings are reported again (reason given: {entry.reason})",
                       entry.line, kind=SUPPRESSION) for entry in self.entries if entry.expired(today) and entry.expires is not None]


def _covers(pattern: str | None, path: str) -> bool:
    """Whether `pattern` matches `path` or one of its folders (`legacy` covers `legacy/Dockerfile`)."""
    from mcpharden.util.globs import glob_match

    if pattern is None:
        return True
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    parts = path.split("/")
    return any(glob_match("/".join(parts[: index + 1]), pattern) for index in range(len(parts)))


def describe(entry: IgnoreEntry, source: str) -> str:
    """What hides a finding, as reports list it."""
    until = f", until {entry.expires.isoformat()}" if entry.expires else ""
    return f"{source} (line {entry.line}{until}): {entry.reason}"


def read_ignore_file(name: str, text: str, rule_ids: frozenset[str]) -> IgnoreFile:
    """The entries of an ignore file given as text."""
    if PurePosixPath(name).suffix in (".yaml", ".yml"):
        return _mcpharden_file(name, text, rule_ids)
    from mcpharden.rules import all_rules  # every rule's peers: loaded only for a .trivyignore

    return _trivy_file(name, text, trivy_peers(all_rules()))


def _mcpharden_file(name: str, text: str, rule_ids: frozenset[str]) -> IgnoreFile:
    from mcpharden.syntax.yamlnodes import YamlError, YamlList, YamlMap, load_documents

    try:
        documents = load_documents(text)
    except YamlError as error:
        raise ConfigError(f"{name}: {error}") from None
    document = documents[0] if documents else YamlMap()
    if not isinstance(document, YamlMap) or set(document) - {"ignores"}:
        raise ConfigError(f"{name}: expected a mapping with one key, `ignores` (a list of entries)")
    listed = document.get("ignores") or YamlList()
    if not isinstance(listed, YamlList):
        raise ConfigError(f"{name}: `ignores` must be a list of entries")
    entries, notices = [], []
    for index, raw in enumerate(listed):
        line = listed.line_of(index)
        where = f"{name}:{line}"
        if not isinstance(raw, YamlMap):
            raise ConfigError(f"{where}: an entry is a mapping of rule, path, reason and expires")
        unknown = set(raw) - _KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))} (known: {', '.join(sorted(_KEYS))})")
        rule, path, reason, expires = (raw.get(key) for key in ("rule", "path", "reason", "expires"))
        if not isinstance(rule, str) or not rule.strip():
            raise ConfigError(f"{where}: `rule` (a rule id) is required")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where}: `reason` is required: say why {rule} is accepted here")
        if path is not None and not isinstance(path, str):
            raise ConfigError(f"{where}: `path` must be a glob such as `docs/*`")
        if expires is None:
            raise ConfigError(f"{where}: `expires` (YYYY-MM-DD) is required: the date after which {rule} is reported again")
        until = _date(str(expires), where)
        if rule.strip() not in rule_ids:
            notices.append(Notice(name, f"this ignore names no rule: {unknown_rule_message([rule.strip()], rule_ids)}", line,
                                  kind=SUPPRESSION))
            continue
        entries.append(IgnoreEntry(rule.strip(), path, " ".join(reason.split()), until, line))
    return IgnoreFile(name, tuple(entries), tuple(notices))


def _date(text: str, where: str) -> date:
    from datetime import date  # here: most scans have no ignore file

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{where}: `expires` {text!r} is not a date (YYYY-MM-DD)") from None


# `DS002`, `AVD-DS-0002`, `KSV017`, `AVD-KSV-0017`: one check, two spellings.
_TRIVY_ID = re.compile(r"^(?:AVD-)?([A-Z]+)-?0*(\d+)$")
_EXPIRY = re.compile(r"^exp:(\S+)$")


def trivy_key(check_id: str) -> str | None:
    """`AVD-DS-0002` and `DS002` → `DS-2`; None for what is not a check id (a CVE is none)."""
    match = _TRIVY_ID.match(check_id.strip().upper())
    return f"{match.group(1)}-{int(match.group(2))}" if match and not check_id.upper().startswith(("CVE-", "GHSA-")) else None


def trivy_peers(rules) -> dict[str, str]:
    """Trivy check key → mcpharden rule id, from each rule's `peers` (`Trivy KSV017`)."""
    found: dict[str, str] = {}
    for rule in rules:
        for peer in rule.peers:
            if peer.startswith("Trivy "):
                key = trivy_key(peer.split()[1])
                if key:
                    found.setdefault(key, rule.id)
    return found


def _trivy_file(name: str, text: str, peers: dict[str, str]) -> IgnoreFile:
    entries, left = [], []
    comment: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            comment = []
            continue
        if line.startswith("#"):
            comment.append(line.lstrip("#").strip())
            continue
        words = line.split()
        check, expiry = words[0], next((m.group(1) for w in words[1:] if (m := _EXPIRY.match(w))), None)
        rule_id = peers.get(trivy_key(check) or "")
        if rule_id is None:
            left.append(check)
        else:
            reason = " ".join(part for part in comment if part) or f"{check} in {TRIVY_IGNORE_FILE}"
            entries.append(IgnoreEntry(rule_id, None, reason, _date(expiry, f"{name}:{number}") if expiry else None, number))
        comment = []
    notices = []
    if left:
        shown = ", ".join(left[:8]) + (f" and {len(left) - 8} more" if len(left) > 8 else "")
        notices.append(Notice(name, f"{len(left)} line(s) name no check mcpharden has a rule for, and ignore nothing here: {shown}",
                              kind=SUPPRESSION))
    return IgnoreFile(name, tuple(entries), tuple(notices))


def _read_named(path: Path) -> str:
    """The file --ignorefile names, bounded as every configuration file is."""
    from mcpharden.sources.discovery import MAX_CONFIG_BYTES

    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: the ignore file is larger than {MAX_CONFIG_BYTES:,} bytes")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the ignore file: {getattr(error, 'strerror', None) or error}") from None


def find_ignore_files(folders: list[tuple[Path, str]], explicit: Path | None, rule_ids: frozenset[str],
                      descriptor: int | None = None) -> tuple[IgnoreFile, ...]:
    """The ignore files of a scan: `explicit` alone when given (--ignorefile), else the nearest
    `.mcpharden-ignore.yaml` and the nearest `.trivyignore` of `folders` (see config_folders).
    Read like the repository's other files: bounded, never through a symlink out of its folder."""
    from mcpharden.sources.discovery import RepoReader

    if explicit is not None:
        return (read_ignore_file(str(explicit), _read_named(explicit), rule_ids),)
    found: dict[str, IgnoreFile] = {}
    for folder, prefix in folders:
        reader = RepoReader(folder, descriptor if not prefix else None)
        for name in (IGNORE_FILE, TRIVY_IGNORE_FILE):
            if name in found or not reader.exists(name):
                continue
            text = reader.read(name)
            shown = (Path(*[".."] * prefix.count("/")) / name).as_posix() if prefix else name
            if text is None:
                raise ConfigError(f"{shown}: cannot read the ignore file: "
                                  f"{reader.notices[-1].message if reader.notices else 'unreadable'}")
            from dataclasses import replace

            found[name] = replace(read_ignore_file(shown, text, rule_ids), prefix=prefix)
    return tuple(found.values())
