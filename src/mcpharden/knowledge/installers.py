"""Package-manager commands that install dependencies, and what makes them production-only.

Each InstallerSpec says, as data, how one command behaves: whether it installs dev
dependencies by default, which flags and environment variables leave them out or put them
back, where the dependencies land, and whether it replaces what an earlier install left.
The classifier in mcpharden.sources.installs reads this table; it has no per-tool branches
beyond what these fields express.
"""

from __future__ import annotations

from dataclasses import dataclass

# A flag is (name, value): value None means a boolean flag (`--production`), a string means
# the flag must carry that value, as `--omit=dev` or `--omit dev` (also in a comma list).
Flag = tuple[str, str | None]


@dataclass(frozen=True)
class InstallerSpec:
    """How one package manager is invoked, and which flags and variables decide whether it installs dev dependencies."""

    manager: str
    # argv[0] names (basename) and the subcommand words that follow the global options.
    programs: tuple[str, ...]
    subcommands: tuple[tuple[str, ...], ...]
    # Where dependencies land: "node_modules" or "python-env".
    location: str
    installs_dev_by_default: bool
    prod_flags: tuple[Flag, ...] = ()
    dev_flags: tuple[Flag, ...] = ()
    # Environment assignments (NAME, value) that make it production-only / bring dev back.
    prod_env: tuple[tuple[str, str], ...] = ()
    dev_env: tuple[tuple[str, str], ...] = ()
    # The install makes the directory hold exactly this install's packages (npm ci, uv sync).
    replaces_existing: bool = False
    # pip-like installs decide dev/prod from requirement files, extras and package names.
    judged_by_targets: bool = False
    # Pruners remove dev dependencies from an existing directory instead of installing.
    prunes: bool = False
    # Flags that install tools globally rather than the project's dependencies.
    global_flags: tuple[Flag, ...] = ()
    # Package names on the command line (npm install express) install those packages and
    # their production dependencies, not the project's devDependencies.
    named_packages_are_prod: bool = False
    # The manifest kind (sources.manifests) that says whether the default install has any
    # dev dependencies to bring: "package.json", "uv", "poetry", "pdm"; "" when none decides.
    manifest: str = ""


NODE_PROD_ENV = (("NODE_ENV", "production"),)
NODE_GLOBAL = (("-g", None), ("--global", None), ("--location", "global"))
NPM_PROD_FLAGS = (("--omit", "dev"), ("--production", None), ("--production", "true"))
NPM_PROD_ENV = NODE_PROD_ENV + (
    ("NPM_CONFIG_PRODUCTION", "true"), ("npm_config_production", "true"), ("NPM_CONFIG_OMIT", "dev"), ("npm_config_omit", "dev"),
)
ONLY_PROD = (("--only", "prod"), ("--only", "production"))

