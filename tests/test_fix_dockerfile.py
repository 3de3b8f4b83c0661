"""`mcpharden fix` on Dockerfiles: line-by-line results per base family and package manager,
idempotence, and a clean re-scan of what was fixed."""

import json
import textwrap

import pytest

from conftest import run_cli, write_tree
from mcpharden.fixes.plan import plan_fixes
from mcpharden.scan import ScanOptions, scan_target
from mcpharden.sources.dockerfile import parse_dockerfile

DIGEST = "sha256:" + "d" * 64
FIXED_RULES = ("root-user", "dev-dependencies-in-runtime", "no-healthcheck", "image-not-pinned-by-digest")


def fix(tmp_path, dockerfile, digests=None, rules=FIXED_RULES, files=None):
    write_tree(tmp_path, {"Dockerfile": dockerfile, **(files or {})})
    report = plan_fixes(tmp_path, ScanOptions(select=rules), digests or {})
    fixed = report.plans[0].fixed_text() if report.plans else (tmp_path / "Dockerfile").read_text()
    return fixed, report


def assert_clean_after(tmp_path, fixed, rules):
    """The fixed file parses, and a scan no longer reports the fixed rules."""
    parse_dockerfile(fixed, "Dockerfile")
    (tmp_path / "Dockerfile").write_text(fixed)
    remaining = [f.rule_id for f in scan_target(tmp_path, ScanOptions(select=rules)).findings if f.path == "Dockerfile"]
    assert remaining == []
    assert not plan_fixes(tmp_path, ScanOptions(select=rules), {}).plans  # idempotent


# root-user -----------------------------------------------------------------------------------


def test_official_node_image_uses_its_node_user(tmp_path):
    fixed, _ = fix(tmp_path, "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD [\"node\", \"index.js\"]\n", rules=("root-user",))
    assert fixed.splitlines() == ["FROM node:22", "WORKDIR /app", "COPY . .", "RUN npm ci --omit=dev", "USER node", 'CMD ["node", "index.js"]']
    assert_clean_after(tmp_path, fixed, ("root-user",))


def test_alpine_creates_a_system_user_with_nologin(tmp_path):
    fixed, _ = fix(tmp_path, "FROM python:3.12-alpine\nRUN pip install mcp\nENTRYPOINT [\"python\"]\n", rules=("root-user",))
    assert fixed.splitlines()[2:4] == ["RUN addgroup -S app && adduser -S -G app -H -s /sbin/nologin app", "USER app"]
    assert_clean_after(tmp_path, fixed, ("root-user",))


