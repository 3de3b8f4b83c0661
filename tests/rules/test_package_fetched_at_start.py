import pytest

from conftest import findings, rule_findings, scan_files
from mcpharden.model.findings import Severity

RULE = "package-fetched-at-start"


def check(tmp_path, dockerfile, files=None):
    return rule_findings(tmp_path, RULE, dockerfile, files)


def check_files(tmp_path, files, select=(RULE,)):
    return findings(scan_files(tmp_path, files, select=select), RULE)


# In a Dockerfile's start command -----------------------------------------------------------------


def test_npx_yes_without_a_version_in_the_entrypoint(tmp_path):
    [finding] = check(tmp_path, 'FROM node:22-slim\nUSER node\nENTRYPOINT ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/data"]\n')
    assert finding.line == 3 and finding.severity is Severity.MEDIUM
    assert "downloads `@modelcontextprotocol/server-filesystem` from npm at every start" in finding.message
    assert "`npx -y @modelcontextprotocol/server-filesystem`" in finding.message and "no version" in finding.message
    assert dict(finding.details)["pin"] == "none"


def test_shell_form_cmd_with_uvx(tmp_path):
    [finding] = check(tmp_path, "FROM python:3.11-slim\nRUN pip install uv\nCMD uvx mcp-server-qdrant --transport sse\n")
    assert finding.line == 3 and "`mcp-server-qdrant` from PyPI" in finding.message and "`uvx mcp-server-qdrant`" in finding.message


def test_latest_is_a_moving_reference(tmp_path):
    [finding] = check(tmp_path, 'FROM node:22\nCMD ["npx", "-y", "@upstash/context7-mcp@latest"]\n')
    assert finding.severity is Severity.MEDIUM and "`latest` is a moving reference" in finding.message


def test_a_pinned_version_is_reported_low_and_says_so(tmp_path):
    [finding] = check(tmp_path, 'FROM node:22\nCMD ["npx", "-y", "mcp-remote@0.1.38", "https://mcp.example.com/mcp"]\n')
    assert finding.severity is Severity.LOW
    assert "pinned to 0.1.38, but downloaded again at every start" in finding.message
    [finding] = check(tmp_path, 'FROM python:3.12-slim\nCMD ["uvx", "mcp-server-fetch@2025.4.7"]\n')
    assert finding.severity is Severity.LOW and dict(finding.details)["version"] == "2025.4.7"


def test_a_range_is_not_a_pin(tmp_path):
    [finding] = check(tmp_path, 'FROM node:22\nCMD ["npx", "-y", "mcp-remote@^0.1"]\n')
    assert finding.severity is Severity.MEDIUM and "version range `^0.1`" in finding.message


@pytest.mark.parametrize("command, package", [
    ('["pipx", "run", "mcp-server-time"]', "mcp-server-time"),
    ('["pipx", "run", "--spec", "mcp-server-git", "mcp-server-git"]', "mcp-server-git"),
    ('["bunx", "@modelcontextprotocol/server-memory"]', "@modelcontextprotocol/server-memory"),
    ('["pnpm", "dlx", "@modelcontextprotocol/server-memory"]', "@modelcontextprotocol/server-memory"),
    ('["yarn", "dlx", "@modelcontextprotocol/server-memory"]', "@modelcontextprotocol/server-memory"),
    ('["npm", "exec", "--yes", "--", "@modelcontextprotocol/server-memory"]', "@modelcontextprotocol/server-memory"),
    ('["uv", "tool", "run", "--from", "mcp-server-fetch", "mcp-server-fetch"]', "mcp-server-fetch"),
    ('["go", "run", "github.com/example/mcp-server@latest"]', "github.com/example/mcp-server"),
    ('["deno", "run", "-A", "npm:@example/mcp-server"]', "@example/mcp-server"),
])
def test_every_runner_that_downloads(tmp_path, command, package):
    [finding] = check(tmp_path, f"FROM node:22\nCMD {command}\n")
    assert f"`{package}`" in finding.message


@pytest.mark.parametrize("start", [
    '["mcp-proxy", "--port", "8080", "--", "npx", "-y", "@vizioz/teamwork-mcp"]',
    '["tini", "--", "uvx", "mcp-server-fetch"]',
    '["supergateway", "--stdio", "npx -y @modelcontextprotocol/server-filesystem /data"]',
    '["sh", "-c", "pip install --no-cache-dir mcp-server-time && exec python -m mcp_server_time"]',
    'exec npx -y @modelcontextprotocol/server-memory',
])
def test_behind_a_wrapper(tmp_path, start):
    assert check(tmp_path, f"FROM node:22\nCMD {start}\n")


