"""What a repository says of its own findings: `# mcpharden: ignore=RULE` comments above a
finding's line, and the settings of its configuration that hide a finding (per-file-ignores)
or, in an outside audit, would hide or lower it (ignore, select, exclude, severity)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mcpharden.model.findings import SUPPRESSION, Finding, Notice
from mcpharden.scan.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from mcpharden.sources.discovery import RepoReader

# `mcpharden: ignore=RULE[,RULE] [-- reason]`: the rule ids end where ` --` starts the reason
# (rule ids hold single hyphens only), or at a character no rule id has (`#`, `*/`).
_SUPPRESSION = re.compile(r"mcpharden:\s*ignore\s*=\s*([A-Za-z0-9_,\- ]+)")
_REASON = re.compile(r"\s--(?:\s|$)")
_COMMENT_PREFIXES = ("#", "//", "<!--", ";")


@dataclass(frozen=True)
class RepositorySuppression:
    """A finding the scanned repository's own comments or configuration hide (or lower), and
    what does it: left out when they are honoured, listed and still counted when they are not."""

    finding: Finding
    by: str  # "`# mcpharden: ignore=all` (line 3)", "`ignore` in .mcpharden.toml"


def _claimed_config(root: Path, rule_ids: frozenset[str], reader: RepoReader) -> Config:
    """The repository's own configuration, read to list what it would hide, never to judge: one
    that cannot be read or is invalid claims nothing (a notice says so), it fails no audit."""
    try:
        from dataclasses import replace

        from mcpharden.scan.ignorefile import find_ignore_files

        config = load_config(root, None, rule_ids)
        return replace(config, ignore_files=find_ignore_files([(root, "")], None, rule_ids))
    except ConfigError as error:
        reader.notices.append(Notice(".", f"the repository's own configuration is not valid ({error}): it hides nothing"))
    except Exception as error:  # nested past what the TOML parser bears, or shapes no check foresaw
        reader.notices.append(Notice(".", f"the repository's own configuration cannot be read ({type(error).__name__}): "
                                          "it hides nothing"))
    return Config()


def _hidden_by(finding: Finding, config: Config, reader: RepoReader) -> str | None:
    """What hides `finding` once its rule ran on a file that was read: an inline comment above
    it, or `per-file-ignores` of the configuration; None when nothing does."""
    comment = _suppression_comment(finding, reader)
    if comment:
        return comment
    if config.ignores(finding.rule_id, finding.path):
        return f"`per-file-ignores` in {_config_name(config)}"
    if config.ignore_files:
        from datetime import date

        from mcpharden.scan.ignorefile import describe

        today = date.today()
        for ignore_file in config.ignore_files:
            entry = ignore_file.hiding(finding, today)
            if entry is not None:
                return describe(entry, ignore_file.source)
    return None


def _claimed_by(finding: Finding, config: Config, reader: RepoReader) -> str | None:
    """What in the repository would hide or lower `finding` if it were honoured: besides
    `_hidden_by`, the settings that keep a rule from running (`ignore`, `select`), a file from
    being read (`exclude`), or lower a severity."""
    hidden = _hidden_by(finding, config, reader)
    if hidden:
        return hidden
    where = _config_name(config)
    if finding.rule_id in config.ignore:
        return f"`ignore` in {where}"
    if config.select is not None and finding.rule_id not in config.select:
        return f"`select` in {where} leaves the rule out"
    if config.excludes(finding.path):
        return f"`exclude` in {where}"
    lowered = config.severity.get(finding.rule_id)
    if lowered is not None and lowered < finding.severity:  # lowering changes the grade as hiding does
        return f"`severity` in {where} lowers it to {lowered.label}"
    return None


def _config_name(config: Config) -> str:
    return Path(config.source).name if config.source else "the configuration"


def _suppression_comment(finding: Finding, reader: RepoReader) -> str | None:
    """`# mcpharden: ignore=RULE[,RULE]` in the comment block right above the finding's line,
    as written (shortened), with its line; None when there is none for this rule."""
    lines = reader.suppression_lines(finding.path)
    index = finding.line - 2
    while 0 <= index < len(lines):
        stripped = lines[index].strip()
        if not stripped.startswith(_COMMENT_PREFIXES):
            break
        match = _SUPPRESSION.search(stripped)
        if match:
            rules = _rule_ids(match)
            if finding.rule_id in rules or "all" in rules:
                written = " ".join(stripped[match.start():].removesuffix("-->").split())  # with its reason
                return f"`{written[:120]}{'…' if len(written) > 120 else ''}` (line {index + 1})"
        index -= 1
    return None


def _rule_ids(match: re.Match) -> set[str]:
    named = _REASON.split(match.group(1), maxsplit=1)[0]
    return {r.strip() for r in named.split(",") if r.strip()}


def unknown_inline_rules(reader: RepoReader, paths, rule_ids: frozenset[str]) -> list[Notice]:
    """A `# mcpharden: ignore=` comment naming no rule hides nothing: say so, where it is, rather
    than let a typo (`ignore=root_user`) pass for a suppression."""
    from mcpharden.scan.config import unknown_rule_message

    notices = []
    for path in paths:
        for number, line in enumerate(reader.suppression_lines(path), start=1):
            stripped = line.strip()
            match = _SUPPRESSION.search(stripped) if stripped.startswith(_COMMENT_PREFIXES) else None
            unknown = sorted(_rule_ids(match) - rule_ids - {"all"}) if match else []
            if unknown:
                notices.append(Notice(path, f"this suppression names no rule and hides nothing: "
                                            f"{unknown_rule_message(unknown, rule_ids)}", number, kind=SUPPRESSION))
    return notices