def test_debian_creates_a_system_user_and_root_steps_keep_root(tmp_path):
    dockerfile = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y git\nCOPY . /app\nRUN pip install /app\nEXPOSE 8000\nCMD [\"mcp-server\"]\n"
    fixed, _ = fix(tmp_path, dockerfile, rules=("root-user",))
    lines = fixed.splitlines()
    assert lines.index("USER app") == lines.index("RUN pip install /app") + 2  # after every RUN
    assert "useradd --system --gid app --no-create-home --shell /usr/sbin/nologin app" in lines[4]
    assert_clean_after(tmp_path, fixed, ("root-user",))


def test_explicit_user_root_at_the_end_is_overridden_after_it(tmp_path):
    fixed, _ = fix(tmp_path, "FROM node:22\nRUN npm ci --omit=dev\nUSER root\nCMD [\"node\"]\n", rules=("root-user",))
    assert fixed.splitlines()[3] == "USER node"
    assert_clean_after(tmp_path, fixed, ("root-user",))


@pytest.mark.parametrize("tag, expected", [("", ":nonroot"), (":latest", ":nonroot"), (":debug", ":debug-nonroot"), (":latest-arm64", ":nonroot-arm64")])
def test_distroless_gets_its_nonroot_tag(tmp_path, tag, expected):
    fixed, _ = fix(tmp_path, f"FROM gcr.io/distroless/nodejs22-debian12{tag}\nCMD [\"i.js\"]\n", rules=("root-user",))
    assert fixed.splitlines()[0] == f"FROM gcr.io/distroless/nodejs22-debian12{expected}"
    assert_clean_after(tmp_path, fixed, ("root-user",))


def test_scratch_gets_a_numeric_user(tmp_path):
    fixed, _ = fix(tmp_path, "FROM golang:1.24 AS b\nRUN go build -o /s\nFROM scratch\nCOPY --from=b /s /s\nENTRYPOINT [\"/s\"]\n", rules=("root-user",))
    assert "USER 65532:65532" in fixed.splitlines()
    assert_clean_after(tmp_path, fixed, ("root-user",))


def test_unknown_base_is_left_alone_with_a_reason(tmp_path):
    fixed, report = fix(tmp_path, "FROM acme/base:1\nCMD [\"x\"]\n", rules=("root-user",))
    assert fixed == "FROM acme/base:1\nCMD [\"x\"]\n" and not report.plans
    assert "not in the base-image table" in report.decisions[0].message


# dev-dependencies-in-runtime ---------------------------------------------------------------------


def test_npm_in_final_stage_is_pruned_after_the_build(tmp_path):
    fixed, _ = fix(tmp_path, "FROM node:22\nWORKDIR /app\nRUN npm ci && npm run build\nUSER node\nCMD [\"node\", \"dist\"]\n", rules=("dev-dependencies-in-runtime",))
    assert fixed.splitlines()[3] == "RUN npm prune --omit=dev --prefix /app"
    assert_clean_after(tmp_path, fixed, ("dev-dependencies-in-runtime",))


def test_copy_from_build_stage_prunes_in_that_stage(tmp_path):
    dockerfile = textwrap.dedent("""\
        FROM node:22 AS build
        WORKDIR /app
        RUN pnpm install --frozen-lockfile && pnpm build

        FROM gcr.io/distroless/nodejs22-debian12:nonroot
        COPY --from=build /app/node_modules /app/node_modules
        COPY --from=build /app/dist /app/dist
        CMD ["/app/dist/index.js"]
    """)
    fixed, _ = fix(tmp_path, dockerfile, rules=("dev-dependencies-in-runtime",))
    assert fixed.splitlines()[3] == "RUN pnpm prune --prod --dir /app"
    assert_clean_after(tmp_path, fixed, ("dev-dependencies-in-runtime",))


@pytest.mark.parametrize("install, fixed_line", [
    ("npm ci", "RUN npm ci --omit=dev"),
    ("yarn install --frozen-lockfile", "RUN yarn install --production --frozen-lockfile"),
    ("pnpm install", "RUN pnpm install --prod"),
    ("bun install", "RUN bun install --production"),
    ("uv sync --frozen", "RUN uv sync --no-dev --frozen"),
    ("pdm install", "RUN pdm install --prod"),
    ("poetry install --no-root", "RUN poetry install --only main --no-root"),
])
def test_last_install_of_the_final_stage_gets_the_production_flag(tmp_path, install, fixed_line):
    fixed, _ = fix(tmp_path, f"FROM node:22\nWORKDIR /srv\nRUN {install}\nCMD [\"node\"]\n", rules=("dev-dependencies-in-runtime",))
    assert fixed.splitlines()[2] == fixed_line
    assert_clean_after(tmp_path, fixed, ("dev-dependencies-in-runtime",))


@pytest.mark.parametrize("install, prune", [
    ("yarn install --frozen-lockfile", "RUN cd /srv && yarn install --production --frozen-lockfile --ignore-scripts"),
    ("bun install", "RUN cd /srv && bun install --production"),
    ("uv sync --frozen", "RUN cd /srv && uv sync --no-dev"),
])
def test_installs_followed_by_a_build_are_pruned_after_it(tmp_path, install, prune):
    fixed, _ = fix(tmp_path, f"FROM node:22\nWORKDIR /srv\nRUN {install} && make build\n", rules=("dev-dependencies-in-runtime",))
    assert fixed.splitlines()[3] == prune
    assert_clean_after(tmp_path, fixed, ("dev-dependencies-in-runtime",))


def test_an_install_of_only_dev_requirements_needs_a_person(tmp_path):
    _, report = fix(tmp_path, "FROM python:3.12\nRUN pip install -r requirements-dev.txt\n", rules=("dev-dependencies-in-runtime",))
    assert not report.plans and "only development requirements" in report.decisions[0].message


@pytest.mark.parametrize("install, fixed_install", [
    ("pip install --no-cache-dir -r requirements.txt -r requirements-dev.txt", "pip install --no-cache-dir -r requirements.txt"),
    ("python3 -m pip install -e .[dev,server]", "python3 -m pip install -e .[server]"),
    ("python3 -m uv pip install --system -e .[dev]", "python3 -m uv pip install --system -e ."),
    ("uv pip install --system --extra dev -r pyproject.toml", "uv pip install --system -r pyproject.toml"),
])
def test_pip_like_installs_drop_their_dev_targets(tmp_path, install, fixed_install):
    dockerfile = f"FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN {install}\nCMD [\"python\", \"-m\", \"app\"]\n"
    files = {"pyproject.toml": "[project]\nname = 'a'\nversion = '1'\n[project.optional-dependencies]\ndev = ['pytest']\n"}
    fixed, _ = fix(tmp_path, dockerfile, rules=("dev-dependencies-in-runtime",), files=files)
    assert f"RUN {fixed_install}\n" in fixed
    assert_clean_after(tmp_path, fixed, ("dev-dependencies-in-runtime",))


@pytest.mark.parametrize("install, fixed_install", [
    ("corepack pnpm install --frozen-lockfile", "corepack pnpm install --prod --frozen-lockfile"),
    ("npm --prefix /app ci", "npm --prefix /app ci --omit=dev"),
    ("pipx run poetry install --no-root", "pipx run poetry install --only main --no-root"),
])
def test_production_flags_go_after_the_installers_subcommand(tmp_path, install, fixed_install):
    dockerfile = f"FROM node:22\nWORKDIR /app\nCOPY . .\nRUN {install}\nCMD [\"node\", \"i.js\"]\n"
    files = {"package.json": '{"devDependencies": {"x": "1"}}',
             "pyproject.toml": "[tool.poetry.group.dev.dependencies]\npytest = '*'\n"}
    fixed, _ = fix(tmp_path, dockerfile, rules=("dev-dependencies-in-runtime",), files=files)
    assert f"RUN {fixed_install}\n" in fixed


# no-healthcheck -----------------------------------------------------------------------------------


def test_healthcheck_uses_the_runtime_and_the_exposed_port(tmp_path):
    fixed, _ = fix(tmp_path, "FROM gcr.io/distroless/nodejs22-debian12:nonroot\nEXPOSE 8080/tcp\nCMD [\"s.js\"]\n", rules=("no-healthcheck",))
    line = fixed.splitlines()[2]
    assert line.startswith("HEALTHCHECK ") and '["/nodejs/bin/node", "-e", "require(\'net\').connect(8080' in line
    assert_clean_after(tmp_path, fixed, ("no-healthcheck",))


def test_healthcheck_none_is_replaced_and_python_is_used(tmp_path):
    fixed, _ = fix(tmp_path, "FROM python:3.12-slim\nEXPOSE 8000\nHEALTHCHECK NONE\nCMD [\"python\", \"-m\", \"s\"]\n", rules=("no-healthcheck",))
    assert "socket.create_connection(('127.0.0.1', 8000), 3)" in fixed.splitlines()[2]
    assert_clean_after(tmp_path, fixed, ("no-healthcheck",))


def test_healthcheck_without_a_runtime_is_a_decision(tmp_path):
    _, report = fix(tmp_path, "FROM gcr.io/distroless/static-debian12:nonroot\nEXPOSE 80\n", rules=("no-healthcheck",))
    assert not report.plans and "no runtime" in report.decisions[0].message


# image-not-pinned-by-digest ----------------------------------------------------------------------


def test_pinning_from_a_digest_map(tmp_path):
    dockerfile = "FROM node:22 AS build\nFROM docker.io/library/node:22-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/\n"
    digests = {"node:22": DIGEST, "docker.io/library/node:22-slim": DIGEST, "ghcr.io/astral-sh/uv:0.5": DIGEST}
    fixed, _ = fix(tmp_path, dockerfile, digests, rules=("image-not-pinned-by-digest",))
    assert fixed.splitlines() == [f"FROM node:22@{DIGEST} AS build", f"FROM docker.io/library/node:22-slim@{DIGEST}",
                                  f"COPY --from=ghcr.io/astral-sh/uv:0.5@{DIGEST} /uv /bin/"]
    assert_clean_after(tmp_path, fixed, ("image-not-pinned-by-digest",))


def test_pinning_needs_a_digest_and_leaves_build_args_to_a_person(tmp_path):
    _, report = fix(tmp_path, "ARG BASE=node:22\nFROM ${BASE}\nFROM alpine:3\n", {}, rules=("image-not-pinned-by-digest",))
    messages = sorted(d.message for d in report.decisions)
    assert "build argument" in messages[0] and "pass --digests" in messages[1]


# CLI -------------------------------------------------------------------------------------------------


def test_cli_prints_a_diff_then_writes(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "# keep me\nFROM node:22\nRUN npm ci\nEXPOSE 3000\nCMD [\"node\", \"s.js\"]\n"})
    (tmp_path / "digests.json").write_text(json.dumps({"node:22": DIGEST}))
    dry = run_cli("fix", str(tmp_path), "--digests", str(tmp_path / "digests.json"))
    assert dry.returncode == 0 and "--- a/Dockerfile\n+++ b/Dockerfile\n" in dry.stdout
    assert (tmp_path / "Dockerfile").read_text().startswith("# keep me\nFROM node:22\n")  # nothing written yet
    wrote = run_cli("fix", str(tmp_path), "--digests", str(tmp_path / "digests.json"), "--write")
    assert wrote.stdout == "fixed .github/workflows/mcpharden-image-scan.yml\nfixed Dockerfile\n"
    text = (tmp_path / "Dockerfile").read_text()
    assert text.startswith(f"# keep me\nFROM node:22@{DIGEST}\n")
    scan = json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)
    assert {f["rule_id"] for f in scan["findings"]} == {"full-os-base-image"}  # the one fix cannot make
    assert run_cli("fix", str(tmp_path), "--digests", str(tmp_path / "digests.json")).stdout == ""


