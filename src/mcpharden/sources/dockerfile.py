"""Dockerfile → BuildModel, with Docker's own parser (BuildKit's Go parser).

The builder walks the instructions once, stage by stage, and keeps what BuildKit keeps:
global ARGs for FROM, per-stage ARG and ENV scopes, WORKDIR, the user, and the dependency
directories each RUN creates or prunes. `FROM <stage>` carries all of that along;
`COPY --from=<stage>` carries the dependency directories it copies.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Iterable

from mcpharden.errors import ParseError
from mcpharden.knowledge.base_images import ImageEntry, profile_for
from mcpharden.model.build import (
    BuildModel,
    ContextCopy,
    CopiedPath,
    Declaration,
    DependencyDir,
    ExposedPort,
    Healthcheck,
    ImageUse,
    InstallStep,
    ManifestVerdict,
    NodeManifest,
    OsPackage,
    RemoteCode,
    Stage,
    StageCopy,
    UserState,
    WorldWritable,
    is_root_user,
)
from mcpharden.model.references import BaseImageProfile, ImageRef
from mcpharden.sources.healthchecks import healthcheck_test
from mcpharden.sources.installs import absolute, classify, os_packages_installed, remote_code_in
from mcpharden.sources.packages import (
    BuildContextFiles,
    context_path,
    fetches_in_argv,
    fetches_in_script,
    installs_in_command,
    looks_like_shell_script,
    lost_versions,
    node_manifest_names,
    start_script_paths,
    with_checkout,
)
from mcpharden.syntax.permissions import ModeChange, mode_changes, mode_effect
from mcpharden.syntax.shell import SimpleCommand, split_commands, words_of
from mcpharden.syntax.variables import ExpansionTooLong, try_expand
from mcpharden.util.globs import glob_match

if TYPE_CHECKING:
    from mcpharden.model.packages import PackageFetch, PackageInstall

# Launchers that split_commands unwraps unless asked to keep them (`uv tool install x` must stay).
_LAUNCHER_WORDS = ("uvx", "uv tool", "pipx", "npm exec", "pnpm dlx")

KNOWN_INSTRUCTIONS = frozenset({
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
    "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
})


class DockerfileError(ParseError):
    """The file is not a Dockerfile we can model (syntax error, no FROM)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class _StageState:
    """Mutable state while walking one stage; frozen into a Stage at its end."""

    index: int
    name: str | None
    line: int
    base: ImageRef
    parent: int | None
    profile: BaseImageProfile
    user: UserState
    args: dict[str, str | None] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    dependencies: dict[str, DependencyDir] = field(default_factory=dict)
    installs: list[InstallStep] = field(default_factory=list)
    copies: list[StageCopy] = field(default_factory=list)
    healthcheck: Healthcheck | None = None
    exposed: list[ExposedPort] = field(default_factory=list)
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    start_line: int = 0
    created_users: dict[str, str] = field(default_factory=dict)
    # Tool settings that persist across RUNs in config files (poetry config virtualenvs.create false).
    tool_settings: dict[str, str] = field(default_factory=dict)
    remote_code: list[RemoteCode] = field(default_factory=list)
    os_packages: list[OsPackage] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    context_copies: list[ContextCopy] = field(default_factory=list)
    world_writable: list[WorldWritable] = field(default_factory=list)
    package_installs: list[PackageInstall] = field(default_factory=list)
    # COPY/ADD from the build context: (sources, destination in the image; a trailing `/` kept).
    context_sources: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    # The shell form's text and the first and last line of ENTRYPOINT and CMD (text None for the exec form).
    entrypoint_form: tuple[str | None, int, int] = (None, 0, 0)
    cmd_form: tuple[str | None, int, int] = (None, 0, 0)
    copied_paths: list[CopiedPath] = field(default_factory=list)
    shell_instruction: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.name or f"#{self.index}"

    def variables(self) -> Mapping[str, str | None]:
        """ENV wins over ARG when both define a name. A view, not a copy: a Dockerfile with
        many ARG lines would otherwise copy the whole scope at each one."""
        return ChainMap(self.env, self.args)

    def run_environment(self) -> dict[str, str]:
        """What a RUN step sees: ARGs become environment variables too."""
        values = {k: v for k, v in self.args.items() if v is not None}
        values.update(self.env)
        values.update(self.tool_settings)
        return values

    def freeze(self, start_fetches: tuple[PackageFetch, ...] = ()) -> Stage:
        return Stage(
            index=self.index,
            name=self.name,
            line=self.line,
            base=self.base,
            parent=self.parent,
            profile=self.profile,
            user=self.user,
            env=MappingProxyType(dict(self.env)),
            workdir=self.workdir,
            dependencies=tuple(self.dependencies.values()),
            installs=tuple(self.installs),
            copies=tuple(self.copies),
            healthcheck=self.healthcheck,
            exposed_ports=tuple(self.exposed),
            entrypoint=self.entrypoint,
            cmd=self.cmd,
            start_line=self.start_line,
            created_users=MappingProxyType(dict(self.created_users)),
            remote_code=tuple(self.remote_code),
            os_packages=tuple(self.os_packages),
            declarations=tuple(self.declarations),
            context_copies=tuple(self.context_copies),
            world_writable=tuple(self.world_writable),
            package_installs=tuple(self.package_installs),
            start_fetches=start_fetches,
            copied_paths=tuple(self.copied_paths),
            shell_instruction=self.shell_instruction,
        )


