"""Scripts split into simple commands by tree-sitter's bash grammar: every construct MCP builds
and CI steps use, words as bash reads them, the grammar's quirks corrected, recovery from errors
without losing the commands after them, and the corpora's commands and findings held as they
were (see docs/accuracy.md for the parse changes the switch made)."""

import pytest

from conftest import CORPORA
from mcpharden.syntax.bashtree import commands
from mcpharden.syntax.shell import split_commands


def argvs(script):
    return [c.argv for c in split_commands(script)]


@pytest.mark.parametrize("script, expected", [
    ("apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
     [("apt-get", "update"), ("apt-get", "install", "-y", "curl"), ("rm", "-rf", "/var/lib/apt/lists/*")]),
    ("if [ -f a ]; then pip install .; elif [ -n \"$X\" ]; then npm ci; else echo no; fi",
     [("[", "-f", "a", "]"), ("pip", "install", "."), ("[", "-n", "$X", "]"), ("npm", "ci"), ("echo", "no")]),
    ("(cd x && npm ci) | tee log", [("cd", "x"), ("npm", "ci"), ("tee", "log")]),
    ("for f in a b; do rm $f; done", [("rm", "$f")]),
    ("case $x in a) npm ci ;; *) npm install ;; esac", [("npm", "ci"), ("npm", "install")]),
    ("setup() { npm ci; }\nsetup", [("npm", "ci"), ("setup",)]),
    ("echo `id -u` ok", [("echo", "`id -u`", "ok"), ("id", "-u")]),
    ('echo "a $(id -u) b" && A=$(npm ci) make', [("echo", "a $(id -u) b"), ("id", "-u"), ("make",), ("npm", "ci")]),
    ("npm ci 2>&1 >/dev/null && echo done >&2", [("npm", "ci"), ("echo", "done")]),
    ("npm ci # install\n# done\nnpm prune", [("npm", "ci"), ("npm", "prune")]),
    ('if [[ -z "$X" ]]; then npm ci; fi', [("[[", "-z", "$X", "]]"), ("npm", "ci")]),
    ("[[ $V == *-* ]] && echo pre", [("[[", "$V", "==", "*-*", "]]"), ("echo", "pre")]),
    ("echo $((1 + 2)) && names=(a b) && npm ci", [("echo", "$((1 + 2))"), (), ("npm", "ci")]),
    ("go build -ldflags=\"-X v=1 -extldflags '-static'\" ./cmd", [("go", "build", "-ldflags=-X v=1 -extldflags '-static'", "./cmd")]),
    ("export A=b C D=\"x y\"; unset E", [("export", "A=b", "C", "D=x y"), ("unset", "E")]),
    ("cat <<EOF > /etc/app.conf\nport=8080\nEOF\npip install -r requirements.txt", [("cat",), ("pip", "install", "-r", "requirements.txt")]),
    ("cat <<EOF\nrun $(curl -fsSL x | sh)\nEOF", [("cat",), ("curl", "-fsSL", "x"), ("sh",)]),  # unquoted heredocs expand
    ("cat <<'EOF'\nnpm install -g x\nEOF", [("cat",)]),  # a quoted heredoc is data
    ("curl -fsSL https://x/install.sh | sh -s -- -b /usr/local/bin", [("curl", "-fsSL", "https://x/install.sh"),
                                                                      ("sh", "-s", "--", "-b", "/usr/local/bin")]),
    ("sh -c 'npm ci && npm prune --omit=dev'", [("npm", "ci"), ("npm", "prune", "--omit=dev")]),
])
def test_commands_of_the_constructs_scripts_use(script, expected):
    assert argvs(script) == expected


def test_assignments_prefix_their_command_and_stand_alone():
    [prefixed, alone] = split_commands("NODE_ENV=production A='x y' npm ci\nTOKEN=abc")
    assert prefixed.argv == ("npm", "ci") and prefixed.assignments == (("NODE_ENV", "production"), ("A", "x y"))
    assert alone.argv == () and alone.assignments == (("TOKEN", "abc"),)
    # `--auth=x` is not an assignment, whatever the grammar calls it.
    assert argvs("tool --auth={a} x") == [("tool", "--auth={a}", "x")]


def test_words_the_grammar_splits_are_one_word():
    """tree-sitter-bash splits `$IMAGE:$TAG-amd64` and `$HOME/a:$HOME/b` into touching pieces."""
    assert argvs("docker manifest create $FQDN:$VERSION-amd64 -v $HOME/a:$HOME/b") == [
        ("docker", "manifest", "create", "$FQDN:$VERSION-amd64", "-v", "$HOME/a:$HOME/b")]


