"""Docker Compose files → ContainerSpecs, one per service.

Real compose files use YAML anchors and merge keys, `x-` extension fields, the `!reset` and
`!override` tags, `extends` (same file or another), `include`, and `${VAR:-default}`
interpolation. All are handled here; nothing is fetched and no environment of the machine
running mcpharden leaks in (only a `.env` file next to the compose file is read).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from dataclasses import MISSING, fields, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from mcpharden.model.build import HealthcheckTest
from mcpharden.model.container import CommandWord, ContainerSpec, EnvSetting, Mount, PublishedPort
from mcpharden.model.findings import Notice
from mcpharden.model.references import ImageRef
from mcpharden.sources.healthchecks import healthcheck_test
from mcpharden.sources.runargs import is_host_path, is_no_new_privileges, published_port, short_volume
from mcpharden.syntax.shell import words_of
from mcpharden.syntax.variables import MAX_EXPANDED_CHARS, ExpansionTooLong, expand, fallback
from mcpharden.syntax.yamlnodes import YamlList, YamlMap, load_documents

FileReader = Callable[[str], "str | None"]
MAX_EXTENDS_DEPTH = 10


def parse_compose(path: str, text: str, read: FileReader, seen: set[str] | None = None,
                  notices: list[Notice] | None = None) -> list[ContainerSpec]:
    """Specs of every service of a compose file and of the files it includes; values that
    expand past the variable budget are judged as written and named in `notices`."""
    seen = seen if seen is not None else set()
    seen.add(path)
    notices = notices if notices is not None else []
    documents = load_documents(text)
    document = documents[0] if documents else None
    if not isinstance(document, YamlMap):
        return []
    environment = Environment(_dotenv(read(posixpath.join(posixpath.dirname(path), ".env"))))
    specs: list[ContainerSpec] = []
    bound = _bound_volumes(document, environment)
    _note_over_budget(path, "top-level `volumes`", None, environment, notices)
    services = document.get("services")
    if isinstance(services, YamlMap):
        base = overlay_base(path, services, read)
        override = default_override(path, read)
        for name, service in services.items():
            if not isinstance(service, YamlMap):
                continue
            resolved = _resolve_extends(path, service, services, read, environment, depth=0)
            if base and isinstance(base[1].get(name), YamlMap):
                if posixpath.basename(path) in DEFAULT_OVERRIDES:
                    continue  # judged with the default file, which it overrides
                # Judged as `docker compose -f BASE -f this` runs it.
                below = _resolve_extends(base[0], base[1][name], base[1], read, environment, depth=0)
                spec = _spec(path, str(name), services.line_of(name), merge(below, resolved, (base[0], path)), environment)
                spec = _judged_for_changes(spec, resolved, base[0])
                if "env_file" in resolved:
                    spec = _with_env_files(spec, resolved, read, environment)
                specs.append(_with_bound_volumes(spec, bound))
                continue
            if override and isinstance(override[1].get(name), YamlMap):
                resolved = merge(resolved, override[1][name], (path, override[0]))
            spec = _spec(path, str(name), services.line_of(name), resolved, environment)
            specs.append(_with_bound_volumes(_with_env_files(spec, resolved, read, environment), bound))
            _note_over_budget(path, f"service {name}", services.line_of(name), environment, notices)
    for included in _includes(path, document):
        if included in seen:
            continue
        included_text = read(included)
        if included_text:
            specs.extend(parse_compose(included, included_text, read, seen, notices))
    return specs


# Interpolation ----------------------------------------------------------------------------


def _dotenv(text: str | None) -> dict[str, str]:
    return {name: value for name, value, _ in dotenv_lines(text or "")}


# A value may expand to MAX_EXPANDED_CHARS, and all values of a file together to this much:
# 300 KB of `- ${A}:/dN` lines naming a 60 KB variable would otherwise hold over a gigabyte
# (real files add a few KiB; a repository of compose files stays well within 512 MB).
MAX_FILE_EXPANDED_CHARS = 1024 * 1024


class Environment(dict[str, str]):
    """A compose file's variables (its `.env`), and what interpolating its values has cost:
    a value past the budget is kept as written (its variables unexpanded) and counted."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.added = 0  # characters expansion added to the file's values
        self.over_budget = 0  # values kept as written
        self.noted = 0  # of those, the ones a notice already named