def parse_dockerfile(
    text: str,
    path: str,
    target: str | None = None,
    extra_images: Iterable[ImageEntry] = (),
    manifests: Mapping[str, ManifestVerdict] | None = None,
    context: BuildContextFiles | None = None,
) -> BuildModel:
    """Model a Dockerfile. `target` names the stage that ships (like `docker build --target`);
    `manifests` are the build context's package manifests (sources.manifests), when read;
    `context` reads the build context's other files (start scripts, package.json), when given."""
    import dockerfile  # the Go parser: loaded on first use

    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as error:
        raise DockerfileError(f"Dockerfile syntax error: {error}") from None
    builder = _Builder(path, tuple(extra_images), manifests, context)
    builder.source_lines = text.split("\n")
    return builder.build(commands, target)


class _Builder:
    def __init__(self, path: str, extra_images: tuple[ImageEntry, ...], manifests: Mapping[str, ManifestVerdict] | None,
                 context: BuildContextFiles | None = None) -> None:
        self.path = path
        self.extra_images = extra_images
        self.manifests = manifests
        self.context = context
        self.source_lines: list[str] = []  # the Dockerfile's lines, to place findings in continued instructions
        self.global_args: dict[str, str | None] = {}
        self.stages: list[Stage] = []
        self.image_uses: list[ImageUse] = []
        # What frozen stages keep only here, for the stages built FROM them: their build-context
        # copies and the forms of their ENTRYPOINT and CMD.
        self._context_sources: dict[int, list[tuple[tuple[str, ...], str]]] = {}
        self._forms: dict[int, tuple[tuple[str | None, int, int], tuple[str | None, int, int]]] = {}

    def build(self, commands, target: str | None) -> BuildModel:
        current: _StageState | None = None
        for command in commands:
            try:
                current = self._command(current, command)
            except ExpansionTooLong as error:
                raise DockerfileError(str(error), command.start_line) from None
        if current is None:
            raise DockerfileError("no FROM instruction: not a Dockerfile")
        self.stages.append(self._freeze(current))
        return BuildModel(
            path=self.path,
            stages=tuple(self.stages),
            final_index=self._final_index(target),
            image_uses=tuple(self.image_uses),
            node_manifest=self._node_manifest(),
        )

    def _command(self, current: _StageState | None, command) -> _StageState | None:
        """Apply one instruction; returns the stage being built after it."""
        name = command.cmd.upper()
        if name not in KNOWN_INSTRUCTIONS:
            raise DockerfileError(f"unknown instruction {command.cmd!r}", command.start_line)
        if name == "FROM":
            if current:
                self.stages.append(self._freeze(current))
            current = self._start_stage(command)
        elif current is None:
            if name == "ARG":
                self._declare_args(command, self.global_args, self.global_args)
            # Other instructions before FROM are rejected by BuildKit; nothing ships from them.
        else:
            self._apply(current, name, command)
        return current

    def _freeze(self, state: _StageState) -> Stage:
        self._context_sources[state.index] = list(state.context_sources)
        self._forms[state.index] = (state.entrypoint_form, state.cmd_form)
        return state.freeze(self._start_fetches(state))

    def _copies_of(self, index: int) -> list[tuple[tuple[str, ...], str]]:
        return self._context_sources.get(index, [])

    # What starting a stage downloads -----------------------------------------------------

    def _start_fetches(self, state: _StageState) -> tuple[PackageFetch, ...]:
        """Packages the stage's ENTRYPOINT and CMD download when the container starts, and those
        of the start script they run, read from the build context."""
        words, lines = _start_command(state)
        if not words:
            return ()
        found = fetches_in_argv(words, lambda index: lines[index] if index < len(lines) else state.line, self.path)
        ends = {start: end for _, start, end in (state.entrypoint_form, state.cmd_form)}
        placed = [replace(fetch, line=self._line_naming(fetch.package.name, fetch.line, ends.get(fetch.line, fetch.line)))
                  for fetch in found]
        return tuple(placed + self._script_fetches(state, words))

    def _script_fetches(self, state: _StageState, words: list[str]) -> list[PackageFetch]:
        if self.context is None:
            return []
        for image_path in start_script_paths(words, state.workdir, state.env):
            for candidate in context_path(image_path, state.context_sources, state.workdir):
                found = self.context.find(candidate)
                if found is not None and looks_like_shell_script(*found):
                    return fetches_in_script(found[1], found[0])
        return []

    def _node_manifest(self) -> NodeManifest | None:
        """The package.json a stage's `node_modules` was installed from: the one its stage copied
        from the build context to the install's folder (none when the build wrote its own)."""
        if self.context is None:
            return None
        installs = [d.install for stage in self.stages for d in stage.dependencies if d.install.manager in ("npm", "yarn", "pnpm", "bun")]
        if not installs:
            return None
        by_label = {stage.label: stage.index for stage in self.stages}
        candidates: list[str] = []
        for install in installs:
            copies = self._copies_of(by_label.get(install.stage, -1))
            image_path = posixpath.join(posixpath.dirname(install.directory), "package.json")
            candidates.extend(context_path(image_path, copies, "/"))
        for candidate in candidates:
            found = self.context.find(candidate)
            if found is not None and (names := node_manifest_names(found[1])) is not None:
                return NodeManifest(found[0], *names)
        return None

    def _line_naming(self, needle: str, first: int, last: int) -> int:
        """The first line of an instruction (first..last) that holds `needle`, else `first`."""
        if needle and last > first:
            word = re.compile(rf"(?<![\w.-]){re.escape(needle)}(?![\w-])")
            for number in range(first, min(last, len(self.source_lines)) + 1):
                if word.search(self.source_lines[number - 1]):
                    return number
        return first

    def _final_index(self, target: str | None) -> int:
        if target:
            for stage in self.stages:
                if stage.name and stage.name.lower() == target.lower():
                    return stage.index
        return len(self.stages) - 1

    def _stage_named(self, reference: str) -> Stage | None:
        lowered = reference.lower()
        for stage in self.stages:
            if stage.name and stage.name.lower() == lowered:
                return stage
        if reference.isdigit() and int(reference) < len(self.stages):
            return self.stages[int(reference)]
        return None

    # FROM --------------------------------------------------------------------------------

    def _start_stage(self, command) -> _StageState:
        values = list(command.value)
        written = values[0] if values else ""
        name = values[2] if len(values) >= 3 and values[1].lower() == "as" else None
        resolved = try_expand(written, self.global_args)
        index = len(self.stages)
        parent = self._stage_named(resolved) if resolved and not resolved.isdigit() else None
        ref = ImageRef(written=written, resolved=resolved)
        if parent is not None:
            return self._inherit(parent, index, name, command.start_line, ref)
        profile = profile_for(resolved, self.extra_images)
        if resolved is None or resolved.lower() != "scratch":
            self.image_uses.append(ImageUse(ref=ref, line=command.start_line, context="FROM"))
        origin = "base-default" if profile.known else "assumed"
        user = UserState(
            value=profile.default_user,
            written=profile.default_user,
            is_root=is_root_user(profile.default_user, {}),
            origin=origin,
            line=command.start_line,
            stage=name or f"#{index}",
        )
        return _StageState(index=index, name=name, line=command.start_line, base=ref, parent=None, profile=profile, user=user)

    def _inherit(self, parent: Stage, index: int, name: str | None, line: int, ref: ImageRef) -> _StageState:
        user = replace(parent.user, origin="inherited") if parent.user.origin == "explicit" else parent.user
        dependencies = {
            d.directory: replace(d, arrived_via=d.arrived_via or ("inherited", line)) for d in parent.dependencies
        }
        return _StageState(
            index=index,
            name=name,
            line=line,
            base=ref,
            parent=parent.index,
            profile=parent.profile,
            user=user,
            env=dict(parent.env),
            workdir=parent.workdir,
            dependencies=dependencies,
            healthcheck=parent.healthcheck,
            exposed=list(parent.exposed_ports),
            entrypoint=parent.entrypoint,
            cmd=parent.cmd,
            start_line=parent.start_line,
            created_users=dict(parent.created_users),
            os_packages=list(parent.os_packages),  # installed files are inherited
            declarations=[d for d in parent.declarations if d.kind == "ENV"],  # ENV persists; ARG does not
            context_copies=[replace(c, arrived_via=c.arrived_via or ("inherited", line)) for c in parent.context_copies],
            world_writable=[replace(w, arrived_via=w.arrived_via or ("inherited", line)) for w in parent.world_writable],
            context_sources=list(self._copies_of(parent.index)),
            entrypoint_form=self._forms[parent.index][0],
            cmd_form=self._forms[parent.index][1],
            copied_paths=list(parent.copied_paths),
            shell_instruction=parent.shell_instruction,
        )

    # Other instructions ------------------------------------------------------------------

    def _apply(self, stage: _StageState, name: str, command) -> None:
        handler = getattr(self, f"_on_{name.lower()}", None)
        if handler:
            handler(stage, command)

    def _on_arg(self, stage: _StageState, command) -> None:
        self._declare_args(command, stage.args, stage.variables())
        for token in command.value:
            name, has_default, default = _unquote(token).partition("=")
            value = _unquote(default) if has_default else self.global_args.get(name)
            stage.declarations.append(Declaration("ARG", name, value, command.start_line))

    def _declare_args(self, command, scope: dict[str, str | None], variables: dict[str, str | None]) -> None:
        for token in command.value:
            token = _unquote(token)
            name, has_default, default = token.partition("=")
            if has_default:
                scope[name] = try_expand(_unquote(default), variables)
            elif scope is not self.global_args and name in self.global_args:
                scope[name] = self.global_args[name]  # `ARG NAME` in a stage re-imports the global default
            else:
                scope.setdefault(name, None)

    def _on_env(self, stage: _StageState, command) -> None:
        values = list(command.value)
        for name, raw in zip(values[::2], values[1::2]):
            stage.declarations.append(Declaration("ENV", name, _unquote(raw), command.start_line))
            expanded = try_expand(_unquote(raw), stage.variables())
            stage.env[name] = expanded if expanded is not None else raw

    def _on_workdir(self, stage: _StageState, command) -> None:
        if command.value:
            target = try_expand(_unquote(command.value[0]), stage.variables()) or command.value[0]
            stage.workdir = absolute(target, stage.workdir)

    def _on_user(self, stage: _StageState, command) -> None:
        written = command.value[0] if command.value else ""
        value = try_expand(written, stage.variables())
        stage.user = UserState(
            value=value,
            written=written,
            is_root=is_root_user(value, stage.created_users) if value is not None else None,
            origin="explicit",
            line=command.start_line,
            stage=stage.label,
        )

    def _on_healthcheck(self, stage: _StageState, command) -> None:
        disabled = bool(command.value) and command.value[0].upper() == "NONE"
        test = None
        if not disabled and len(command.value) >= 2 and command.value[0].upper() == "CMD":
            test = healthcheck_test("exec", tuple(command.value[1:])) if command.json else healthcheck_test("shell", (command.value[1],))
        stage.healthcheck = Healthcheck(line=command.start_line, disabled=disabled, stage=stage.label, test=test)

    def _on_shell(self, stage: _StageState, command) -> None:
        if command.json and command.value:
            stage.shell_instruction = tuple(command.value)

    def _on_expose(self, stage: _StageState, command) -> None:
        for token in command.value:
            port = try_expand(token, stage.variables()) or token
            stage.exposed.append(ExposedPort(port=port, line=command.start_line))

    def _on_entrypoint(self, stage: _StageState, command) -> None:
        stage.entrypoint = _exec_words(command)
        stage.entrypoint_form = (_shell_form(command), command.start_line, command.end_line)
        stage.cmd = ()  # BuildKit resets an inherited CMD when ENTRYPOINT is set
        stage.start_line = command.start_line
        stage.cmd_form = (None, 0, 0)

    def _on_cmd(self, stage: _StageState, command) -> None:
        stage.cmd = _exec_words(command)
        stage.cmd_form = (_shell_form(command), command.start_line, command.end_line)
        stage.start_line = command.start_line

    def _on_copy(self, stage: _StageState, command) -> None:
        source = _flag_value(command.flags, "--from")
        chmod = _flag_value(command.flags, "--chmod")
        destination = self._destination(stage, command)
        if chmod is not None:
            self._note_copy_mode(stage, command, chmod, destination)
        resolved = (try_expand(source, stage.variables()) or source) if source is not None else None
        source_stage = self._stage_named(resolved) if resolved is not None else None
        origin = "context" if source is None else "stage" if source_stage is not None else "image"
        stage.copied_paths.extend(_copied_paths(command, stage.workdir, origin))
        if source is None:
            self._note_context_copy(stage, command, destination)
            if len(command.value) >= 2:
                written = _unquote(command.value[-1])
                target = absolute(written, stage.workdir) + ("/" if written.endswith("/") else "")
                sources = tuple(_unquote(v) for v in command.value[:-1] if "://" not in v)
                stage.context_sources.append((sources, target))
            return
        if source_stage is None:
            self.image_uses.append(ImageUse(ImageRef(source, resolved), command.start_line, "COPY --from"))
            return
        sources = tuple(_unquote(v) for v in command.value[:-1])
        stage.copies.append(StageCopy(source_stage.index, sources, destination, command.start_line))
        for carried in _carried_dependencies(source_stage, sources, destination):
            stage.dependencies[carried.directory] = replace(carried, arrived_via=("copied", command.start_line))
        stage.context_copies.extend(_carried_context(source_stage, sources, destination, command.start_line))
        if chmod is None:  # `--chmod` gives every copied file its own mode
            into_folder = len(sources) > 1 or _unquote(command.value[-1]).endswith("/")
            stage.world_writable.extend(_carried_modes(source_stage, sources, destination, into_folder, command.start_line))

    @staticmethod
    def _destination(stage: _StageState, command) -> str:
        if not command.value:
            return stage.workdir
        return _path_in_stage(_unquote(command.value[-1]), stage.variables(), stage.workdir)

    @staticmethod
    def _note_context_copy(stage: _StageState, command, destination: str) -> None:
        """COPY/ADD of files of the build context (not a heredoc, not a URL)."""
        sources = []
        for written in (_unquote(v) for v in command.value[:-1]):
            if written.startswith("<<") or "://" in written or written.startswith("git@"):
                continue
            sources.append(try_expand(written, stage.variables()) or written)
        if sources:
            excludes = tuple(flag.split("=", 1)[1] for flag in command.flags if flag.startswith("--exclude="))
            written = " ".join(command.original.split("\n", 1)[0].split())
            stage.context_copies.append(ContextCopy(command.cmd.upper(), tuple(sources), destination, command.start_line,
                                                    stage.label, excludes, written if len(written) <= 80 else written[:77] + "..."))

    @staticmethod
    def _note_copy_mode(stage: _StageState, command, chmod: str, destination: str) -> None:
        effect = mode_effect(try_expand(chmod, stage.variables()) or chmod)
        if effect is not None and effect.others_write:
            how = f"`{command.cmd.upper()} --chmod={chmod}`"
            stage.world_writable.append(WorldWritable(destination, how, command.start_line, stage.label, True, bool(effect.sticky)))

    def _on_add(self, stage: _StageState, command) -> None:
        if not _flag_value(command.flags, "--checksum"):
            for source in (_unquote(v) for v in command.value[:-1]):
                if source.startswith(("http://", "https://")) and not _pinned_git(source):
                    how = f"`ADD {source}`{_resolved_values(source, stage.variables())} without --checksum"
                    stage.remote_code.append(RemoteCode(command.start_line, how))
        self._on_copy(stage, command)

    def _on_run(self, stage: _StageState, command) -> None:
        for flag in command.flags:
            self._note_mount_image(stage, flag, command.start_line)
        for line, script in _run_scripts(command):
            for how in remote_code_in(script):
                stage.remote_code.append(RemoteCode(line, how + _resolved_values(how, stage.variables())))
            self._note_reads(stage, script)
            self._run_script(stage, script, line)
            last = command.end_line if not command.heredocs else line
            self._note_package_installs(stage, script, line, last)

    @staticmethod
    def _note_reads(stage: _StageState, script: str) -> None:
        """Declarations a RUN reads: an ARG's value is then recorded in the image's history."""
        for index, declaration in enumerate(stage.declarations):
            name = declaration.name
            # The substring tests keep the search (a compile per ARG) to scripts that can match.
            if declaration.used_in_run or ("$" + name not in script and "${" + name not in script):
                continue
            if re.search(rf"\$\{{?{re.escape(name)}\b", script):
                stage.declarations[index] = replace(declaration, used_in_run=True)

    def _note_mount_image(self, stage: _StageState, flag: str, line: int) -> None:
        if not flag.startswith("--mount="):
            return
        options = dict(part.partition("=")[::2] for part in flag[len("--mount=") :].split(","))
        source = options.get("from")
        if source and self._stage_named(source) is None:
            resolved = try_expand(source, stage.variables()) or source
            self.image_uses.append(ImageUse(ImageRef(source, resolved), line, "RUN --mount"))

    def _run_script(self, stage: _StageState, script: str, first_line: int) -> None:
        env = stage.run_environment()
        cwd = stage.workdir
        for simple in split_commands(script):
            line = first_line + simple.line_offset
            argv = simple.argv
            if not argv:
                env.update(simple.assignments)
                continue
            if argv[0] == "export":
                env.update(_assignments(argv[1:]))
                continue
            if argv[0] == "cd" and len(argv) > 1:
                cwd = absolute(argv[1], cwd)
                continue
            self._note_tool_settings(stage, env, argv)
            self._note_created_user(stage, argv)
            for change in mode_changes(argv):
                _apply_mode(stage, change, env, cwd, line)
            stage.os_packages.extend(OsPackage(name, line) for name in os_packages_installed(argv))
            if argv[0] == "rm":
                _remove_dependencies(stage, argv, cwd)
                continue
            self._apply_install(stage, simple, env, cwd, line)

    def _apply_install(self, stage: _StageState, simple: SimpleCommand, env: dict[str, str], cwd: str, line: int) -> None:
        action = classify(simple, env, cwd, self.manifests)
        if action is None:
            return
        existing = stage.dependencies.get(action.directory)
        if action.prunes:
            if existing and not action.includes_dev:
                stage.dependencies[action.directory] = replace(existing, includes_dev=False)
            return
        step = InstallStep(
            manager=action.manager,
            command=" ".join(simple.argv),
            line=line,
            stage=stage.label,
            directory=action.directory,
            includes_dev=action.includes_dev,
            reason=action.reason,
        )
        stage.installs.append(step)
        if existing and existing.includes_dev and not action.replaces_existing:
            return  # adding production packages does not remove the dev ones already there
        stage.dependencies[action.directory] = DependencyDir(action.directory, step, action.includes_dev)

    def _note_package_installs(self, stage: _StageState, script: str, first_line: int, last_line: int) -> None:
        """Code a RUN script installs by name. Its commands are split with launchers kept, so
        that `uv tool install x` and `pipx install x` are seen as what they are (the split with
        launchers unwrapped, cached, is the same one when the script has none)."""
        env = stage.run_environment()
        for simple in split_commands(script, keep_launchers=any(word in script for word in _LAUNCHER_WORDS)):
            if not simple.argv or simple.argv[0] == "export":
                env.update(simple.assignments if not simple.argv else _assignments(simple.argv[1:]))
                continue
            line = first_line + simple.line_offset
            count = len(stage.package_installs)
            self._note_package_install(stage, simple.argv, {**env, **dict(simple.assignments)}, line, max(line, last_line))
            if len(stage.package_installs) > count and (lost := lost_versions(script, stage.package_installs[-1])):
                shown = ", ".join(f"`{text}`" for text in lost)
                stage.package_installs[-1] = replace(stage.package_installs[-1], note=(
                    f"{shown} is not quoted: the shell reads `>`/`<` as a redirection, so no version reaches the installer"))

    def _note_package_install(self, stage: _StageState, argv: tuple[str, ...], env: dict[str, str], line: int, last_line: int) -> None:
        """Code installed by name (`npm install -g pkg`, `git clone URL`), with variables resolved;
        a later `git checkout <ref>` pins the last clone of the stage."""
        words = tuple((try_expand(word, env) or word) if "$" in word else word for word in argv)
        for index in range(len(stage.package_installs) - 1, -1, -1):
            pinned = with_checkout(stage.package_installs[index], words)
            if pinned is not None:
                stage.package_installs[index] = pinned
                return
        install = installs_in_command(words, line, stage.label)
        if install is not None:
            # A RUN continued over lines is one logical line: the install sits where it names its package.
            line = self._line_naming(install.packages[0].name if install.packages else "", line, last_line)
            stage.package_installs.append(replace(install, line=line))

    def _note_tool_settings(self, stage: _StageState, env: dict[str, str], argv: tuple[str, ...]) -> None:
        """`poetry config virtualenvs.create false` and friends persist across RUN steps."""
        if len(argv) >= 4 and argv[0] == "poetry" and argv[1] == "config":
            key = "POETRY_" + argv[2].replace(".", "_").replace("-", "_").upper()
            stage.tool_settings[key] = argv[3]
            env[key] = argv[3]

    def _note_created_user(self, stage: _StageState, argv: tuple[str, ...]) -> None:
        """Remember uids given to users made in the build: `useradd -o -u 0 admin` is root."""
        if argv[0] not in ("useradd", "adduser", "usermod"):
            return
        uid = _flag_argument(argv, ("-u", "--uid"))
        names = [w for w in argv[1:] if not w.startswith("-")]
        if uid is not None and names:
            stage.created_users[names[-1]] = uid