def test_cli_select_and_bad_digests(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM node:22\nRUN npm ci\n", "bad.json": "[1]"})
    only_user = run_cli("fix", str(tmp_path), "--select", "root-user").stdout
    assert "+USER node" in only_user and "prune" not in only_user
    assert run_cli("fix", str(tmp_path), "--digests", str(tmp_path / "bad.json")).returncode == 2


def test_line_endings_comments_and_formatting_are_kept(tmp_path):
    original = "# syntax=docker/dockerfile:1\r\nFROM node:22\r\n# install\r\nRUN npm ci \\\r\n    --omit=dev\r\nCMD [\"node\"]\r\n"
    (tmp_path / "Dockerfile").write_bytes(original.encode())
    report = plan_fixes(tmp_path, ScanOptions(select=("root-user",)), {})
    fixed = report.plans[0].fixed_text()
    assert fixed == original.replace('CMD ["node"]', 'USER node\r\nCMD ["node"]')


def test_image_scan_workflow_is_generated_for_every_dockerfile(tmp_path):
    import yaml

    pinned = "FROM gcr.io/distroless/static-debian12:nonroot@" + DIGEST + "\n"
    write_tree(tmp_path, {"Dockerfile": pinned, "servers/api/Dockerfile": pinned})
    report = plan_fixes(tmp_path, ScanOptions(select=("no-image-scan-in-ci",)), {})
    [plan] = report.plans
    assert plan.path == ".github/workflows/mcpharden-image-scan.yml" and plan.diff().startswith("--- /dev/null\n")
    workflow = yaml.safe_load(plan.fixed_text())
    matrix = workflow["jobs"]["image"]["strategy"]["matrix"]["include"]
    assert [(m["dockerfile"], m["context"]) for m in matrix] == [("Dockerfile", "."), ("servers/api/Dockerfile", "servers/api")]
    scan_step = workflow["jobs"]["image"]["steps"][-2]
    assert scan_step["with"]["exit-code"] == "1" and scan_step["with"]["ignore-unfixed"] is True
    assert list(workflow["jobs"]) == ["image"]  # no repository-wide config scan: it fails on day one
    result = run_cli("fix", str(tmp_path), "--write")
    assert result.stdout == "fixed .github/workflows/mcpharden-image-scan.yml\n"
    assert json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)["findings"] == []
    assert run_cli("fix", str(tmp_path)).stdout == ""