def interpolate(text: str, environment: dict[str, str]) -> str:
    """Compose interpolation with defaults; unknown variables stay as written, so that
    `${HOME}/.ssh` is still recognizably a home path. Past the budget a value stays as written."""
    tally = environment if isinstance(environment, Environment) else Environment({})
    if tally.added > MAX_FILE_EXPANDED_CHARS:
        tally.over_budget += 1
        return text
    try:
        value = expand(text, environment, syntax="compose", keep_unknown=True)
    except ExpansionTooLong:
        tally.over_budget += 1
        return text
    tally.added += max(0, len(value) - len(text))
    return value


def _note_over_budget(path: str, where: str, line: int | None, environment: Environment, notices: list[Notice]) -> None:
    """One notice for the values of `where` kept as written since the last notice."""
    count = environment.over_budget - environment.noted
    if count:
        environment.noted = environment.over_budget
        notices.append(Notice(path, f"{where}: {count} value(s) expand past the variable budget ({MAX_EXPANDED_CHARS // 1024} KiB "
                                    f"a value, {MAX_FILE_EXPANDED_CHARS // 1024 // 1024} MiB a file): judged as written", line))


# extends, include, merging -----------------------------------------------------------------


def _includes(path: str, document: YamlMap) -> list[str]:
    include = document.get("include")
    items = include if isinstance(include, list) else [include] if include else []
    paths = []
    for item in items:
        if isinstance(item, YamlMap):
            item = item.get("path")
        for entry in item if isinstance(item, list) else [item]:
            if isinstance(entry, str) and "://" not in entry:
                joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), entry))
                if not joined.startswith(("..", "/")):
                    paths.append(joined)
    return paths


def _resolve_extends(path: str, service: YamlMap, services: YamlMap, read: FileReader,
                     environment: dict[str, str], depth: int) -> YamlMap:
    extends = service.get("extends")
    if extends is None or depth >= MAX_EXTENDS_DEPTH:
        return service
    if isinstance(extends, str):
        base_name, base_file = extends, None
    elif isinstance(extends, YamlMap):
        base_name, base_file = str(extends.get("service", "")), extends.get("file")
    else:
        return service
    base_services = services
    if isinstance(base_file, str):
        other = posixpath.normpath(posixpath.join(posixpath.dirname(path), interpolate(base_file, environment)))
        text = read(other) if not other.startswith(("..", "/")) else None
        base_services = _services_of(text) if text else None
    base = base_services.get(base_name) if isinstance(base_services, YamlMap) else None
    if not isinstance(base, YamlMap):
        return service
    base = _resolve_extends(path, base, base_services, read, environment, depth + 1)
    if isinstance(base_file, str):
        base = _relined(base, service.line_of("extends"))  # lines of another file mean nothing here
    return merge(base, service)


@lru_cache(maxsize=32)
def _services_of(text: str) -> YamlMap | None:
    """The `services` of another compose file, parsed once however many services extend it
    (the nodes are never changed: merging builds new ones)."""
    documents = load_documents(text)
    services = documents[0].get("services") if documents and isinstance(documents[0], YamlMap) else None
    return services if isinstance(services, YamlMap) else None


def _relined(mapping: YamlMap, line: int) -> YamlMap:
    copy = YamlMap()
    copy.line = line
    for key, value in mapping.items():
        copy[key] = value
        copy.key_lines[key] = line
    return copy


# Sequences compose replaces instead of appending: shell commands (`command`, `entrypoint`,
# `healthcheck: test`).
_REPLACED = frozenset({"command", "entrypoint", "test"})