# Helpers ---------------------------------------------------------------------------------


def _shell_form(command) -> str | None:
    """The text of a shell-form ENTRYPOINT or CMD (the exec form gives None)."""
    return None if command.json or not command.value else command.value[0]


def _start_command(state: _StageState) -> tuple[list[str], list[int]]:
    """The process a container of the stage starts, as Docker builds it, and each word's line: a
    shell-form ENTRYPOINT is `/bin/sh -c TEXT` and ignores CMD; an exec-form one gets CMD
    appended, itself `/bin/sh -c TEXT` in shell form."""
    (entry_text, entry_line, _), (cmd_text, cmd_line, _) = state.entrypoint_form, state.cmd_form
    if state.entrypoint and entry_text is not None:
        return ["/bin/sh", "-c", entry_text], [entry_line] * 3
    words, lines = list(state.entrypoint), [entry_line] * len(state.entrypoint)
    if state.cmd:
        cmd = ["/bin/sh", "-c", cmd_text] if cmd_text is not None else list(state.cmd)
        words += cmd
        lines += [cmd_line] * len(cmd)
    return words, lines


def _exec_words(command) -> tuple[str, ...]:
    if command.json:
        return tuple(command.value)
    return tuple(words_of(command.value[0])) if command.value else ()


def _run_scripts(command) -> list[tuple[int, str]]:
    """(first line, script) pairs: heredoc bodies, or the (joined) shell form, or exec form."""
    if command.heredocs:
        return [(command.start_line + 1, heredoc.content) for heredoc in command.heredocs]
    if command.json:
        return [(command.start_line, shlex.join(command.value))]
    return [(command.start_line, command.value[0] if command.value else "")]


