"""Rule pages: docs/rules/<id>.md is generated from each rule's docstring and metadata
(the remedy for each source format and the references, declared on its Rule).

The page's examples are the rule's samples, files that a test scans (the rule fires on every
`bad` sample and on no `good` one). A line `<!-- sample: NAME -->` in the docstring, or
`<!-- sample: NAME, lines 2-4 -->` (`, line 2`) for part of it, is replaced by the text of
the sample NAME of the rule's folder in tests/data/<rule-id>/ (in an installed wheel, in
mcpharden/rules/samples/<rule-id>/, where pyproject.toml ships tests/data).

`python -m mcpharden.rules.pages docs/rules` rewrites them (`make docs`); a test fails
when a page is out of date, so `mcpharden explain` and the repository never disagree.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from mcpharden.rules import all_rules

if TYPE_CHECKING:
    from mcpharden.rules.base import Rule

# Where the rule pages are published; SARIF's helpUri and the Markdown report link here.
PAGES_URL = "https://github.com/mcpharden/mcpharden/blob/main/docs/rules/"


def page_url(rule_id: str) -> str:
    return f"{PAGES_URL}{rule_id}.md"


_SAMPLE = re.compile(r"^<!-- sample: (?P<name>[^\s,]+)(?:, lines? (?P<first>\d+)(?:-(?P<last>\d+))?)? -->$", re.MULTILINE)


@cache
def samples_root() -> Path:
    """The folder of the rules' samples, one folder per rule id: tests/data in a source
    checkout, mcpharden/rules/samples in an installed wheel."""
    here = Path(__file__).resolve().parent
    shipped = here / "samples"
    return shipped if shipped.is_dir() else here.parent.parent.parent / "tests" / "data"


@cache
def _sample_lines(rule_id: str, name: str) -> tuple[str, ...]:
    path = samples_root() / rule_id / name
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LookupError(f"rule {rule_id}: its page shows the sample {name}, which cannot be read ({error})") from None
    return tuple(_elided(text).removesuffix("\n").split("\n"))


def _elided(text: str) -> str:
    """A sample as a page shows it: a value the rules take for a well-known token is cut to
    its prefix and an ellipsis (`ghp_…`), since a page is output and no output holds a credential."""
    from mcpharden.knowledge.credentials import credential_kind, shape_pattern, shape_prefixes, shape_searches

    if not shape_prefixes().search(text):
        return text
    for prefixes, source in shape_searches():
        def cut(match: re.Match, prefixes=prefixes) -> str:
            token = match.group(0)
            if not credential_kind("", token):
                return token
            return next((prefix for prefix in prefixes if token.startswith(prefix)), token[:4]) + "…"

        text = shape_pattern(source).sub(cut, text)
    return text


def _sample(rule_id: str, directive: re.Match) -> str:
    lines = _sample_lines(rule_id, directive["name"])
    first = int(directive["first"] or 1)
    last = int(directive["last"] or directive["first"] or len(lines))
    if not 1 <= first <= last <= len(lines):
        raise LookupError(f"rule {rule_id}: the sample {directive['name']} has no lines {first}-{last}")
    return "\n".join(lines[first - 1 : last])


def page_text(rule: Rule) -> str:
    """The rule's docstring with its samples in place."""
    return _SAMPLE.sub(lambda directive: _sample(rule.id, directive), rule.page)


def page_markdown(rule: Rule) -> str:
    header = (
        f"# {rule.id}\n\n"
        f"**{rule.title}** · severity `{rule.severity.name}` · category `{rule.category}`\n\n"
    )
    return header + page_text(rule).strip() + "\n" + _remedies(rule) + _suppression(rule) + _references(rule)


def _remedies(rule: Rule) -> str:
    """The "Fix by source" table."""
    if not rule.remedy_by_source:
        return ""
    rows = "".join(f"| {source} | {remedy} |\n" for source, remedy in rule.remedy_by_source)
    return f"\n### Fix by source\n\n| where | fix |\n| --- | --- |\n{rows}"


def _suppression(rule: Rule) -> str:
    return (
        "\n## Suppression\n\n"
        "On the line above the reported one (Dockerfile, YAML, shell):\n\n"
        f"```dockerfile\n# mcpharden: ignore={rule.id}\n```\n\n"
        "For the whole project, in `.mcpharden.toml` (or `[tool.mcpharden]` in `pyproject.toml`):\n\n"
        f"```toml\nignore = [\"{rule.id}\"]\n```\n\n"
        f"Or once: `mcpharden scan --ignore {rule.id}`; existing findings: `--baseline`.\n"
    )


def _references(rule: Rule) -> str:
    lines = [f"- CIS Docker Benchmark: {title}" for title in rule.cis]
    lines += [f"- [{cwe}](https://cwe.mitre.org/data/definitions/{cwe.split('-')[1]}.html)" for cwe in rule.cwe]
    if rule.peers:
        lines.append("- Overlapping checks of other scanners: " + ", ".join(rule.peers))
    if not lines:
        return ""
    return "\n## References\n\n" + "\n".join(lines) + "\n"


def write_pages(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for rule in all_rules():
        path = directory / f"{rule.id}.md"
        path.write_text(page_markdown(rule), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for page in write_pages(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules")):
        print(page)
