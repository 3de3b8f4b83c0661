"""Every rule's samples (tests/data/<rule-id>/, see rule_samples.py): the rule fires on each
`bad` sample and on no `good` one, and its page shows them."""

from __future__ import annotations

import re

import pytest
from rule_samples import SAMPLE_NAME, Sample, findings_of, samples, scan_sample

from mcpharden.rules import all_rules
from mcpharden.rules import rule as rule_by_id
from mcpharden.rules.pages import page_markdown, samples_root

RULES = all_rules()
SAMPLES = [sample for rule in RULES for sample in samples(rule.id)]
# Samples that contradict their rule today, each with the reason; strict, so a fix shows.
DISAGREE: dict[str, str] = {}


def _marked(sample: Sample):
    reason = DISAGREE.get(sample.name)
    return pytest.param(sample, id=sample.name, marks=pytest.mark.xfail(reason=reason, strict=True) if reason else ())


def test_every_rule_has_a_bad_and_a_good_sample():
    for rule in RULES:
        kinds = [sample.kind for sample in samples(rule.id)]
        assert "bad" in kinds and "good" in kinds, rule.id


def test_the_samples_folder_holds_only_samples_of_rules():
    root = samples_root()
    assert {folder.name for folder in root.iterdir()} == {rule.id for rule in RULES}
    for folder in root.iterdir():
        for path in folder.iterdir():
            assert SAMPLE_NAME.match(path.name), f"{folder.name}/{path.name}: a sample is named bad… or good…"


@pytest.mark.parametrize("sample", [_marked(s) for s in SAMPLES])
def test_the_rule_fires_on_bad_samples_and_not_on_good_ones(sample, tmp_path):
    result = scan_sample(sample, tmp_path)
    found = findings_of(result, sample.rule_id)
    assert not [n for n in result.notices if "failed" in n.message], result.notices
    if sample.kind == "bad":
        assert found, f"{sample}: {sample.rule_id} does not fire"
    else:
        assert not found, [f"{f.path}:{f.line}: {f.message}" for f in found]


# The page ---------------------------------------------------------------------------------------

_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_DIRECTIVE = re.compile(r"^<!-- sample: (\S+?)(?:, lines? [\d-]+)? -->$", re.MULTILINE)


def test_the_pages_examples_are_the_rules_samples():
    """Every code block under "Example" and "Use instead" shows a sample (`text` blocks show
    output, not input); every sample a page shows is one of the rule's samples."""
    for rule in RULES:
        examples = rule.page.split("## Example", 1)[1].split("\n## ", 1)[0]
        for language, body in _BLOCK.findall(examples):
            if language != "text":
                assert _DIRECTIVE.search(body), (rule.id, body)
        names = {sample.path.name for sample in samples(rule.id)}
        for shown in _DIRECTIVE.findall(rule.page):
            assert shown.split("/", 1)[0] in names, (rule.id, shown)
        assert page_markdown(rule)  # every directive resolves


def test_pages_never_show_a_credential():
    from mcpharden.knowledge.credentials import credential_kind, shape_pattern, shape_searches

    for rule in RULES:
        page = page_markdown(rule)
        for _, source in shape_searches():
            for token in shape_pattern(source).findall(page):
                assert not credential_kind("", token), (rule.id, token)
    shown = page_markdown(rule_by_id("secret-in-run-config"))
    assert "GITHUB_PERSONAL_ACCESS_TOKEN=ghp_…" in shown  # the sample's token, cut to its prefix