def test_entrypoint_runner_with_the_package_in_cmd(tmp_path):
    [finding] = check(tmp_path, 'FROM node:22\nENTRYPOINT ["npx", "-y"]\nCMD ["@modelcontextprotocol/server-everything"]\n')
    assert finding.line == 3  # the line that names the package


def test_shell_form_entrypoint_ignores_cmd(tmp_path):
    assert not check(tmp_path, 'FROM node:22\nENTRYPOINT node server.js\nCMD ["npx", "-y", "x-mcp"]\n')


def test_the_start_command_is_inherited_from_a_parent_stage(tmp_path):
    assert check(tmp_path, 'FROM node:22 AS base\nCMD ["npx", "-y", "x-mcp"]\nFROM base\nUSER node\n')


def test_only_the_stage_that_ships_counts(tmp_path):
    assert not check(tmp_path, 'FROM node:22 AS dev\nCMD ["npx", "-y", "x-mcp"]\nFROM node:22\nCMD ["node", "server.js"]\n')


def test_installs_run_at_start(tmp_path):
    [finding] = check(tmp_path, 'FROM python:3.12-slim\nCMD ["sh", "-c", "pip install httpx cryptography && python job.py"]\n')
    assert "`httpx` from PyPI, `cryptography` from PyPI" in finding.message  # one finding per command
    [finding] = check(tmp_path, 'FROM node:22\nWORKDIR /app\nCOPY . .\nCMD npm install && node server.js\n')
    assert "the dependencies of package.json from npm" in finding.message and finding.severity is Severity.MEDIUM
    [finding] = check(tmp_path, 'FROM node:22\nWORKDIR /app\nCOPY . .\nCMD npm ci && node server.js\n')
    assert finding.severity is Severity.LOW and "locked" in finding.message


def test_pip_install_then_uvx_still_downloads(tmp_path):
    """uvx runs its own environment: a package pip installed in the image is not used."""
    assert check(tmp_path, "FROM python:3.11-slim\nRUN pip install uv && uv pip install --system mcp-server-qdrant\n"
                           "CMD uvx mcp-server-qdrant\n")


def test_latest_asks_the_registry_even_when_installed(tmp_path):
    assert check(tmp_path, 'FROM node:22\nRUN npm install -g mcp-remote\nCMD ["npx", "-y", "mcp-remote@latest", "https://x.example/mcp"]\n')


# Start scripts ---------------------------------------------------------------------------------------


def test_a_start_script_copied_from_the_build_context(tmp_path):
    dockerfile = 'FROM python:3.12-slim\nCOPY docker/start.sh /usr/local/bin/start-server\nENTRYPOINT ["start-server"]\n'
    script = "#!/bin/sh\nset -e\nuvx mcp-server-git --repository /repo\n"
    [finding] = check(tmp_path, dockerfile, {"docker/start.sh": script})
    assert finding.path == "docker/start.sh" and finding.line == 3
    assert "the start script of Dockerfile" in finding.message


@pytest.mark.parametrize("copy, start", [
    ("COPY . .", '["./entrypoint.sh"]'),
    ("COPY . /app", '["bash", "/app/entrypoint.sh"]'),
    ("COPY entrypoint.sh /", '["/entrypoint.sh"]'),
    ("COPY entrypoint.sh /usr/local/bin/", '["entrypoint.sh"]'),
])
def test_start_scripts_found_through_each_kind_of_copy(tmp_path, copy, start):
    dockerfile = f"FROM node:22\nWORKDIR /app\n{copy}\nENTRYPOINT {start}\n"
    script = "#!/usr/bin/env bash\nexec npx -y @modelcontextprotocol/server-memory\n"
    [finding] = check(tmp_path, dockerfile, {"entrypoint.sh": script})
    assert finding.path == "entrypoint.sh" and finding.line == 2


def test_a_dockerfile_in_a_folder_finds_its_script_in_the_context_above(tmp_path):
    files = {"docker/Dockerfile": 'FROM node:22\nCOPY scripts/run.sh /run.sh\nCMD ["sh", "/run.sh"]\n',
             "scripts/run.sh": "npx -y x-mcp\n"}
    [finding] = check_files(tmp_path, files)
    assert finding.path == "scripts/run.sh"