def merge(base: YamlMap, override: YamlMap, files: tuple[str, str] | None = None) -> YamlMap:
    """Compose's merge: mappings merge, sequences append (but a shell command is replaced),
    `!override` replaces, `!reset` removes.
    `files`: the files of `base` and `override` when they differ; the result then records the
    file of each key (`key_files`) and of each item of an appended sequence (`item_files`)."""
    result = YamlMap()
    result.line = override.line
    for key, value in base.items():
        result[key] = value
        result.key_lines[key] = base.line_of(key)
    for key, value in override.items():
        if key == "extends":
            continue
        tag = getattr(value, "tag", "")
        if tag == "!reset":
            result.pop(key, None)
            continue
        previous = result.get(key)
        if tag != "!override" and isinstance(previous, YamlMap) and isinstance(value, YamlMap):
            value = merge(previous, value, files)
        elif tag != "!override" and isinstance(previous, YamlList) and isinstance(value, YamlList) and key not in _REPLACED:
            if key == "volumes":  # compose merges mounts by container path
                previous = _without_replaced(previous, value, _volume_target)
            value = _appended(previous, value, files)
        result[key] = value
        result.key_lines[key] = override.line_of(key)
    if files:
        result.key_files = {key: files[1] if key in override and key != "extends" else files[0] for key in result}
    return result


def _appended(first: YamlList, second: YamlList, files: tuple[str, str] | None = None) -> YamlList:
    """`first` then the items of `second` it does not hold yet (linear: items are compared
    by a frozen, hashable copy, so that long lists do not compare every pair). An item `second`
    repeats in another file is kept there too: both lines are in force, and each must change
    (fixing one leaves the other publishing the same port)."""
    combined = YamlList()
    combined.line = second.line
    item_files: list[str] = []
    held: dict = {}
    for source, file in zip((first, second), files or ("", "")):
        for index, item in enumerate(source):
            key = _frozen(item)
            if key in held and not (source is second and files and item_files[held[key]] != file):
                continue
            held[key] = len(combined)
            combined.append(item)
            combined.item_lines.append(source.line_of(index))
            item_files.append(file)
    if files:
        combined.item_files = item_files
    return combined


# Overlays ---------------------------------------------------------------------------------------

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")  # docker compose's order
DEFAULT_OVERRIDES = ("compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml", "docker-compose.override.yml")


def overlay_base(path: str, services: YamlMap, read: FileReader) -> tuple[str, YamlMap] | None:
    """The file a compose file overlays, and its services: `docker compose -f BASE -f path`.

    compose's own override file (`compose.override.yaml`, ...) overlays the default file of its
    folder, as `docker compose up` merges them. Another file of the folder (`docker-compose.server.yml`
    beside `docker-compose.yml`) that shares a service with that default file is an overlay when
    it says so (its usage comment runs `-f docker-compose.yml -f docker-compose.server.yml`), or
    when a shared service has neither `image`, `build` nor `extends`: alone it could not run."""
    folder, name = posixpath.split(path)
    if name in DEFAULT_FILES:
        return None
    for candidate in DEFAULT_FILES:
        base = posixpath.join(folder, candidate)
        text = read(base)
        if text is None:
            continue
        base_services = _services_of(text)
        if base_services is None:
            return None
        shared = [service for key, service in services.items() if key in base_services]
        if not shared:
            return None
        if name in DEFAULT_OVERRIDES or _named_with(read(path) or "", candidate, name) or \
                any(isinstance(service, YamlMap) and not {"image", "build", "extends"} & set(service) for service in shared):
            return base, base_services
        return None
    return None


def _named_with(text: str, base: str, name: str) -> bool:
    """Whether the file's own text runs it after its base: `docker compose -f docker-compose.yml
    -f docker-compose.dev.yml up` (in its usage comment)."""
    import re

    option = r"(?:-f|--file)[ =]+['\"]?(?:\./)?"
    return re.search(option + re.escape(base) + r"['\"]?\s+(?:" + option + r"\S+\s+)*" + option + re.escape(name), text) is not None


