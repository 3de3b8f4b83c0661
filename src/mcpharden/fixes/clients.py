"""`mcpharden fix --clients`: harden the MCP client configurations installed for a user.

Per server of every client `scan --clients` reads: a `docker run`/`podman run` server gets the
hardening flags before its image (a read-only root with a tmpfs for /tmp, every capability
dropped, no-new-privileges, a memory and a pids limit unless set), its ports bound to 127.0.0.1,
`:ro` on the mounts of a server known to only read them; a server started on the host (`npx -y`,
`uvx`) becomes its published image when one is known (knowledge/clients.toml), mounting only the
folders its arguments name. A literal credential moves to the client's own reference (VS Code
inputs, `${env:NAME}` in Cursor, `${NAME}` in Claude Code's .mcp.json) or, where the client has
none, out of the `docker run` arguments into the `env` map, and every one is named for rotation.

JSON and JSON-with-comments files (syntax.jsonspans), Codex's TOML and Continue's YAML are edited
value by value, so comments and formatting outside the changed values stay; the result must load
as the same servers again."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from mcpharden.fixes import Decision, Edit, FilePlan
from mcpharden.syntax.jsonspans import JsonSpanError, Node, parse_spans
from mcpharden.syntax.text import split_lines

_RUNTIMES = ("docker", "podman")


@dataclass(frozen=True)
class ClientFixReport:
    root: Path
    plans: tuple[FilePlan, ...]
    decisions: tuple[Decision, ...]  # what was left, and what the user must do (rotate, export)


def plan_client_fixes(home: Path) -> ClientFixReport:
    """The fix of every client configuration found under `home`, as plans on paths relative to it."""
    from mcpharden.knowledge.clients import home_locations
    from mcpharden.sources.discovery import RepoReader

    reader = RepoReader(home)
    plans: list[FilePlan] = []
    decisions: list[Decision] = []
    seen: set[str] = set()
    for client, pattern in home_locations():
        for match in sorted(home.glob(pattern)):
            relative = match.relative_to(home).as_posix()
            if relative in seen:
                continue
            seen.add(relative)
            if match.is_symlink():
                decisions.append(Decision(relative, 1, "", "is a symlink: not written through; fix the file it points to"))
                continue
            source = reader.read_source(relative)
            if source is None:
                continue
            plan, told = _fix_file(relative, source, client, home)
            decisions.extend(told)
            if plan is not None:
                plans.append(plan)
    return ClientFixReport(home, tuple(plans), tuple(decisions))


def _fix_file(path: str, source, client: str, home: Path) -> tuple[FilePlan | None, list[Decision]]:
    if path.endswith(".toml"):
        editor = _TomlEditor(path, source.text, Node(0, len(source.text), kind="object"), client, home)
    elif path.endswith((".yaml", ".yml")):
        editor = _YamlEditor(path, source.text, Node(0, len(source.text), kind="object"), client, home)
    elif path.endswith((".json", ".jsonc")):
        try:
            document = parse_spans(source.text)
        except (JsonSpanError, IndexError) as error:
            return None, [Decision(path, 1, "", f"not fixed: it does not read as JSON with comments ({error})")]
        editor = _JsonEditor(path, source.text, document, client, home)
    else:
        return None, []
    editor.fix()
    fixed = editor.fixed_text()
    if fixed == source.text:  # a second run: nothing left to change (what is still told stays true)
        return None, editor.decisions
    problem = _unverified(path, source.parsable, fixed, client)
    if problem:
        return None, [Decision(path, 1, "", f"not fixed: the fixed file was checked and {problem}; harden it by hand")]
    # One edit over the whole file, split where FilePlan splits it (the diff shows only what changed).
    plan = FilePlan(path, source.text, (Edit(1, len(split_lines(source.text, "yaml")), tuple(split_lines(fixed, "yaml")),
                                             "client-hardening"),), "yaml", source.bom)
    return plan, editor.decisions


def _unverified(path: str, before: str, after: str, client: str) -> str | None:
    """Why the fixed text does not load as the same servers, hardened (None when it does)."""
    from mcpharden.knowledge.clients import ClientFile
    from mcpharden.sources.clients import parse_client_file
    from mcpharden.syntax.yamlnodes import YamlError

    try:
        _, old = parse_client_file(path, before, ClientFile(client, False))
        _, new = parse_client_file(path, after, ClientFile(client, False))
    except (YamlError, ValueError) as error:
        return f"it would not load ({error})"
    if [s.name for s in old] != [s.name for s in new]:
        return "its servers would read differently"
    return None


def _entries(document: Node):
    """(server name, entry node) for every server of the layouts sources.clients reads."""
    if document.kind != "object":
        return
    holders = [document.get("mcpServers"), document.get("servers"), document.get("context_servers"), document.get("mcp.servers")]
    mcp = document.get("mcp")
    if mcp is not None and mcp.kind == "object":
        holders.append(mcp.get("servers"))
    projects = document.get("projects")
    if projects is not None and projects.kind == "object":
        holders += [project.get("mcpServers") for _, _, project in projects.members if project.kind == "object"]
    for holder in holders:
        if holder is not None and holder.kind == "object":
            for name, _, entry in holder.members:
                if entry.kind == "object":
                    yield name, entry


class _JsonEditor:
    def __init__(self, path: str, text: str, document: Node, client: str, home: Path) -> None:
        self.path, self.text, self.document, self.client = path, text, document, client
        self.home = home  # `~/` in a host server's folder arguments: docker needs the absolute path
        self.replacements: list[tuple[int, int, str]] = []
        self.decisions: list[Decision] = []
        self.inputs: list[dict] = []  # VS Code inputs to add

    def line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def tell(self, node: Node, message: str, rule: str = "") -> None:
        self.decisions.append(Decision(self.path, self.line(node.start), rule, message))

    def fixed_text(self) -> str:
        text = self.text
        for start, end, new in sorted(self.replacements, reverse=True):
            text = text[:start] + new + text[end:]
        return text

    def fix(self) -> None:
        for name, entry in _entries(self.document):
            self._server(name, entry)
        if self.inputs:
            self._add_inputs()

    # One server ------------------------------------------------------------------------------------

    def _server(self, name: str, entry: Node, command_key: str = "command") -> None:
        from mcpharden.knowledge.clients import published_image
        from mcpharden.sources.runargs import run_arguments

        command = entry.get(command_key)
        if command is not None and command.kind == "object" and command_key == "command":
            self._server(name, command, "path")  # Zed: "command": {"path": ..., "args": [...], "env": {...}}
            return
        args_node = entry.get("args")
        if command is None or not isinstance(command.value, str) or (args_node is not None and args_node.kind != "array"):
            return  # a remote server (url), or nothing to start
        if args_node is not None and any(item.kind != "scalar" or not isinstance(item.value, str) for item in args_node.items):
            self.tell(entry, f"server `{name}`: its args are not all strings: left as it is")
            return
        if args_node is not None and re.search(r"//|/\*", _without_strings(self.text[args_node.start:args_node.end])):
            self.tell(entry, f"server `{name}`: its args hold comments: harden it by hand, so that they are not lost")
            return
        args = [item.value for item in args_node.items] if args_node is not None else []
        env_node = entry.get("env")
        env = {key: value.value for key, _, value in env_node.members} if env_node is not None and env_node.kind == "object" else {}
        program = command.value.rsplit("/", 1)[-1]
        new_command = command.value
        if run_arguments([command.value, *args]) is None:
            if program in _RUNTIMES:
                return  # `docker compose`, `docker mcp gateway`: not a server run by the client itself
            image = published_image(tuple(args))
            if image is None:
                self._host_without_image(name, entry, command.value, args)
                return
            new_command, args = "docker", self._containerised(name, entry, args, image, env)
        args = self._harden(name, entry, args)
        args, env_changes = self._credentials(name, entry, args, env)
        if new_command != command.value:
            self.replacements.append((command.start, command.end, json.dumps(new_command)))
        if args_node is not None and args != [item.value for item in args_node.items]:
            self._edit_array(args_node, args)
        elif args_node is None and args:
            self.tell(entry, f"server `{name}`: no args array to edit: left as it is")
            return
        if env_changes:
            self._write_env(entry, env_node, env_changes)

    def _host_without_image(self, name: str, entry: Node, command: str, args: list[str]) -> None:
        package = next((a for a in args if not a.startswith("-")), command)
        base = "python:3.13-slim" if command.rsplit("/", 1)[-1] in ("uvx", "uv", "pipx", "python", "python3") else "node:22-alpine"
        self.tell(entry, f"server `{name}` runs on the host with your account and no published image of `{package}` is "
                         f"known: build one (FROM {base}, install the package at a pinned version, USER a non-root user) and "
                         "run it with docker run --rm -i --read-only --cap-drop ALL --security-opt no-new-privileges, "
                         "mounting only the folders it needs", "server-not-in-container")

    def _containerised(self, name: str, entry: Node, args: list[str], image: str, env: dict) -> list[str]:
        """`npx -y @scope/server /a/b ~/c` → `run -i --rm [-e NAME...] -v /a/b:/projects/b[:ro] ... IMAGE /projects/b ...`."""
        from mcpharden.knowledge.client_fixes import only_reads, table

        words = list(args)
        package_index = next(i for i, a in enumerate(words) if _package_of(a) in _package_names(image))
        package = words[package_index]
        rest = words[package_index + 1:]
        root = table()["mounts"]["container_root"]
        read_only = only_reads(_package_of(package))
        mounts: list[str] = []
        mapped: list[str] = []
        for word in rest:
            if word.startswith(("/", "~/")):
                source = str(self.home.absolute() / word[2:]) if word.startswith("~/") else word
                target = f"{root}/{posixpath.basename(word.rstrip('/')) or 'root'}"
                mounts += ["-v", f"{source}:{target}{':ro' if read_only else ''}"]
                mapped.append(target)
            else:
                mapped.append(word)
        passed = [flag for key in env for flag in ("-e", key)]
        self.tell(entry, f"server `{name}` ran `{package}` on the host with your account: it now runs the published image "
                         f"{image}, with {'only ' + ', '.join(m.split(':')[0] for m in mounts[1::2]) if mounts else 'no host folder'} mounted"
                         + ("" if read_only or not mounts else " (writable: it is not known to only read there; add :ro if it does)"),
                  "server-not-in-container")
        return ["run", "-i", "--rm", *passed, *mounts, image, *mapped]

    def _harden(self, name: str, entry: Node, args: list[str]) -> list[str]:
        """Flags before the image, ports on 127.0.0.1, `:ro` where the server only reads."""
        from mcpharden.fixes.startup import spec_needs
        from mcpharden.knowledge.client_fixes import only_reads, table
        from mcpharden.sources.runargs import parse_run, run_arguments

        arguments = run_arguments(["docker", *args])
        spec = parse_run(arguments, self.path, "client-config", self.line(entry.start), name)
        run_at = args.index("run")
        needs = spec_needs(spec)
        flags = []
        limits = table()["limits"]
        read_only_blocker, caps_blocker = needs.read_only_blocker(), needs.capabilities_blocker()
        if not spec.read_only_root and read_only_blocker:
            self.tell(entry, f"server `{name}`: --read-only not added: {read_only_blocker}", "root-filesystem-writable")
        elif not spec.read_only_root:
            flags += ["--read-only", "--tmpfs", "/tmp"]
        if "ALL" not in (c.upper() for c in spec.cap_drop) and caps_blocker:
            self.tell(entry, f"server `{name}`: --cap-drop ALL not added: {caps_blocker}", "capabilities-not-dropped")
        elif "ALL" not in (c.upper() for c in spec.cap_drop):
            flags += ["--cap-drop", "ALL"]
        if not spec.no_new_privileges:
            flags += ["--security-opt", "no-new-privileges"]
        added_limits = []
        if spec.memory_limit is None:
            flags += ["--memory", limits["memory"]]
            added_limits.append(f"--memory {limits['memory']}")
        if spec.pids_limit is None:
            flags += ["--pids-limit", limits["pids"]]
            added_limits.append(f"--pids-limit {limits['pids']}")
        if added_limits:
            self.tell(entry, f"server `{name}`: added {' and '.join(added_limits)}: raise them in its args if the server "
                             "needs more (--memory 1g, --pids-limit 256)", "no-resource-limits")
        words = args[:run_at + 1] + flags + args[run_at + 1:]
        image = spec.image.resolved if spec.image else ""
        reads = bool(image) and only_reads(image)
        for index, word in enumerate(words):
            option = words[index - 1] if index else ""
            if option in ("-p", "--publish"):
                words[index] = _loopback(word)
            elif word.startswith(("-p=", "--publish=")):
                head, _, value = word.partition("=")
                words[index] = f"{head}={_loopback(value)}"
            elif option in ("-v", "--volume") and word.count(":") >= 1 and not word.startswith("/var/run/docker"):
                if reads and not re.search(r":(ro|readonly)(,|$)", word.split(":", 2)[-1] if word.count(":") >= 2 else ""):
                    words[index] = word + ":ro"
                elif not reads and not word.endswith(":ro") and word.split(":", 1)[0].startswith(("/", "~", ".", "$")):
                    self.tell(entry, f"server `{name}`: the mount of {word.split(':', 1)[0]} stays writable: the server is "
                                     "not known to only read there (add :ro if it does)", "writable-host-mount")
        return words

    def _credentials(self, name: str, entry: Node, args: list[str], env: dict) -> tuple[list[str], dict[str, str]]:
        """Literal credentials out of the arguments (into `env`) and, where the client has one, to its reference."""
        from mcpharden.knowledge.client_fixes import reference_for
        from mcpharden.knowledge.credentials import credential_kind, is_placeholder

        reference = reference_for(self.client, self.path)
        changes: dict[str, str] = {}
        words = list(args)
        index = 0
        while index < len(words):
            word = words[index]
            if word in ("-e", "--env") and index + 1 < len(words) and "=" in words[index + 1]:
                key, _, value = words[index + 1].partition("=")
                if credential_kind(key, value):
                    words[index + 1] = key
                    changes[key] = value
                index += 2
                continue
            if word.startswith("--env=") and "=" in word[6:]:
                key, _, value = word[6:].partition("=")
                if credential_kind(key, value):
                    words[index] = f"--env={key}"
                    changes[key] = value
            index += 1
        for key, value in env.items():
            if isinstance(value, str) and key not in changes and credential_kind(key, value) and not is_placeholder(value):
                changes[key] = value
        written: dict[str, str] = {}
        for key, value in changes.items():
            in_args = key not in env or env.get(key) != value
            if reference is not None:
                identifier = re.sub(r"[^a-z0-9]+", "-", f"{name}-{key}".lower()).strip("-")
                written[key] = reference["template"].format(id=identifier, name=key)
                if reference["kind"] == "input":
                    self.inputs.append({"type": "promptString", "id": identifier, "password": True,
                                        "description": f"{key} for the {name} MCP server"})
                    where = "VS Code asks for it once and keeps it in its secret storage"
                else:
                    where = f"set {key} in the environment {self.client} starts from"
                self.tell(entry, f"server `{name}`: {key} now comes from {written[key]} ({where}); rotate the value that "
                                 "was in this file", "secret-in-run-config")
            else:
                written[key] = value
                moved = "moved out of the docker run arguments (which `ps` shows) into the env map; " if in_args else ""
                self.tell(entry, f"server `{name}`: {key} {moved or 'is in the env map, and '}its value still sits in this file "
                                 f"({self.client} has no reference for it): rotate it and keep the file private",
                          "secret-in-run-config")
        return words, written

    # Writing ---------------------------------------------------------------------------------------

    def _edit_array(self, node: Node, words: list[str]) -> None:
        """Make the array hold `words`, item by item where it can (a changed item in its place, new
        items after the one they follow, on its line), so the user's grouping of items stays."""
        from difflib import SequenceMatcher

        old = [item.value for item in node.items]
        edits: list[tuple[int, int, str]] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, words, autojunk=False).get_opcodes():
            new = [json.dumps(word, ensure_ascii=False) for word in words[j1:j2]]
            if tag == "equal":
                continue
            if tag == "replace" and i2 - i1 == j2 - j1:
                edits += [(node.items[i].start, node.items[i].end, text) for i, text in zip(range(i1, i2), new)]
            elif tag == "insert" and i1 > 0:
                at = node.items[i1 - 1].end
                edits.append((at, at, "".join(f", {text}" for text in new)))
            else:  # a deletion or an uneven replacement: the array is written anew
                self.replacements.append((node.start, node.end, self._array(node, words)))
                return
        self.replacements.extend(edits)

    def _array(self, node: Node, words: list[str]) -> str:
        """`words` as a JSON array written the way `node` was: on one line, or one item per line."""
        original = self.text[node.start:node.end]
        rendered = [json.dumps(word, ensure_ascii=False) for word in words]
        if "\n" not in original or not node.items:
            return "[" + ", ".join(rendered) + "]"
        first = node.items[0].start
        item_indent = first - (self.text.rfind("\n", 0, first) + 1)
        closing = node.end - 1
        closing_indent = closing - (self.text.rfind("\n", 0, closing) + 1)
        newline = "\r\n" if "\r\n" in original else "\n"
        trailing = "," if re.search(r",\s*\]$", original) else ""
        return ("[" + newline + ("," + newline).join(" " * item_indent + r for r in rendered) + trailing + newline
                + " " * closing_indent + "]")

    def _write_env(self, entry: Node, env_node: Node | None, changes: dict[str, str]) -> None:
        if env_node is not None and env_node.kind == "object":
            for key, key_node, value in env_node.members:
                if key in changes:
                    self.replacements.append((value.start, value.end, json.dumps(changes.pop(key), ensure_ascii=False)))
            if changes:
                self._insert_members(env_node, changes)
            return
        self._insert_members(entry, {"env": changes})

    def _insert_members(self, node: Node, members: dict) -> None:
        """New members at the end of an object, one per line when its members are, else inline; a
        trailing comma stays a trailing comma."""
        rendered = [f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}" for k, v in members.items()]
        if not node.members:
            self.replacements.append((node.start, node.end, "{" + ", ".join(rendered) + "}"))
            return
        last = node.members[-1][2]
        comma = re.match(r"\s*,", self.text[last.end:node.end - 1])
        if "\n" in self.text[node.start:node.end]:
            key_start = node.members[-1][1].start
            gap = "\n" + " " * (key_start - (self.text.rfind("\n", 0, key_start) + 1))
        else:
            gap = " "
        if comma:
            self.replacements.append((last.end + comma.end(), last.end + comma.end(), "".join(f"{gap}{r}," for r in rendered)))
        else:
            self.replacements.append((last.end, last.end, "".join(f",{gap}{r}" for r in rendered)))

    def _add_inputs(self) -> None:
        inputs = self.document.get("inputs")
        existing = {item.get("id").value for item in inputs.items if item.kind == "object" and item.get("id") is not None} \
            if inputs is not None and inputs.kind == "array" else set()
        new = [entry for entry in self.inputs if entry["id"] not in existing]
        if not new:
            return
        rendered = [json.dumps(entry, ensure_ascii=False) for entry in new]
        if inputs is not None and inputs.kind == "array":
            if inputs.items:
                last = inputs.items[-1]
                self.replacements.append((last.end, last.end, "".join(f", {r}" for r in rendered)))
            else:
                self.replacements.append((inputs.start, inputs.end, "[" + ", ".join(rendered) + "]"))
            return
        first = self.document.members[0][1].start if self.document.members else None
        if first is None:
            return
        indent = first - (self.text.rfind("\n", 0, first) + 1)
        joiner = "\n" + " " * indent if "\n" in self.text[self.document.start:first] else " "
        self.replacements.append((first, first, f'"inputs": [{", ".join(rendered)}],{joiner}'))


