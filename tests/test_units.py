"""Units shared by the rules: variable expansion, image names, shell splitting."""


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpharden.model.references import parse_image_name
from mcpharden.syntax.shell import split_commands
from mcpharden.syntax.variables import Unresolved, expand


def test_expand_forms():
    values = {"A": "1", "EMPTY": "", "NONE": None}
    assert expand("$A-${A}", values) == "1-1"
    assert expand("${MISSING:-x}/${EMPTY:-y}/${EMPTY-z}/${A:+set}", values) == "x/y//set"
    assert expand(r"\$A", values) == "$A"
    with pytest.raises(Unresolved):
        expand("${NONE}", values)


def test_image_names():
    assert parse_image_name("node:22").full_name == "docker.io/library/node"
    name = parse_image_name("localhost:5000/team/app:1.2@sha256:" + "a" * 64)
    assert (name.registry, name.repository, name.tag, name.is_pinned) == ("localhost:5000", "team/app", "1.2", True)
    assert parse_image_name("ghcr.io/org/img").tag is None


def test_shell_splitting_keeps_assignments_and_unwraps():
    commands = split_commands("A=1 sudo -E env B=2 npm ci && bash -c 'pip install x'; echo done")
    assert [c.argv[:2] for c in commands] == [("npm", "ci"), ("pip", "install"), ("echo", "done")]
    assert dict(commands[0].assignments) == {"A": "1", "B": "2"}


@pytest.mark.parametrize("pattern", ["node", "gcr.io/distroless/*", "*alpine*", "*-dev", "ubi*/openjdk-*", "a?c", "[ab]*", "*",
                                     "**", "*.*", "docker-compose-*.yml", ".github/workflows/*.yml", "*/.cursor/mcp.json",
                                     "*/.continue/mcpServers/*.yaml", "a*a"])
@pytest.mark.parametrize("text", ["node", "gcr.io/distroless/static", "3.20-alpine", "latest-dev", "ubi9/openjdk-21", "abc", "b", "",
                                  "a", "aa", ".github/workflows/sub/ci.yml", ".github/workflows/.yml", "docker-compose-.yml",
                                  "x/.cursor/mcp.json", ".cursor/mcp.json", "a/.continue/mcpServers/b/c.yaml"])
def test_glob_match_is_fnmatchcase(pattern, text):
    from fnmatch import fnmatchcase

    from mcpharden.util.globs import glob_match

    assert glob_match(text, pattern) == fnmatchcase(text, pattern)


def test_compose_interpolation_keeps_unknown_variables_and_escapes():
    from mcpharden.sources.compose import interpolate

    assert interpolate("${HOME}/.ssh:$$HOME:${TAG:-1.0}:${SET:?x}", {"SET": "y"}) == "${HOME}/.ssh:$HOME:1.0:y"


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.lists(st.text(alphabet="ab/*.?[]", max_size=6), max_size=8), st.text(alphabet="ab/.", max_size=7))
def test_glob_set_finds_the_first_pattern_that_matches(patterns, text):
    from fnmatch import fnmatchcase

    from mcpharden.util.globs import GlobSet

    expected = next((index for index, pattern in enumerate(patterns) if fnmatchcase(text, pattern)), None)
    assert GlobSet(patterns).first(text) == expected


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(alphabet='ab "/\\*,\t{}[]é', max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet='ab"/*,', max_size=5), inner, max_size=4),
    max_leaves=12,
)


def _with_comments_and_trailing_commas(value, draw_comment) -> str:
    """VS Code-style JSON text of `value`: comments after separators, trailing commas, tabs."""
    import json

    if isinstance(value, list):
        items = [_with_comments_and_trailing_commas(item, draw_comment) for item in value]
        return "[" + draw_comment() + ",\t".join(items) + ("," if items else "") + "\n]"
    if isinstance(value, dict):
        items = [json.dumps(key) + ":" + draw_comment() + _with_comments_and_trailing_commas(item, draw_comment)
                 for key, item in value.items()]
        return "{\t" + ",\n".join(items) + ("," if items else "") + "}"
    return json.dumps(value, ensure_ascii=False)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_JSON_VALUES, st.lists(st.sampled_from(["", " // a, ] } \"x\n", " /* b, ]\n */ ", "\t"]), min_size=1))
def test_json_with_comments_reads_as_the_json_it_holds(value, comments):
    from itertools import cycle

    from mcpharden.syntax.jsonc import _blank_comments_and_trailing_commas, load_jsonc

    text = _with_comments_and_trailing_commas({"root": value}, cycle(comments).__next__)
    cleaned = _blank_comments_and_trailing_commas(text)
    assert len(cleaned) == len(text) and [i for i, c in enumerate(cleaned) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]
    assert load_jsonc(text)["root"] == _as_read(value)


def _as_read(value):
    """A JSON value as the line-keeping reader gives it: numbers stay text, as in YAML files."""
    if isinstance(value, list):
        return [_as_read(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_read(item) for key, item in value.items()}
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
