"""Commands that take code from a registry or a repository by name, and how firmly they pin it.

- At build time (`installs_in_command`): `npm install -g pkg`, `pip install pkg`, `cargo install
  pkg`, `go install pkg@latest`, `pip install git+https://…@main`, `git clone URL`, a download
  of a branch archive (`curl -LO …/archive/main.zip`). npm, yarn, pnpm, bun, pip and `uv pip`
  are recognized through the installers table (knowledge/installers.py), the other tools
  through knowledge/packages.toml.
- At start (`fetches_in_argv`, `fetches_in_script`): a runner that downloads what it runs
  (`npx -y pkg`, `uvx pkg`, `pipx run pkg`, `bunx pkg`, `pnpm dlx pkg`), or any install run by
  the start command (`pip install …`, `npm install` in an entry point or its script), behind
  any wrapper (`sh -c`, `exec`, `tini --`, `mcp-proxy --`, `supergateway --stdio "npx …"`).

Each package reference gets a pin (model.packages.PINS): none, moving, range, manifest,
variable, version, tag, lock or commit.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from mcpharden.knowledge.packages import PackageTool, moving_names, runners, tool_installers
from mcpharden.model.packages import PackageFetch, PackageInstall, PackageRef
from mcpharden.sources.installs import _VALUE_OPTIONS as INSTALLER_VALUE_OPTIONS
from mcpharden.sources.installs import PIP_VALUE_OPTIONS, build_knowledge, installer_of, normalize_argv, pip_arguments
from mcpharden.syntax.shell import split_commands

if TYPE_CHECKING:
    from mcpharden.knowledge.installers import InstallerSpec

LineOf = Callable[[int], int]

# pip's options that take a value, and uv pip's own.
_PIP_OPTIONS_WITH_VALUE = PIP_VALUE_OPTIONS | frozenset({
    "-b", "--build-constraints", "--build-constraint", "--overrides", "--override", "--exclude-newer", "--resolution",
    "--prerelease", "--index-strategy", "--keyring-provider", "--link-mode", "--upgrade-package", "-P",
    "--reinstall-package", "--refresh-package", "--no-build-package", "--no-binary-package", "--only-binary-package",
    "--torch-backend", "--cache-dir", "--target", "--python-version",
})
# Options whose file governs the versions installed (a requirements, constraints or overrides file).
_GOVERNING_OPTIONS = frozenset({"-r", "--requirement", "-c", "--constraint", "--constraints", "--require-hashes",
                                "--overrides", "--override"})

_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
# Programs whose arguments are text, never a command they run.
_NEVER_WRAPS = frozenset({"echo", "printf", "cat", "grep", "sed", "awk", "test", "[", "true", "false", ":", "logger"})
_NODE_MANAGERS = frozenset({"npm", "yarn", "pnpm", "bun"})
_EXACT_SEMVER = re.compile(r"^[v=]?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_PARTIAL_VERSION = re.compile(r"^[v=]?\d+(?:\.(?:\d+|[xX*]))?(?:\.[xX*])?$")
_HEX = re.compile(r"^[0-9a-fA-F]{7,64}$")
_PYPI_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$", re.DOTALL)
_ARCHIVE_SUFFIX = re.compile(r"(\.tar\.gz|\.tgz|\.tar\.bz2|\.tar\.xz|\.zip|\.tar)$", re.IGNORECASE)
MAX_NESTING = 3
MAX_SHOWN_WORDS = 6


# References ---------------------------------------------------------------------------------------


def _local(word: str) -> bool:
    """A path in the image or the build context, not a registry name."""
    if "://" in word or word.startswith(("git+", "git@")):
        return False
    return word.startswith((".", "/", "~", "file:")) or bool(_ARCHIVE_SUFFIX.search(word)) or word.endswith(".whl")


def _variable(text: str) -> bool:
    return "$" in text or "{{" in text


def _ref_pin(ref: str) -> str:
    """A Git reference: a commit, a branch that moves, a variable, or a tag."""
    if not ref:
        return "none"
    if _variable(ref):
        return "variable"
    if _HEX.match(ref) and (len(ref) >= 12 or not ref.isdigit()):
        return "commit"
    if ref.lower() in moving_names() or ref.lower().startswith(("refs/heads/", "heads/")):
        return "moving"
    return "tag"


def url_ref(url: str) -> tuple[str, str]:
    """(pin, reference) of an archive or file URL: a GitHub or GitLab archive of a branch moves,
    of a tag or commit does not; `releases/latest` moves; other files are taken by version when
    their name has one."""
    if _variable(url):
        return "variable", ""
    path = url.split("://", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    parts = path.split("/")
    lowered = [part.lower() for part in parts]
    if "releases" in lowered and "latest" in lowered[lowered.index("releases"):]:
        return "moving", "latest release"
    ref = ""
    if "archive" in lowered:  # github.com/o/r/archive/[refs/heads/]main.zip, gitlab …/-/archive/main/r-main.zip
        rest = parts[lowered.index("archive") + 1 :]
        if rest[:2] in (["refs", "heads"], ["refs", "tags"]):
            kind, rest = rest[1], rest[2:]
            name = _ARCHIVE_SUFFIX.sub("", "/".join(rest))
            return ("moving" if kind == "heads" else "tag"), name
        ref = _ARCHIVE_SUFFIX.sub("", rest[0]) if rest else ""
    elif parts and parts[0].lower() == "codeload.github.com" and len(parts) >= 5:  # codeload…/o/r/zip/refs/heads/main
        rest = parts[4:]
        if rest[:2] in (["refs", "heads"], ["refs", "tags"]):
            return ("moving" if rest[1] == "heads" else "tag"), "/".join(rest[2:])
        ref = "/".join(rest)
    if ref:
        return _ref_pin(ref), ref
    name = _ARCHIVE_SUFFIX.sub("", parts[-1]) if parts else ""
    if re.search(r"\d+\.\d+", name) or re.search(r"(^|/)v?\d+\.\d+", path):
        return "version", ""
    return "none", ""


def _git_ref(url: str, separator: str) -> tuple[str, str]:
    """`git+https://host/o/r.git@ref#egg=x` (pip, separator "@"), `…/r.git#ref` (npm, "#")."""
    address = url.split("#", 1)[0] if separator == "@" else url
    if separator == "#":
        address, _, ref = address.partition("#")
        ref = ref.split("&", 1)[0].removeprefix("semver:")
        return address, ref
    scheme, _, rest = address.partition("://")
    host, slash, path = rest.partition("/")
    path, _, ref = path.rpartition("@") if "@" in path else (path, "", "")
    return f"{scheme}://{host}{slash}{path}" if scheme and rest else address, ref


def npm_ref(word: str, registry: str = "npm") -> PackageRef | None:
    """`pkg`, `@scope/pkg@^1.2`, `pkg@latest`, `npm:alias@1`, `github:o/r#v1`, `o/r`, a tarball URL;
    None for a local path."""
    word = word.removeprefix("npm:")
    if _local(word) and not word.startswith(("http://", "https://")):
        return None
    if word.startswith(("http://", "https://")) and not word.split("#", 1)[0].endswith(".git"):
        pin, ref = url_ref(word)
        return PackageRef(word, "URL", pin, ref)
    git_prefixes = ("git+", "git://", "git@", "github:", "gitlab:", "bitbucket:", "gist:")
    if word.startswith(git_prefixes) or word.split("#", 1)[0].endswith(".git") or (
            "/" in word and not word.startswith("@") and ":" not in word):
        address, ref = _git_ref(word, "#")
        return PackageRef(address, "Git", _ref_pin(ref), ref)
    at = word.find("@", 1)
    name, spec = (word, "") if at < 0 else (word[:at], word[at + 1 :])
    if not name:
        return None
    return PackageRef(name, registry, npm_spec_pin(spec), spec)


def npm_spec_pin(spec: str) -> str:
    spec = spec.strip()
    if not spec:
        return "none"
    if _variable(spec):
        return "variable"
    if _EXACT_SEMVER.match(spec):
        return "version"
    if _PARTIAL_VERSION.match(spec) or any(c in spec for c in "^~<>=*|") or " - " in spec:
        return "range"
    return "moving"  # a dist-tag: latest, next, beta, latest-10


def pypi_ref(word: str) -> PackageRef | None:
    """`pkg`, `pkg[extra]==1.2.3`, `pkg>=1`, `pkg@1.2.3` / `pkg@latest` (uvx), `pkg @ URL`,
    `git+https://…@ref`, an archive URL; None for a local path or a file."""
    word = word.strip()
    if " @ " in word or (word.count("@") == 1 and "://" in word and not word.startswith(("git+", "http"))):
        name, _, url = word.partition("@")
        ref = pypi_ref(url.strip())
        return PackageRef(name.strip(), ref.registry, ref.pin, ref.version) if ref else None
    if word.startswith("git+") or (word.startswith(("http://", "https://")) and word.split("#", 1)[0].split("@", 1)[0].endswith(".git")):
        address, ref = _git_ref(word.removeprefix("git+"), "@")
        return PackageRef(address, "Git", _ref_pin(ref), ref)
    if word.startswith(("http://", "https://")):
        pin, ref = url_ref(word)
        return PackageRef(word, "URL", pin, ref)
    if _local(word) or word.startswith("-"):
        return None
    match = _PYPI_NAME.match(word)
    if not match:
        return None
    name, rest = match.group(1), match.group(3).split(";", 1)[0].strip()
    if not rest:
        return PackageRef(name, "PyPI", "none")
    if _variable(rest):
        return PackageRef(name, "PyPI", "variable", rest.removeprefix("==").removeprefix("@"))
    if rest.startswith("@"):  # uvx pkg@1.2.3, uvx pkg@latest
        version = rest[1:]
        if version.lower() == "latest":
            return PackageRef(name, "PyPI", "moving", "latest")
        return PackageRef(name, "PyPI", "version" if re.match(r"^[\w.!+-]+$", version) else "range", version)
    if rest.startswith("==") and "," not in rest and "*" not in rest:
        return PackageRef(name, "PyPI", "version", rest.lstrip("="))
    return PackageRef(name, "PyPI", "range", rest)


def go_ref(word: str) -> PackageRef | None:
    """`example.com/cmd/x@v1.2.3`, `…@latest`, `…@main`, `…@<commit>`; None without `@` (a
    package of the module being built)."""
    path, at, version = word.partition("@")
    if not at or path.startswith((".", "/")):
        return None
    if version in ("latest", "upgrade", "patch"):
        return PackageRef(path, "Go modules", "moving", version)
    if re.search(r"\d{14}-[0-9a-f]{12}$", version):
        return PackageRef(path, "Go modules", "commit", version)  # a pseudo-version names a commit
    if re.match(r"^v\d+\.\d+\.\d+", version):
        return PackageRef(path, "Go modules", "version", version)
    return PackageRef(path, "Go modules", _ref_pin(version), version)


def deno_ref(word: str) -> PackageRef | None:
    """`npm:pkg@1`, `jsr:@scope/pkg@1`, `https://deno.land/x/mod@v1/mod.ts`; None for local files."""
    if word.startswith("npm:"):
        return npm_ref(word[4:])
    if word.startswith("jsr:"):
        return npm_ref(word[4:], registry="JSR")
    if word.startswith(("http://", "https://")):
        match = re.search(r"@([^/]+)/", word)
        if match:
            version = match.group(1)
            return PackageRef(word, "URL", npm_spec_pin(version.lstrip("v")) if not _variable(version) else "variable", version)
        return PackageRef(word, "URL", "none")
    return None


def _reference(syntax: str, word: str) -> PackageRef | None:
    if syntax == "npm":
        return npm_ref(word)
    if syntax == "pypi":
        return pypi_ref(word)
    if syntax == "go":
        return go_ref(word)
    if syntax == "deno":
        return deno_ref(word)
    return None


# Build: installs by name ---------------------------------------------------------------------------


def installs_in_command(argv: Sequence[str], line: int, stage: str) -> PackageInstall | None:
    """The registry or repository code one build command installs by name, if any (local
    paths, requirement files and project installs are not)."""
    argv = tuple(argv)
    if not argv:
        return None
    program = argv[0].rsplit("/", 1)[-1]
    if program in build_knowledge()["fetchers"]:
        return _download(argv, line, stage)
    found = _tool_installer(argv)
    if found:
        tool, start = found
        packages = _tool_packages(tool, argv[start:])
        return PackageInstall(tool.shown, tuple(packages), _shown(argv), line, stage) if packages else None
    return _installer_packages(argv, line, stage)


def lost_versions(script: str, install: PackageInstall) -> list[str]:
    """`pkg>=1.0` written unquoted in `script` for the packages `install` got with no version:
    the shell took `>` (or `<`) for a redirection, so the version never reached the installer."""
    lost = []
    for ref in install.packages:
        if ref.pin != "none" or ref.registry not in ("PyPI", "npm") or ">" not in script and "<" not in script:
            continue
        match = re.search(rf"(?<![\"'\w.\[/@-]){re.escape(ref.name)}(\[[^\]\s]*\])?[<>]=?[^\s\"';&|]*", script)
        if match:
            lost.append(match.group(0))
    return lost


def with_checkout(install: PackageInstall, argv: Sequence[str]) -> PackageInstall | None:
    """The clone `install` made, pinned by a later `git checkout <ref>` / `git reset --hard <ref>`
    (`argv`); None when argv is no such command or the clone already names a reference."""
    if install.tool != "git clone" or len(install.packages) != 1 or install.packages[0].pin != "none":
        return None
    words = list(argv)
    if not words or words[0].rsplit("/", 1)[-1] != "git":
        return None
    index = 1
    while index < len(words) and words[index].startswith("-"):
        index += 2 if words[index] in ("-C", "-c") else 1
    rest = words[index:]
    if rest[:1] in (["checkout"], ["switch"]):
        refs = [word for word in rest[1:] if not word.startswith("-")]
    elif rest[:2] == ["reset", "--hard"]:
        refs = rest[2:]
    else:
        return None
    if not refs:
        return None
    return replace(install, packages=(replace(install.packages[0], pin=_ref_pin(refs[0]), version=refs[0]),))


def _shown(argv: Sequence[str], limit: int = MAX_SHOWN_WORDS) -> str:
    words = list(argv[:limit])
    return " ".join(words) + (" …" if len(argv) > limit else "")


def _download(argv: tuple[str, ...], line: int, stage: str) -> PackageInstall | None:
    """`curl -LO https://github.com/o/r/archive/main.zip`: a download of a branch or of the latest
    release (a download of a fixed file is remote-code-at-build's to judge, when it is run)."""
    packages = []
    for word in argv[1:]:
        if word.startswith(("http://", "https://")):
            pin, ref = url_ref(word)
            if pin == "moving":
                packages.append(PackageRef(word, "URL", pin, ref))
    return PackageInstall(argv[0].rsplit("/", 1)[-1], tuple(packages), _shown(argv), line, stage) if packages else None


def _tool_installer(argv: tuple[str, ...]) -> tuple[PackageTool, int] | None:
    program = argv[0].rsplit("/", 1)[-1]
    for tool in tool_installers():
        if program != tool.command[0]:
            continue
        position = 1
        matched = True
        for word in tool.command[1:]:
            while position < len(argv) and argv[position].startswith("-"):
                position += 1  # global options before the subcommand (`git -c x=y clone`)
                if position < len(argv) and argv[position - 1] in ("-c", "-C"):
                    position += 1
            if position >= len(argv) or argv[position] != word:
                matched = False
                break
            position += 1
        if matched:
            return tool, position
    return None


def _options_and_positionals(args: Sequence[str], tool: PackageTool) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    positionals: list[str] = []
    takes_value = tool.value_options | tool.version_options | tool.package_options
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            positionals.extend(args[index + 1 :])
            break
        if word.startswith("-") and word != "-":
            name, equals, value = word.partition("=")
            if equals:
                options[name] = value
            elif name in takes_value:
                options[name] = args[index + 1] if index + 1 < len(args) else ""
                index += 1
            else:
                options[name] = ""
        else:
            positionals.append(word)
        index += 1
    return options, positionals


def _tool_packages(tool: PackageTool, args: Sequence[str]) -> list[PackageRef]:
    options, positionals = _options_and_positionals(args, tool)
    version = next((options[o] for o in tool.version_options if o in options), None)
    if tool.syntax == "cargo":
        if "--path" in options:
            return []
        if "--git" in options:
            url = options["--git"]
            for option, pin in (("--rev", "commit"), ("--tag", "tag"), ("--branch", "moving")):
                if option in options:
                    ref = options[option]
                    return [PackageRef(url, "Git", "variable" if _variable(ref) else pin, ref)]
            return [PackageRef(url, "Git", "none")]
        found = []
        for word in positionals:
            name, _, spec = word.partition("@")
            spec = spec or (version or "")
            found.append(PackageRef(name, tool.registry, _cargo_pin(spec), spec))
        return found
    if tool.syntax == "gem":
        found = []
        for word in positionals:
            name, _, spec = word.partition(":")
            spec = spec or (version or "")
            pin = "none" if not spec else "variable" if _variable(spec) else "version" if re.match(r"^=?\s*[\d.]+$", spec) else "range"
            if not _local(word):
                found.append(PackageRef(name, tool.registry, pin, spec))
        return found
    if tool.syntax == "git":
        if not positionals:
            return []
        ref = version or ""
        url = positionals[0]
        if _local(url) and "://" not in url:
            return []
        return [PackageRef(url, "Git", _ref_pin(ref), ref)]
    if tool.syntax == "go":
        return [ref for ref in (go_ref(word) for word in positionals) if ref]
    # pypi syntax (pipx install, uv tool install): --spec / --from name the package
    spec = next((options[o] for o in tool.package_options if o in options), None)
    words = [spec] if spec else positionals
    return [ref for ref in (pypi_ref(word) for word in words) if ref]


def _cargo_pin(spec: str) -> str:
    if not spec:
        return "none"
    if _variable(spec):
        return "variable"
    return "version" if re.match(r"^=?\d+\.\d+\.\d+", spec) and not any(c in spec for c in "^~<>*,") else "range"


def _installer_packages(argv: tuple[str, ...], line: int, stage: str) -> PackageInstall | None:
    found = installer_of(argv)
    if found is None:
        return None
    spec, end = found
    if spec.prunes:
        return None
    args = argv[end:]
    packages = _named_packages(spec, args)
    if not packages:
        return None
    words = normalize_argv(argv)
    tool = " ".join(words[: 1 + len(_subcommand_words(spec, words))])
    if spec.manager in _NODE_MANAGERS and any(w in ("-g", "--global") or w == "--location=global" for w in argv):
        tool += " -g"
    return PackageInstall(tool, tuple(packages), _shown(argv), line, stage)


def _subcommand_words(spec: InstallerSpec, words: tuple[str, ...]) -> tuple[str, ...]:
    rest = [w for w in words[1:] if not w.startswith("-")]
    for sub in spec.subcommands:
        if sub and tuple(rest[: len(sub)]) == sub:
            return sub
    return ()


def _named_packages(spec: InstallerSpec, args: tuple[str, ...]) -> list[PackageRef]:
    """The packages an install names, with their pins; [] for project installs (`npm ci`,
    `pip install -r requirements.txt`, `pip install .`) and installs from local files only."""
    if spec.manager in _NODE_MANAGERS:
        words, skip = [], False
        for word in args:
            if skip:
                skip = False
            elif word.startswith("-"):
                skip = word in INSTALLER_VALUE_OPTIONS and "=" not in word
            else:
                words.append(word)
        return [ref for ref in (npm_ref(word) for word in words) if ref]
    if spec.judged_by_targets:  # pip, uv pip
        if any(word in ("--no-index", "--offline") for word in args):
            return []  # local wheels only
        pairs = list(pip_arguments(args, _PIP_OPTIONS_WITH_VALUE))
        if any(option in _GOVERNING_OPTIONS for option, _ in pairs):
            return []  # a requirements, constraints or overrides file governs the versions
        refs = []
        for option, value in pairs:
            if option in ("", "-e", "--editable") and value:
                ref = pypi_ref(value)
                if ref:
                    refs.append(ref)
        return refs
    return []


# Start: fetches ---------------------------------------------------------------------------------------


def fetches_in_script(script: str, path: str, first_line: int = 1, depth: int = 0, anywhere: bool = True) -> list[PackageFetch]:
    """What a shell script run at start downloads (an entry point's script, `sh -c "…"`).
    `anywhere`: a runner counts at any position of a command (`mcp-proxy -- npx -y pkg`), not
    only as the command itself (for quoted arguments, which may be mere text)."""
    found: list[PackageFetch] = []
    if depth > MAX_NESTING or not _may_fetch(script):
        return found
    commands = split_commands(script, keep_launchers=True)
    # A script that only installs (`npm install` in a Makefile's `docker run … npm install`) is a
    # task run in a container, not a server's start: its installs are what it is for.
    starts_something = any(c.argv and c.program not in _SETUP and not _is_install(c.argv) for c in commands)
    for command in commands:
        if not starts_something and _is_install(command.argv):
            continue
        line = first_line + command.line_offset
        found.extend(fetches_in_argv(command.argv, line, path, depth=depth + 1, anywhere=anywhere))
    return found


# Commands that prepare a start without starting anything.
_SETUP = frozenset({"cd", "set", "export", "echo", "printf", "mkdir", "true", ":", "test", "[", "chmod", "chown", "rm", "cp", "mv", "ln", "touch", "sleep"})


def _is_install(argv: Sequence[str]) -> bool:
    argv = tuple(argv)
    if not argv:
        return False
    found = installer_of(argv)
    return (found is not None and not found[0].prunes) or _tool_installer(argv) is not None


def _may_fetch(text: str) -> bool:
    """Cheap test before splitting a script: it names a runner or an installer."""
    names = {tool.command[0] for tool in runners()} | {tool.command[0] for tool in tool_installers()} | {
        "npm", "yarn", "pnpm", "bun", "pip", "pip3", "uv", "poetry", "pipenv", "pdm"}
    return any(name in text for name in names)


def fetches_in_argv(words: Sequence[str], line_of: LineOf | int, path: str, depth: int = 0,
                    anywhere: bool = True) -> list[PackageFetch]:
    """What a command run at start downloads: a runner (at any position when `anywhere`, so that
    `mcp-proxy -- npx -y pkg` counts), an install, or a quoted command a wrapper runs."""
    at = (lambda _index: line_of) if isinstance(line_of, int) else line_of
    words = [str(word) for word in words]
    found: list[PackageFetch] = []
    if not words or depth > MAX_NESTING or words[0].rsplit("/", 1)[-1] in _NEVER_WRAPS:
        return found
    index = 0
    while index < len(words):
        program = words[index].rsplit("/", 1)[-1]
        if program in _SHELLS and "-c" in words[index + 1 :]:
            position = words.index("-c", index + 1) + 1
            if position < len(words):
                found.extend(fetches_in_script(words[position], path, at(position), depth + 1))
            break
        runner = _runner_at(words, index)
        if runner is not None:
            fetch, index = _runner_fetch(runner, words, index, at, path)
            if fetch is not None:
                found.append(fetch)
            continue
        install = _install_at(words, index, at, path)
        if install is not None:
            if index > 0 or depth > 0:  # a command that is only an install is a task, not a start
                found.extend(install)
            break
        if index > 0 and " " in words[index].strip() and depth < MAX_NESTING:  # supergateway --stdio "npx -y pkg"
            found.extend(fetches_in_script(words[index], path, at(index), depth + 1, anywhere=False))
        if not anywhere and index == 0 and program not in ("exec", "env", "nohup", "tini", "dumb-init", "gosu", "su-exec"):
            break
        index += 1
    return found


def _runner_at(words: list[str], index: int) -> PackageTool | None:
    program = words[index].rsplit("/", 1)[-1].removesuffix(".cmd").removesuffix(".exe")
    for tool in runners():
        if program != tool.command[0]:
            continue
        if tuple(words[index + 1 : index + len(tool.command)]) == tool.command[1:]:
            return tool
    return None


def _runner_fetch(tool: PackageTool, words: list[str], index: int, at: LineOf, path: str) -> tuple[PackageFetch | None, int]:
    """The package a runner downloads, and the index after its name (its own arguments follow)."""
    start = index + len(tool.command)
    position = start
    package_word: str | None = None
    package_index = index
    bin_name = ""
    while position < len(words):
        word = words[position]
        if word == "--":
            position += 1
            continue
        if word.startswith("-") and word != "-":
            name, equals, value = word.partition("=")
            if name in tool.package_options:
                if equals:
                    package_word, package_index = value, position
                elif position + 1 < len(words):
                    package_word, package_index = words[position + 1], position + 1
                    position += 1
            elif not equals and name in tool.value_options:
                position += 1
            position += 1
            continue
        if package_word is None:
            package_word, package_index = word, position
            bin_name = word
        position += 1
        break
    if package_word is None:
        return None, position
    ref = _reference(tool.syntax, package_word)
    if ref is None:
        return None, position
    if tool.syntax == "go" and ref.pin == "none":
        return None, position
    shown = _shown(words[index:position])
    prefers = tool.prefers_installed
    bin_name = bin_name if prefers and ref.pin == "none" and ref.name == bin_name else ""
    return PackageFetch(tool.shown, ref, shown, path, at(package_index), prefers, bin_name), position


def _install_at(words: list[str], index: int, at: LineOf, path: str) -> list[PackageFetch] | None:
    """An install the start command runs: every package it names, or the project's
    dependencies it installs, fetched at each start."""
    argv = tuple(words[index:])
    found = installer_of(argv)
    if found is not None:
        spec, end = found
        if spec.prunes or any(w in ("--offline", "--no-index") for w in argv):
            return None
        runner = " ".join(normalize_argv(argv)[: 1 + len(_subcommand_words(spec, normalize_argv(argv)))])
        packages = _named_packages(spec, argv[end:])
        if packages:
            return [PackageFetch(runner, ref, _shown(argv), path, at(index)) for ref in packages]
        pin, what = _project_install(spec, argv)
        registry = "npm" if spec.manager in _NODE_MANAGERS else "PyPI"
        return [PackageFetch(runner, PackageRef(what, registry, pin), _shown(argv), path, at(index))]
    tool_found = _tool_installer(argv)
    if tool_found is not None:
        tool, start = tool_found
        return [PackageFetch(tool.shown, ref, _shown(argv), path, at(index)) for ref in _tool_packages(tool, argv[start:])] or None
    return None


_LOCKED_FLAGS = frozenset({"--frozen-lockfile", "--immutable", "--locked", "--frozen", "--require-hashes", "--deploy"})


def _project_install(spec: InstallerSpec, argv: tuple[str, ...]) -> tuple[str, str]:
    """(pin, what) of an install of the project's own dependencies at start."""
    words = normalize_argv(argv)
    requirement = next((value for option, value in pip_arguments(words[2:], _PIP_OPTIONS_WITH_VALUE) if option in ("-r", "--requirement")), None) \
        if spec.judged_by_targets else None
    if any(word in _LOCKED_FLAGS or word.startswith("--require-hashes") for word in argv):
        return "lock", f"the dependencies locked in {requirement or 'the lock file'}"
    if spec.manager in ("npm",) and len(words) > 1 and words[1] in ("ci", "clean-install", "install-clean", "ic"):
        return "lock", "the dependencies of package-lock.json"
    if spec.manager in ("uv", "poetry", "pdm", "pipenv") and not spec.judged_by_targets:
        return "lock", f"the dependencies of the {spec.manager} lock file"
    if requirement:
        return "manifest", f"the requirements of {requirement}"
    manifest = "package.json" if spec.manager in _NODE_MANAGERS else "the project"
    return "manifest", f"the dependencies of {manifest}"


# Build context: start scripts and package.json ---------------------------------------------------------


Reader = Callable[..., "str | None"]


class BuildContextFiles:
    """Files of one Dockerfile's build context, read by their path in the context: the
    Dockerfile's folder first, then the folders above it up to the scanned root (Dockerfiles
    kept in `docker/` are usually built with the repository root as context)."""

    def __init__(self, dockerfile: str, read: Reader) -> None:
        self.folder, self.read = posixpath.dirname(dockerfile), read

    def find(self, relative: str) -> tuple[str, str] | None:
        """(repository path, text) of a context file, or None."""
        relative = posixpath.normpath(relative.lstrip("/"))
        if relative in (".", "") or relative.startswith(".."):
            return None
        folder = self.folder
        while True:
            path = posixpath.join(folder, relative) if folder else relative
            text = self.read(path, quiet=True)
            if text is not None:
                return path, text
            if not folder:
                return None
            folder = posixpath.dirname(folder)


def node_manifest_names(text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str], bool] | None:
    """(dependencies, devDependencies, own name and bins, has workspaces) of a package.json, or None."""
    from mcpharden.sources.manifests import json_object

    document = json_object(text)
    if document is None:
        return None

    def names(*keys: str) -> frozenset[str]:
        return frozenset(str(name) for key in keys if isinstance(document.get(key), dict) for name in document[key])

    own = set()
    name = document.get("name")
    if isinstance(name, str):
        own.add(name)
    bins = document.get("bin")
    if isinstance(bins, dict):
        own.update(str(key) for key in bins)
    elif isinstance(bins, str) and isinstance(name, str):
        own.add(name.rsplit("/", 1)[-1])
    return (names("dependencies", "optionalDependencies", "peerDependencies"), names("devDependencies"), frozenset(own),
            bool(document.get("workspaces")))


