"""`fix --rewrite-distroless`: single-stage Node.js and Python servers become build /
production-dependency / distroless stages, keeping entry point, ports, environment, labels."""

import json

import pytest

from conftest import ROOT, run_cli, write_tree
from mcpharden.fixes.distroless import CannotRewrite, rewrite_distroless
from mcpharden.sources.dockerfile import parse_dockerfile

NODE = """\
# syntax=docker/dockerfile:1
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build
ENV PORT=3000 LOG_LEVEL=info
LABEL org.opencontainers.image.source=https://example.invalid/repo
EXPOSE 3000
CMD ["node", "dist/server.js", "--transport", "http"]
"""

PYTHON = """\
FROM python:3.11-slim
WORKDIR /srv
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY server ./server
ENV MCP_TRANSPORT=stdio
ENTRYPOINT ["python", "-m", "server"]
"""


def rewrite(text, port=None):
    return rewrite_distroless(text, parse_dockerfile(text, "Dockerfile"), port)


def test_node_server_becomes_three_stages():
    out = rewrite(NODE, "3000").splitlines()
    assert out[0] == "# syntax=docker/dockerfile:1"
    assert "FROM node:22-bookworm-slim AS build" in out and "FROM node:22-bookworm-slim AS prod-deps" in out
    assert "RUN npm ci --omit=dev" in out and "RUN rm -rf node_modules" in out
    runtime = out[out.index("FROM gcr.io/distroless/nodejs22-debian12:nonroot"):]
    assert runtime[1:5] == ["WORKDIR /app", "ENV PORT=3000 LOG_LEVEL=info",
                            "LABEL org.opencontainers.image.source=https://example.invalid/repo", "EXPOSE 3000"]
    assert "COPY --from=prod-deps /app/node_modules /app/node_modules" in runtime
    assert runtime[-1] == 'CMD ["dist/server.js", "--transport", "http"]'
    assert runtime[-2].startswith('HEALTHCHECK') and "connect(3000" in runtime[-2]


def test_rewritten_node_server_is_clean_for_the_rules(tmp_path):
    write_tree(tmp_path, {"Dockerfile": NODE})
    result = run_cli("fix", str(tmp_path), "--rewrite-distroless", "--select",
                     "full-os-base-image,root-user,dev-dependencies-in-runtime,no-healthcheck", "--write")
    assert result.returncode == 0, result.stderr
    document = json.loads(run_cli("scan", str(tmp_path), "--format", "json").stdout)
    assert {f["rule_id"] for f in document["findings"]} <= {"image-not-pinned-by-digest", "no-image-scan-in-ci"}


def test_python_server_uses_a_deps_folder_on_pythonpath():
    out = rewrite(PYTHON).splitlines()
    assert "RUN pip install --no-cache-dir --target deps -r requirements.txt" in out
    runtime = out[out.index("FROM gcr.io/distroless/python3-debian12:nonroot"):]
    assert "ENV PYTHONPATH=/srv/deps" in runtime and "ENV MCP_TRANSPORT=stdio" in runtime
    assert runtime[-1] == 'ENTRYPOINT ["/usr/bin/python3", "-m", "server"]'
    model = parse_dockerfile("\n".join(out), "Dockerfile")
    assert not [d for d in model.final.dependencies if d.includes_dev]


def test_whole_context_copy_gets_a_manifest_copy():
    text = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm install && npm run build\nCMD [\"node\", \"dist/index.js\"]\n"
    out = rewrite(text).splitlines()
    prod = out[out.index("FROM node:20 AS prod-deps"):]
    assert prod[1:4] == ["WORKDIR /app", "COPY package*.json ./", "RUN npm install --omit=dev"]


@pytest.mark.parametrize("text, reason", [
    ("FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD npm start\n", "does not start node"),
    ("FROM node:21\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"x\"]\n", "no distroless runtime"),
    ("FROM python:3.12-slim\nWORKDIR /a\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"x.py\"]\n", "same version"),
    ("FROM python:3.11\nWORKDIR /a\nCOPY . .\nRUN pip install .\nCMD [\"python\", \"x.py\"]\n", "pip install -r"),
    ("FROM node:22\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"x\"]\n", "WORKDIR"),
    ("FROM node:22 AS a\nFROM a\n", "single-stage"),
    ("FROM acme/node:22\nWORKDIR /a\n", "official"),
])
def test_what_cannot_be_rewritten_says_why(text, reason):
    with pytest.raises(CannotRewrite, match=reason):
        rewrite(text)


def test_cli_leaves_the_file_alone_and_reports_why(tmp_path):
    original = "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nUSER node\nCMD npm start\n"
    write_tree(tmp_path, {"Dockerfile": original})
    result = run_cli("fix", str(tmp_path), "--rewrite-distroless", "--select", "full-os-base-image", "--write")
    assert "not rewritten: the CMD does not start node or python directly" in result.stderr
    assert (tmp_path / "Dockerfile").read_text() == original


def test_insecure_example_reaches_grade_a(tmp_path):
    import shutil

    copy = tmp_path / "server"
    shutil.copytree(ROOT / "examples" / "insecure-server", copy)
    digests = tmp_path / "digests.json"
    digests.write_text(json.dumps({"node:22": "sha256:" + "1" * 64, "gcr.io/distroless/nodejs22-debian12:nonroot": "sha256:" + "2" * 64}))
    assert run_cli("fix", str(copy), "--rewrite-distroless", "--digests", str(digests), "--write").returncode == 0
    document = json.loads(run_cli("scan", str(copy), "--format", "json").stdout)
    assert document["findings"] == [] and document["summary"]["grade"] == "A"
