"""The JSON report's text: the same data `json.dumps` gives, laid out one finding per line, with
the escaping the format asks for (ASCII for SARIF and JSON; characters kept where asked)."""

import json

from hypothesis import given
from hypothesis import strategies as st

from conftest import run_cli, write_tree
from mcpharden.util.jsontext import dumps

values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                      lambda children: st.lists(children) | st.dictionaries(st.text(), children), max_leaves=30)


@given(values, st.booleans())
def test_the_data_is_what_json_dumps_gives(value, ensure_ascii):
    text = dumps(value, ensure_ascii=ensure_ascii)
    assert json.loads(text) == value
    assert not ensure_ascii or text.isascii()


def test_outer_levels_indented_deeper_ones_on_one_line():
    text = dumps({"findings": [{"rule_id": "root-user", "details": {"user": "root"}}, {"rule_id": "x"}], "summary": {"counts": {"high": 1}}})
    assert text.splitlines() == [
        "{",
        '  "findings": [',
        '    {"rule_id": "root-user", "details": {"user": "root"}},',
        '    {"rule_id": "x"}',
        "  ],",
        '  "summary": {',
        '    "counts": {"high": 1}',
        "  }",
        "}",
    ]
    assert dumps({"empty": [], "none": {}}) == '{\n  "empty": [],\n  "none": {}\n}'


def test_the_report_has_one_finding_per_line(tmp_path):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": "FROM node:22\nEXPOSE 3000\nCMD [\"node\", \"s.js\"]\n"})
    out = run_cli("scan", str(repo), "--format", "json", "--fail-on", "never").stdout
    document = json.loads(out)
    lines = [line for line in out.splitlines() if line.startswith('    {"rule_id"') or line.startswith('    {"') and '"rule_id"' in line]
    assert len(lines) == len(document["findings"]) >= 2
