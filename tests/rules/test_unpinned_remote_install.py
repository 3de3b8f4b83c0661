import pytest

from conftest import rule_findings, scan_files

RULE = "unpinned-remote-install"


def check(tmp_path, dockerfile, files=None):
    return rule_findings(tmp_path, RULE, dockerfile, files)


def run(tmp_path, *lines):
    return check(tmp_path, "FROM node:22\n" + "".join(f"RUN {line}\n" for line in lines))


# Moving references --------------------------------------------------------------------------------


def test_npm_global_install_without_a_version(tmp_path):
    [finding] = run(tmp_path, "npm install -g @modelcontextprotocol/server-filesystem")
    assert finding.line == 2
    assert "installs `@modelcontextprotocol/server-filesystem` from npm with no version" in finding.message
    assert "(`npm install -g @modelcontextprotocol/server-filesystem`)" in finding.message
    assert dict(finding.details)["tool"] == "npm install -g"


def test_one_finding_per_command_naming_only_the_moving_packages(tmp_path):
    [finding] = run(tmp_path, "npm install -g mcp-proxy@6.4.3 @automatelab/seo-performance-mcp@latest typescript")
    assert "`@automatelab/seo-performance-mcp@latest` from npm, a moving tag" in finding.message
    assert "`typescript` from npm with no version" in finding.message and "mcp-proxy" not in dict(finding.details)["packages"]


@pytest.mark.parametrize("command, named", [
    ("npm install -g npm@latest --force", "npm@latest"),
    ("npm i -g pnpm@latest-10", "pnpm@latest-10"),
    ("yarn global add supergateway", "supergateway"),
    ("pnpm add -g @taskade/mcp-server", "@taskade/mcp-server"),
    ("bun add -g @antv/mcp-server-chart", "@antv/mcp-server-chart"),
    ("npm install --no-save express", "express"),
    ("pip install --no-cache-dir uv", "uv"),
    ("pip install --no-cache-dir --upgrade pip setuptools wheel", "setuptools"),
    ("python3 -m pip install 'mcp[cli]'", "mcp"),
    ("pip install --no-cache-dir torch --index-url https://download.pytorch.org/whl/cpu", "torch"),
    ("uv pip install --system --no-cache-dir mcp-server-qdrant", "mcp-server-qdrant"),
    ("uv tool install ruff", "ruff"),
    ("pipx install poetry", "poetry"),
    ("cargo install cargo-auditable", "cargo-auditable"),
    ("cargo install --git https://github.com/example/tool", "https://github.com/example/tool"),
    ("cargo install --git https://github.com/example/tool --branch main", "the branch `main`"),
    ("go install golang.org/x/tools/cmd/goimports@latest", "goimports@latest"),
    ("go install github.com/example/tool@master", "tool@master"),
    ("gem install bundler", "bundler"),
    ("pip install git+https://github.com/example/server", "its default branch"),
    ("pip install 'git+https://github.com/example/server.git@develop#egg=server'", "the branch `develop`"),
    ("pip install 'server @ git+https://github.com/example/server@main'", "the branch `main`"),
    ("pip install https://github.com/example/server/archive/master.zip", "an archive of the branch `master`"),
    ("pip install https://codeload.github.com/example/server/tar.gz/refs/heads/main", "the branch `main`"),
    ("npm install -g github:example/server", "its default branch"),
    ("npm install -g https://github.com/example/server/archive/refs/heads/main.tar.gz", "the branch `main`"),
    ("git clone --depth 1 https://github.com/example/server.git /src", "its default branch"),
    ("git clone -b main https://github.com/example/server.git", "the branch `main`"),
    ("curl -fsSL https://github.com/denoland/deno/releases/latest/download/deno-x86_64-unknown-linux-gnu.zip -o /tmp/deno.zip",
     "the latest release"),
    ("wget -q https://github.com/example/tool/archive/main.tar.gz", "the branch `main`"),
])
def test_moving_references(tmp_path, command, named):
    [finding] = run(tmp_path, command)
    assert named in finding.message


def test_a_build_argument_that_defaults_to_latest_moves(tmp_path):
    [finding] = check(tmp_path, "FROM node:22\nARG PNPM_VERSION=latest\nRUN npm install -g pnpm@${PNPM_VERSION}\n")
    assert "`pnpm@latest`" in finding.message


def test_every_stage_counts(tmp_path):
    [finding] = check(tmp_path, "FROM golang:1.24 AS tools\nRUN go install github.com/go-delve/delve/cmd/dlv@latest\n"
                                "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=tools /go/bin/dlv /dlv\n")
    assert finding.line == 2 and "stage 'tools'" in finding.message


def test_lines_of_a_multi_line_run(tmp_path):
    [finding] = check(tmp_path, "FROM python:3.12\nRUN apt-get update \\\n    && pip install --no-cache-dir httpx \\\n"
                                "    && rm -rf /var/lib/apt/lists/*\n")
    assert finding.line == 3


# Pins, files and local paths --------------------------------------------------------------------------


