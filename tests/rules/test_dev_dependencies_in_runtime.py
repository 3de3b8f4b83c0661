import pytest

from conftest import findings, rule_findings, scan_files

RULE = "dev-dependencies-in-runtime"


def check(tmp_path, dockerfile):
    return rule_findings(tmp_path, RULE, dockerfile)


# npm and NODE_ENV --------------------------------------------------------------------------


def test_npm_ci_in_final_stage(tmp_path):
    [finding] = check(tmp_path, "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm ci\n")
    assert finding.line == 4 and "/app/node_modules" in finding.message


def test_production_flags(tmp_path):
    for command in ("npm ci --omit=dev", "npm ci --omit dev", "npm install --production", "npm ci --only=production",
                    "yarn install --frozen-lockfile --production", "pnpm install --prod", "pnpm i -P",
                    "bun install --production"):
        assert not check(tmp_path, f"FROM node:22\nWORKDIR /app\nRUN {command}\n"), command


def test_node_env_production_from_env_arg_or_inline(tmp_path):
    assert not check(tmp_path, "FROM node:22\nENV NODE_ENV=production\nRUN npm ci\n")
    assert not check(tmp_path, "FROM node:22\nARG NODE_ENV=production\nRUN npm ci\n")
    assert not check(tmp_path, "FROM node:22\nRUN NODE_ENV=production npm ci\n")
    assert not check(tmp_path, "FROM node:22\nRUN export NODE_ENV=production && yarn install\n")


def test_include_dev_overrides_node_env(tmp_path):
    assert check(tmp_path, "FROM node:22\nENV NODE_ENV=production\nRUN npm ci --include=dev\n")


def test_node_env_set_after_install_does_not_help(tmp_path):
    assert check(tmp_path, "FROM node:22\nRUN npm ci\nENV NODE_ENV=production\n")


def test_prune_and_production_reinstall_remove_dev_dependencies(tmp_path):
    assert not check(tmp_path, "FROM node:22\nWORKDIR /app\nRUN npm ci && npm run build && npm prune --omit=dev\n")
    assert not check(tmp_path, "FROM node:22\nWORKDIR /app\nRUN npm ci && npm run build\nRUN npm ci --omit=dev\n")
    assert not check(tmp_path, "FROM node:22\nWORKDIR /app\nRUN npm ci && npm run build && rm -rf node_modules\n")
    assert check(tmp_path, "FROM node:22\nWORKDIR /app\nRUN npm ci && npm prune\n")


def test_yarn_and_pnpm_defaults_install_dev(tmp_path):
    assert check(tmp_path, "FROM node:22\nRUN yarn install --frozen-lockfile\n")
    assert check(tmp_path, "FROM node:22\nRUN yarn\n")
    assert check(tmp_path, "FROM node:22\nRUN corepack enable && pnpm install --frozen-lockfile\n")
    assert not check(tmp_path, "FROM node:22\nRUN yarn build\n")


# Multi-stage -------------------------------------------------------------------------------


MULTI = """
FROM node:22 AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build

FROM node:22 AS deps
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev

FROM gcr.io/distroless/nodejs22-debian12:nonroot
WORKDIR /app
{copy}
"""


def test_copy_from_stage_carries_dev_node_modules(tmp_path):
    [finding] = check(tmp_path, MULTI.format(copy="COPY --from=build /app/node_modules ./node_modules"))
    assert finding.line == 13
    assert "line 4 in stage 'build'" in finding.message and "copied into the final stage" in finding.message


def test_copying_a_whole_app_directory_carries_node_modules(tmp_path):
    assert check(tmp_path, MULTI.format(copy="COPY --from=build /app /app"))


def test_copying_production_dependencies_passes(tmp_path):
    assert not check(tmp_path, MULTI.format(copy="COPY --from=deps /app/node_modules ./node_modules\nCOPY --from=build /app/dist ./dist"))