def test_a_script_that_only_mentions_a_runner_is_not_a_fetch(tmp_path):
    script = '#!/bin/sh\necho "run: npx -y x-mcp"\nexec node /app/server.js\n'
    assert not check(tmp_path, 'FROM node:22\nCOPY start.sh /start.sh\nCMD ["/start.sh"]\n', {"start.sh": script})


# What is installed in the image is not downloaded ------------------------------------------------------


def test_npx_of_a_dependency_installed_in_the_image(tmp_path):
    dockerfile = ('FROM node:22-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev\n'
                  'CMD ["npx", "mcp-proxy", "--", "node", "dist/index.js"]\n')
    manifest = '{"name": "x", "dependencies": {"mcp-proxy": "^5.0.0"}, "devDependencies": {"tsx": "^4.0.0"}}'
    assert not check(tmp_path, dockerfile, {"package.json": manifest})


def test_npx_of_a_name_the_manifest_does_not_declare_downloads(tmp_path):
    dockerfile = ('FROM node:22-alpine\nWORKDIR /app\nCOPY package*.json ./\nENV NODE_ENV=production\nRUN npm ci\n'
                  'ENTRYPOINT ["npx", "mcp-proxy", "node", "dist/index.js"]\n')
    manifest = '{"name": "x", "dependencies": {"@modelcontextprotocol/sdk": "^1.13.0"}}'
    [finding] = check(tmp_path, dockerfile, {"package.json": manifest})
    assert "`mcp-proxy` from npm" in finding.message


def test_a_dev_dependency_left_out_of_the_install_is_downloaded(tmp_path):
    dockerfile = 'FROM node:22\nWORKDIR /app\nCOPY package.json ./\nRUN npm ci --omit=dev\nCMD ["npx", "tsx", "serve.ts"]\n'
    manifest = '{"name": "x", "devDependencies": {"tsx": "^4.0.0"}}'
    assert check(tmp_path, dockerfile, {"package.json": manifest})
    dev_included = dockerfile.replace("npm ci --omit=dev", "npm ci")
    assert not check(tmp_path / "with-dev", dev_included, {"package.json": manifest})


def test_a_bin_whose_package_has_another_name(tmp_path):
    dockerfile = 'FROM node:22\nWORKDIR /app\nCOPY package.json ./\nRUN npm install\nCMD ["npx", "tsc", "--watch"]\n'
    assert not check(tmp_path, dockerfile, {"package.json": '{"devDependencies": {"typescript": "^5.8.0"}}'})


def test_node_modules_without_a_readable_manifest_is_given_the_benefit_of_the_doubt(tmp_path):
    assert not check(tmp_path, 'FROM node:22\nWORKDIR /app\nRUN npm ci\nCMD ["npx", "tsx", "serve.ts"]\n')


def test_node_modules_below_the_working_directory_is_not_found_by_npx(tmp_path):
    dockerfile = ('FROM node:22\nWORKDIR /app/server\nRUN npm ci\nWORKDIR /srv\nCMD ["npx", "-y", "x-mcp"]\n')
    assert check(tmp_path, dockerfile, {"package.json": '{"dependencies": {"x-mcp": "1.0.0"}}'})


def test_a_global_install_at_build(tmp_path):
    assert not check(tmp_path, 'FROM node:24-slim\nRUN npm install -g mcp-proxy@6.4.3 @automatelab/seo-performance-mcp\n'
                               'ENTRYPOINT ["mcp-proxy", "--", "npx", "-y", "@automatelab/seo-performance-mcp"]\n')
    # in a parent stage too, and a pinned npx of the installed version
    assert not check(tmp_path, 'FROM node:22 AS base\nRUN npm i -g x-mcp@1.2.3\nFROM base\nCMD ["npx", "-y", "x-mcp@1.2.3"]\n')
    # another version is downloaded
    assert check(tmp_path, 'FROM node:22\nRUN npm i -g x-mcp@1.2.3\nCMD ["npx", "-y", "x-mcp@1.3.0"]\n')


def test_uvx_runs_a_tool_installed_with_uv_tool_install(tmp_path):
    assert not check(tmp_path, 'FROM python:3.12-slim\nRUN pip install uv==0.8.0 && uv tool install mcp-server-fetch==2025.4.7\n'
                               'CMD ["uvx", "mcp-server-fetch"]\n')


