"""Run-time hardening fixes: drop all capabilities, read-only root file system (with a tmpfs
for /tmp), no-new-privileges, and (Kubernetes) the runtime's default seccomp profile. Compose services get the settings as YAML lines under the
service; MCP client configurations (JSON, JSON with comments, Codex TOML) get the flags
right after `run` in the server's arguments. Only those lines change, so comments and
formatting stay. What must not be changed silently (engine sockets, privileged mode,
sensitive host mounts, host namespaces, added capabilities) becomes a decision with the
safer alternative."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mcpharden.fixes import Decision, Edit
from mcpharden.syntax.text import split_lines

if TYPE_CHECKING:
    from mcpharden.fixes.startup import StartNeeds
    from mcpharden.model.container import ContainerSpec
    from mcpharden.model.findings import Finding

HARDENING_RULES = ("capabilities-not-dropped", "root-filesystem-writable", "privilege-escalation-allowed", "root-user",
                   "seccomp-profile-not-set")
# Edited in place on the reported line: `3000:3000` → `127.0.0.1:3000:3000`.
LOOPBACK_RULES = ("port-exposed-on-all-interfaces",)
DECISIONS = {
    "docker-socket-mount": "not removed automatically: give the server a socket proxy that allows only the API calls it needs "
                           "(for example tecnativa/docker-socket-proxy with POST=0), or a dedicated rootless engine",
    "privileged-container": "not removed automatically: drop privileged mode and add only the capability or device the server needs",
    "sensitive-host-mount": "not removed automatically: mount only the project folder the server needs, read-only if it only reads, "
                            "and pass credentials as scoped tokens",
    "host-namespace-shared": "not removed automatically: use the default namespaces and publish only the server's port on 127.0.0.1",
    "dangerous-capability-added": "not removed automatically: remove the capability, or isolate the feature that needs it",
    "secret-in-run-config": "not moved automatically: rotate the credential, pass only its name (-e NAME, environment: "
                            "[NAME], secretKeyRef) and keep the value in the client's secret inputs or the environment",
    "security-profile-disabled": "not changed automatically: remove the unconfined profile (or write a profile that "
                                 "allows only the missing system call)",
    "host-device-exposed": "not removed automatically: remove the device unless the server drives it",
    "writable-host-mount": "not changed automatically: add :ro (readOnly: true) if the server only reads there",
    "no-resource-limits": "not added automatically (the right size depends on the server): set --memory and "
                          "--pids-limit (mem_limit/pids_limit; resources.limits.memory and cpu in Kubernetes)",
    "service-account-token-mounted": "not changed automatically: set automountServiceAccountToken: false in the pod spec "
                                     "unless the server calls the Kubernetes API (then give it a ServiceAccount of its "
                                     "own, bound to a Role that grants only what it needs)",
}
_COMPOSE_SETTINGS = {
    "root-user": ("user", ["user: \"{user}\""]),
    "capabilities-not-dropped": ("cap_drop", ["cap_drop:", "  - ALL"]),
    "root-filesystem-writable": ("read_only", ["read_only: true", "tmpfs:", "  - /tmp"]),
    "privilege-escalation-allowed": ("security_opt", ["security_opt:", "  - no-new-privileges:true"]),
}
_RUN_FLAGS = {
    "root-user": ["--user", "{user}"],
    "capabilities-not-dropped": ["--cap-drop", "ALL"],
    "root-filesystem-writable": ["--read-only", "--tmpfs", "/tmp"],
    "privilege-escalation-allowed": ["--security-opt", "no-new-privileges"],
}
_STATED_OTHERWISE = ("the file sets `{setting}` explicitly: not changed; harden it by hand "
                     "if the server does not need it")
_CONTAINERS = re.compile(r"^\s*(init|ephemeral)?[cC]ontainers\s*:\s*(#.*)?$")
_RUN_TOKEN = re.compile(r"""(["'])run\1""")


def _runtime_user(spec: ContainerSpec) -> str | None:
    """A non-root user the spec's image is known to have (no explicit root override)."""
    from fnmatch import fnmatchcase

    from mcpharden.knowledge.fixes import table
    from mcpharden.model.references import parse_image_name

    if spec.user is not None or spec.image is None or not spec.image.resolved:
        return None
    name = parse_image_name(spec.image.resolved).full_name
    for entry in table()["runtime_users"]:
        if any(fnmatchcase(name, parse_image_name(p).full_name) for p in entry["images"]):
            return entry["user"]
    return None


def _steps_down_from_root(spec: ContainerSpec) -> bool:
    from mcpharden.knowledge.base_images import profile_for

    image = spec.image.resolved if spec.image else None
    return bool(image) and "steps down" in profile_for(image).default_user


def spec_for(finding: Finding, specs: list[ContainerSpec]) -> ContainerSpec | None:
    """The spec a finding is about: absent settings are reported on the spec's own line."""
    for spec in specs:
        if spec.path == finding.path and (spec.line == finding.line or finding.line in spec.lines.values()):
            return spec
    return None


class RuntimeFixer:
    def __init__(self, path: str, text: str, specs: list[ContainerSpec], breaks: str = "newline",
                 needs: dict[int, StartNeeds] | None = None, left: dict[int, str] | None = None) -> None:
        self.path = path
        # Lines keep their own endings (split where the file's parser splits them), so a line
        # left alone is written back byte for byte; added lines get the file's usual ending.
        self.lines = split_lines(text, breaks)
        self.specs = specs
        # What each spec (by line) needs at start (fixes.startup), and the specs left as they are
        # (not part of a server the repository ships) with the reason.
        self.needs = needs or {}
        self.left = left or {}
        self.decisions: list[Decision] = []
        self.bound: set[str] = set()  # rules fixed in place (ports bound to 127.0.0.1)
        self.applied: dict[int, set[str]] = {}  # spec line → rules whose edit was made

    def fix(self, findings: list[Finding]) -> tuple[list[Edit], list[Decision]]:
        wanted: dict[int, list[str]] = {}  # spec line → hardening rules to apply
        specs: dict[int, ContainerSpec] = {}
        original = list(self.lines)
        for line, why in sorted(self.left.items()):
            spec = next(s for s in self.specs if s.line == line)
            self.decisions.append(Decision(self.path, line, "", f"{'service' if spec.origin == 'compose' else 'container'} "
                                           f"`{spec.name}` ({why}) is not part of a server this repository ships: left as "
                                           "it is (--all-services hardens it too)"))
        findings = [f for f in findings if f.rule_id in DECISIONS or _owner(f, self.specs) not in self.left]
        # In-place edits first: they keep every line where it is for the insertions below.
        for finding in [f for f in findings if f.rule_id in LOOPBACK_RULES]:
            self._bind_loopback(finding)
        for finding in [f for f in findings if f.rule_id not in LOOPBACK_RULES]:
            if finding.rule_id in DECISIONS:
                self.decisions.append(Decision(finding.path, finding.line, finding.rule_id, DECISIONS[finding.rule_id]))
                continue
            spec = spec_for(finding, self.specs)
            if finding.rule_id not in HARDENING_RULES or spec is None:
                continue
            blocker = _blocker(finding.rule_id, self.needs.get(spec.line))
            if blocker:
                self.decisions.append(Decision(finding.path, finding.line, finding.rule_id, f"not changed: {blocker}"))
                continue
            if finding.rule_id == "root-user" and _runtime_user(spec) is None:
                reason = ("the configuration asks for root explicitly" if spec.user is not None
                          else f"no known non-root user in {spec.image.written if spec.image else 'the image'}")
                self.decisions.append(Decision(finding.path, finding.line, finding.rule_id, f"{reason}: set a non-root user by hand"))
                continue
            wanted.setdefault(spec.line, []).append(finding.rule_id)
            specs[spec.line] = spec
        self.pod_volumes: set[int] = set()  # `containers:` lines whose pod needs the /tmp emptyDir
        # Bottom-up, so inserting lines does not move the specs still to do.
        for line in sorted(wanted, reverse=True):
            spec = specs[line]
            decided_before = len(self.decisions)
            self._harden(spec, wanted[line])
            decided = {d.rule_id for d in self.decisions[decided_before:]}
            self.applied[line] = set(wanted[line]) - decided
        for containers_line in sorted(self.pod_volumes, reverse=True):  # after the container edits below them
            self._add_pod_tmp_volume(containers_line)
        if self.lines == original:
            return [], self.decisions
        return [Edit(1, len(original), tuple(self.lines), "runtime-hardening")], self.decisions

    def _bind_loopback(self, finding: Finding) -> None:
        """`"3000:3000"`, `0.0.0.0:3000:3000` or `[::]:3000:3000` on the reported line becomes
        `127.0.0.1:3000:3000`; anything else (the long syntax, -P, hostPort) is left to a person."""
        port = dict(finding.details).get("port", "")
        line = self.lines[finding.line - 1] if 0 < finding.line <= len(self.lines) else ""
        pattern = re.compile(rf"(?<![\w.:\[\]-])(?:0\.0\.0\.0:|\[::\]:|:::)?(?P<host>\d+(?:-\d+)?):(?P<port>{re.escape(port)})"
                             rf"(?P<protocol>/\w+)?(?=[\"'\s,\]]|$)")
        matches = list(pattern.finditer(line)) if port.replace("-", "").isdigit() else []
        if len(matches) != 1:
            self.decisions.append(Decision(self.path, finding.line, finding.rule_id, "publish the port on 127.0.0.1 by hand "
                                           "(-p 127.0.0.1:HOST:CONTAINER, \"127.0.0.1:HOST:CONTAINER\", host_ip: 127.0.0.1)"))
            return
        match = matches[0]
        bound = f"127.0.0.1:{match.group('host')}:{match.group('port')}{match.group('protocol') or ''}"
        self.lines[finding.line - 1] = line[: match.start()] + bound + line[match.end() :]
        self.bound.add(finding.rule_id)

    def _harden(self, spec: ContainerSpec, rules: list[str]) -> None:
        if spec.origin == "compose":
            self._compose(spec, rules)
        elif spec.origin == "client-config" and not spec.path.endswith((".yaml", ".yml")):
            self._run_arguments(spec, rules)
        elif spec.origin == "kubernetes":
            self._kubernetes(spec, rules)
        else:
            self.decisions.extend(Decision(self.path, spec.line, rule, "only compose files, Kubernetes manifests and "
                                           "JSON/TOML client configurations are fixed so far") for rule in rules)

    def _compose(self, spec: ContainerSpec, rules: list[str]) -> None:
        index = spec.line  # the line after `name:` (0-based index of the next line)
        indent = self._child_indent(spec.line - 1)
        if indent is None:
            self.decisions.extend(Decision(self.path, spec.line, rule, "the service is written in flow style: add the setting by hand") for rule in rules)
            return
        added: list[str] = []
        has_tmp = any(m.kind == "tmpfs" and m.target == "/tmp" for m in spec.mounts)
        for rule in rules:
            key, lines = _COMPOSE_SETTINGS[rule]
            if rule in ("capabilities-not-dropped", "root-filesystem-writable") and _steps_down_from_root(spec):
                self.decisions.append(Decision(self.path, spec.line, rule, "its image starts as root and switches user in its "
                                      "entrypoint, which needs CHOWN/SETUID/SETGID and a writable run directory: harden it by hand"))
                continue
            present = spec.lines.get({"cap_drop": "cap_drop", "read_only": "read_only_root", "security_opt": "no_new_privileges", "user": "user"}[key])
            if present is not None and key == "read_only":
                self.decisions.append(Decision(self.path, present, rule, _STATED_OTHERWISE.format(setting="read_only: false")))
                continue
            if key == "read_only" and not has_tmp and self._find_key(spec.line, indent, "tmpfs") is not None:
                self.decisions.append(Decision(self.path, spec.line, rule, "`tmpfs` exists: add `/tmp` to it and set "
                                               "`read_only: true` by hand"))
                continue
            if present is not None:
                self.decisions.append(Decision(self.path, present, rule, f"`{key}` exists: add `{lines[-1].strip()[2:]}` to it by hand"))
                continue
            needs = self.needs.get(spec.line)
            if key == "cap_drop" and needs and needs.low_ports:
                if spec.cap_add:
                    self.decisions.append(Decision(self.path, spec.line, rule, "`cap_add` exists and the service listens below "
                                                   "1024: add NET_BIND_SERVICE to it and `cap_drop: [ALL]` by hand"))
                    continue
                lines = lines + ["cap_add:", "  - NET_BIND_SERVICE  # it listens on a port below 1024"]
            if key == "read_only" and has_tmp:
                lines = lines[:1]
            elif key == "read_only" and needs and needs.tmpfs:
                lines = lines + [f"  - {path}" for path in needs.tmpfs]
            added.extend(" " * indent + line.replace("{user}", _runtime_user(spec) or "") for line in lines)
        self.lines[index:index] = added

    def _child_indent(self, name_index: int) -> int | None:
        """Indentation of the keys under the service, or None for `name: {flow: style}`."""
        if "{" in self.lines[name_index].split("#", 1)[0]:
            return None
        parent = len(self.lines[name_index]) - len(self.lines[name_index].lstrip())
        for line in self.lines[name_index + 1 :]:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                indent = len(line) - len(line.lstrip())
                return indent if indent > parent else None
        return None

    def _kubernetes(self, spec: ContainerSpec, rules: list[str]) -> None:
        """Add to (or create) the container's securityContext; a read-only root file system
        comes with an emptyDir mounted at /tmp (a volume in the pod, a mount here)."""
        item = self.lines[spec.line - 1]
        key_indent = len(item) - len(item.lstrip(" -"))
        settings = []
        for rule in rules:
            if rule == "root-filesystem-writable" and self.needs.get(spec.line) and self.needs[spec.line].tmpfs:
                self.decisions.append(Decision(self.path, spec.line, rule, "it writes "
                                               f"{', '.join(self.needs[spec.line].tmpfs)} at start: mount an emptyDir at each "
                                               "and set readOnlyRootFilesystem by hand"))
            elif rule == "root-filesystem-writable":
                settings.append(("readOnlyRootFilesystem", "true", spec.lines.get("read_only_root")))
            elif rule == "privilege-escalation-allowed":
                settings.append(("allowPrivilegeEscalation", "false", spec.lines.get("no_new_privileges")))
            elif rule == "seccomp-profile-not-set":  # flagged only when no profile is set at any level
                settings.append(("seccompProfile", "{type: RuntimeDefault}", None))
            elif rule == "capabilities-not-dropped":
                if self.needs.get(spec.line) and self.needs[spec.line].low_ports:
                    self.decisions.append(Decision(self.path, spec.line, rule, "it listens below 1024: set capabilities.drop "
                                                   "[\"ALL\"] with add [\"NET_BIND_SERVICE\"] by hand"))
                elif spec.lines.get("cap_drop") is not None:
                    self.decisions.append(Decision(self.path, spec.lines["cap_drop"], rule, "add \"ALL\" to capabilities.drop"))
                else:
                    settings.append(("capabilities", None, None))
            elif rule == "root-user":
                self.decisions.append(Decision(self.path, spec.line, rule, "set runAsNonRoot: true and a non-root runAsUser by hand"))
        if any(name == "readOnlyRootFilesystem" and present is None for name, _, present in settings):
            if self._containers_line(spec.line) is None:
                settings = [setting for setting in settings if setting[0] != "readOnlyRootFilesystem"]
                self.decisions.append(Decision(self.path, spec.line, "root-filesystem-writable", "no `containers:` line "
                                      "found for the /tmp volume: set readOnlyRootFilesystem with an emptyDir by hand"))
            else:
                self._mount_tmp(spec.line, key_indent)
        context = self._find_key(spec.line, key_indent, "securityContext")
        new_lines: list[str] = []
        child = self._indent_after(context) if context is not None else key_indent + 2
        for name, value, present in settings:
            if present is not None:  # the file says otherwise on purpose: a person decides
                stated = "true" if value == "false" else "false"
                rule = "root-filesystem-writable" if name == "readOnlyRootFilesystem" else "privilege-escalation-allowed"
                self.decisions.append(Decision(self.path, present, rule, _STATED_OTHERWISE.format(setting=f"{name}: {stated}")))
            elif name == "capabilities" and context is not None and self._find_key(context, child, "capabilities") is not None:
                self.decisions.append(Decision(self.path, spec.line, "capabilities-not-dropped", "add drop: [\"ALL\"] to capabilities"))
            elif name == "capabilities":
                new_lines += [" " * child + "capabilities:", " " * (child + 2) + 'drop: ["ALL"]']
            else:
                new_lines.append(" " * child + f"{name}: {value}")
        if not new_lines:
            return
        if context is None:
            self.lines[spec.line : spec.line] = [" " * key_indent + "securityContext:"] + new_lines
        else:
            self.lines[context : context] = new_lines

    def _mount_tmp(self, item_line: int, key_indent: int) -> None:
        block_end = self._block_end(item_line, key_indent - 1)
        if any(re.search(r"mountPath:\s*['\"]?/tmp['\"]?\s*$", line) for line in self.lines[item_line - 1 : block_end]):
            return
        mounts = self._find_key(item_line, key_indent, "volumeMounts")
        entry = ["- name: mcpharden-tmp", "  mountPath: /tmp"]
        if mounts is None:
            self.lines[block_end:block_end] = [" " * key_indent + "volumeMounts:"] + [" " * (key_indent + 2) + e for e in entry]
        else:
            indent = self._indent_after(mounts)
            self.lines[mounts:mounts] = [" " * indent + e for e in entry]
        self.pod_volumes.add(self._containers_line(item_line))

    def _containers_line(self, item_line: int) -> int | None:
        """1-based line of the `containers:` key above a container item."""
        return next((i + 1 for i in range(item_line - 1, -1, -1) if _CONTAINERS.match(self.lines[i])), None)

    def _add_pod_tmp_volume(self, containers_line: int) -> None:
        line = self.lines[containers_line - 1]
        indent = len(line) - len(line.lstrip(" "))
        volumes = self._find_key_in_mapping(containers_line, indent, "volumes")
        entry = ["- name: mcpharden-tmp", "  emptyDir: {}"]
        if volumes is None:
            self.lines[containers_line - 1 : containers_line - 1] = [" " * indent + "volumes:"] + [" " * (indent + 2) + e for e in entry]
        elif not any("name: mcpharden-tmp" in l for l in self.lines[volumes : self._block_end(volumes, indent - 1)]):
            child = self._indent_after(volumes)
            self.lines[volumes:volumes] = [" " * child + e for e in entry]

    def _find_key_in_mapping(self, line_number: int, indent: int, key: str) -> int | None:
        """A sibling `key:` of the key at line_number (same indentation, same mapping)."""
        for direction in (-1, 1):
            index = line_number - 1 + direction
            while 0 <= index < len(self.lines):
                line = self.lines[index]
                stripped = line.strip()
                current = len(line) - len(line.lstrip(" "))
                if stripped and not stripped.startswith("#"):
                    if current < indent or stripped == "---":
                        break
                    if current == indent and stripped.startswith(key + ":"):
                        return index + 1
                index += direction
        return None

    def _block_end(self, line_number: int, deeper_than: int) -> int:
        """0-based index just past the block after line_number: the lines indented deeper
        than `deeper_than` (trailing blank lines stay outside)."""
        index = line_number
        while index < len(self.lines):
            line = self.lines[index]
            stripped = line.strip()
            if stripped and not stripped.startswith("#") and (len(line) - len(line.lstrip(" ")) <= deeper_than or stripped == "---"):
                break
            index += 1
        while index > line_number and not self.lines[index - 1].strip():
            index -= 1
        return index

    def _find_key(self, start: int, indent: int, key: str) -> int | None:
        """1-based line of `key:` at `indent` in the mapping that line `start` opens or
        begins: the line itself when it is a list item (`- key: ...`), then the lines after
        it down to the first one indented less. A compact list under a sibling key (`ports:`
        then `- containerPort` in the same column) belongs to that key and is passed over."""
        opening = self.lines[start - 1].strip()
        if opening.startswith("- ") and opening[2:].lstrip().startswith(key + ":"):
            return start
        for index in range(start, len(self.lines)):
            line = self.lines[index]
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            current = len(line) - len(line.lstrip(" "))
            if current < indent or stripped == "---":
                return None
            if current == indent and stripped.startswith(key + ":"):
                return index + 1
        return None

    def _indent_after(self, line_number: int) -> int:
        """Indentation of the children of the key at line_number; a compact list
        (`volumes:` then `- name:` at the same column) keeps its items' column."""
        parent = len(self.lines[line_number - 1]) - len(self.lines[line_number - 1].lstrip(" "))
        for line in self.lines[line_number:]:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                indent = len(line) - len(line.lstrip(" "))
                if indent > parent or (indent == parent and stripped.startswith("- ")):
                    return indent
                return parent + 2
        return parent + 2

    def _run_arguments(self, spec: ContainerSpec, rules: list[str]) -> None:
        """Insert the flags right after the `"run"` argument of this server."""
        flags = [flag.replace("{user}", _runtime_user(spec) or "") for rule in rules for flag in _run_flags(rule, self.needs.get(spec.line))]
        for index in range(spec.line - 1, len(self.lines)):
            match = _RUN_TOKEN.search(self.lines[index])
            if match:
                quote = match.group(1)
                inserted = "".join(f", {quote}{flag}{quote}" for flag in flags)
                line = self.lines[index]
                self.lines[index] = line[: match.end()] + inserted + line[match.end() :]
                return
        self.decisions.extend(Decision(self.path, spec.line, rule, "no `run` argument found: add the flags by hand") for rule in rules)


def _owner(finding: Finding, specs: list[ContainerSpec]) -> int | None:
    """The line of the spec a finding lies in: the last one of its file that starts at or above it."""
    lines = [s.line for s in specs if s.path == finding.path and s.line <= finding.line]
    return max(lines) if lines else None


def _blocker(rule: str, needs: StartNeeds | None) -> str | None:
    """Why a hardening rule's edit would break the service (fixes.startup), if it would."""
    if needs is None:
        return None
    return {"root-user": needs.user_blocker, "capabilities-not-dropped": needs.capabilities_blocker,
            "root-filesystem-writable": needs.read_only_blocker}.get(rule, lambda: None)()


def _run_flags(rule: str, needs: StartNeeds | None) -> list[str]:
    """The `docker run` flags of a hardening rule, with what the server needs to keep working."""
    flags = list(_RUN_FLAGS[rule])
    if needs is not None and rule == "capabilities-not-dropped" and needs.low_ports:
        flags += ["--cap-add", "NET_BIND_SERVICE"]
    if needs is not None and rule == "root-filesystem-writable":
        flags += [word for path in needs.tmpfs for word in ("--tmpfs", path)]
    return flags


# What a hardening edit must have achieved, read back from the fixed file's own specs.
_ACHIEVED = {
    "capabilities-not-dropped": lambda spec: "ALL" in (c.upper() for c in spec.cap_drop),
    "root-filesystem-writable": lambda spec: spec.read_only_root,
    "privilege-escalation-allowed": lambda spec: spec.no_new_privileges,
    "root-user": lambda spec: spec.user is not None,
    "seccomp-profile-not-set": lambda spec: spec.seccomp_profile is not None,
}


def unverified(before: list[ContainerSpec], after: list[ContainerSpec], applied: dict[int, set[str]]) -> str | None:
    """Why the fixed file does not read as intended (None when it does): the same containers,
    in the same order, with nothing weakened, and every edit that was made in effect."""
    if [(s.origin, s.name, s.image) for s in before] != [(s.origin, s.name, s.image) for s in after]:
        return "its containers would read differently"
    for old, new in zip(before, after):
        added = tuple(c for c in new.cap_add if c.upper() != "NET_BIND_SERVICE" or c in old.cap_add)  # the one a fix may add
        kept = (old.privileged, old.cap_add, old.host_network, old.host_pid, old.host_ipc, old.devices)
        if kept != (new.privileged, added, new.host_network, new.host_pid, new.host_ipc, new.devices):
            return f"{old.where} would change in other ways"
        if not {(m.source, m.target, m.kind) for m in old.mounts} <= {(m.source, m.target, m.kind) for m in new.mounts}:
            return f"{old.where} would lose a mount"
        missed = [rule for rule in sorted(applied.get(old.line, ())) if not _ACHIEVED[rule](new)]
        if missed:
            return f"{old.where} would still be reported for {', '.join(missed)}"
    return None
