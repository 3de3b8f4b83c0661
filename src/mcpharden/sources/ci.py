"""CI definitions and git hooks → Pipeline.

Every command in a CI file (GitHub `run:`, GitLab `script:`, CircleCI `command:`, hook
scripts, pre-commit `entry:`) is split with the shell parser and matched against the
scanner table; `make TARGET`, `npm run SCRIPT` and repository scripts called from CI are
followed into the Makefile, package.json and script files (read, never run). GitHub
`uses:` steps and GitLab `include:` templates are matched against their own tables.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from mcpharden.knowledge.ci_scanners import table as _table
from mcpharden.model.container import BuildArguments, EnvSetting
from mcpharden.model.pipeline import BuildStep, Pipeline, ScanStep
from mcpharden.sources.runargs import build_arguments, build_paths
from mcpharden.syntax.shell import SimpleCommand, split_commands
from mcpharden.syntax.yamlnodes import YamlError, YamlList, YamlMap, load_documents
from mcpharden.util.globs import GlobSet, glob_match

# Reads a repository file by its relative path; None when absent or unreadable.
FileReader = Callable[[str], "str | None"]

MAX_INDIRECTION = 4


@dataclass(frozen=True)
class _Located:
    """A shell command found in a CI file, with where it is."""

    path: str
    line: int
    command: SimpleCommand


# Tables ---------------------------------------------------------------------------------


@cache
def _build_actions() -> GlobSet:
    return GlobSet(_table()["builds"]["actions"])


@cache
def _interesting_words() -> re.Pattern[str]:
    """Words whose presence makes a string worth parsing as shell, as one pattern: every YAML
    string of every CI file is tested against it."""
    table = _table()
    words = {p for entry in table["commands"] for p in entry["program"]}
    words |= {c[0].rsplit("/", 1)[-1] for c in table["builds"]["commands"]}
    words |= {"make", "npm", "pnpm", "yarn", "bun", ".sh", "scripts/"}
    return re.compile("|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)))


# Entry points ----------------------------------------------------------------------------


def parse_pipeline(path: str, system: str, text: str, read: FileReader, _within: tuple[str, ...] = ()) -> Pipeline:
    """Model one CI file or hook script. Raises YamlError for broken YAML. `_within`: the local
    actions being read around this one (a composite action that uses another), against cycles."""
    located: list[_Located] = []
    scans: list[ScanStep] = []
    builds: list[BuildStep] = []
    arguments: list[BuildArguments] = []
    if system == "git-hook":
        located.extend(_commands_in(path, 1, text))
    else:
        shell_keys = frozenset(_table()["shell_keys"].get(system, _table()["shell_keys"]["ci"]))
        for document in load_documents(text):
            for line, string, key in _strings(document, shell_keys):
                if _interesting_words().search(string):
                    located.extend(_commands_in(path, line, string))
            if system == "github-actions":
                scans_, builds_ = _github_steps(path, document)
                scans.extend(scans_)
                builds.extend(builds_)
                builds.extend(_reusable_workflow_builds(path, document))
                builds.extend(_goreleaser_builds(path, document, read))
                local_scans, local_builds = _local_action_steps(path, document, read, (*_within, path))
                scans.extend(local_scans)
                builds.extend(local_builds)
                arguments.extend(_action_build_arguments(path, document))
            elif system == "gitlab-ci":
                scans.extend(_gitlab_includes(path, document))
    expanded = _expand(located, read, depth=0, seen=set())
    for item in expanded:
        if scan := match_scan_command(item):
            scans.append(scan)
        elif build := match_build_command(item):
            builds.append(build)
            found, tags = build_arguments(item.command.argv, item.line), build_tags(item.command.argv)
            if found or tags:
                arguments.append(BuildArguments(item.path, item.line, tuple(found), tags))
    return Pipeline(path=path, system=system, scans=tuple(scans), builds=tuple(builds), build_arguments=tuple(arguments))


def _action_build_arguments(path: str, document: Any) -> Iterator[BuildArguments]:
    """docker/build-push-action's `build-args` (one NAME=value a line) and `tags` (one a line,
    or separated by commas)."""
    for step, line in _github_step_maps(document):
        inputs = step.get("with")
        if not isinstance(inputs, YamlMap):
            continue
        value, tags = inputs.get("build-args"), inputs.get("tags")
        tags = tuple(tag.strip() for tag in re.split(r"[,\n]", tags) if tag.strip()) if isinstance(tags, str) else ()
        settings: tuple[EnvSetting, ...] = ()
        first = line
        if isinstance(value, str):
            first = inputs.line_of("build-args") + (1 if "\n" in value.rstrip("\n") else 0)
            settings = tuple(EnvSetting(name.strip(), assigned.strip(), first + offset)
                             for offset, (name, equals, assigned) in enumerate(row.partition("=") for row in value.splitlines())
                             if equals and name.strip())
        if settings or tags:
            yield BuildArguments(path, first, settings, tags)


def build_tags(argv: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The tags an image build command names its image with (`-t srv`, `--tag=srv:dev`), as
    written; () for any other command."""
    if build_paths(argv) is None and not _is_build(argv):
        return ()
    tags = []
    for index, word in enumerate(argv):
        if word in ("-t", "--tag") and index + 1 < len(argv):
            tags.append(argv[index + 1])
        elif word.startswith("--tag="):
            tags.append(word.split("=", 1)[1])
        elif word.startswith("-t") and len(word) > 2 and not word.startswith("--"):
            tags.append(word[2:].removeprefix("="))
    return tuple(tag for tag in tags if tag)