def _copied_paths(command, workdir: str, origin: str) -> list[CopiedPath]:
    """Each source of a COPY or ADD, with its destination as written (made absolute)."""
    if command.heredocs or len(command.value) < 2:
        return []
    destination = absolute(_unquote(command.value[-1]), workdir)
    return [CopiedPath(_unquote(source), destination, origin, command.start_line) for source in command.value[:-1]]


def _pinned_git(source: str) -> bool:
    """`ADD https://github.com/o/r.git#<40 hex>`: a Git source pinned to a commit."""
    ref = source.partition("#")[2].split(":", 1)[0]
    return ".git" in source and len(ref) == 40 and all(c in "0123456789abcdef" for c in ref.lower())


def _flag_value(flags: tuple[str, ...], name: str) -> str | None:
    for flag in flags:
        if flag.startswith(name + "="):
            return flag.split("=", 1)[1]
    return None


def _flag_argument(argv: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    for index, word in enumerate(argv):
        for name in names:
            if word == name and index + 1 < len(argv):
                return argv[index + 1]
            if word.startswith(name + "=") or (len(name) == 2 and word.startswith(name) and len(word) > 2 and word[2:].isdigit()):
                return word[len(name) :].lstrip("=")
    return None


_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def _resolved_values(text: str, variables: dict[str, str | None]) -> str:
    """` (`${UV_VERSION}` = `0.9.18`)`: the values the `ARG`/`ENV` defaults give the variables a
    quoted command uses, so a message says which URL is fetched while quoting only the file.
    A credential's value is never shown (`${NPM_TOKEN}` stays a name)."""
    from mcpharden.knowledge.credentials import credential_kind, is_credential_name

    found = {}
    for match in _VARIABLE.finditer(text):
        name = match.group(1) or match.group(2)
        value = variables.get(name)
        if value and not is_credential_name(name) and credential_kind(name, value) is None:
            found.setdefault(match.group(0), variables[name])
    return f" ({', '.join(f'`{written}` = `{value}`' for written, value in found.items())})" if found else ""


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        try:
            return shlex.split(text)[0]
        except (ValueError, IndexError):
            return text[1:-1]
    return text


def _assignments(words: tuple[str, ...]) -> dict[str, str]:
    return dict(word.split("=", 1) for word in words if "=" in word and not word.startswith("-"))


def _remove_dependencies(stage: _StageState, argv: tuple[str, ...], cwd: str) -> None:
    for target in (w for w in argv[1:] if not w.startswith("-")):
        removed = absolute(target, cwd)
        for directory in list(stage.dependencies):
            if directory == removed or directory.startswith(removed.rstrip("/") + "/"):
                del stage.dependencies[directory]


def _carried_dependencies(source: Stage, sources: tuple[str, ...], destination: str) -> list[DependencyDir]:
    """Dependency directories of `source` that `COPY --from` brings in, at their new place.
    Docker copies a directory's contents: /app → /dest puts /app/node_modules at /dest/node_modules."""
    carried = []
    for dependency in source.dependencies:
        for pattern in sources:
            copied_root = posixpath.normpath(posixpath.join("/", pattern))
            landed = _landing_place(dependency.directory, copied_root, destination)
            if landed is not None:
                carried.append(replace(dependency, directory=landed))
                break
    return carried


def _landing_place(directory: str, copied_root: str, destination: str) -> str | None:
    if copied_root == "/" or directory == copied_root or glob_match(directory, copied_root):
        relative = directory.lstrip("/") if copied_root == "/" else ""
        return posixpath.normpath(posixpath.join(destination, relative))
    if directory.startswith(copied_root + "/"):
        return posixpath.normpath(posixpath.join(destination, directory[len(copied_root) + 1 :]))
    # Copying part of a dependency directory (node_modules/.bin) still ships what it holds.
    if copied_root.startswith(directory + "/"):
        return destination
    return None


def _carried_context(source: Stage, sources: tuple[str, ...], destination: str, line: int) -> list[ContextCopy]:
    """The context copies of `source` that `COPY --from` brings along: whole when it copies
    their folder (or one above), the part below a subfolder when it copies that."""
    carried = []
    for copy in source.context_copies:
        landed = copy.destination.rstrip("/") or "/"
        for pattern in sources:
            copied_root = posixpath.normpath(posixpath.join("/", pattern))
            if copied_root == "/" or landed == copied_root or landed.startswith(copied_root + "/") or glob_match(landed, copied_root):
                carried.append(replace(copy, arrived_via=("copied", line)))
                break
            if copied_root.startswith(landed.rstrip("/") + "/"):
                part = copied_root[len(landed.rstrip("/")) + 1:]
                within = _narrower(copy.within, part)
                if within is not None:
                    carried.append(replace(copy, arrived_via=("copied", line), within=within))
                break
    return carried


def _narrower(first: str, second: str) -> str | None:
    """The deeper of two relative folders when one holds the other ("" holds everything); None
    when they are apart."""
    if not first or second == first or second.startswith(first + "/"):
        return second
    if first.startswith(second + "/"):
        return first
    return None


def _carried_modes(source: Stage, sources: tuple[str, ...], destination: str, into_folder: bool,
                   line: int) -> list[WorldWritable]:
    """World-writable paths of `source` that `COPY --from` (without --chmod) copies with their
    mode. `into_folder`: the destination is a folder (`/app/`, several sources), where a copied
    file keeps its name."""
    carried = []
    for entry in source.world_writable:
        for pattern in sources:
            copied_root = posixpath.normpath(posixpath.join("/", pattern))
            if copied_root == "/":
                landed = posixpath.normpath(posixpath.join(destination, entry.path.lstrip("/")))
            elif entry.path == copied_root or glob_match(entry.path, copied_root):
                named = into_folder and not entry.recursive  # a file (a folder's content lands in the folder)
                landed = posixpath.join(destination, posixpath.basename(entry.path)) if named else destination
            elif entry.path.startswith(copied_root + "/"):
                landed = posixpath.normpath(posixpath.join(destination, entry.path[len(copied_root) + 1:]))
            elif entry.recursive and copied_root.startswith(entry.path.rstrip("/") + "/"):
                landed = destination  # part of a folder whose whole content was made writable
            else:
                continue
            carried.append(replace(entry, path=landed, arrived_via=("copied", line)))
            break
    return carried


def _apply_mode(stage: _StageState, change: ModeChange, env: Mapping[str, str], cwd: str, line: int) -> None:
    """A mode a RUN step sets: a grant of others' write access is noted; a change that takes it
    away (`chmod 755`, `chmod -R o-w`) forgets the grants it covers."""
    path = _path_in_stage(change.path, env, cwd)
    if change.effect.others_write:
        # A symbolic mode that does not name the sticky bit keeps it (`chmod o+w /tmp`).
        stage.world_writable.append(WorldWritable(path, f"`{change.how}`", line, stage.label, change.recursive,
                                                  change.effect.sticky is not False))
    elif change.effect.others_write is False:
        stage.world_writable[:] = [entry for entry in stage.world_writable
                                   if not (entry.path == path or (change.recursive and entry.path.startswith(path.rstrip("/") + "/")))]


def _path_in_stage(written: str, variables: Mapping[str, str | None], cwd: str) -> str:
    """An absolute path with its variables resolved; one that starts with a variable the build
    does not define (`${HOME}/.cache`, set by the shell at run time) stays as written."""
    resolved = try_expand(written, variables)
    if resolved is None and written.startswith("$"):
        return written
    return absolute(resolved or written, cwd)