def _package_of(word: str) -> str:
    """`@scope/pkg@1.2` → `@scope/pkg`; `pkg@latest` → `pkg`; `@scope/pkg` stays."""
    return word.rsplit("@", 1)[0] if word.count("@") > (1 if word.startswith("@") else 0) else word


def _package_names(image: str) -> set[str]:
    from mcpharden.knowledge import load_table

    return {package for package, published in load_table("clients.toml")["published_images"].items() if published == image}


def _loopback(value: str) -> str:
    """`3000:3000` or `0.0.0.0:3000:3000` → `127.0.0.1:3000:3000`; a bare container port or an
    address already given stays."""
    parts = value.split(":")
    if len(parts) == 2 and parts[0]:
        return f"127.0.0.1:{value}"
    if len(parts) == 3 and parts[0] in ("0.0.0.0", ""):
        return f"127.0.0.1:{parts[1]}:{parts[2]}"
    return value


def _without_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


_TOML_TABLE = re.compile(r"^[ \t]*\[", re.M)
_TOML_SERVER = re.compile(r'^[ \t]*\[mcp_servers\.("?)([^"\]]+)\1\][ \t]*(?:#.*)?$', re.M)
_TOML_STRING = r'"(?:[^"\\\n]|\\.)*"'


class _TomlEditor(_JsonEditor):
    """Codex's config.toml: each `[mcp_servers.NAME]` table read into the nodes the JSON editor
    works on (its `command` string, its one `args` array of basic strings, its `env`), so the same
    edits apply value by value; what TOML writes differently (the env table) is written here."""

    def fix(self) -> None:
        text = self.text
        tables = [m.start() for m in _TOML_TABLE.finditer(text)]
        for header in _TOML_SERVER.finditer(text):
            name = header.group(2)
            end = next((t for t in tables if t > header.end()), len(text))
            entry = Node(header.start(), end, kind="object")
            body_start = header.end()
            command = re.compile(rf"^[ \t]*command[ \t]*=[ \t]*({_TOML_STRING})", re.M).search(text, body_start, end)
            if command is None:
                continue
            entry.members.append(("command", Node(command.start(), command.start()), Node(command.start(1), command.end(1),
                                                                                            json.loads(command.group(1)))))
            args = re.compile(r"^[ \t]*args[ \t]*=[ \t]*\[", re.M).search(text, body_start, end)
            if args is not None:
                node = self._array_at(args.end() - 1, end)
                if node is None:
                    self.tell(entry, f"server `{name}`: its args are not a plain array of \"strings\": harden it by hand")
                    continue
                entry.members.append(("args", Node(args.start(), args.start()), node))
            self.args_line_end = text.find("\n", entry.get("args").end if entry.get("args") else command.end())
            self.env_table = self._env_table(name, tables)
            inline_env = re.compile(r"^[ \t]*env[ \t]*=", re.M).search(text, body_start, end)
            self.inline_env = inline_env is not None
            if self.env_table is not None:
                entry.members.append(("env", Node(self.env_table.start, self.env_table.start), self.env_table))
            self._server(name, entry)

    def _array_at(self, start: int, limit: int) -> Node | None:
        """The array that opens at `start`, read as JSON (TOML's basic strings are JSON strings)."""
        depth, index, text = 0, start, self.text
        while index < limit:
            char = text[index]
            if char == '"':
                match = re.compile(_TOML_STRING).match(text, index)
                if match is None:
                    return None
                index = match.end()
                continue
            if char in "#'":
                return None  # a comment or a literal string: not read as JSON
            depth += {"[": 1, "]": -1}.get(char, 0)
            index += 1
            if depth == 0:
                try:
                    node = parse_spans(text[start:index])
                except (JsonSpanError, IndexError):
                    return None
                _shift(node, start)
                return node
        return None

    def _env_table(self, name: str, tables: list[int]) -> Node | None:
        """`[mcp_servers.NAME.env]` with its `KEY = "value"` lines, as an object node."""
        header = re.compile(rf'^[ \t]*\[mcp_servers\.("?){re.escape(name)}\1\.env\][ \t]*(?:#.*)?$', re.M).search(self.text)
        if header is None:
            return None
        end = next((t for t in tables if t > header.end()), len(self.text))
        node = Node(header.start(), end, kind="object")
        for member in re.compile(rf'^[ \t]*("?)([A-Za-z0-9_.-]+)\1[ \t]*=[ \t]*({_TOML_STRING})', re.M).finditer(self.text, header.end(), end):
            node.members.append((member.group(2), Node(member.start(), member.start()),
                                 Node(member.start(3), member.end(3), json.loads(member.group(3)))))
        return node

    def _write_env(self, entry: Node, env_node: Node | None, changes: dict[str, str]) -> None:
        lines = [f"{_toml_key(key)} = {json.dumps(value, ensure_ascii=False)}" for key, value in changes.items()]
        if env_node is not None:
            for key, _, value in env_node.members:
                if key in changes:
                    self.replacements.append((value.start, value.end, json.dumps(changes[key], ensure_ascii=False)))
            known = {key for key, _, _ in env_node.members}
            new = [line for key, line in zip(changes, lines) if key not in known]
            if new:
                at = self.text.find("\n", env_node.members[-1][2].end if env_node.members else env_node.start)
                at = len(self.text) if at < 0 else at
                self.replacements.append((at, at, "".join("\n" + line for line in new)))
            return
        if self.inline_env:
            self.tell(entry, "its env is an inline table: move the credentials named here into it by hand")
            return
        at = len(self.text) if self.args_line_end < 0 else self.args_line_end
        pairs = ", ".join(lines)
        self.replacements.append((at, at, f"\nenv = {{ {pairs} }}"))

    def _add_inputs(self) -> None:  # Codex has no prompted inputs
        return


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _shift(node: Node, offset: int) -> None:
    node.start += offset
    node.end += offset
    for item in node.items:
        _shift(item, offset)
    for _, key, value in node.members:
        _shift(key, offset)
        _shift(value, offset)


