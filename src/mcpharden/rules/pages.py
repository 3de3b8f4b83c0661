"""Rule pages: docs/rules/<id>.md is generated from each rule's docstring and metadata
(fix by source and references, declared on its Rule).

`python -m mcpharden.rules.pages docs/rules` rewrites them (`make docs`); a test fails
when a page is out of date, so `mcpharden explain` and the repository never disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mcpharden.rules import all_rules
from mcpharden.rules.base import Rule

# Where the rule pages are published; SARIF's helpUri and the Markdown report link here.
PAGES_URL = "https://github.com/mcpharden/mcpharden/blob/main/docs/rules/"


def page_url(rule_id: str) -> str:
    return f"{PAGES_URL}{rule_id}.md"


def page_markdown(rule: Rule) -> str:
    header = (
        f"# {rule.id}\n\n"
        f"**{rule.title}** · severity `{rule.severity.name}` · category `{rule.category}`\n\n"
    )
    return header + rule.page.strip() + "\n" + _fix_by_source(rule) + _suppression(rule) + _references(rule)


def _fix_by_source(rule: Rule) -> str:
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