# The hardening settings a missing-setting rule asks for, and the service keys that set them.
_HARDENING_KEYS = {"cap_drop": ("cap_drop",), "read_only_root": ("read_only",), "no_new_privileges": ("security_opt",),
                   "memory_limit": ("mem_limit", "deploy"), "pids_limit": ("pids_limit", "deploy"), "cpu_limit": ("cpus", "deploy")}


def _judged_for_changes(spec: ContainerSpec, own: YamlMap, base: str) -> ContainerSpec:
    """An overlay's service, merged with its base (see judged_for_changes)."""
    changed = {field for key, field in _SETTING_FIELDS.items() if key in own}
    changed |= {name for name, keys in _HARDENING_KEYS.items() if set(keys) & set(own)}
    changed |= {"image"} if "build" in own else set()
    changed |= {"command"} if "entrypoint" in own else set()
    return judged_for_changes(spec, changed, {base})


def judged_for_changes(spec: ContainerSpec, changed: set[str], bases: set[str]) -> ContainerSpec:
    """An overlay's container (a compose `-f` overlay, a Kustomize overlay), merged with its base,
    judged for what the overlay says: `changed` names the fields the overlay sets.

    The base is judged on its own (it also runs alone), at its own lines: what the overlay only
    inherits from the files `bases` (a mount, `privileged`, the image, a missing `cap_drop`) is
    left to that judgement, so that nothing is reported twice; what the overlay sets is judged
    with what it inherits (ports it adds, with the base's `cap_drop: [ALL]` still in force)."""
    defaults = {item.name: item.default for item in fields(ContainerSpec) if item.default is not MISSING}
    inherited = {name for name, file in spec.paths.items() if file in bases}
    changes: dict[str, Any] = {name: defaults[name] for name in inherited if name in defaults and name not in ("user", "image")}
    if "image" in inherited or "image" not in changed:
        changes.update(image=None, built_locally=False, dockerfile=None, build_context=None, build_target=None)
    if "command" not in changed:
        changes.update(command=(), start_fetches=())
    if "service_account_token" in inherited:
        changes.update(service_account=None)  # the base's pod is judged for its token
    if "security_opts" not in changed:
        changes.update(seccomp_by_default=True)  # a missing seccomp profile is the base's finding
    changes.update(
        mounts=tuple(mount for mount in spec.mounts if mount.path not in bases),
        ports=tuple(port for port in spec.ports if port.path not in bases),
        env=tuple(setting for setting in spec.env if setting.path not in bases),
        settable=spec.settable - {name for name in _HARDENING_KEYS if name not in changed},
        paths=MappingProxyType({name: file for name, file in spec.paths.items() if name not in inherited}),
        # an inherited setting's line is a line of the base: in this file it would name another line
        lines=MappingProxyType({name: line for name, line in spec.lines.items() if name not in inherited}),
    )
    return replace(spec, **changes)


def default_override(path: str, read: FileReader) -> tuple[str, YamlMap] | None:
    """The override file `docker compose up` merges into a default compose file, and its services."""
    folder, name = posixpath.split(path)
    if name not in DEFAULT_FILES or next((c for c in DEFAULT_FILES if read(posixpath.join(folder, c)) is not None), name) != name:
        return None
    for candidate in DEFAULT_OVERRIDES:
        text = read(posixpath.join(folder, candidate))
        if text is not None:
            services = _services_of(text)
            return (posixpath.join(folder, candidate), services) if services is not None else None
    return None


def _without_replaced(first: YamlList, second: YamlList, identity: Callable[[Any], str | None]) -> YamlList:
    """`first` without the items that an item of `second` replaces (the same container path)."""
    replaced = {identity(item) for item in second} - {None}
    kept = YamlList()
    kept.line = first.line
    for index, item in enumerate(first):
        if identity(item) not in replaced:
            kept.append(item)
            kept.item_lines.append(first.line_of(index))
    return kept


def _volume_target(item: Any) -> str | None:
    if isinstance(item, YamlMap):
        return str(item.get("target", "")) or None
    parts = str(item).split(":")
    return parts[1] if len(parts) >= 2 and not (len(parts[0]) == 1 and parts[0].isalpha()) else None


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return ("map", tuple(sorted(((repr(k), _frozen(v)) for k, v in value.items()), key=lambda kv: kv[0])))
    if isinstance(value, list):
        return ("list", tuple(_frozen(v) for v in value))
    return ("scalar", type(value).__name__, value) if isinstance(value, (str, int, float, bool, type(None))) else ("other", repr(value))


