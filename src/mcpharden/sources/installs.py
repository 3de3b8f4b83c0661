"""Recognize dependency installs in shell commands and decide whether they bring dev deps.

Reads the InstallerSpec table (mcpharden.knowledge.installers); the decision order is the
same for every package manager: explicit dev flag > explicit production flag > dev
environment > production environment > (pip-like) what is installed > the tool's default.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from mcpharden.knowledge.build import build_knowledge
from mcpharden.knowledge.installers import DEV_PACKAGES, DEV_WORDS, INSTALLERS, SYSTEM_PYTHON_DIRS, Flag, InstallerSpec

if TYPE_CHECKING:
    from mcpharden.model.build import ManifestVerdict
    from mcpharden.syntax.shell import SimpleCommand

# Global options that take a value, so their value is not mistaken for a subcommand.
_VALUE_OPTIONS = frozenset({
    "--prefix", "--cwd", "-C", "--dir", "--registry", "--cache", "--userconfig", "--loglevel",
    "--workspace", "-w", "--filter", "-F", "--python", "--project", "--directory",
})
PIP_VALUE_OPTIONS = frozenset({
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix",
    "--root", "-c", "--constraint", "--python", "--cache-dir", "--trusted-host", "--platform",
    "--python-version", "--implementation", "--abi", "--only-binary", "--no-binary", "--src",
    "--upgrade-strategy", "-C", "--config-settings", "--progress-bar", "--extra", "--group",
    "--index", "--default-index", "-p", "--python-platform",
})
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_PIP = re.compile(r"^pip(\d+(\.\d+)?)?$")
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?")


@dataclass(frozen=True)
class InstallAction:
    """What one command does to a dependency directory."""

    manager: str
    directory: str
    includes_dev: bool
    reason: str
    replaces_existing: bool
    prunes: bool


def normalize_argv(argv: tuple[str, ...]) -> tuple[str, ...]:
    """`python3 -m pip install` → `pip install`; `/usr/bin/pip3.12` → `pip`."""
    if not argv:
        return argv
    program = argv[0].rsplit("/", 1)[-1]
    rest = argv[1:]
    if _PYTHON.match(program) and len(rest) >= 2 and rest[0] == "-m":
        program, rest = rest[1], rest[2:]
    if _PIP.match(program):
        program = "pip"
    return (program, *rest)


def classify(command: SimpleCommand, env: Mapping[str, str], cwd: str,
             manifests: Mapping[str, ManifestVerdict] | None = None) -> InstallAction | None:
    """The install or prune `command` performs, or None when it is not one. `manifests` are
    the build context's verdicts (sources.manifests); None when the context was not read."""
    argv = normalize_argv(command.argv)
    if not argv:
        return None
    effective_env = {**env, **dict(command.assignments)}
    for spec in INSTALLERS:
        if argv[0] not in spec.programs:
            continue
        matched = _after_subcommand(argv[1:], spec.subcommands)
        if matched is None:
            continue
        subcommand, args = matched
        if _has_flag(argv, spec.global_flags) or subcommand == ("global", "add"):
            return None  # a global tool, not the project's dependencies
        invocation = " ".join((argv[0], *subcommand))
        includes_dev, reason = _includes_dev(spec, invocation, argv, args, effective_env)
        if includes_dev and spec.manifest and not _has_flag(argv, spec.dev_flags) and manifests is not None:
            includes_dev, reason = _judged_by_manifest(spec, invocation, reason, manifests)
        return InstallAction(
            manager=spec.manager,
            directory=_directory(spec, argv, effective_env, cwd),
            includes_dev=includes_dev,
            reason=reason,
            replaces_existing=spec.replaces_existing,
            prunes=spec.prunes,
        )
    return None


