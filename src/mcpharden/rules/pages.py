"""Rule pages: docs/rules/<id>.md is generated from each rule's docstring and metadata.

`python -m mcpharden.rules.pages docs/rules` rewrites them (`make docs`); a test fails
when a page is out of date, so `mcpharden explain` and the repository never disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mcpharden.rules import all_rules
from mcpharden.rules.base import Rule


def page_markdown(rule: Rule) -> str:
    header = (
        f"# {rule.id}\n\n"
        f"**{rule.title}** · severity `{rule.severity.name}` · category `{rule.category}`\n\n"
    )
    return header + rule.page.strip() + "\n"


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