def test_programs_that_download_nothing(tmp_path):
    for start in ('["node", "dist/index.js"]', '["python", "-m", "server"]', '["go", "run", "."]', '["npx", "--version"]',
                  '["npm", "start"]', '["uv", "run", "server.py"]', '["echo", "npx -y x"]'):
        assert not check(tmp_path, f"FROM node:22\nCMD {start}\n"), start


def test_runners_at_build_time_are_not_this_rule(tmp_path):
    assert not check(tmp_path, 'FROM node:22\nRUN npx -y playwright install chromium\nCMD ["node", "server.js"]\n')


@pytest.mark.parametrize("start", ['["npx"]', '["npx", "-p"]', '["sh", "-c"]', '["uvx", "--from"]', '[]', '["npx", "-y", ""]',
                                   '["pip", "install"]', '["sh", "-c", "npx \\"-y"]', '["deno", "run"]'])
def test_odd_start_commands_never_crash(tmp_path, start):
    result = scan_files(tmp_path, {"Dockerfile": f"FROM node:22\nCMD {start}\n"}, select=(RULE,))
    assert not [n for n in result.notices if "failed" in n.message]


# How containers are run ------------------------------------------------------------------------------


def test_compose_command_and_entrypoint(tmp_path):
    [finding] = check_files(tmp_path, {"compose.yaml": "services:\n  memory:\n    image: node:22-alpine\n"
                                                       "    command: npx -y @modelcontextprotocol/server-memory@latest\n"})
    assert finding.line == 4 and "service 'memory'" in finding.message
    [finding] = check_files(tmp_path / "list", {"compose.yaml": "services:\n  api:\n    image: node:22\n    entrypoint:\n"
                                                               "      - sh\n      - -c\n      - npm install && node server.js\n"})
    assert finding.line == 7


def test_compose_service_built_from_a_dockerfile_that_installs_the_package(tmp_path):
    files = {"compose.yaml": "services:\n  proxy:\n    build: .\n    command: npx mcp-proxy --port 8080\n",
             "Dockerfile": 'FROM node:22\nRUN npm install -g mcp-proxy@6.4.3\nCMD ["mcp-proxy"]\n'}
    assert not check_files(tmp_path, files)
    files["Dockerfile"] = 'FROM node:22\nCMD ["node", "server.js"]\n'
    assert check_files(tmp_path / "not-installed", files)


def test_kubernetes_command_and_args(tmp_path):
    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: mcp}\nspec:\n  template:\n    spec:\n      containers:\n"
                "        - name: server\n          image: node:22\n          command: [npx]\n          args:\n"
                "            - -y\n            - '@modelcontextprotocol/server-filesystem'\n            - /data\n")
    [finding] = check_files(tmp_path, {"deploy.yaml": manifest})
    assert finding.line == 13 and "container 'mcp/server'" in finding.message


def test_docker_run_command_after_the_image(tmp_path):
    config = ('{"mcpServers": {"bridge": {"command": "docker", "args": ["run", "-i", "--rm", "node:22-alpine",\n'
              '"npx", "-y", "mcp-remote", "https://mcp.example.com/mcp"]}}}')
    [finding] = check_files(tmp_path, {"claude_desktop_config.json": config})
    assert finding.line == 2 and "MCP server 'bridge'" in finding.message


def test_docker_run_entrypoint_flag(tmp_path):
    [finding] = check_files(tmp_path, {"run.sh": "docker run -i --rm --entrypoint npx node:22 -y x-mcp\n"})
    assert "`x-mcp` from npm" in finding.message


def test_docker_run_in_a_readme_is_documentation(tmp_path):
    readme = "# x\n\n```sh\ndocker run -it --rm supercorp/supergateway --stdio \"npx -y @modelcontextprotocol/server-filesystem .\"\n```\n"
    [finding] = check_files(tmp_path, {"README.md": readme})
    assert "(in documentation)" in finding.message and finding.line == 4


def test_image_without_a_command_fetches_nothing(tmp_path):
    assert not check_files(tmp_path, {"mcp.json": '{"mcpServers": {"fs": {"command": "docker", "args": ["run", "-i", "--rm", "mcp/filesystem", "/data"]}}}'})


# Client configurations on the host --------------------------------------------------------------------


def test_a_host_server_gets_this_beside_server_not_in_container(tmp_path):
    config = '{"mcpServers": {"github": {\n  "command": "npx",\n  "args": ["-y", "@modelcontextprotocol/server-github"]}}}'
    result = scan_files(tmp_path, {".cursor/mcp.json": config}, select=(RULE, "server-not-in-container"))
    [fetched] = findings(result, RULE)
    assert findings(result, "server-not-in-container")
    assert fetched.line == 3 and "MCP server 'github' (on the host)" in fetched.message


