"""Units shared by the rules: variable expansion, image names, shell splitting."""

import re

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


def test_shell_fallback_for_syntax_bashlex_rejects():
    commands = split_commands('export X="$(cat /run/secrets/a 2>/dev/null || echo \'\')" && npm ci')
    assert ("npm", "ci") in [c.argv for c in commands]


# bashlex 0.18 strips single quotes inside a double-quoted word; bash keeps them literally.
_SINGLE_QUOTE_IN_DOUBLE = re.compile(r'"[^"]*\'[^"]*"')


def test_fast_lexer_keeps_single_quotes_inside_double_quotes():
    from mcpharden.syntax.shell import plain_command_list

    (command,) = plain_command_list("""go build -ldflags="-X v=1 -extldflags '-static'" ./cmd""")
    assert command.argv == ("go", "build", "-ldflags=-X v=1 -extldflags '-static'", "./cmd")


def test_fast_lexer_agrees_with_bashlex_on_every_corpus_script(corpus):
    """The plain-command-list lexer must give what bash's grammar gives, wherever it answers."""
    import dockerfile

    from mcpharden.syntax.shell import _with_bashlex, plain_command_list

    compared = 0
    for path in corpus.rglob("*ockerfile*"):
        try:
            commands = dockerfile.parse_file(str(path))
        except Exception:
            continue
        for command in commands:
            if command.cmd.upper() != "RUN" or command.json or command.heredocs or not command.value:
                continue
            script = command.value[0]
            fast = plain_command_list(script)
            if fast is None:
                continue
            if _SINGLE_QUOTE_IN_DOUBLE.search(script):
                continue  # bashlex removes these quotes; bash keeps them (tested below)
            try:
                reference = _with_bashlex(script)
            except Exception:
                continue
            assert [(c.argv, c.assignments) for c in fast] == [(c.argv, c.assignments) for c in reference], script
            compared += 1
    assert compared > 100


def test_fast_lexer_hands_unusual_syntax_to_the_parser():
    from mcpharden.syntax.shell import plain_command_list

    for script in ("case $x in a) npm ci;; esac", "f() { npm ci; }", "cat <<EOF\nx\nEOF", "echo $((1+2))", 'echo "open'):
        assert plain_command_list(script) is None, script


@pytest.mark.parametrize("script", [
    "if [ -f a ]; then pip install .; elif [ -n \"$X\" ]; then npm ci; else echo no; fi",
    "(cd x && npm ci) | tee log",
    "for f in a b; do rm $f; done",
    "echo `id -u` ok",
    "{ echo a; echo b; }",
    "find . -name x -exec rm {} +",
    'echo "a $(id -u) b" && A=$(npm ci) make',
    "npm ci 2>&1 >/dev/null && echo done >&2",
    "npm ci # install\n# done\nnpm prune",
])
def test_fast_lexer_agrees_with_bashlex_on_compound_syntax(script):
    from mcpharden.syntax.shell import _with_bashlex, plain_command_list

    assert plain_command_list(script) == _with_bashlex(script)


@pytest.mark.parametrize("script", [
    'if [[ -z "$X" ]]; then npm ci; fi',
    "for f in a; do [[ $f ]] && pip install $f; done",
    'echo "$((1 + 2))"',
    "echo $(npm ci && echo $((1)))",
    "names=(a b) && npm ci",
    "Run the server (stdio)\ndocker run --rm -i mcp/x",
])
def test_scripts_bashlex_rejects_go_straight_to_the_lexer(script):
    """The shortcut is only right while bashlex really fails on these; the lexer's commands are
    what the scan used before, when bashlex was tried first."""
    from mcpharden.syntax import shell
    from mcpharden.syntax.bashlex_tables import import_bashlex

    with pytest.raises(shell._ParserRejects):
        shell._PlainLexer(script).commands()
    with pytest.raises(Exception):
        import_bashlex().parse(script)
    assert shell.split_commands(script) == tuple(c for found in shell._with_lexer(script) for c in shell._unwrap(found))


def test_a_function_definition_still_goes_to_bashlex():
    from mcpharden.syntax.shell import split_commands

    assert [c.argv for c in split_commands("setup() { npm ci; }\nsetup")] == [("npm", "ci"), ("setup",)]


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


def _shlex_tokens(line: str):
    import shlex

    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError as error:
        return ("ValueError", str(error))


def _our_tokens(line: str):
    from mcpharden.syntax.shell import shell_words

    try:
        return shell_words(line)
    except ValueError as error:
        return ("ValueError", str(error))


@pytest.mark.parametrize("line", [
    'echo "a \\" b" \'c\\d\' e\\ f', "a#b c", "x;#y", "a&&b||c;(d)|e", '""', "''x", 'a"b"c', '"\\x\\\\"', "end\\",
    '"open', "'open", 'tab\there\r\nnext # note', "é\x0bword", "((a))&", 'x="$(cmd; more)" y',
])
def test_shell_words_are_shlexs_tokens(line):
    assert _our_tokens(line) == _shlex_tokens(line)


@settings(max_examples=3000, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=" \t\r\n#\\'\";&|()ab=$-é\x0b", max_size=24))
def test_shell_words_match_shlex_on_any_line(line):
    """The lexer fallback replaced shlex for speed; shlex stays the reference."""
    assert _our_tokens(line) == _shlex_tokens(line)


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