class _YamlEditor(_JsonEditor):
    """Continue's YAML: each `mcpServers` item read into the nodes the JSON editor works on, with
    spans found on the lines the YAML composer reports (plain, quoted or flow scalars on one
    line); new items are written in the list's own style, values as double-quoted scalars."""

    def fix(self) -> None:
        from mcpharden.syntax.yamlnodes import YamlError, YamlList, YamlMap, load_documents

        try:
            documents = load_documents(self.text)
        except YamlError as error:
            self.decisions.append(Decision(self.path, 1, "", f"not fixed: it does not parse ({error})"))
            return
        self.lines = self.text.splitlines(keepends=True)
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line))
        servers = documents[0].get("mcpServers") if documents and isinstance(documents[0], YamlMap) else None
        for index, entry in enumerate(servers if isinstance(servers, YamlList) else []):
            if not isinstance(entry, YamlMap) or not isinstance(entry.get("command"), str):
                continue
            name = str(entry.get("name", f"#{index}"))
            node = Node(self._offset(servers.line_of(index)), self._offset(servers.line_of(index)), kind="object")
            command = self._scalar(entry.line_of("command"), "command", entry["command"])
            if command is None:
                self.tell(node, f"server `{name}`: its command is written across lines: harden it by hand")
                continue
            node.members.append(("command", command, command))
            args = entry.get("args")
            if isinstance(args, YamlList):
                array = self._list(entry.line_of("args"), args)
                if array is None:
                    self.tell(node, f"server `{name}`: its args are written in a way the fix does not edit: harden it by hand")
                    continue
                node.members.append(("args", array, array))
            self.key_indent = self._indent(entry.line_of("command"))
            self.after_args = self.offsets[max(args.item_lines or [entry.line_of("args")]) if isinstance(args, YamlList) else
                                           entry.line_of("command")]
            env = entry.get("env")
            if isinstance(env, YamlMap):
                table = Node(self._offset(entry.line_of("env")), self._offset(entry.line_of("env")), kind="object")
                for key, value in env.items():
                    found = self._scalar(env.line_of(key), str(key), value) if isinstance(value, str) else None
                    if found is None:
                        break
                    table.members.append((str(key), found, found))
                else:
                    node.members.append(("env", table, table))
            self._server(name, node)

    def _offset(self, line: int) -> int:
        return self.offsets[min(line, len(self.offsets)) - 1]

    def _indent(self, line: int) -> int:
        text = self.lines[line - 1]
        body = text.lstrip(" ")
        indent = len(text) - len(body)
        return indent + 2 if body.startswith("- ") else indent

    def _scalar(self, line: int, key: str | None, value: str) -> Node | None:
        """The span of a one-line scalar after `key:` (or `- `) on `line`, when it reads back as `value`."""
        import yaml

        text = self.lines[line - 1].rstrip("\r\n")
        head = re.match(rf"^\s*(?:-\s+)?(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*:\s*" if key is not None
                        else r"^\s*-\s+", text)
        if head is None:
            return None
        rest = text[head.end():]
        body = re.sub(r"\s+#.*$", "", rest).rstrip()
        try:
            if yaml.safe_load(body) != value:
                return None
        except yaml.YAMLError:
            return None
        start = self.offsets[line - 1] + head.end()
        return Node(start, start + len(body), value)

    def _list(self, key_line: int, items) -> Node | None:
        """The args list as a node: a one-line flow list after `args:`, or a block list, one item a line."""
        import yaml

        text = self.lines[key_line - 1].rstrip("\r\n")
        flow = re.match(r"^\s*(?:-\s+)?args\s*:\s*(\[.*\])\s*(?:#.*)?$", text)
        if flow is not None:
            start = self.offsets[key_line - 1] + flow.start(1)
            node = Node(start, start + len(flow.group(1)), kind="array")
            node.style = "flow"
            position = flow.start(1) + 1
            for item in items:
                found = re.compile(r"\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^,\]]+?)\s*(?:,|\])").match(text, position)
                if found is None or yaml.safe_load(found.group(1)) != item:
                    return None
                node.items.append(Node(self.offsets[key_line - 1] + found.start(1), self.offsets[key_line - 1] + found.end(1), item))
                position = found.end()
            return node
        node = Node(self.offsets[key_line - 1], self.offsets[key_line - 1], kind="array")
        node.style = "block"
        for line, item in zip(items.item_lines, items):
            found = self._scalar(line, None, str(item)) if isinstance(item, str) else None
            if found is None:
                return None
            node.items.append(found)
        return node if node.items else None

    def _edit_array(self, node: Node, words: list[str]) -> None:
        if getattr(node, "style", "flow") == "flow":
            super()._edit_array(node, words)
            return
        from difflib import SequenceMatcher

        old = [item.value for item in node.items]
        indent = self._indent_of(node.items[0].start)
        edits: list[tuple[int, int, str]] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, words, autojunk=False).get_opcodes():
            new = [json.dumps(word, ensure_ascii=False) for word in words[j1:j2]]
            if tag == "replace" and i2 - i1 == j2 - j1:
                edits += [(node.items[i].start, node.items[i].end, text) for i, text in zip(range(i1, i2), new)]
            elif tag == "insert" and i1 > 0:
                at = node.items[i1 - 1].end
                edits.append((at, at, "".join(f"\n{' ' * indent}- {text}" for text in new)))
            elif tag != "equal":
                edits = None
                break
        if edits is not None:
            self.replacements.extend(edits)
            return
        # Written anew, one item a line in the list's column (its comments would be lost: then by hand).
        first_line = self.text.rfind("\n", 0, node.items[0].start) + 1
        end = node.items[-1].end
        if "#" in re.sub(r'"(?:[^"\\]|\\.)*"', "", self.text[first_line:self.text.find("\n", end) if "\n" in self.text[end:] else len(self.text)]):
            self.tell(node, "its args list holds comments the rewrite would lose: change it by hand")
            return
        self.replacements.append((first_line + indent, end, ("\n" + " " * indent).join(
            f"- {json.dumps(word, ensure_ascii=False)}" for word in words)))

    def _indent_of(self, offset: int) -> int:
        """The column of the `- ` before the item at `offset`."""
        line_start = self.text.rfind("\n", 0, offset) + 1
        return self.text.index("-", line_start) - line_start

    def _write_env(self, entry: Node, env_node: Node | None, changes: dict[str, str]) -> None:
        rendered = {key: json.dumps(value, ensure_ascii=False) for key, value in changes.items()}
        if env_node is not None:
            for key, _, value in env_node.members:
                if key in rendered:
                    self.replacements.append((value.start, value.end, rendered.pop(key)))
            if rendered:
                last = env_node.members[-1][2] if env_node.members else env_node
                at = self.text.find("\n", last.end)
                indent = self.key_indent + 2
                self.replacements.append((at, at, "".join(f"\n{' ' * indent}{key}: {value}" for key, value in rendered.items())))
            return
        at = self.after_args
        lines = "".join(f"{' ' * (self.key_indent + 2)}{key}: {value}\n" for key, value in rendered.items())
        self.replacements.append((at, at, f"{' ' * self.key_indent}env:\n{lines}"))

    def _add_inputs(self) -> None:  # Continue has no prompted inputs
        return