def _is_build(argv: tuple[str, ...] | list[str]) -> bool:
    rest = [w for w in argv[1:] if not w.startswith("-")]
    return bool(argv) and any(tuple(rest[: len(c) - 1]) == tuple(c[1:]) for c in _build_patterns().get(argv[0], ()))


# Walking YAML ----------------------------------------------------------------------------


def _strings(document: Any, keys: frozenset[str]) -> list[tuple[int, str, str]]:
    """Every string value hanging under one of `keys` (a list's items hang under the list's
    key), in document order, with the line its text starts on and its key. A walk with its own
    stack, in the order a recursive walk takes: CI files nest deep, and most of their strings
    are not asked for."""
    found: list[tuple[int, str, str]] = []
    stack: list[tuple[Any, str] | tuple[int, str, str]] = [(document, "")]
    while stack:
        item = stack.pop()
        if len(item) == 3:  # a string, in its turn
            found.append(item)
            continue
        node, key = item
        children: list = []
        if isinstance(node, YamlMap):
            for name, value in node.items():
                if isinstance(value, str):
                    if str(name) in keys:  # block scalars (`run: |`) start on the line after the key
                        key_line = node.line_of(name)
                        children.append((key_line + 1 if "\n" in value.rstrip("\n") else key_line, value, str(name)))
                elif isinstance(value, (YamlMap, YamlList)):
                    children.append((value, str(name)))
        elif isinstance(node, YamlList):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    if key in keys:
                        children.append((node.line_of(index), value, key))
                elif isinstance(value, (YamlMap, YamlList)):
                    children.append((value, key))
        stack.extend(reversed(children))
    return found


def _commands_in(path: str, first_line: int, script: str) -> list[_Located]:
    return [_Located(path, first_line + c.line_offset, c) for c in split_commands(script) if c.argv]


# Following make targets, npm scripts and repository scripts ------------------------------


def _expand(located: list[_Located], read: FileReader, depth: int, seen: set[str]) -> list[_Located]:
    result: list[_Located] = []
    for item in located:
        result.append(item)
        if depth >= MAX_INDIRECTION:
            continue
        inner = _follow(item, read, seen)
        if inner:
            result.extend(_expand(inner, read, depth + 1, seen))
    return result


def _follow(item: _Located, read: FileReader, seen: set[str]) -> list[_Located]:
    argv = item.command.argv
    program = item.command.program
    key = " ".join(argv)
    if key in seen:
        return []
    seen.add(key)
    if program == "make":
        return _make_targets(argv[1:], read)
    if program in ("npm", "pnpm", "yarn", "bun") and len(argv) >= 2:
        name = argv[2] if argv[1] in ("run", "run-script") and len(argv) > 2 else argv[1]
        return _package_script(name, read)
    script = _script_path(argv)
    if script:
        text = read(script)
        return _commands_in(script, 1, text) if text else []
    return []


def _script_path(argv: tuple[str, ...]) -> str | None:
    candidate = argv[1] if argv[0].rsplit("/", 1)[-1] in ("bash", "sh") and len(argv) > 1 else argv[0]
    if candidate.endswith(".sh") or candidate.startswith("./"):
        normalized = posixpath.normpath(candidate.removeprefix("./"))
        if not normalized.startswith("..") and not normalized.startswith("/"):
            return normalized
    return None


