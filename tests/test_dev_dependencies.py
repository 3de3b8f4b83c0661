from conftest import rule_findings

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
