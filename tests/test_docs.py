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
        for generated in ("### Fix by source", "## Suppression", "## References"):  # pages.py writes these once
            assert generated not in rule.page, (rule.id, generated)


# The formats a rule judges in, by what it judges (Rule.phase) and by what it reads (Rule.reads):
# its page gives a fix for every format in both.
SOURCES_BY_PHASE = {
    "run": {"compose", "Kubernetes", "docker run", "client config"},
    "build": {"Dockerfile"},
    "image": {"built image"},
    "pipeline": {"CI definition"},
}
SOURCES_BY_MODEL = {
    "BuildModel": {"Dockerfile"},
    "ContainerSpec": {"compose", "Kubernetes", "docker run", "client config"},
    "ClientServer": {"client config"},
    "ImageModel": {"built image"},
    "Pipeline": {"CI definition"},
}


def test_every_page_gives_a_fix_for_every_source_its_rule_judges():
    for rule in all_rules():
        read = set().union(*(SOURCES_BY_MODEL.get(model, set()) for model in rule.reads))
        expected = SOURCES_BY_PHASE[rule.phase] & read
        assert expected, rule.id
        sources = {source for source, _ in rule.remedy_by_source}
        assert expected <= sources, (rule.id, expected - sources)
        page = page_markdown(rule)
        assert "### Fix by source" in page and all(f"| {source} |" in page for source in expected), rule.id


def test_every_page_has_suppression_and_references():
    for rule in all_rules():
        page = page_markdown(rule)
        assert f"# mcpharden: ignore={rule.id}" in page and f'ignore = ["{rule.id}"]' in page, rule.id
        if rule.cwe or rule.cis or rule.peers:
            assert "## References" in page, rule.id
        for cwe in rule.cwe:
            assert re.fullmatch(r"CWE-\d+", cwe), (rule.id, cwe)


def test_explain_prints_the_page():
    for rule in all_rules():
        assert run_cli("explain", rule.id).stdout == page_markdown(rule)


def test_readme_rule_table_matches_mcpharden_rules():
    """The README's table lists every rule once, with the severity `mcpharden rules` gives, and
    nothing else (its third column is the README's own summary)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Rules\n", 1)[1].strip().split("\n\n", 1)[0].splitlines()
    rows = [re.fullmatch(r"\| `([a-z-]+)` \| ([A-Z]+) \| .+ \|", line) for line in table[2:]]
    assert table[0] == "| rule | severity | finds |" and all(rows), table  # every row but the header names a rule
    rows = [row.groups() for row in rows]
    listed = run_cli("rules").stdout.splitlines()
    assert dict(rows) == {line.split()[0]: line.split()[1] for line in listed} and len(rows) == len(listed) == len(all_rules())


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    head = readme[:1500]
    assert "make demo" in head and "make test" in head


def test_scoring_doc_states_the_model():
    from mcpharden.verdicts.scoring import DIMENSIONS, GRADES

    text = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    for dimension in DIMENSIONS:  # each dimension's row: its points, every rule that shows it, its ceiling
        [cells] = [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines()
                   if line.startswith(f"| {dimension.name} | ") and line.count("|") == 5]
        assert cells[1] == f"−{dimension.points}" and all(f"`{rule}`" in cells[2] for rule in dimension.rules)
        assert cells[3] == ("" if dimension.ceiling == "A" else dimension.ceiling)
    for threshold, grade in GRADES:
        assert f"| {grade} | ≥ {threshold} |" in text