# Service → ContainerSpec ---------------------------------------------------------------------


def _spec(path: str, name: str, line: int, service: YamlMap, environment: dict[str, str]) -> ContainerSpec:
    def text(key: str) -> str | None:
        value = service.get(key)
        if value is None or isinstance(value, (YamlMap, YamlList)) or getattr(value, "tag", "") == "!reset":
            return None
        return interpolate(str(value), environment)

    def strings(key: str) -> list[str]:
        value = service.get(key)
        if isinstance(value, str):
            return [interpolate(value, environment)]
        return [interpolate(str(item), environment) for item in value] if isinstance(value, YamlList) else []

    # Settings that are absent are reported on the service's name line (ContainerSpec.line).
    # Merged with a file it overlays (or that overrides it), a setting stays where that file says
    # it when a finding is about the setting itself (`privileged: true` in the base); one that
    # only fails to harden is reported on this file's service, where it can be added.
    key_files = getattr(service, "key_files", {})
    lines = {field: service.key_lines[key] for key, field in _SETTING_FIELDS.items() if key in service.key_lines and key in service
             and (key_files.get(key, path) == path or field in _SETTINGS_JUDGED_WHERE_SET)}
    paths = {field: key_files[key] for key, field in _SETTING_FIELDS.items()
             if key in service and key_files.get(key, path) != path and field in _SETTINGS_JUDGED_WHERE_SET}
    healthcheck = service.get("healthcheck")
    if isinstance(healthcheck, YamlMap) and "test" in healthcheck and key_files.get("healthcheck", path) == path:
        lines["healthcheck"] = healthcheck.line_of("test")
    options = service.get("security_opt")
    if isinstance(options, YamlList):  # the option that turns a profile off, not the list's key
        disabling = next((index for index, option in enumerate(options) if _disables_profile(str(option))), None)
        lines["security_opts"] = options.line_of(disabling) if disabling is not None else service.line_of("security_opt")
        if key_files.get("security_opt", path) != path:
            paths["security_opts"] = _item_file(options, disabling or 0, path) or key_files["security_opt"]
    image = text("image")
    build = service.get("build")
    return ContainerSpec(
        path=path,
        origin="compose",
        name=name,
        line=line,
        image=ImageRef(str(service.get("image")), image) if image else None,
        built_locally=build is not None,
        dockerfile=_dockerfile(path, build, environment),
        build_context=_build_context(path, build, environment),
        user=text("user"),
        privileged=_true(service.get("privileged")),
        cap_add=tuple(strings("cap_add")),
        cap_drop=tuple(strings("cap_drop")),
        read_only_root=_true(service.get("read_only")),
        no_new_privileges=any(is_no_new_privileges(option) for option in strings("security_opt")),
        host_network=(text("network_mode") or "") == "host",
        no_network=(text("network_mode") or "") == "none" or _true(service.get("network_disabled")),
        host_pid=(text("pid") or "") == "host",
        host_ipc=(text("ipc") or "") == "host",
        mounts=tuple(_volumes(path, service, environment)),
        devices=tuple(strings("devices")),
        device_cgroup_rules=tuple(strings("device_cgroup_rules")),
        host_userns=(text("userns_mode") or "") == "host",
        host_uts=(text("uts") or "") == "host",
        host_cgroupns=(text("cgroup") or "") == "host",
        security_opts=tuple(strings("security_opt")),
        env=tuple(_environment(path, service, environment)),
        ports=tuple(_ports(path, service, environment)),
        command=tuple(_command(service, "entrypoint", environment)) + tuple(_command(service, "command", environment)),
        env_files=tuple(_env_files(service, environment)),
        memory_limit=text("mem_limit") or _deploy_limit(service, "memory"),
        pids_limit=text("pids_limit") or _deploy_limit(service, "pids"),
        start_fetches=_start_fetches(path, service, environment),
        cpu_limit=text("cpus") or _deploy_limit(service, "cpus"),
        healthcheck=_healthcheck(healthcheck, environment),
        build_target=_build_target(build, environment),
        lines=MappingProxyType(lines),
        paths=MappingProxyType(paths),
    )