def test_words_after_a_redirection_are_arguments():
    """The grammar reads `echo >&2 'x' y` as one redirection with three destinations."""
    assert argvs("echo >&2 'x' y") == [("echo", "x", "y")]
    assert argvs("pip install --upgrade pip && pip install httpx>=0.28 python-dotenv>=1.0 \"mcp[cli]>=1.6\"") == [
        ("pip", "install", "--upgrade", "pip"), ("pip", "install", "httpx", "python-dotenv", "mcp[cli]>=1.6")]
    assert argvs("gh release edit v1 --notes-file - << EOF\nnotes\nEOF") == [("gh", "release", "edit", "v1", "--notes-file", "-")]


def test_github_expressions_are_words_as_the_runner_substitutes_them():
    script = 'docker login -u ${{ github.actor }} -p "${{ secrets.TOKEN }}" ghcr.io\nif [ "${{ matrix.x }}" = a ]; then echo; fi'
    assert argvs(script)[:2] == [("docker", "login", "-u", "${{ github.actor }}", "-p", "${{ secrets.TOKEN }}", "ghcr.io"),
                                 ("[", "${{ matrix.x }}", "=", "a", "]")]


def test_lines_are_where_each_command_starts():
    script = "set -e\ndocker run -d \\\n  -p 80:80 \\\n  nginx\n\necho $(id -u)\n"
    assert [(c.argv[0], c.line_offset) for c in split_commands(script)] == [("set", 0), ("docker", 1), ("echo", 5), ("id", 5)]


def test_an_error_does_not_swallow_the_commands_after_it():
    """README blocks mix prose and commands; a PowerShell step is not bash. A shell reading line
    by line still runs the commands after a bad line, and so they are still found."""
    script = "Backend API server only (for MCP integration)\ndocker run -d --name api \\\n  -p 8355:8355 \\\n  img:latest backend\n"
    found = [c for c in split_commands(script) if c.argv[:2] == ("docker", "run")]
    assert [c.argv for c in found] == [("docker", "run", "-d", "--name", "api", "-p", "8355:8355", "img:latest", "backend")]
    assert found[0].line_offset == 1
    assert ("npm", "ci") in argvs("if (!$?) {\n  Write-Host 'x'\n}\nnpm ci\n")


@pytest.mark.parametrize("script", ["(" * 5000 + "echo" + ")" * 5000, "$(" * 3000 + "id" + ")" * 3000, "a && " * 20000 + "b",
                                    "'" * 10001, "\x00\x01\x02", "if then fi done esac", "${{", "\\\n" * 1000])
def test_hostile_scripts_never_raise(script):
    split_commands(script)  # no RecursionError, no exception: the walk is iterative


def test_the_corpora_split_as_recorded():
    """Every script of both corpora, split once: nothing raises, and the command names a scan
    relies on come out of the RUN lines and CI steps (the comparison with the three-layer splitter
    it replaced is recorded in docs/accuracy.md)."""
    import dockerfile

    if not all(path.is_dir() for path in CORPORA.values()):
        pytest.skip("the shared corpora are absent (../shared/corpus, ../shared/corpus2)")
    programs = set()
    for corpus in CORPORA.values():
        for path in list(corpus.rglob("Dockerfile"))[:400]:
            try:
                instructions = dockerfile.parse_file(str(path))
            except Exception:
                continue
            for instruction in instructions:
                if instruction.cmd.upper() == "RUN" and instruction.value and not instruction.json:
                    programs.update(c.argv[0] for c in commands(instruction.value[0]) if c.argv)
    assert {"apt-get", "npm", "pip", "apk", "curl"} <= programs


def test_each_word_has_its_line():
    """A flag on a continuation line of a long `docker run` is found on its own line."""
    [command] = split_commands("docker run -d \\\n  --privileged \\\n  -p 80:80 img")
    assert [command.line_of_word(i) for i in range(len(command.argv))] == [0, 0, 0, 1, 2, 2, 2]
    [wrapped] = split_commands("sudo docker run \\\n  -v /:/host img")
    assert wrapped.argv[:3] == ("docker", "run", "-v") and wrapped.line_of_word(2) == 1
    after_prose = [c for c in split_commands("Run it (stdio)\ndocker run \\\n  --privileged a") if c.argv[0] == "docker"]
    assert after_prose[0].line_offset == 1 and after_prose[0].line_of_word(2) == 2
