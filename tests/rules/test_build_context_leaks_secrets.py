"""build-context-leaks-secrets: credential files of the build context that COPY/ADD bring into
the image that ships, read with Docker's own .dockerignore semantics."""

from __future__ import annotations

import json

import pytest

from conftest import findings, run_cli, scan_files, write_tree
from mcpharden.model.findings import Severity
from mcpharden.scan import ScanOptions, scan_target
from mcpharden.syntax.dockerignore import IgnoreFileError, go_match, parse_ignore_file

RULE = "build-context-leaks-secrets"
# Values the rule must recognise as credentials, and never print.
API_KEY = "sk-proj-" + "Q7wLm2Rt9Vb4Nc8Hd3Jk6WsP"
ENV = f"OPENAI_API_KEY={API_KEY}\nPORT=3000\n"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n"
NPM_TOKEN = "npm_" + "Zx81kqLr0aB7Wm3Pq9Tv5Yc2"
SERVER = "FROM node:22-slim\nWORKDIR /app\nCOPY . .\nUSER node\nCMD [\"node\", \"server.js\"]\n"


def leaks(tmp_path, files: dict[str, str], **options):
    return findings(scan_files(tmp_path, files, select=(RULE,), **options), RULE)


# Files in the repository --------------------------------------------------------------------


def test_env_file_with_a_credential_is_high_on_the_copy_line_and_never_shows_the_value(tmp_path):
    [finding] = leaks(tmp_path, {"Dockerfile": SERVER, ".env": ENV})
    assert finding.severity is Severity.HIGH and finding.line == 3
    assert finding.message.startswith("`COPY . .` copies .env (environment file with credentials) into the image")
    assert "no .dockerignore excludes it" in finding.message
    assert API_KEY not in finding.message and API_KEY not in str(finding.details)


@pytest.mark.parametrize("name, text, kind", [
    ("keys/server.key", PRIVATE_KEY, "private key"),
    ("deploy/id_ed25519", PRIVATE_KEY, "private key"),
    (".npmrc", f"//registry.npmjs.org/:_authToken={NPM_TOKEN}\n", "npm registry token"),
    (".pypirc", "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcCJDk2ZTFhYjUx\n", "PyPI password"),
    ("gcp/service-account.json", '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE"}',
     "cloud service account key"),
])
def test_credential_files_anywhere_in_the_copied_context(tmp_path, name, text, kind):
    [finding] = leaks(tmp_path, {"Dockerfile": SERVER, name: text})
    assert finding.severity is Severity.HIGH and f"{name} ({kind})" in finding.message