def _make_targets(arguments: tuple[str, ...], read: FileReader) -> list[_Located]:
    directory = ""
    targets: list[str] = []
    words = iter(arguments)
    for word in words:
        if word in ("-C", "--directory"):
            directory = next(words, "")
        elif word in ("-f", "--file", "--makefile"):
            next(words, "")
        elif not word.startswith("-") and "=" not in word:
            targets.append(word)
    path = posixpath.normpath(posixpath.join(directory, "Makefile"))
    text = read(path)
    if text is None:
        return []
    rules = parse_makefile(text)
    wanted = targets or next(iter(rules), "")
    return [item for target in ([wanted] if isinstance(wanted, str) else wanted) for item in _recipe(path, rules, target, set())]


def parse_makefile(text: str) -> dict[str, tuple[list[str], list[tuple[int, str]]]]:
    """target → (prerequisites, [(line, recipe command)]), each command as make hands it to the
    shell: continuation lines joined, make variables expanded (syntax/makefile.py)."""
    from mcpharden.syntax.makefile import read_makefile

    makefile = read_makefile(text)
    rules: dict[str, tuple[list[str], list[tuple[int, str]]]] = {
        target: (list(prerequisites), []) for target, prerequisites in makefile.prerequisites.items()}
    for recipe in makefile.recipes:
        rules.setdefault(recipe.target, ([], []))[1].append((recipe.line, recipe.text))
    return rules


def _recipe(path: str, rules, target: str, visiting: set[str]) -> list[_Located]:
    if target in visiting or target not in rules:
        return []
    visiting.add(target)
    prerequisites, commands = rules[target]
    found = [item for prerequisite in prerequisites for item in _recipe(path, rules, prerequisite, visiting)]
    for line, command in commands:
        found.extend(_commands_in(path, line, command))
    return found


def _package_script(name: str, read: FileReader) -> list[_Located]:
    text = read("package.json")
    if not text:
        return []
    try:
        scripts = json.loads(text).get("scripts", {})
    except (ValueError, AttributeError):
        return []
    script = scripts.get(name) if isinstance(scripts, dict) else None
    if not isinstance(script, str):
        return []
    line = next((n for n, l in enumerate(text.splitlines(), 1) if f'"{name}"' in l), 1)
    return _commands_in("package.json", line, script)


# Matching scanners and builders ----------------------------------------------------------


def match_scan_command(item: _Located) -> ScanStep | None:
    argv = item.command.argv
    program = item.command.program
    words = [w for w in argv[1:] if not w.startswith("-")]
    for entry in _table()["commands"]:
        if program not in entry["program"]:
            continue
        subcommands = [tuple(s) for s in entry["subcommands"]]
        if subcommands and not any(_starts_with(argv[1:], words, sub) for sub in subcommands):
            continue
        scans_image = _targets_image(entry, words[len(subcommands[0]) if subcommands else 0 :])
        return ScanStep(
            path=item.path,
            line=item.line,
            scanner=entry["scanner"],
            via=" ".join(argv),
            scans_image=scans_image,
            fails_build=_fails(entry, argv),
        )
    for entry in _table()["non_image_scans"]:
        if entry.get("program") == program and words and words[0] in entry["subcommands"]:
            return ScanStep(item.path, item.line, program, " ".join(argv), scans_image=False, fails_build=None)
    return None


def _starts_with(arguments: tuple[str, ...], positionals: list[str], sub: tuple[str, ...]) -> bool:
    if sub[0].startswith("-"):  # a flag that selects image mode (osv-scanner --docker)
        return sub[0] in arguments
    return tuple(positionals[: len(sub)]) == sub


def _targets_image(entry: dict[str, Any], targets: list[str]) -> bool:
    if not targets and entry.get("needs_target"):
        return False
    prefixes = tuple(entry.get("non_image_prefixes", ()))
    exact = entry.get("non_image_targets", ())
    return not any(t.startswith(prefixes) or t in exact for t in targets[:1]) if (prefixes or exact) else True


def _fails(entry: dict[str, Any], argv: tuple[str, ...]) -> bool:
    for index, word in enumerate(argv):
        for flag in entry.get("fail_flags", ()):
            if word == flag:
                value = argv[index + 1] if index + 1 < len(argv) else "1"
                return value not in ("0", "false")
            if word.startswith(flag + "="):
                return word.split("=", 1)[1] not in ("0", "false")
    return bool(entry.get("fails_by_default", False))


def match_build_command(item: _Located) -> BuildStep | None:
    argv = item.command.argv
    program = item.command.program
    patterns = _build_patterns().get(argv[0], ()) + (_build_patterns().get(program, ()) if program != argv[0] else ())
    if not patterns:
        return None
    rest = tuple(w for w in argv[1:] if not w.startswith("-"))
    for pattern in patterns:
        if rest[: len(pattern) - 1] == pattern[1:]:
            dockerfile, context = build_paths(argv) or (None, None)
            return BuildStep(item.path, item.line, " ".join(argv), dockerfile, context)
    return None