def context_path(image_path: str, copies: Iterable[tuple[tuple[str, ...], str]], workdir: str) -> list[str]:
    """Where in the build context a file the image holds at `image_path` may come from, by the
    stage's `COPY`/`ADD` instructions (last first): a file copied to that path or into that
    folder, or a folder copied above it."""
    target = posixpath.normpath(posixpath.join(workdir, image_path))
    candidates: list[str] = []
    for sources, destination in reversed(list(copies)):
        into_folder = destination.endswith("/") or len(sources) > 1
        destination = "/" + posixpath.normpath(destination).strip("/")
        for source in sources:
            source = posixpath.normpath(source.lstrip("/")) if source not in (".", "./") else "."
            if _variable(source):
                continue
            if any(c in source for c in "*?["):  # COPY package*.json ./: a file of that folder the pattern matches
                name = posixpath.basename(target)
                if posixpath.dirname(target) == destination.rstrip("/") and fnmatchcase(name, posixpath.basename(source)):
                    candidates.append(posixpath.normpath(posixpath.join(posixpath.dirname(source), name)))
                continue
            if target == destination and not into_folder:
                candidates.append(source)
            if target == posixpath.join(destination, posixpath.basename(source)):
                candidates.append(source)
            if target.startswith(destination.rstrip("/") + "/"):
                relative = target[len(destination.rstrip("/")) + 1 :]
                candidates.append(posixpath.normpath(posixpath.join(source, relative)))
    seen: list[str] = []
    for candidate in candidates:
        if candidate not in seen and not candidate.startswith(".."):
            seen.append(candidate)
    return seen