def test_volumes_become_writable_for_the_new_user(tmp_path):
    dockerfile = "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nCOPY seed/ /data/\nRUN npm ci --omit=dev\nVOLUME /data\nCMD [\"node\", \"s.js\"]\n"
    fixed, _ = fix(tmp_path, dockerfile, rules=("root-user",))
    assert fixed.splitlines() == [
        "FROM node:22-alpine", "WORKDIR /app", "COPY . .", "COPY --chown=node:node seed/ /data/", "RUN npm ci --omit=dev",
        "RUN mkdir -p /data && chown node:node /data", "USER node", "VOLUME /data", 'CMD ["node", "s.js"]',
    ]
    assert_clean_after(tmp_path, fixed, ("root-user",))


def test_volumes_without_a_shell_are_a_decision(tmp_path):
    _, report = fix(tmp_path, "FROM scratch\nCOPY s /s\nVOLUME /data\nENTRYPOINT [\"/s\"]\n", rules=("root-user",))
    assert not report.plans and "must be writable" in report.decisions[0].message


def test_prune_targets_the_dependency_directory_the_copy_carries(tmp_path):
    dockerfile = """\
FROM node:22-alpine AS build
WORKDIR /app
COPY . .
RUN npm ci
RUN npm run build
RUN cd dist && npm install
FROM node:22-alpine
WORKDIR /app
COPY --from=build /app/dist /app/dist
USER node
CMD ["node", "dist/index.js"]
"""
    fixed, _ = fix(tmp_path, dockerfile, rules=("dev-dependencies-in-runtime",))
    assert "RUN npm prune --omit=dev --prefix /app/dist\n" in fixed
    assert "--prefix /app\n" not in fixed
    assert_clean_after(tmp_path, fixed, ("dev-dependencies-in-runtime",))