def _after_subcommand(
    args: tuple[str, ...], subcommands: tuple[tuple[str, ...], ...]
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The first subcommand that matches (global options skipped) and the other arguments."""
    positionals: list[tuple[int, str]] = []
    skip = False
    for index, word in enumerate(args):
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            skip = word in _VALUE_OPTIONS
            continue
        positionals.append((index, word))
    for sub in subcommands:
        if not sub:
            if not positionals:
                return sub, args
            continue
        leading = positionals[: len(sub)]
        if tuple(word for _, word in leading) == sub:
            matched = {index for index, _ in leading}
            return sub, tuple(word for index, word in enumerate(args) if index not in matched)
    return None


def _positionals(args: tuple[str, ...]) -> list[str]:
    words, skip = [], False
    for word in args:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _VALUE_OPTIONS
        else:
            words.append(word)
    return words


def _has_flag(argv: tuple[str, ...], flags: tuple[Flag, ...]) -> str | None:
    """The first of `flags` present in argv, as written; values may be `=v`, ` v` or a comma list."""
    for name, value in flags:
        for index, word in enumerate(argv):
            if value is None and word == name:
                return word
            if value is None:
                continue
            if word.startswith(name + "="):
                if value in word.split("=", 1)[1].split(","):
                    return word
            elif word == name and index + 1 < len(argv) and value in argv[index + 1].split(","):
                return f"{word} {argv[index + 1]}"
    return None


def _env_match(env: Mapping[str, str], pairs: tuple[tuple[str, str], ...]) -> str | None:
    for name, value in pairs:
        if env.get(name, "").strip().lower() == value:
            return f"{name}={value}"
    return None


def _includes_dev(
    spec: InstallerSpec, invocation: str, argv: tuple[str, ...], args: tuple[str, ...], env: Mapping[str, str]
) -> tuple[bool, str]:
    if flag := _has_flag(argv, spec.dev_flags):
        return True, f"`{invocation}` with `{flag}` installs dev dependencies"
    if flag := _has_flag(argv, spec.prod_flags):
        return False, f"`{flag}` leaves dev dependencies out"
    if setting := _env_match(env, spec.dev_env):
        return True, f"{setting} is in effect, so `{invocation}` installs dev dependencies"
    if setting := _env_match(env, spec.prod_env):
        return False, f"{setting} is in effect"
    if spec.judged_by_targets:
        return _judge_pip_targets(args)
    if spec.named_packages_are_prod and (named := _positionals(args)):
        return False, f"`{invocation}` installs the named package(s) {' '.join(named[:3])}"
    if spec.prunes:
        return True, f"`{invocation}` without a production flag keeps dev dependencies"
    if spec.installs_dev_by_default:
        hint = " and NODE_ENV is not production" if ("NODE_ENV", "production") in spec.prod_env else ""
        return True, f"`{invocation}` installs dev dependencies by default (no production flag{hint})"
    return False, f"`{invocation}` installs production dependencies by default"


def _judged_by_manifest(spec: InstallerSpec, invocation: str, reason: str,
                        manifests: Mapping[str, ManifestVerdict]) -> tuple[bool, str]:
    """A default install brings dev dependencies only when the manifest declares some."""
    from mcpharden.sources.manifests import MANIFEST_FILES

    verdict = manifests.get(spec.manifest)
    if verdict is None:
        return True, f"{reason}; no {MANIFEST_FILES[spec.manifest]} in the build context, so dev dependencies are assumed"
    if not verdict.installs_dev:
        return False, f"`{invocation}` has no dev dependencies to install: {verdict.path} {verdict.detail}"
    return True, f"{reason}, and {verdict.path} {verdict.detail}"


def installer_of(argv: tuple[str, ...]) -> tuple[InstallerSpec, int] | None:
    """The installer `argv` runs, and how many of its words lead up to the end of its
    subcommand, by the installer's own grammar: `python3 -m uv pip install -e .` → 5,
    `npm --prefix /app ci` → 4, `yarn --frozen-lockfile` → 1. A flag goes after those words."""
    if not argv:
        return None
    lead = 2 if len(argv) >= 3 and _PYTHON.match(argv[0].rsplit("/", 1)[-1]) and argv[1] == "-m" else 0
    program = normalize_argv(argv)[0]
    args = argv[lead + 1 :]
    for spec in INSTALLERS:
        if program not in spec.programs:
            continue
        matched = _after_subcommand(args, spec.subcommands)
        if matched is None:
            continue
        subcommand, _rest = matched
        end = lead + 1
        for word in subcommand:  # the subcommand's words, in order, options between them skipped
            end = args.index(word, end - lead - 1) + lead + 2
        return spec, end
    return None


def dev_target_words(argv: tuple[str, ...]) -> tuple[list[tuple[str, ...]], list[tuple[str, str]], str | None]:
    """What makes a pip-like install bring dev dependencies, as edits: word sequences to drop
    (`-r requirements-dev.txt`, `--extra dev`), targets to rewrite (`.[dev,server]` → `.[server]`),
    and the reason when no safe edit exists (`--all-extras`, a dev tool named as a package)."""
    drop: list[tuple[str, ...]] = []
    rewrite: list[tuple[str, str]] = []
    words = list(argv)
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in ("-r", "--requirement") and _is_dev_path(following):
            drop.append((word, following))
        elif word.startswith("-r") and len(word) > 2 and not word.startswith("-r=") and _is_dev_path(word[2:]):
            drop.append((word,))
        elif word.startswith("--requirement=") and _is_dev_path(word.split("=", 1)[1]):
            drop.append((word,))
        elif word in ("--extra", "--group") and following.lower() in DEV_WORDS:
            drop.append((word, following))
        elif word == "--all-extras":
            return [], [], "`--all-extras` installs every extra: name the production extras instead"
        elif not word.startswith("-") and (dev := _extras(word) & DEV_WORDS):
            kept = [e for e in word[word.find("[") + 1 : word.find("]")].split(",") if e.strip().lower() not in dev]
            rewrite.append((word, word[: word.find("[")] + (f"[{','.join(kept)}]" if kept else "") + word[word.find("]") + 1 :]))
        elif not word.startswith("-") and (name := _NAME.match(word.rsplit("/", 1)[-1])) and name.group(1).lower() in DEV_PACKAGES:
            return [], [], f"the development tool `{name.group(1)}` is installed by name: install it in a build stage"
    dropped = {index for sequence in drop for index in _positions(words, sequence)}
    remaining = [w for i, w in enumerate(words) if i not in dropped]
    if not any(option in ("", "-e", "--editable", "-r", "--requirement") and value
               for option, value in pip_arguments(tuple(remaining[2:]))):
        return [], [], "it installs only development requirements: install them in a build stage, or not at all"
    return drop, rewrite, None


def _positions(words: list[str], sequence: tuple[str, ...]) -> list[int]:
    for start in range(len(words) - len(sequence) + 1):
        if tuple(words[start : start + len(sequence)]) == sequence:
            return list(range(start, start + len(sequence)))
    return []


_DEV_TOOL = "installs the development tool `{}`"


def dev_tool_installed(reason: str) -> str | None:
    """The development tool an install's reason says it installs by name (`ruff`), or None."""
    prefix, _, rest = _DEV_TOOL.partition("{}")
    return reason[len(prefix):-len(rest)] if reason.startswith(prefix) and reason.endswith(rest) else None


def _judge_pip_targets(args: tuple[str, ...]) -> tuple[bool, str]:
    """pip/uv pip: dev when a requirements file, extra, group or package name says so."""
    for option, value in pip_arguments(args):
        if option in ("-r", "--requirement") and _is_dev_path(value):
            return True, f"installs the dev requirements file `{value}`"
        if option in ("--extra", "--group") and value.lower() in DEV_WORDS:
            return True, f"installs the `{value}` {option[2:]}"
        if option == "--all-extras":
            return True, "`--all-extras` installs dev extras too"
        if option in ("", "-e", "--editable"):
            if dev_extras := sorted(_extras(value) & DEV_WORDS):
                return True, f"installs the [{','.join(dev_extras)}] extra of `{value}`"
            name = _NAME.match(value.rsplit("/", 1)[-1])
            if name and name.group(1).lower() in DEV_PACKAGES:
                return True, _DEV_TOOL.format(name.group(1))
    return False, "installs production requirements"


def pip_arguments(args: Iterable[str], value_options: frozenset[str] = PIP_VALUE_OPTIONS):
    """(option, value) pairs of a pip command line; positionals come as ("", value).
    `value_options`: the options that take the next word as their value."""
    words = iter(args)
    for word in words:
        if word.startswith("-r") and len(word) > 2 and not word.startswith("-r="):
            yield "-r", word[2:]
        elif "=" in word and word.startswith("--"):
            option, value = word.split("=", 1)
            yield option, value
        elif word in ("-r", "--requirement", "-e", "--editable") or word in value_options:
            yield word, next(words, "")
        elif word.startswith("-"):
            yield word, ""
        else:
            yield "", word


def _extras(target: str) -> set[str]:
    start, end = target.find("["), target.find("]")
    if start < 0 or end < start:
        return set()
    return {extra.strip().lower() for extra in target[start + 1 : end].split(",")}


def _is_dev_path(path: str) -> bool:
    words = re.split(r"[-_./]+", path.lower())
    return any(word in DEV_WORDS for word in words if word not in ("txt", "in", "requirements", ""))


def _directory(spec: InstallerSpec, argv: tuple[str, ...], env: Mapping[str, str], cwd: str) -> str:
    """Where the dependencies land, as an absolute path in the image."""
    def option(*names: str) -> str | None:
        for index, word in enumerate(argv):
            for name in names:
                if word == name and index + 1 < len(argv):
                    return argv[index + 1]
                if word.startswith(name + "="):
                    return word.split("=", 1)[1]
        return None

    if spec.location == "node_modules":
        base = option("--prefix", "--cwd", "-C", "--dir") or cwd
        return posixpath.join(absolute(base, cwd), "node_modules")
    home = env.get("HOME", "/root") or "/root"
    if spec.location == "python-env":
        if target := option("--target", "-t", "--prefix"):
            return absolute(target, cwd)
        if "--user" in argv:
            return posixpath.join(home, ".local")
        if "--system" not in argv and (venv := active_virtualenv(env)):
            return venv
        return SYSTEM_PYTHON_DIRS[0]
    # python-project tools keep their own environment
    in_project = posixpath.join(cwd, ".venv")
    if spec.manager == "uv":
        return absolute(env.get("UV_PROJECT_ENVIRONMENT", "") or in_project, cwd)
    if spec.manager == "poetry":
        if env.get("POETRY_VIRTUALENVS_CREATE", "").lower() in ("false", "0"):
            return active_virtualenv(env) or SYSTEM_PYTHON_DIRS[0]
        if env.get("POETRY_VIRTUALENVS_IN_PROJECT", "").lower() in ("true", "1"):
            return in_project
        return posixpath.join(home, ".cache/pypoetry/virtualenvs")
    if spec.manager == "pipenv":
        if "--system" in argv:
            return SYSTEM_PYTHON_DIRS[0]
        if env.get("PIPENV_VENV_IN_PROJECT", "").lower() in ("true", "1"):
            return in_project
        return posixpath.join(home, ".local/share/virtualenvs")
    return in_project


def active_virtualenv(env: Mapping[str, str]) -> str | None:
    """The virtual environment a RUN step uses: VIRTUAL_ENV, or a venv's bin first on PATH."""
    if venv := env.get("VIRTUAL_ENV"):
        return venv.rstrip("/")
    first = env.get("PATH", "").split(":", 1)[0]
    if first.endswith("/bin") and ("venv" in first or ".venv" in first):
        return first[: -len("/bin")]
    return None


def absolute(path: str, cwd: str) -> str:
    return posixpath.normpath(posixpath.join(cwd, path))


# OS packages and remote code (knowledge/build.toml) ---------------------------------------------


@cache
def _remote_code_patterns() -> tuple[re.Pattern[str], ...]:
    table = build_knowledge()
    fetch = "|".join(re.escape(f) for f in table["fetchers"])
    run = "|".join(re.escape(i) for i in sorted(table["interpreters"], key=len, reverse=True))
    runner = rf"(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+(?:\S+=\S*\s+)*)?(?:\S*/)?(?:{run})(?![\w.-])"
    return (
        # curl -fsSL https://x | sh   wget -qO- x | sudo -E bash -
        re.compile(rf"(?<![\w-])(?:{fetch})(?![\w-])[^|;&\n]*\|\s*{runner}"),
        # bash <(curl -s x)
        re.compile(rf"(?<![\w-])(?:{run})\s+<\(\s*(?:{fetch})(?![\w-])"),
        # sh -c "$(curl -fsSL x)"   python3 -c "$(wget -qO- x)"
        re.compile(rf"(?<![\w-])(?:{run})\s+-c\s+[\"']?\$\(\s*(?:{fetch})(?![\w-])"),
    )


def remote_code_in(script: str) -> list[str]:
    """How a RUN script runs code straight from the network (`curl … | sh`), if it does."""
    found = []
    if not any(fetcher in script for fetcher in build_knowledge()["fetchers"]):
        return found  # every pattern needs a fetcher; most scripts have none, and skip compiling them
    for pattern in _remote_code_patterns():
        for match in pattern.finditer(script.replace("\\\n", " ")):
            found.append(f"`{' '.join(match.group(0).split())[:80]}`")
    return found


def os_packages_installed(argv: tuple[str, ...]) -> list[str]:
    """Packages an OS package manager installs (`apt-get install -y sudo=1.9*` → sudo)."""
    if not argv:
        return []
    installers = build_knowledge()["os_installers"]
    subcommands = installers.get(argv[0].rsplit("/", 1)[-1])
    if subcommands is None:
        return []
    words = [w for w in argv[1:]]
    position = next((i for i, w in enumerate(words) if w in subcommands), None)
    if position is None:
        return []
    names = []
    for word in words[position + 1 :]:
        if word.startswith("-") or "$" in word:
            continue
        name = re.split(r"[=<>~]", word, maxsplit=1)[0]
        if name and not name.endswith((".deb", ".rpm", ".apk")):
            names.append(name.split(":", 1)[0].lower())
    return names