def start_script_paths(words: Sequence[str], workdir: str, env: Mapping[str, str]) -> list[str]:
    """Paths in the image of the scripts a start command runs: its program when it is a path or
    a name on PATH, and the script a shell is given (`sh start.sh`); wrappers skipped."""
    words = list(words)
    paths: list[str] = []
    index = 0
    while index < len(words) and words[index].rsplit("/", 1)[-1] in ("tini", "dumb-init", "exec", "env", "nohup", "--", "-s", "-g"):
        index += 1
    if index >= len(words):
        return paths
    program = words[index]
    name = program.rsplit("/", 1)[-1]
    if name in _SHELLS:
        rest = [w for w in words[index + 1 :] if not w.startswith("-")]
        if rest and "-c" not in words[index + 1 :]:
            paths.append(posixpath.normpath(posixpath.join(workdir, rest[0])))
        return paths
    if "/" in program:
        paths.append(posixpath.normpath(posixpath.join(workdir, program)))
    else:
        for folder in (env.get("PATH") or "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(":"):
            if folder.startswith("/"):
                paths.append(posixpath.join(folder, program))
    return paths


def looks_like_shell_script(path: str, text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if first.startswith("#!"):
        return any(shell in first for shell in ("sh", "bash", "ash", "zsh"))
    return path.endswith((".sh", ".bash"))
