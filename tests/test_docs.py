"""Rule pages, README and scoring documentation agree with the code."""

import re

from conftest import ROOT, run_cli
from mcpharden.rules import all_rules
from mcpharden.rules.pages import page_markdown


def test_rule_pages_are_generated_from_the_rules():
    for rule in all_rules():
        page = ROOT / "docs" / "rules" / f"{rule.id}.md"
        assert page.read_text(encoding="utf-8") == page_markdown(rule), f"run `make docs` to refresh {page}"


def test_every_page_has_the_sections_of_a_rule_page():
    for rule in all_rules():
        for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:", "## How to fix"):
            assert section in rule.page, (rule.id, section)


def test_explain_prints_the_page():
    for rule in all_rules():
        assert run_cli("explain", rule.id).stdout == page_markdown(rule)


def test_readme_rule_table_matches_the_rules():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in all_rules():
        assert re.search(rf"\| `{re.escape(rule.id)}` \| {rule.severity.name} \|", readme), rule.id


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    head = readme[:1500]
    assert "make demo" in head and "make test" in head


def test_scoring_doc_states_the_penalties():
    text = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    for fragment in ("HIGH", "−20", "MEDIUM", "−10", "LOW", "−5", "A", "≥ 90"):
        assert fragment in text