@pytest.mark.parametrize("name, text", [
    ("certs/ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),  # a certificate is public
    (".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),  # a reference, filled in at npm's run
    (".npmrc", "registry=https://registry.npmjs.org/\n"),
    (".env", "PORT=3000\nLOG_LEVEL=info\nAPI_KEY=\n"),  # configuration, no credential
    (".env.example", ENV),  # templates are not the file: not even with a real-looking value
    (".env.sample", ENV),
    (".env.template", ENV),
    ("example.env", ENV),
])
def test_what_holds_no_credential_is_not_reported(tmp_path, name, text):
    assert not leaks(tmp_path, {"Dockerfile": SERVER, name: text})


def test_git_metadata_is_medium_and_a_token_in_git_config_makes_it_high(tmp_path):
    files = {"Dockerfile": SERVER, ".git/HEAD": "ref: refs/heads/main\n", ".git/config": "[core]\n\tbare = false\n"}
    [finding] = leaks(tmp_path / "plain", files)
    assert finding.severity is Severity.MEDIUM and ".git/ (Git metadata)" in finding.message
    # what actions/checkout leaves behind: the job's token in an extraheader
    checkout = dict(files, **{".git/config": '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW4=\n'})
    [finding] = leaks(tmp_path / "ci", checkout)
    assert finding.severity is Severity.HIGH and "Git metadata with a credential in .git/config" in finding.message
    assert "eC1hY2Nlc3MtdG9rZW4" not in finding.message
    # a worktree or submodule has a .git file
    [finding] = leaks(tmp_path / "worktree", {"Dockerfile": SERVER, ".git": "gitdir: /elsewhere/.git/worktrees/x\n"})
    assert finding.severity is Severity.MEDIUM


# Files a checkout has that the repository does not ---------------------------------------------


def test_gitignored_env_is_medium_because_every_checkout_has_one(tmp_path):
    [finding] = leaks(tmp_path, {"Dockerfile": SERVER, ".gitignore": "node_modules/\n.env\n"})
    assert finding.severity is Severity.MEDIUM
    assert "would copy a checkout's .env (environment file; .gitignore line 2 (`.env`) keeps it out of Git)" in finding.message


@pytest.mark.parametrize("gitignore, dockerignore", [
    (".env\n", ".env\n"),  # excluded as well
    (".env\n!.env\n", None),  # Git keeps it: then it would be in the repository
    ("*.json\n", None),  # a pattern about every JSON file is not about credentials.json
    ("config/.env\n", None),  # another folder's .env
    ("/.env/\n", None),  # a folder pattern
])
def test_gitignore_lines_that_do_not_mean_a_local_credential_file(tmp_path, gitignore, dockerignore):
    files = {"Dockerfile": SERVER, ".gitignore": gitignore}
    if dockerignore is not None:
        files[".dockerignore"] = dockerignore
    assert not leaks(tmp_path, files)


def test_gitignore_of_a_parent_folder_counts_and_one_file_per_line(tmp_path):
    files = {"server/Dockerfile": SERVER, ".gitignore": ".env*\ntoken.json\n"}
    [finding] = leaks(tmp_path, files)
    assert "a checkout's .env (" in finding.message and ".env.local" not in finding.message
    assert "a checkout's token.json (OAuth token; .gitignore line 2" in finding.message


def test_a_present_file_is_reported_as_present_not_as_a_checkout_file(tmp_path):
    [finding] = leaks(tmp_path, {"Dockerfile": SERVER, ".gitignore": ".env\n", ".env": ENV})
    assert finding.severity is Severity.HIGH and "checkout" not in finding.message


# .dockerignore, as Docker reads it ---------------------------------------------------------------


@pytest.mark.parametrize("dockerignore", [
    ".env\n", "/.env\n", "./.env\n", ".env*\n", "*.env\n", "**/.env\n", "*\n!src\n", ".env/\n", "  .env  \n",
    "# comment\n.env\n", ".e?v\n", ".[e]nv\n",
])
def test_dockerignore_patterns_that_exclude_the_root_env(tmp_path, dockerignore):
    assert not leaks(tmp_path, {"Dockerfile": SERVER, ".env": ENV, ".dockerignore": dockerignore})


@pytest.mark.parametrize("dockerignore", [
    "#.env\n",  # a comment
    " #.env\n",  # not a comment (the # is not in the first column): the pattern `#.env`
    "env\n", ".env.local\n", "src/.env\n",
    ".env*\n!.env\n",  # the last line that matches decides
    "*\n!.env\n",
])
def test_dockerignore_patterns_that_do_not(tmp_path, dockerignore):
    assert leaks(tmp_path, {"Dockerfile": SERVER, ".env": ENV, ".dockerignore": dockerignore})


def test_root_pattern_does_not_reach_nested_files_but_double_star_does(tmp_path):
    files = {"Dockerfile": SERVER, "config/.env": ENV}
    assert leaks(tmp_path / "a", dict(files, **{".dockerignore": ".env\n"}))
    assert not leaks(tmp_path / "b", dict(files, **{".dockerignore": "**/.env\n"}))
    assert not leaks(tmp_path / "c", dict(files, **{".dockerignore": "config\n"}))  # a parent folder
    assert not leaks(tmp_path / "d", dict(files, **{".dockerignore": "*/.env\n"}))


def test_exception_after_a_broad_exclusion_puts_the_file_back(tmp_path):
    files = {"Dockerfile": SERVER, ".env.production": ENV, ".dockerignore": ".env*\n!.env.production\n"}
    [finding] = leaks(tmp_path, files)
    assert ".env.production (environment file with credentials)" in finding.message
    assert ".dockerignore does not exclude it" in finding.message


def test_dockerfile_specific_ignore_file_wins_over_the_context_one(tmp_path):
    files = {"Dockerfile": SERVER, ".env": ENV}
    assert not leaks(tmp_path / "a", dict(files, **{"Dockerfile.dockerignore": ".env\n", ".dockerignore": "node_modules\n"}))
    [finding] = leaks(tmp_path / "b", dict(files, **{"Dockerfile.dockerignore": "node_modules\n", ".dockerignore": ".env\n"}))
    assert "Dockerfile.dockerignore does not exclude it" in finding.message


def test_ignore_file_of_another_folder_does_not_count(tmp_path):
    files = {"docker/Dockerfile": SERVER, "docker/.dockerignore": ".env\n", ".env": ENV,
             "compose.yaml": "services:\n  app:\n    build: {context: ., dockerfile: docker/Dockerfile}\n"}
    [finding] = leaks(tmp_path, files)
    assert finding.path == "docker/Dockerfile" and "as compose.yaml:2 builds it" in finding.message


def test_an_ignore_file_docker_refuses_fails_the_build_so_nothing_leaks(tmp_path):
    assert not leaks(tmp_path, {"Dockerfile": SERVER, ".env": ENV, ".dockerignore": "[\n"})
    assert not leaks(tmp_path / "b", {"Dockerfile": SERVER, ".env": ENV, ".dockerignore": "node_modules\n!\n"})


def test_containerfile_reads_containerignore_first(tmp_path):
    files = {"Containerfile": SERVER, ".env": ENV, ".containerignore": ".env\n", ".dockerignore": "x\n"}
    assert not leaks(tmp_path, files)


# Which COPY reaches the file, into which stage -----------------------------------------------------


def test_copy_of_part_of_the_context_reaches_only_what_is_below_it(tmp_path):
    dockerfile = "FROM node:22-slim\nWORKDIR /app\nCOPY package.json ./\nCOPY src/ ./src/\nCOPY config ./config\n"
    assert not leaks(tmp_path / "a", {"Dockerfile": dockerfile, ".env": ENV})
    [finding] = leaks(tmp_path / "b", {"Dockerfile": dockerfile, "config/.env": ENV})
    assert finding.line == 5 and "config/.env" in finding.message


def test_explicit_copy_and_wildcards(tmp_path):
    assert leaks(tmp_path / "a", {"Dockerfile": "FROM node:22\nCOPY .env /app/\n", ".env": ENV})
    assert leaks(tmp_path / "b", {"Dockerfile": "FROM node:22\nCOPY *.json /app/\n",
                                  "service-account.json": '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE"}'})
    assert not leaks(tmp_path / "c", {"Dockerfile": "FROM node:22\nCOPY *.js /app/\n", ".env": ENV})


def test_copy_exclude_flag_is_honoured(tmp_path):
    dockerfile = "# syntax=docker/dockerfile:1.7-labs\nFROM node:22\nWORKDIR /app\nCOPY --exclude=.env --exclude=*.key . .\n"
    assert not leaks(tmp_path, {"Dockerfile": dockerfile, ".env": ENV, "tls.key": PRIVATE_KEY})


def test_builder_copy_counts_when_the_final_stage_copies_that_folder(tmp_path):
    dockerfile = ("FROM node:22 AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\n"
                  "FROM gcr.io/distroless/nodejs22-debian12:nonroot\nCOPY --from=build /app /app\nCMD [\"/app/dist/index.js\"]\n")
    [finding] = leaks(tmp_path, {"Dockerfile": dockerfile, ".env": ENV})
    assert finding.line == 3
    assert "into stage 'build', from which line 6 copies them into the final stage (#1)" in finding.message


def test_builder_copy_does_not_count_when_the_final_stage_copies_only_build_output(tmp_path):
    dockerfile = ("FROM node:22 AS build\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\n"
                  "FROM gcr.io/distroless/nodejs22-debian12:nonroot\nCOPY --from=build /app/dist /app/dist\n")
    assert not leaks(tmp_path / "a", {"Dockerfile": dockerfile, ".env": ENV})
    # ...unless the credential file is inside what is copied on
    [finding] = leaks(tmp_path / "b", {"Dockerfile": dockerfile, "dist/.env": ENV})
    assert "dist/.env" in finding.message


def test_final_stage_built_from_the_stage_that_copied(tmp_path):
    dockerfile = "FROM python:3.12-slim AS base\nWORKDIR /app\nCOPY . .\nFROM base AS runtime\nUSER 10001\n"
    [finding] = leaks(tmp_path, {"Dockerfile": dockerfile, ".env": ENV})
    assert finding.line == 3 and "which the final stage 'runtime' is built FROM (line 4)" in finding.message


def test_target_stage_decides_what_ships(tmp_path):
    dockerfile = "FROM node:22 AS dev\nCOPY . /app\nFROM node:22-slim AS prod\nCOPY package.json /app/\n"
    assert not leaks(tmp_path / "a", {"Dockerfile": dockerfile, ".env": ENV})
    assert leaks(tmp_path / "b", {"Dockerfile": dockerfile, ".env": ENV}, target_stage="dev")


# The build context -----------------------------------------------------------------------------------


def test_dockerfile_in_a_subfolder_is_built_with_its_folder_unless_something_names_another(tmp_path):
    files = {"docker/Dockerfile": SERVER, ".env": ENV}
    assert not leaks(tmp_path / "alone", files)
    workflow = ("on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                "      - run: docker build -f docker/Dockerfile -t app:1 .\n")
    [finding] = leaks(tmp_path / "ci", dict(files, **{".github/workflows/image.yml": workflow}))
    assert "(the build context is `.`, as .github/workflows/image.yml:7 builds it)" in finding.message
    action = ("on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
              "      - uses: docker/build-push-action@v6\n        with:\n          context: .\n          file: docker/Dockerfile\n")
    assert leaks(tmp_path / "action", dict(files, **{".github/workflows/image.yml": action}))


def test_dockerfile_scanned_alone_has_no_context_to_judge(tmp_path):
    write_tree(tmp_path, {"Dockerfile": SERVER, ".env": ENV})
    result = scan_target(tmp_path / "Dockerfile", ScanOptions(select=(RULE,)))
    assert not findings(result, RULE)


def test_a_suppression_comment_above_the_copy_hides_it(tmp_path):
    dockerfile = SERVER.replace("COPY . .", "# mcpharden: ignore=build-context-leaks-secrets\nCOPY . .")
    assert not leaks(tmp_path, {"Dockerfile": dockerfile, ".env": ENV})


@pytest.mark.parametrize("name, content", [(".env", b"\x00\x01binary"), ("id_rsa", b"\xff\xfe" * 10), (".npmrc", b"")])
def test_unreadable_or_binary_credential_files_do_not_break_the_scan(tmp_path, name, content):
    write_tree(tmp_path, {"Dockerfile": SERVER})
    (tmp_path / name).write_bytes(content)
    result = scan_target(tmp_path, ScanOptions(select=(RULE,)))
    assert not [n for n in result.notices if "failed" in n.message]


def test_no_output_format_shows_the_values_and_sarif_lists_the_rule(tmp_path):
    write_tree(tmp_path, {"Dockerfile": SERVER, ".env": ENV, "deploy/id_rsa": PRIVATE_KEY, ".npmrc": f"_authToken={NPM_TOKEN}\n"})
    for form in ("text", "json", "sarif", "markdown"):
        shown = run_cli("scan", str(tmp_path), "--format", form, "--fail-on", "never", "--cards").stdout
        assert API_KEY not in shown and NPM_TOKEN not in shown and "b3BlbnNzaC1rZXkt" not in shown, form
    sarif = json.loads(run_cli("scan", str(tmp_path), "--format", "sarif", "--fail-on", "never").stdout)
    [rule] = [r for r in sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == RULE]
    assert rule["helpUri"].endswith("/docs/rules/build-context-leaks-secrets.md") and rule["properties"]["security-severity"]


def test_the_card_lists_the_credential_files_the_image_holds(tmp_path):
    write_tree(tmp_path, {"Dockerfile": SERVER, ".env": ENV, ".gitignore": "credentials.json\n"})
    [card] = scan_target(tmp_path, ScanOptions()).cards
    assert card.secret_files == (".env",)  # the checkout-only credentials.json is not in an image built from here
    assert "1 secret(s)" in card.headline


# Docker's pattern semantics, unit by unit ------------------------------------------------------------


@pytest.mark.parametrize("pattern, path, excluded", [
    ("*.md", "README.md", True), ("*.md", "docs/a.md", False), ("**/*.md", "docs/a.md", True),
    ("**/*.md", "a.md", True), ("docs/**", "docs/a/b.md", True), ("docs/**", "docs", False),
    ("docs", "docs/a/b.md", True),  # a parent folder matches
    ("a/**/b", "a/b", True), ("a/**/b", "a/x/y/b", True), ("**", "anything/at/all", True),
    ("?.txt", "a.txt", True), ("?.txt", "ab.txt", False), ("[a-c].txt", "b.txt", True), ("[^a-c].txt", "b.txt", False),
    ("\\*.txt", "*.txt", True), ("\\*.txt", "a.txt", False), ("a/../b", "b", True), ("/b", "b", True),
    ("*", ".hidden", True), ("a.(b)", "a.(b)", True), ("x+", "x+", True),
])
def test_pattern_matching(pattern, path, excluded):
    assert parse_ignore_file(pattern + "\n").excludes(path) is excluded


def test_ignore_file_reading():
    rules = parse_ignore_file("\ufeff# comment\n\n  spaced  \n! /inverted/abs\nlast\r\n")
    assert [(p.pattern, p.exception, p.line) for p in rules.patterns] == [
        ("spaced", False, 3), ("inverted/abs", True, 4), ("last", False, 5)]
    for refused in ("[", "!", "a\\", "[z-a]"):
        with pytest.raises(IgnoreFileError):
            parse_ignore_file(refused)


def test_copy_sources_use_go_filepath_match():
    assert go_match("*.json", "a.json") and not go_match("*.json", "d/a.json") and go_match("*", ".env")
    assert go_match("conf?g", "config") and not go_match("[", "[")


def test_hostile_ignore_files_and_patterns_stay_fast(tmp_path):
    import time

    deep = "/".join(["d"] * 40) + "/.env"
    started = time.process_time()
    rules = parse_ignore_file("\n".join(["*a" * 60 + "b", "**/" * 300 + "x", "?" * 900, "[b-z]*" * 100 + "q"]))
    assert not rules.excludes("a" * 2000) and not rules.excludes(deep)
    assert not go_match("*a" * 60 + "b", "a" * 2000)
    assert time.process_time() - started < 2
    # too many patterns to judge: a notice, and nothing reported for that context
    files = {"Dockerfile": SERVER, ".env": ENV, ".dockerignore": "x\n" * 1001}
    result = scan_files(tmp_path, files, select=(RULE,))
    assert not findings(result, RULE)
    assert [n.message for n in result.notices] == ["not judged as a build's ignore file: more than 1000 patterns, "
                                                   "or one longer than 1024 characters"]


@pytest.mark.parametrize("argv, expected", [
    ("docker build .", (None, ".")),
    ("docker build -f docker/Dockerfile -t app:1 .", ("docker/Dockerfile", ".")),
    ("docker buildx build --platform linux/amd64,linux/arm64 --file=x.Dockerfile --push ./api", ("x.Dockerfile", "./api")),
    ("podman build --build-arg A=1 -t x -fContainerfile ctx", ("Containerfile", "ctx")),
    ("buildah bud -t x .", (None, ".")),
    ("docker build - < Dockerfile", None), ("docker build https://github.com/o/r.git", None),
    ("docker compose build", None), ("docker run -it x", None), ("docker build -t x", None),
])
def test_build_commands_name_their_dockerfile_and_context(argv, expected):
    from mcpharden.sources.runargs import build_paths

    assert build_paths(argv.split()) == expected