@cache
def _build_patterns() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Build commands by their program (an absolute path matches as written, a name by its basename)."""
    patterns: dict[str, list[tuple[str, ...]]] = {}
    for pattern in _table()["builds"]["commands"]:
        patterns.setdefault(pattern[0], []).append(tuple(pattern))
    return {program: tuple(found) for program, found in patterns.items()}


# GitHub Actions and GitLab specifics ------------------------------------------------------


def _github_steps(path: str, document: Any) -> tuple[list[ScanStep], list[BuildStep]]:
    scans: list[ScanStep] = []
    builds: list[BuildStep] = []
    image_sboms = _makes_image_sbom(document)
    for step, line in _github_step_maps(document):
        uses = step.get("uses")
        if not isinstance(uses, str):
            continue
        action = uses.split("@", 1)[0].strip().lower().removeprefix("docker://")
        inputs = step.get("with") if isinstance(step.get("with"), YamlMap) else YamlMap()
        if _build_actions().matches(action):
            # Without `context:` docker/build-push-action builds the commit's Git context (a fresh
            # clone): only a named path context is the checkout's folder.
            context, file = inputs.get("context"), inputs.get("file")
            builds.append(BuildStep(path, line, f"uses: {uses}", file if isinstance(file, str) else None,
                                    context if isinstance(context, str) and "://" not in context else None))
        for entry in _table()["actions"]:
            if action == entry["uses"] or action.startswith(entry["uses"] + "/"):
                scans.append(_action_scan(path, line, uses, entry, inputs, step, image_sboms))
    return scans, builds


def _reusable_workflow_builds(path: str, document: Any) -> Iterator[BuildStep]:
    """Jobs that call another repository's workflow (`uses: org/repo/.github/workflows/x.yml@ref`)
    with registry credentials or an image to make, or a workflow named for images: they build
    and push the image where this file cannot see. A workflow of this repository is read itself."""
    jobs = document.get("jobs") if isinstance(document, YamlMap) else None
    if not isinstance(jobs, YamlMap):
        return
    builds = _table()["builds"]
    for name, job in jobs.items():
        uses = job.get("uses") if isinstance(job, YamlMap) else None
        if not isinstance(uses, str) or uses.startswith("./") or "/.github/workflows/" not in uses:
            continue
        workflow = uses.split("/.github/workflows/", 1)[1].split("@", 1)[0].lower()
        given: list[str] = []
        for key in ("secrets", "with"):
            block = job.get(key)
            if isinstance(block, YamlMap):
                given.extend(str(k) for k in block)
                given.extend(m for v in block.values() if isinstance(v, str) for m in re.findall(r"secrets\.(\w+)", v))
        words = {word for name in given for word in re.split(r"[-_.]", name.lower())}
        named = bool(set(re.split(r"[-_./]", workflow)) & set(builds["reusable_workflow_words"]))
        if named or words & set(builds["reusable_words"]):
            yield BuildStep(path, jobs.line_of(name), f"uses: {uses}")


_LOCAL_ACTION_DEPTH = 4


def _local_action_steps(path: str, document: Any, read: FileReader, within: tuple[str, ...]) -> tuple[list[ScanStep], list[BuildStep]]:
    """The builds and scans of the repository's own actions a step uses (`uses: ./tools/publish`,
    its `action.yml` wherever it is): the step builds (or scans) what its action does."""
    scans: list[ScanStep] = []
    builds: list[BuildStep] = []
    if len(within) > _LOCAL_ACTION_DEPTH:
        return scans, builds
    for step, line in _github_step_maps(document):
        uses = step.get("uses")
        if not isinstance(uses, str) or not uses.startswith("./"):
            continue
        folder = posixpath.normpath(uses[2:].split("@", 1)[0])
        if folder.startswith(".."):
            continue
        for name in ("action.yml", "action.yaml"):
            action = posixpath.join(folder, name)
            text = read(action) if action not in within else None
            if not text:
                continue
            try:
                inner = parse_pipeline(action, "github-actions", text, read, within)
            except YamlError:
                break
            builds.extend(BuildStep(path, line, f"uses: {uses} ({build.via})", build.dockerfile, build.context) for build in inner.builds)
            scans.extend(ScanStep(path, line, scan.scanner, f"uses: {uses} ({scan.via})", scan.scans_image, scan.fails_build)
                         for scan in inner.scans)
            break
    return scans, builds


def _goreleaser_builds(path: str, document: Any, read: FileReader) -> Iterator[BuildStep]:
    """A GoReleaser step whose configuration (`.goreleaser.yaml`, or the `-f`/`--config` its
    `args` name) has `dockers`, `dockers_v2`, `docker_manifests` or `kos`: it builds images."""
    builds = _table()["builds"]
    for step, line in _github_step_maps(document):
        uses = step.get("uses")
        if not isinstance(uses, str) or uses.split("@", 1)[0].strip().lower() not in builds["goreleaser_actions"]:
            continue
        inputs = step.get("with") if isinstance(step.get("with"), YamlMap) else YamlMap()
        args = str(inputs.get("args") or "").split()
        named = [args[i + 1] for i, word in enumerate(args[:-1]) if word in ("-f", "--config")]
        named += [word.split("=", 1)[1] for word in args if word.startswith("--config=")]
        workdir = str(inputs.get("workdir") or ".").strip("/") or "."
        for config in named or builds["goreleaser_configs"]:
            text = read(posixpath.normpath(posixpath.join(workdir, config)))
            if not text:
                continue
            try:
                documents = load_documents(text)
            except YamlError:  # a broken GoReleaser file is GoReleaser's to report
                break
            if any(isinstance(d, YamlMap) and any(d.get(key) for key in builds["goreleaser_image_keys"]) for d in documents):
                yield BuildStep(path, line, f"uses: {uses} ({config} builds images)")
            break


def _makes_image_sbom(document: Any) -> bool:
    """Whether a step of the workflow makes an SBOM of a built image (anchore/sbom-action with `image:`)."""
    for step, _line in _github_step_maps(document):
        uses = step.get("uses")
        inputs = step.get("with")
        if not isinstance(uses, str) or not isinstance(inputs, YamlMap):
            continue
        action = uses.split("@", 1)[0].strip().lower()
        for entry in _table().get("sbom_actions", []):
            if action == entry["uses"] and any(inputs.get(name) for name in entry["image_inputs"]):
                return True
    return False


def _github_step_maps(document: Any) -> Iterator[tuple[YamlMap, int]]:
    """Steps of workflow jobs and of composite actions (runs.steps)."""
    containers: list[Any] = []
    if isinstance(document, YamlMap):
        jobs = document.get("jobs")
        if isinstance(jobs, YamlMap):
            containers.extend(job.get("steps") for job in jobs.values() if isinstance(job, YamlMap))
        runs = document.get("runs")
        if isinstance(runs, YamlMap):
            containers.append(runs.get("steps"))
    for steps in containers:
        if isinstance(steps, YamlList):
            for index, step in enumerate(steps):
                if isinstance(step, YamlMap):
                    yield step, steps.line_of(index)


def _action_scan(path: str, line: int, uses: str, entry: dict[str, Any], inputs: YamlMap, step: YamlMap,
                 image_sboms: bool = False) -> ScanStep:
    if entry.get("image_inputs"):
        scans_image = any(inputs.get(name) for name in entry["image_inputs"]) or (
            image_sboms and any(inputs.get(name) for name in entry.get("sbom_inputs", ())))
    else:
        mode = str(inputs.get(entry.get("mode_input", ""), entry.get("default_mode", "")) or "").lower()
        scans_image = any(m in mode.replace(",", " ").split() for m in entry["image_modes"]) or mode in entry["image_modes"]
    fail_input = entry.get("fail_input")
    if fail_input and fail_input in inputs:
        fails = str(inputs[fail_input]).strip().strip("'\"").lower() not in entry.get("pass_values", ())
    else:
        fails = bool(entry.get("fails_by_default", False))
    if step.get("continue-on-error") is True:
        fails = False
    return ScanStep(path, line, entry["scanner"], f"uses: {uses}", scans_image=scans_image, fails_build=fails)


def _gitlab_includes(path: str, document: Any) -> list[ScanStep]:
    if not isinstance(document, YamlMap):
        return []
    includes = document.get("include")
    items = includes if isinstance(includes, YamlList) else YamlList()
    if isinstance(includes, (str, YamlMap)):
        items.append(includes)
        items.item_lines.append(document.line_of("include"))
    gitlab = _table()["gitlab"]
    found = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            reference, kind = item, "local"
        elif isinstance(item, YamlMap):
            kind = next((k for k in ("template", "component", "local", "project", "remote") if k in item), "")
            reference = str(item.get(kind, ""))
        else:
            continue
        patterns = gitlab["components"] if kind == "component" else gitlab["templates"]
        if any(glob_match(reference, p) for p in patterns):
            found.append(ScanStep(path, items.line_of(index), "GitLab container scanning", f"include: {reference}", True, True))
    return found