def test_copy_by_stage_index(tmp_path):
    assert check(tmp_path, MULTI.format(copy="COPY --from=0 /app/node_modules ./node_modules"))


def test_final_stage_built_from_stage_with_dev_dependencies(tmp_path):
    [finding] = check(tmp_path, "FROM node:22 AS build\nWORKDIR /app\nRUN npm ci\nFROM build AS runtime\nCMD [\"node\"]\n")
    assert finding.line == 4 and "built on that stage" in finding.message


def test_builder_with_dev_dependencies_not_copied_passes(tmp_path):
    assert not check(tmp_path, "FROM node:22 AS build\nRUN npm ci\nFROM node:22-slim\nCOPY --from=build /dist /dist\n")


# Python --------------------------------------------------------------------------------------


def test_pip_dev_requirement_files_extras_and_tools(tmp_path):
    for command in ("pip install -r requirements-dev.txt", "pip install -r requirements/test.txt",
                    "python -m pip install -e '.[dev]'", "pip3 install --no-cache-dir pytest",
                    "uv pip install --system -r dev-requirements.txt"):
        assert check(tmp_path, f"FROM python:3.12-slim\nRUN {command}\n"), command


def test_pip_production_installs_pass(tmp_path):
    for command in ("pip install -r requirements.txt", "pip install .", "pip install --no-cache-dir mcp httpx"):
        assert not check(tmp_path, f"FROM python:3.12-slim\nRUN {command}\n"), command


def test_python_project_managers(tmp_path):
    assert check(tmp_path, "FROM python:3.12\nWORKDIR /app\nRUN uv sync --frozen\n")
    assert not check(tmp_path, "FROM python:3.12\nWORKDIR /app\nRUN uv sync --frozen --no-dev\n")
    assert not check(tmp_path, "FROM python:3.12\nENV UV_NO_DEV=1\nRUN uv sync --frozen\n")
    assert check(tmp_path, "FROM python:3.12\nRUN poetry install --no-root\n")
    assert not check(tmp_path, "FROM python:3.12\nRUN poetry install --only main\n")
    assert not check(tmp_path, "FROM python:3.12\nRUN poetry install --without dev\n")
    assert not check(tmp_path, "FROM python:3.12\nRUN pipenv install --deploy --system\n")
    assert check(tmp_path, "FROM python:3.12\nRUN pipenv install --dev --system\n")
    assert check(tmp_path, "FROM python:3.12\nRUN pdm install\n")
    assert not check(tmp_path, "FROM python:3.12\nRUN pdm install --prod\n")


def test_uv_venv_copied_from_builder(tmp_path):
    dockerfile = """
        FROM ghcr.io/astral-sh/uv:python3.12-bookworm-slim AS build
        WORKDIR /app
        RUN uv sync --frozen
        FROM gcr.io/distroless/python3-debian12:nonroot
        COPY --from=build /app/.venv /app/.venv
    """
    [finding] = check(tmp_path, dockerfile)
    assert "/app/.venv" in finding.message


def test_virtualenv_on_path_is_the_install_location(tmp_path):
    dockerfile = """
        FROM python:3.12 AS build
        RUN python -m venv /opt/venv
        ENV PATH=/opt/venv/bin:$PATH
        RUN pip install -r requirements.txt -r requirements-dev.txt
        FROM python:3.12-slim
        COPY --from=build /opt/venv /opt/venv
    """
    [finding] = check(tmp_path, dockerfile)
    assert "/opt/venv" in finding.message


# Shell parsing ---------------------------------------------------------------------------------


def test_heredoc_run_is_parsed_with_its_line(tmp_path):
    dockerfile = "FROM node:22\nRUN <<EOF\nset -e\nnpm ci\nEOF\n"
    [finding] = check(tmp_path, dockerfile)
    assert finding.line == 4