INSTALLERS: tuple[InstallerSpec, ...] = (
    InstallerSpec(
        manager="npm",
        programs=("npm",),
        subcommands=(("ci",), ("clean-install",), ("install-clean",), ("ic",), ("install",), ("i",), ("in",), ("add",)),
        location="node_modules",
        installs_dev_by_default=True,
        prod_flags=NPM_PROD_FLAGS + ONLY_PROD,
        dev_flags=(("--include", "dev"), ("--production", "false"), ("--also", "dev"), ("--save-dev", None), ("-D", None)),
        prod_env=NPM_PROD_ENV,
        dev_env=(("NPM_CONFIG_INCLUDE", "dev"), ("npm_config_include", "dev")),
        replaces_existing=True,
        global_flags=NODE_GLOBAL,
        named_packages_are_prod=True,
        manifest="package.json",
    ),
    InstallerSpec(
        manager="npm",
        programs=("npm",),
        subcommands=(("prune",),),
        location="node_modules",
        installs_dev_by_default=True,
        prod_flags=NPM_PROD_FLAGS,
        prod_env=NPM_PROD_ENV,
        prunes=True,
    ),
    InstallerSpec(
        manager="yarn",
        programs=("yarn",),
        subcommands=(("install",), (), ("add",), ("workspaces", "focus"), ("global", "add")),
        location="node_modules",
        installs_dev_by_default=True,
        prod_flags=(("--production", None), ("--production", "true"), ("--prod", None)),
        dev_flags=(("--production", "false"), ("--dev", None), ("-D", None)),
        prod_env=NODE_PROD_ENV,
        replaces_existing=True,
        global_flags=NODE_GLOBAL,
        named_packages_are_prod=True,
        manifest="package.json",
    ),
    InstallerSpec(
        manager="pnpm",
        programs=("pnpm",),
        subcommands=(("install",), ("i",), ("add",), ("deploy",)),
        location="node_modules",
        installs_dev_by_default=True,
        prod_flags=(("--prod", None), ("-P", None), ("--production", None), ("--production", "true")) + ONLY_PROD,
        dev_flags=(("--dev", None), ("-D", None), ("--production", "false")),
        prod_env=NODE_PROD_ENV,
        replaces_existing=True,
        global_flags=NODE_GLOBAL,
        named_packages_are_prod=True,
        manifest="package.json",
    ),
    InstallerSpec(
        manager="pnpm",
        programs=("pnpm",),
        subcommands=(("prune",),),
        location="node_modules",
        installs_dev_by_default=True,
        prod_flags=(("--prod", None), ("--production", None)),
        prunes=True,
    ),
    InstallerSpec(
        manager="bun",
        programs=("bun",),
        subcommands=(("install",), ("i",), ("add",)),
        location="node_modules",
        installs_dev_by_default=True,
        prod_flags=(("--production", None), ("-p", None)),
        dev_flags=(("--dev", None), ("-d", None)),
        replaces_existing=True,
        global_flags=NODE_GLOBAL,
        named_packages_are_prod=True,
        manifest="package.json",
    ),
    InstallerSpec(
        manager="pip",
        programs=("pip", "pip3"),
        subcommands=(("install",),),
        location="python-env",
        installs_dev_by_default=False,
        judged_by_targets=True,
    ),
    InstallerSpec(
        manager="uv",
        programs=("uv",),
        subcommands=(("pip", "install"), ("pip", "sync")),
        location="python-env",
        installs_dev_by_default=False,
        judged_by_targets=True,
    ),
    InstallerSpec(
        manager="uv",
        programs=("uv",),
        subcommands=(("sync",),),
        location="python-project",
        installs_dev_by_default=True,
        prod_flags=(("--no-dev", None), ("--only-group", "main"), ("--no-default-groups", None)),
        dev_flags=(("--dev", None), ("--group", "dev"), ("--only-dev", None), ("--all-groups", None), ("--extra", "dev"), ("--extra", "test"), ("--all-extras", None)),
        prod_env=(("UV_NO_DEV", "1"), ("UV_NO_DEV", "true")),
        replaces_existing=True,
        manifest="uv",
    ),
    InstallerSpec(
        manager="poetry",
        programs=("poetry",),
        subcommands=(("install",), ("sync",)),
        location="python-project",
        installs_dev_by_default=True,
        prod_flags=(("--only", "main"), ("--without", "dev"), ("--no-dev", None), ("--only-root", None)),
        dev_flags=(("--with", "dev"), ("--with", "test"), ("--all-groups", None), ("--all-extras", None)),
        manifest="poetry",
    ),
    InstallerSpec(
        manager="pipenv",
        programs=("pipenv",),
        subcommands=(("install",), ("sync",)),
        location="python-project",
        installs_dev_by_default=False,
        dev_flags=(("--dev", None), ("-d", None), ("--categories", "dev-packages")),
    ),
    InstallerSpec(
        manager="pdm",
        programs=("pdm",),
        subcommands=(("install",), ("sync",)),
        location="python-project",
        installs_dev_by_default=True,
        prod_flags=(("--prod", None), ("--production", None)),
        dev_flags=(("--dev", None), ("-d", None), ("-G", "dev"), ("--group", "dev")),
        manifest="pdm",
    ),
)

# Words that mark a requirements file or an extra as development-only
# (requirements-dev.txt, requirements/test.txt, .[dev,lint]).
DEV_WORDS: frozenset[str] = frozenset({"dev", "devel", "develop", "development", "test", "tests", "testing", "lint", "linting", "docs", "doc", "typing", "ci", "qa", "check", "checks"})

# Packages that only serve development, installed by name (pip install pytest).
DEV_PACKAGES: frozenset[str] = frozenset({
    "pytest", "pytest-cov", "pytest-asyncio", "pytest-mock", "coverage", "tox", "nox",
    "black", "ruff", "flake8", "pylint", "mypy", "isort", "pre-commit", "ipython",
    "ipdb", "debugpy", "bandit", "pyright", "hypothesis",
})

# Where a Python install lands when no virtual environment is active.
SYSTEM_PYTHON_DIRS: tuple[str, ...] = ("/usr/local/lib", "/usr/lib/python3", "/usr/local/bin")