def _start_fetches(path: str, service: YamlMap, environment: dict[str, str]) -> tuple:
    """Packages the service's `entrypoint:` and `command:` download at each start (a string is
    split into words as compose splits it)."""
    words: list[str] = []
    lines: list[int] = []
    for key in ("entrypoint", "command"):
        value = service.get(key)
        if isinstance(value, YamlList):
            words += [interpolate(str(item), environment) for item in value]
            lines += [value.line_of(index) for index in range(len(value))]
        elif isinstance(value, str) and getattr(value, "tag", "") != "!reset":
            split = words_of(interpolate(value, environment))
            words += split
            lines += [service.line_of(key)] * len(split)
    if not words:
        return ()
    from mcpharden.sources.packages import fetches_in_argv  # the package tables load only for a command

    return tuple(fetches_in_argv(words, lambda index: lines[index] if index < len(lines) else service.line, path))


def _healthcheck(value: Any, environment: dict[str, str]) -> HealthcheckTest | None:
    """`healthcheck:`: `test` as a string (run by the shell, as `CMD-SHELL`), as `["CMD", argv...]`
    or `["CMD-SHELL", script]`; `disable: true` and `["NONE"]` turn the image's check off."""
    if not isinstance(value, YamlMap):
        return None
    if _true(value.get("disable")):
        return HealthcheckTest("none", ())
    test = value.get("test")
    if isinstance(test, str) and test.strip():
        return healthcheck_test("shell", (interpolate(test, environment),))
    if not isinstance(test, YamlList) or not test or isinstance(test[0], (YamlMap, YamlList)):
        return None
    words = [interpolate(str(word), environment) for word in test if not isinstance(word, (YamlMap, YamlList))]
    kind = words[0].strip().upper()
    if kind == "NONE":
        return HealthcheckTest("none", ())
    if kind == "CMD" and len(words) > 1:
        return healthcheck_test("exec", tuple(words[1:]))
    if kind == "CMD-SHELL" and len(words) > 1:
        return healthcheck_test("shell", (" ".join(words[1:]),))
    return None


def _build_target(build: Any, environment: dict[str, str]) -> str | None:
    target = build.get("target") if isinstance(build, YamlMap) else None
    return interpolate(str(target), environment) if isinstance(target, (str, int)) and str(target) else None


def _environment(path: str, service: YamlMap, environment: dict[str, str]) -> Iterator[EnvSetting]:
    """`environment:` as a list (`- NAME=value`, `- NAME`) or a mapping, values as written:
    `${TOKEN}` is a reference, not the value .env gives it (that is the setting's `fallback`,
    with the defaults of the variables .env does not set)."""
    value = service.get("environment")
    if isinstance(value, YamlMap):
        for name, assigned in value.items():
            written = None if assigned is None else str(assigned)
            file = getattr(value, "key_files", {}).get(name) or getattr(service, "key_files", {}).get("environment", path)
            yield EnvSetting(str(name), written, value.line_of(name), fallback(written, environment), path=_outside(file, path))
    elif isinstance(value, YamlList):
        for index, item in enumerate(value):
            name, equals, assigned = str(item).partition("=")
            written = assigned if equals else None
            file = _item_file(value, index, path) or getattr(service, "key_files", {}).get("environment", path)
            yield EnvSetting(name, written, value.line_of(index), fallback(written, environment), path=_outside(file, path))