@pytest.mark.parametrize("entry, pin", [
    ('"command": "uvx", "args": ["awslabs.core-mcp-server@latest"]', "moving"),
    ('"command": "uvx", "args": ["--from", "talamus[mcp]==1.1.1", "talamus-mcp"]', "version"),
    ('"command": "npx", "args": ["-y", "--package", "tuningengines-cli@latest", "te", "mcp"]', "moving"),
    ('"command": "npx", "args": ["ruflo@3.14.2", "mcp", "start"]', "version"),
    ('"command": "npx -y @wonderwhy-er/desktop-commander@latest"', "moving"),
])
def test_host_runners_and_their_pins(tmp_path, entry, pin):
    [finding] = check_files(tmp_path, {".mcp.json": '{"mcpServers": {"s": {' + entry + "}}}"})
    assert dict(finding.details)["pin"] == pin


def test_host_programs_that_download_nothing(tmp_path):
    for entry in ('"command": "node", "args": ["dist/index.js"]', '"command": "uv", "args": ["run", "server.py"]',
                  '"url": "https://mcp.example.com/mcp"', '"command": "python", "args": ["-m", "server"]'):
        assert not check_files(tmp_path, {".mcp.json": '{"mcpServers": {"s": {' + entry + "}}}"}), entry


def test_messages_never_show_a_credential(tmp_path):
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    start = f"pip install --index-url https://me:{token}@pypi.example.com/simple x-mcp && exec x-mcp"
    [finding] = check(tmp_path, f'FROM python:3.12\nCMD ["sh", "-c", "{start}"]\n')
    assert token not in finding.message and "x-mcp" in finding.message


def test_a_container_that_only_installs_is_a_task_not_a_start(tmp_path):
    makefile = ('install:\n\tdocker run -it --rm -v "$(CURDIR)":/app -w /app node:22 npm install\n'
                'run:\n\tdocker run -i --rm -v "$(CURDIR)":/app -w /app node:22 sh -c "npm install && node dist/index.js"\n')
    [finding] = check_files(tmp_path, {"Makefile": makefile})
    assert finding.line == 4
    assert not check(tmp_path / "cmd", 'FROM node:22\nWORKDIR /app\nCMD ["npm", "ci"]\n')


def test_npm_workspaces_may_hold_a_bin_the_root_manifest_does_not_name(tmp_path):
    dockerfile = ('FROM node:22-slim\nWORKDIR /app\nCOPY . .\nRUN npm install\nWORKDIR /app/packages/api\n'
                  'CMD ["npx", "tsx", "src/index.ts"]\n')
    assert not check(tmp_path, dockerfile, {"package.json": '{"name": "root", "private": true, "workspaces": ["packages/*"]}'})


# The shared corpora (reviewed by hand) ------------------------------------------------------------------


@pytest.mark.parametrize("where, fetched", [
    ("corpus/qdrant__mcp-server-qdrant", {("Dockerfile", 21)}),  # uvx ignores the package pip installed
    ("corpus2/Vizioz__Teamwork-MCP", {("Dockerfile", 38)}),  # mcp-proxy npx -y behind a wrapper
    ("corpus2/AgentX-ai__apollo-io-mcp-server", {("Dockerfile", 22)}),  # npx of a name package.json does not declare
    ("corpus2/matheusslg__mcp-audio-rag", {("Dockerfile", 15)}),  # tsx is declared nowhere
    ("corpus2/AutomateLab-tech__seo-performance-mcp", set()),  # npx runs the copy `npm install -g` put in the image
    ("corpus2/ProfessionalWiki__MediaWiki-MCP-Server", {("plugins/mediawiki-mcp-server/.mcp.json", 7),
                                                       ("plugins/mediawiki-mcp-server/.codex-plugin/mcp.json", 7)}),  # not `make install`
])
def test_reviewed_corpus_repositories(where, fetched):
    from conftest import CORPORA
    from mcpharden.scan import ScanOptions, scan_target

    corpus, repository = where.split("/", 1)
    if not (CORPORA[corpus] / repository).is_dir():
        pytest.skip(f"the shared corpus is absent ({CORPORA[corpus]})")
    result = scan_target(CORPORA[corpus] / repository, ScanOptions(select=(RULE,)))
    assert {(f.path, f.line) for f in result.findings} == fetched
