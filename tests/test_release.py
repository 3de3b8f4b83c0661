"""The release a user installs: the versions the README, the PyPI page, the example workflow and
the pre-commit snippet name are the package's own, the changelog has its entry, the PyPI page's
links resolve on PyPI, and `pip install mcpharden` co-exists with a server project's own pins."""

import json
import re
import subprocess
import sys
import zipfile
from email.parser import Parser

import pytest

from conftest import ROOT, write_tree
from mcpharden import __version__

# Where a user copies a version from.
PUBLISHED = ["README.md", "docs/pypi.md", "docs/github-workflow.yml", "action.yml", ".pre-commit-hooks.yaml"]
VERSION_SHAPES = [
    r"mcpharden/mcpharden@v(\d+\.\d+\.\d+)",  # the Action
    r"rev:\s*v(\d+\.\d+\.\d+)",  # pre-commit
    r"\bmcpharden:(\d+\.\d+\.\d+)",  # the image tag the README builds and runs
    r'"version":\s*"(\d+\.\d+\.\d+)"',  # the JSON report example
]


def test_every_published_version_is_the_packages():
    seen = 0
    for name in PUBLISHED:
        text = (ROOT / name).read_text(encoding="utf-8")
        for shape in VERSION_SHAPES:
            for version in re.findall(shape, text):
                seen += 1
                assert version == __version__, f"{name} names {version}, the package is {__version__}"
    assert seen >= 6  # the README's Action, pre-commit and image examples at least


def test_the_changelog_has_the_release():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (\S+)", changelog, flags=re.MULTILINE)
    assert __version__ in headings
    assert headings[0] in ("Unreleased", __version__)  # newest first
    released = [h for h in headings if h != "Unreleased"]
    assert released == sorted(released, key=lambda v: tuple(map(int, v.split("."))), reverse=True)


def test_the_release_is_tagged_where_the_history_is_at_hand():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tags cannot be checked")
    tags = subprocess.run(["git", "-C", str(ROOT), "tag", "--list", "v*"], capture_output=True, text=True, timeout=60)
    if tags.returncode or not tags.stdout.strip():
        pytest.skip("this checkout has no tags (a shallow or tag-less clone)")
    assert f"v{__version__}" in tags.stdout.split()


def test_the_pypi_page_is_a_users_page_whose_links_resolve_on_pypi():
    page = (ROOT / "docs" / "pypi.md").read_text(encoding="utf-8")
    assert page.startswith("# mcpharden")
    for command in ("mcpharden scan", "mcpharden fix", "mcpharden image", "mcpharden serve", "mcpharden batch"):
        assert command in page
    assert "mcpharden[serve]" in page
    assert "make test" not in page and "make demo" not in page  # contributor set-up lives in CONTRIBUTING.md
    links = re.findall(r"\]\(([^)]+)\)", page)
    assert links and all(link.startswith("https://") for link in links), links  # relative links break on PyPI
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^readme = "docs/pypi.md"$', pyproject, flags=re.MULTILINE)


def test_contributor_set_up_and_benchmarks_have_their_own_pages():
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "make demo" in contributing and "make test" in contributing and "## Adding a rule" in contributing
    assert "make perf" in (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Benchmark" not in readme and "CONTRIBUTING.md" in readme


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=900)
    if done.returncode and "Could not find a version" in done.stderr + done.stdout:
        pytest.skip("the build backend could not be fetched (no package index)")
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    [built] = out.glob("mcpharden-*.whl")
    return built


def test_the_sdk_is_an_extra_and_the_ranges_admit_older_pins(wheel):
    from packaging.requirements import Requirement

    with zipfile.ZipFile(wheel) as archive:
        metadata = Parser().parsestr(archive.read(f"mcpharden-{__version__}.dist-info/METADATA").decode())
    requirements = [Requirement(text) for text in metadata.get_all("Requires-Dist")]
    runtime = {r.name.lower(): r for r in requirements if not r.marker or "extra" not in str(r.marker)}
    assert "mcp" not in runtime  # `pip install mcpharden` does not pull the SDK in
    serve = [r for r in requirements if r.name == "mcp" and r.marker and r.marker.evaluate({"extra": "serve"})]
    assert serve, "the MCP SDK is the `serve` extra"
    assert runtime["pyyaml"].specifier.contains("6.0") and runtime["packaging"].specifier.contains("23.2")
    assert metadata.get_payload().startswith("# mcpharden") and "pip install mcpharden" in metadata.get_payload()


def test_pip_resolves_mcpharden_beside_a_server_projects_pins(wheel, tmp_path):
    """pip's own resolver, asked for mcpharden together with the pins of a server project on the
    1.x SDK, keeps every pin (a dry run: the index is asked, nothing is installed)."""
    pins = ["mcp==1.9.4", "PyYAML==6.0", "packaging==23.2"]
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                           "--disable-pip-version-check", "--report", str(report), str(wheel), *pins],
                          capture_output=True, text=True, timeout=900)
    if done.returncode and re.search(r"No matching distribution|Could not find a version|NewConnectionError", done.stderr):
        pytest.skip(f"no package index reachable: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr[-3000:]
    chosen = {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in json.loads(report.read_text())["install"]}
    assert chosen["mcp"] == "1.9.4" and chosen["pyyaml"] == "6.0" and chosen["packaging"] == "23.2"
    assert chosen["mcpharden"] == __version__


def without_sdk(tmp_path) -> dict[str, str]:
    """The environment of a Python that cannot import the SDK, as after `pip install mcpharden`."""
    import os

    hide = write_tree(tmp_path / "hide", {"sitecustomize.py": """
        import importlib.abc, importlib.metadata, sys
        class Hide(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "mcp" or name.startswith("mcp."):
                    raise ModuleNotFoundError(f"No module named {name!r}")
        sys.meta_path.insert(0, Hide())
        real = importlib.metadata.version
        def version(name):
            if name == "mcp":
                raise importlib.metadata.PackageNotFoundError(name)
            return real(name)
        importlib.metadata.version = version
        """})
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(hide), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}


def test_serve_without_the_sdk_says_what_to_install(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mcpharden", "serve"], capture_output=True, text=True, timeout=60,
                          env=without_sdk(tmp_path))
    assert done.returncode == 2
    assert "pip install 'mcpharden[serve]'" in done.stderr and "Traceback" not in done.stderr


def test_the_rest_of_mcpharden_works_without_the_sdk(tmp_path):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": "FROM node:22\n"})
    for command in (["scan", str(repo), "--format", "json", "--fail-on", "never"], ["fix", str(repo)], ["rules"],
                    ["explain", "root-user"]):
        done = subprocess.run([sys.executable, "-m", "mcpharden", *command], capture_output=True, text=True, timeout=120,
                              env=without_sdk(tmp_path))
        assert done.returncode == 0 and "Traceback" not in done.stderr, (command, done.stderr[-2000:])
    assert json.loads(subprocess.run([sys.executable, "-m", "mcpharden", "scan", str(repo), "--format", "json"],
                                     capture_output=True, text=True, timeout=120, env=without_sdk(tmp_path)).stdout)["findings"]


def test_serve_beside_an_older_sdk_says_so(monkeypatch):
    import importlib.metadata

    from mcpharden import cli
    from mcpharden.errors import UsageError

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "1.9.4")
    with pytest.raises(UsageError, match=r"needs MCP SDK 2\.3 or later, and this environment has 1\.9\.4"):
        cli._require_sdk()