def _with_env_files(spec: ContainerSpec, service: YamlMap, read: FileReader, environment: dict[str, str]) -> ContainerSpec:
    """The spec with the settings of the `env_file:` files in the repository (a committed `.env`):
    a literal credential there is one in the run configuration, at its line of that file.
    `environment:` wins over a file, and a later file over an earlier one, as in compose."""
    folder = posixpath.dirname(spec.path)
    named = {setting.name for setting in spec.env}
    added: dict[str, EnvSetting] = {}
    for written in _env_files(service, environment):
        file = posixpath.normpath(posixpath.join(folder, written))
        if file.startswith(("../", "/")) or file == ".." or "$" in file:
            continue
        for name, value, line in dotenv_lines(read(file) or ""):
            if name not in named:
                added[name] = EnvSetting(name, value, line, path=file)
    return replace(spec, env=spec.env + tuple(added.values())) if added else spec


def dotenv_lines(text: str) -> Iterator[tuple[str, str, int]]:
    """`NAME=value` lines of an env file (`export` allowed, comments and blank lines skipped,
    one pair of quotes taken off), with their line numbers."""
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()  # an inline comment after an unquoted value
        if name and " " not in name:
            yield name, value, number


def _env_files(service: YamlMap, environment: dict[str, str]) -> Iterator[str]:
    """`env_file:` as a path, a list of paths, or a list of `{path, required}`."""
    value = service.get("env_file")
    for item in value if isinstance(value, YamlList) else [value] if isinstance(value, str) else []:
        path = item.get("path") if isinstance(item, YamlMap) else item
        if isinstance(path, str) and path:
            yield interpolate(path, environment)


def _command(service: YamlMap, key: str, environment: dict[str, str]) -> Iterator[CommandWord]:
    """`command:`/`entrypoint:` as words: a list, or a string split as compose splits it."""
    value = service.get(key)
    if isinstance(value, YamlList):
        for index, item in enumerate(value):
            if not isinstance(item, (YamlMap, YamlList)):
                yield CommandWord(interpolate(str(item), environment), value.line_of(index))
    elif isinstance(value, str) and getattr(value, "tag", "") != "!reset":
        for word in words_of(interpolate(value, environment)):
            yield CommandWord(word, service.line_of(key))


def _ports(path: str, service: YamlMap, environment: dict[str, str]) -> Iterator[PublishedPort]:
    value = service.get("ports")
    for index, item in enumerate(value if isinstance(value, YamlList) else []):
        line = value.line_of(index)
        file = _outside(_item_file(value, index, path) or getattr(service, "key_files", {}).get("ports", path), path)
        if isinstance(item, YamlMap):  # long syntax
            host_ip = interpolate(str(item.get("host_ip") or ""), environment)
            published = item.get("published")
            yield PublishedPort(host_ip, "" if published is None else str(published), str(item.get("target", "")), line, file)
        else:
            yield replace(published_port(interpolate(str(item), environment), line), path=file)


def _deploy_limit(service: YamlMap, key: str) -> str | None:
    limits = service.get("deploy")
    for step in ("resources", "limits", key):
        limits = limits.get(step) if isinstance(limits, YamlMap) else None
    return None if limits is None or isinstance(limits, (YamlMap, YamlList)) else str(limits)


def _dockerfile(path: str, build: Any, environment: dict[str, str]) -> str | None:
    """The Dockerfile a `build:` names: `build: ./api` or `{context, dockerfile}`."""
    if isinstance(build, str):
        context, name = build, "Dockerfile"
    elif isinstance(build, YamlMap):
        context, name = str(build.get("context", ".")), str(build.get("dockerfile", "Dockerfile"))
    else:
        return None
    context = interpolate(context, environment)
    if "://" in context or context.startswith("/"):
        return None  # a remote or absolute context is outside the repository
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), context, interpolate(name, environment)))
    return None if joined.startswith("..") else joined


def _build_context(path: str, build: Any, environment: dict[str, str]) -> str | None:
    """The build context a `build:` names, relative to the scanned root ("" for the root);
    None for a remote or absolute one, or one outside the scanned folder."""
    if isinstance(build, str):
        context = build
    elif isinstance(build, YamlMap):
        context = str(build.get("context", "."))
    else:
        return None
    context = interpolate(context, environment)
    if "://" in context or context.startswith(("/", "git@")) or "$" in context:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), context))
    return None if joined == ".." or joined.startswith("../") else ("" if joined == "." else joined)