def test_continuations_pipes_and_subshells(tmp_path):
    assert check(tmp_path, "FROM node:22\nRUN apt-get update \\\n && (cd /app && npm install) | tee log\n")
    assert check(tmp_path, "FROM node:22\nRUN if [ -f yarn.lock ]; then yarn install; else npm ci; fi\n")
    assert check(tmp_path, "FROM node:22\nRUN [\"sh\", \"-c\", \"npm ci\"]\n")


def test_quoted_text_is_not_a_command(tmp_path):
    assert not check(tmp_path, "FROM node:22\nRUN echo 'run npm ci to install'\n")


# The manifest in the build context decides what a default install brings -----------------


NPM_BUILD = "FROM node:22\nWORKDIR /app\nCOPY package.json .\nRUN npm ci\nCMD [\"node\", \"index.js\"]\n"
UV_BUILD = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install uv && uv sync\n"


def test_package_json_without_dev_dependencies_installs_none(tmp_path):
    assert not check_with(tmp_path, NPM_BUILD, {"package.json": '{"dependencies": {"express": "4"}}'})
    assert not check_with(tmp_path, NPM_BUILD, {"package.json": '{"devDependencies": {}}'})


def test_package_json_with_dev_dependencies_is_named_in_the_message(tmp_path):
    [finding] = check_with(tmp_path, NPM_BUILD, {"package.json": '{"devDependencies": {"typescript": "5", "vitest": "2"}}'})
    assert "package.json declares 2 devDependencies" in finding.message


def test_no_manifest_says_the_judgement_is_an_assumption(tmp_path):
    [finding] = check_with(tmp_path, NPM_BUILD, {})
    assert "no package.json in the build context, so dev dependencies are assumed" in finding.message


def test_a_dev_flag_brings_dev_dependencies_whatever_the_manifest(tmp_path):
    build = NPM_BUILD.replace("npm ci", "npm ci --include=dev")
    assert check_with(tmp_path, build, {"package.json": '{"dependencies": {"a": "1"}}'})


def test_the_nearest_manifest_above_a_nested_dockerfile_counts(tmp_path):
    files = {"docker/Dockerfile": NPM_BUILD, "package.json": '{"dependencies": {"a": "1"}}',
             "web/Dockerfile": NPM_BUILD, "web/package.json": '{"devDependencies": {"vite": "5"}}'}
    result = scan_files(tmp_path, files, select=(RULE,))
    assert [f.path for f in result.findings] == ["web/Dockerfile"]


def test_a_broken_package_json_is_no_evidence(tmp_path):
    assert check_with(tmp_path, NPM_BUILD, {"package.json": "{not json"})


def test_uv_sync_installs_the_dev_group_not_optional_extras(tmp_path):
    extras_only = '[project]\nname = "s"\n[project.optional-dependencies]\ndev = ["pytest"]\n'
    assert not check_with(tmp_path, UV_BUILD, {"pyproject.toml": extras_only})
    group = '[project]\nname = "s"\n[dependency-groups]\ndev = ["pytest"]\n'
    [finding] = check_with(tmp_path, UV_BUILD, {"pyproject.toml": group})
    assert "dependency group(s) dev" in finding.message
    legacy = '[project]\nname = "s"\n[tool.uv]\ndev-dependencies = ["ruff"]\n'
    assert check_with(tmp_path, UV_BUILD, {"pyproject.toml": legacy})


def test_uv_default_groups_decide_which_groups_install(tmp_path):
    lint_not_default = '[dependency-groups]\nlint = ["ruff"]\n'
    assert not check_with(tmp_path, UV_BUILD, {"pyproject.toml": lint_not_default})
    lint_default = '[dependency-groups]\nlint = ["ruff"]\n[tool.uv]\ndefault-groups = ["lint"]\n'
    assert check_with(tmp_path, UV_BUILD, {"pyproject.toml": lint_default})
    everything = '[dependency-groups]\ndocs = ["mkdocs"]\n[tool.uv]\ndefault-groups = "all"\n'
    assert check_with(tmp_path, UV_BUILD, {"pyproject.toml": everything})