@pytest.mark.parametrize("command", [
    "npm install -g @modelcontextprotocol/server-filesystem@2025.8.21",
    "npm install -g pnpm@10",  # a range is a version
    "npm install -g mcp-proxy@^5.1",
    "npm install -g pnpm@${PNPM_VERSION}",  # a build argument without default: the build says
    "npm ci --omit=dev",
    "npm install",
    "npm install -g .",
    "npm install -g ./server-1.0.0.tgz",
    "yarn install --frozen-lockfile",
    "pip install --no-cache-dir -r requirements.txt",
    "pip install --require-hashes --requirement uv-requirements.txt --no-cache-dir",
    "pip install -c constraints.txt httpx",
    "pip install --no-cache-dir .",
    "pip install --no-cache-dir -e '.[server]'",
    "pip install --no-cache-dir /wheels/*.whl",
    "pip install --no-index --find-links /wheels mcp-server",
    "pip install 'fastmcp[sse]>=0.5.0'",
    "pip install uv==0.8.0",
    "uv pip install --system --break-system-packages 'servicenow-api[mcp]==2.2.0'",
    "uv sync --frozen --no-dev",
    "pip install git+https://github.com/example/server@v1.4.2",
    "pip install git+https://github.com/example/server@3f1c2a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39",
    "pip install https://github.com/example/server/archive/refs/tags/v1.4.2.tar.gz",
    "cargo install ramparts --version 0.7.1 --locked",
    "cargo install cargo-auditable@0.7.1",
    "cargo install --path .",
    "cargo install --git https://github.com/example/tool --rev 3f1c2a9e8b7d",
    "go install github.com/go-delve/delve/cmd/dlv@v1.25.0",
    "go install ./cmd/server",
    "gem install bundler -v 2.5.6",
    "git clone --branch v1.2.0 https://github.com/example/server.git",
    "git clone https://github.com/example/server.git && cd server && git checkout 3f1c2a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39",
    "apt-get install -y curl git",
    "curl -fsSL -o /tmp/gh.tgz https://github.com/cli/cli/releases/download/v2.62.0/gh_2.62.0_linux_amd64.tar.gz",
    "npx -y playwright install chromium",
])
def test_pins_files_and_local_paths_pass(tmp_path, command):
    assert not run(tmp_path, command), command


def test_a_checkout_in_a_later_run_pins_the_clone(tmp_path):
    assert not run(tmp_path, "git clone https://github.com/example/server.git /src", "git -C /src checkout v1.4.2")
    assert run(tmp_path, "git clone https://github.com/example/server.git /src", "git -C /src checkout main")


def test_package_managers_that_install_the_project_are_not_named_installs(tmp_path):
    assert not run(tmp_path, "pnpm install --frozen-lockfile", "poetry install --only main", "bun install")


def test_odd_install_commands_never_crash(tmp_path):
    for command in ("npm install -g", "pip install", "cargo install --git", "git clone", "go install", "curl",
                    "pip install 'git+'", "npm i -g @", "pip install '@ '", "gem install -v"):
        result = scan_files(tmp_path, {"Dockerfile": f"FROM node:22\nRUN {command}\n"}, select=(RULE,))
        assert not [n for n in result.notices if "failed" in n.message], command


def test_an_unquoted_comparison_is_a_redirection_and_the_message_says_so(tmp_path):
    [finding] = run(tmp_path, "pip install --no-cache-dir fastmcp>=2.0.0 'requests>=2.31.0'")
    assert "`fastmcp` from PyPI with no version" in finding.message and "requests" not in dict(finding.details)["packages"]
    assert "`fastmcp>=2.0.0` is not quoted: the shell reads `>`/`<` as a redirection" in finding.message


def test_the_line_of_a_package_in_a_continued_run_is_found_by_its_whole_name(tmp_path):
    [finding] = check(tmp_path, "FROM python:3.12\nRUN set -euo pipefail \\\n    && python3 -m pip install --upgrade pip \\\n"
                                "    && echo done\n")
    assert finding.line == 3


@pytest.mark.parametrize("where, lines", [
    ("corpus/qdrant__mcp-server-qdrant", {("Dockerfile", 6), ("Dockerfile", 9)}),
    ("corpus/Cyreslab-AI__shodan-mcp-server", {("Dockerfile", 13)}),  # git clone of the default branch
    ("corpus/docker__mcp-gateway", {("Dockerfile", 71), ("Dockerfile", 72)} | {(f"examples/{name}/Dockerfile", 3) for name in
                                    ("client", "config", "health", "interceptors", "postgresql")}),
    ("corpus2/n24q02m__wet-mcp", {("Dockerfile", 35), ("Dockerfile", 37)}),  # …/archive/refs/heads/master.zip
    ("corpus2/antohins__seo-tools-mcp", set()),  # pnpm@10.33.2 everywhere
    ("corpus/mittwald__mcp-server", set()),
])
def test_reviewed_corpus_repositories(where, lines):
    from conftest import CORPORA
    from mcpharden.scan import ScanOptions, scan_target

    corpus, repository = where.split("/", 1)
    if not (CORPORA[corpus] / repository).is_dir():
        pytest.skip(f"the shared corpus is absent ({CORPORA[corpus]})")
    result = scan_target(CORPORA[corpus] / repository, ScanOptions(select=(RULE,)))
    assert {(f.path, f.line) for f in result.findings} == lines