_SETTING_FIELDS = {
    "user": "user", "privileged": "privileged", "cap_add": "cap_add", "cap_drop": "cap_drop",
    "read_only": "read_only_root", "security_opt": "no_new_privileges", "network_mode": "host_network",
    "pid": "host_pid", "ipc": "host_ipc", "image": "image", "devices": "devices", "userns_mode": "host_userns",
    "uts": "host_uts", "cgroup": "host_cgroupns", "ports": "ports", "mem_limit": "memory_limit",
    "pids_limit": "pids_limit", "cpus": "cpu_limit", "environment": "env", "command": "command", "healthcheck": "healthcheck",
}


# The settings a finding is about when they are present (privileged, added capabilities, ...):
# merged from another file, they are still reported there. The others are reported where missing.
_SETTINGS_JUDGED_WHERE_SET = frozenset({"user", "privileged", "cap_add", "host_network", "host_pid", "host_ipc", "image",
                                        "devices", "host_userns", "host_uts", "host_cgroupns", "healthcheck"})


def _disables_profile(option: str) -> bool:
    kind, _, value = option.replace(":", "=", 1).partition("=")
    return value.strip().lower() in ("unconfined", "disable") and kind.strip().lower() in ("seccomp", "apparmor", "label")


def _item_file(items: YamlList, index: int, path: str) -> str | None:
    """The file an item of a merged sequence comes from (None when the sequence was not merged)."""
    files = getattr(items, "item_files", None)
    return files[index] if files and index < len(files) and files[index] else None


def _outside(file: str, path: str) -> str:
    """A setting's file as the model keeps it: "" when it is the spec's own file."""
    return "" if file == path else file


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"))


def _bound_volumes(document: YamlMap, environment: dict[str, str]) -> dict[str, str]:
    """Named volumes that are host paths in disguise: the local driver with `o: bind` and a
    `device` (`driver_opts: {type: none, o: bind, device: /var/run}`)."""
    volumes = document.get("volumes")
    bound: dict[str, str] = {}
    for name, volume in (volumes.items() if isinstance(volumes, YamlMap) else []):
        options = volume.get("driver_opts") if isinstance(volume, YamlMap) else None
        if isinstance(options, YamlMap) and "bind" in str(options.get("o", "")).split(",") and options.get("device"):
            bound[str(name)] = interpolate(str(options["device"]), environment)
    return bound


def _with_bound_volumes(spec: ContainerSpec, bound: dict[str, str]) -> ContainerSpec:
    if not bound or not any(m.kind == "volume" and m.source in bound for m in spec.mounts):
        return spec
    mounts = tuple(replace(m, source=bound[m.source], kind="bind") if m.kind == "volume" and m.source in bound else m
                   for m in spec.mounts)
    return replace(spec, mounts=mounts)


def _volumes(path: str, service: YamlMap, environment: dict[str, str]) -> list[Mount]:
    mounts: list[Mount] = []
    volumes = service.get("volumes")
    if isinstance(volumes, YamlList):
        for index, entry in enumerate(volumes):
            line = volumes.line_of(index)
            file = _outside(_item_file(volumes, index, path) or getattr(service, "key_files", {}).get("volumes", path), path)
            if isinstance(entry, str):
                mounts.append(replace(short_volume(interpolate(entry, environment), line), path=file))
            elif isinstance(entry, YamlMap):
                source = interpolate(str(entry.get("source", "") or ""), environment)
                kind = str(entry.get("type", "bind" if is_host_path(source) else "volume"))
                mounts.append(Mount(source, str(entry.get("target", "")), kind, _true(entry.get("read_only")), line, file))
    tmpfs = service.get("tmpfs")
    for target in (tmpfs if isinstance(tmpfs, YamlList) else [tmpfs] if isinstance(tmpfs, str) else []):
        mounts.append(Mount("", str(target), "tmpfs", False, service.line_of("tmpfs")))
    return mounts