def test_poetry_installs_non_optional_groups(tmp_path):
    build = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install poetry && poetry install\n"
    main_only = '[tool.poetry]\nname = "s"\n[tool.poetry.dependencies]\npython = "^3.12"\n'
    assert not check_with(tmp_path, build, {"pyproject.toml": main_only})
    optional = main_only + '[tool.poetry.group.docs]\noptional = true\n[tool.poetry.group.docs.dependencies]\nmkdocs = "*"\n'
    assert not check_with(tmp_path, build, {"pyproject.toml": optional})
    dev_group = main_only + '[tool.poetry.group.dev.dependencies]\npytest = "*"\n'
    assert check_with(tmp_path, build, {"pyproject.toml": dev_group})
    legacy = main_only + '[tool.poetry.dev-dependencies]\npytest = "*"\n'
    assert check_with(tmp_path, build, {"pyproject.toml": legacy})


def test_pdm_installs_dev_groups(tmp_path):
    build = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install pdm && pdm install\n"
    assert not check_with(tmp_path, build, {"pyproject.toml": '[project]\nname = "s"\n'})
    assert check_with(tmp_path, build, {"pyproject.toml": '[project]\nname = "s"\n[tool.pdm.dev-dependencies]\ntest = ["pytest"]\n'})
    assert check_with(tmp_path, build, {"pyproject.toml": '[project]\nname = "s"\n[dependency-groups]\ndev = ["pytest"]\n'})


def check_with(tmp_path, dockerfile, files):
    return rule_findings(tmp_path, RULE, dockerfile, files)


# Explicit development targets, and products that are development tools ----------------------------


@pytest.mark.parametrize("target", ["dev", "development", "devcontainer"])
def test_a_final_development_target_is_not_the_runtime(tmp_path, target):
    dockerfile = (f"FROM python:3.12-slim AS runtime\nRUN pip install --no-cache-dir .\nUSER 1000\n\n"
                  f"FROM runtime AS {target}\nRUN pip install --no-cache-dir -r requirements-dev.txt pytest\n")
    files = {".devcontainer/devcontainer.json": '{"build": {"dockerfile": "../Dockerfile", "target": "%s"}}' % target}
    assert not findings(scan_files(tmp_path, {"Dockerfile": dockerfile, **files}, select=(RULE,)), RULE)
    # ...but the same install in a stage called `runtime` ships
    shipped = dockerfile.replace(f"AS {target}", "AS app")
    assert findings(scan_files(tmp_path / "shipped", {"Dockerfile": shipped}, select=(RULE,)), RULE)


@pytest.mark.parametrize("start", ['ENTRYPOINT ["ruff", "server"]', 'ENTRYPOINT ["/usr/local/bin/ruff"]',
                                   'CMD ["python", "-m", "ruff", "check", "/src"]', 'ENTRYPOINT ["uvx", "ruff"]'])
def test_a_product_that_is_a_linter_does_not_ship_it_as_a_dev_dependency(tmp_path, start):
    dockerfile = f"FROM python:3.12-slim\nRUN pip install --no-cache-dir ruff==0.8.0\nUSER 1000\n{start}\n"
    assert not findings(scan_files(tmp_path, {"Dockerfile": dockerfile}, select=(RULE,)), RULE)


def test_a_linter_beside_another_product_is_still_a_dev_dependency(tmp_path):
    dockerfile = "FROM python:3.12-slim\nRUN pip install --no-cache-dir ruff notes-mcp\nUSER 1000\nENTRYPOINT [\"notes-mcp\"]\n"
    [finding] = findings(scan_files(tmp_path, {"Dockerfile": dockerfile}, select=(RULE,)), RULE)
    assert "development tool `ruff`" in finding.message
