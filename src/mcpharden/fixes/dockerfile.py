"""Dockerfile fixes for root-user, dev-dependencies-in-runtime, no-healthcheck and
image-not-pinned-by-digest. Edits are placed so that the rest of the file (comments,
ordering, formatting) is untouched, and every RUN step keeps the user it had."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from mcpharden.fixes import Decision, Edit
from mcpharden.knowledge.fixes import table as _table
from mcpharden.model.references import parse_image_name
from mcpharden.model.server import is_server_port
from mcpharden.sources.installs import dev_target_words, installer_of
from mcpharden.syntax.text import content_lines, parsable

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel, Stage
    from mcpharden.model.findings import Finding

FIXABLE_RULES = ("root-user", "dev-dependencies-in-runtime", "no-healthcheck", "image-not-pinned-by-digest", "no-image-scan-in-ci")
# Instructions that only describe how the image starts: new steps go before them.
_TRAILING = frozenset({"CMD", "ENTRYPOINT", "EXPOSE", "HEALTHCHECK", "LABEL", "STOPSIGNAL", "VOLUME", "ENV", "ARG", "USER", "ONBUILD"})


@dataclass(frozen=True)
class Instruction:
    name: str
    start: int
    end: int
    stage: int
    value: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


def instructions_of(text: str) -> list[Instruction]:
    import dockerfile

    found: list[Instruction] = []
    stage = -1
    for command in dockerfile.parse_string(text):
        name = command.cmd.upper()
        if name == "FROM":
            stage += 1
        found.append(Instruction(name, command.start_line, command.end_line, stage, tuple(command.value), tuple(command.flags)))
    return found


class DockerfileFixer:
    def __init__(self, build: BuildModel, text: str, digests: Mapping[str, str], resolve=None) -> None:
        self.build = build
        self.lines = content_lines(text)  # where Docker's parser splits: its line numbers index these
        self.instructions = instructions_of(parsable(text))
        self.digests = digests
        # resolve(reference) -> digest, asked when the map has none (`fix --resolve`).
        self.resolve = resolve
        self.edits: list[Edit] = []
        self.decisions: list[Decision] = []

    def fix(self, findings: list[Finding]) -> tuple[list[Edit], list[Decision]]:
        handlers = {
            "image-not-pinned-by-digest": self._pin,
            "root-user": self._non_root,
            "dev-dependencies-in-runtime": self._prune,
            "no-healthcheck": self._healthcheck,
        }
        for finding in findings:
            if finding.rule_id in handlers:
                handlers[finding.rule_id](finding)
        return self.edits, self.decisions

    def _decide(self, finding: Finding, message: str) -> None:
        self.decisions.append(Decision(finding.path, finding.line, finding.rule_id, message))

    # image-not-pinned-by-digest ---------------------------------------------------------------

    def _pin(self, finding: Finding) -> None:
        use = next((u for u in self.build.image_uses if u.line == finding.line), None)
        if use is None or use.ref.resolved is None:
            return
        written = use.ref.written
        if "$" in written:
            self._decide(finding, f"`{written}` comes from a build argument: pin its default value instead")
            return
        digest = self._digest(finding, use.ref.resolved)
        if digest is None:
            return
        line = self.lines[finding.line - 1]
        pinned = f"{written.split('@', 1)[0]}@{digest}"
        if line.count(written) != 1:
            self._decide(finding, f"`{written}` appears more than once on the line: pin it by hand")
            return
        self.edits.append(Edit(finding.line, finding.line, (line.replace(written, pinned),), finding.rule_id))

    def _digest(self, finding: Finding, reference: str) -> str | None:
        """The digest to pin `reference` to, from the map or else the resolver: the one way a
        digest enters a fix, so it is checked here (a digest is written into the file) whichever
        source gave it. None, with a decision, when there is none that can be written."""
        from mcpharden.fixes.digests import digest_problem

        digest, source = self._digest_for(reference), "the --digests map"
        if digest is None and self.resolve is not None:
            source = "the registry"
            try:
                digest = self.resolve(reference)
            except Exception as error:  # RegistryError, or anything the network throws
                self._decide(finding, f"could not resolve `{reference}`: {error}")
                return None
        if digest is None:
            self._decide(finding, f"no digest known for `{reference}`: pass --digests FILE or --resolve")
            return None
        problem = digest_problem(digest)
        if problem is not None:
            self._decide(finding, f"not pinned: the digest {source} gave for `{reference}` is {problem}")
            return None
        return digest

    def _digest_for(self, reference: str) -> str | None:
        name = parse_image_name(reference)
        candidates = (reference, f"{name.full_name}:{name.tag or 'latest'}", f"{name.repository}:{name.tag or 'latest'}")
        for candidate in candidates:
            if candidate in self.digests:
                return self.digests[candidate]
        return None

    # root-user ---------------------------------------------------------------------------------

    def _non_root(self, finding: Finding) -> None:
        final = self.build.final
        base = self.build.root_base(final)
        name = base.name
        if final.profile.family == "distroless" and name is not None and final.parent is None:
            self._distroless_tag(finding, final, name.tag or "latest")
            return
        plan = self._user_plan(final)
        if plan is None:
            self._decide(finding, f"the base image {base.display} is not in the base-image table: "
                                  "choose a non-root user it provides and add `USER` by hand")
            return
        create, user = plan
        owner = user if ":" in user else f"{user}:{user}"
        volumes = self._volumes(final.index)
        if volumes and not final.profile.shell:
            self._decide(finding, f"VOLUME {' '.join(volumes)} must be writable by the new user: create it owned by "
                                  f"{owner} in a build stage and COPY it with --chown")
            return
        self._chown_copies_into(final.index, volumes, owner, finding.rule_id)
        prepare = [f"mkdir -p {' '.join(volumes)}", f"chown {owner} {' '.join(volumes)}"] if volumes else []
        steps = [c for c in (create, *prepare) if c]
        lines = ([f"RUN {' && '.join(steps)}"] if steps else []) + [f"USER {user}"]
        # After every building step (they keep running as root) and after any USER already
        # in the trailing block, so that ours is the last USER.
        users = [i.end + 1 for i in self.instructions if i.stage == final.index and i.name == "USER"]
        at = max([self._insertion_point(final.index), *users])
        self.edits.append(Edit(at, at - 1, tuple(lines), finding.rule_id))

    def _volumes(self, stage_index: int) -> list[str]:
        """VOLUME paths of a stage: the server writes there, so its user must own them."""
        paths = []
        for instruction in self.instructions:
            if instruction.stage == stage_index and instruction.name == "VOLUME":
                paths.extend(v for v in instruction.value if v.startswith("/"))
        return paths

    def _chown_copies_into(self, stage_index: int, volumes: list[str], owner: str, rule_id: str) -> None:
        """COPY/ADD whose destination lies in a VOLUME get --chown (the files must be writable)."""
        for instruction in self.instructions:
            if instruction.stage != stage_index or instruction.name not in ("COPY", "ADD") or not instruction.value:
                continue
            destination = instruction.value[-1].rstrip("/") or "/"
            inside = any(destination == v.rstrip("/") or destination.startswith(v.rstrip("/") + "/") for v in volumes)
            if inside and not any(f.startswith("--chown") for f in instruction.flags):
                line = self.lines[instruction.start - 1]
                keyword = line.split(None, 1)[0]
                self.edits.append(Edit(instruction.start, instruction.start, (line.replace(keyword, f"{keyword} --chown={owner}", 1),), rule_id))

    def _distroless_tag(self, finding: Finding, final: Stage, tag: str) -> None:
        table = _table()["distroless_nonroot_tags"]
        arch = ""
        for suffix in ("-amd64", "-arm64", "-arm", "-s390x", "-ppc64le"):
            if tag.endswith(suffix):
                tag, arch = tag[: -len(suffix)], suffix
        if tag not in table:
            self._decide(finding, f"distroless tag `{tag}` has no known :nonroot variant")
            return
        written = final.base.written
        if "@" in written or "$" in written:
            self._decide(finding, f"use the :{table[tag]}{arch} tag of {written} (and its digest)")
            return
        image = written.rsplit(":", 1)[0] if ":" in written.rsplit("/", 1)[-1] else written
        line = self.lines[final.line - 1]
        self.edits.append(Edit(final.line, final.line, (line.replace(written, f"{image}:{table[tag]}{arch}", 1),), finding.rule_id))

    def _user_plan(self, stage: Stage) -> tuple[str, str] | None:
        name = self.build.root_base(stage).name
        full_name = name.full_name if name else ""
        for plan in _table()["users"].values():
            if any(fnmatchcase(full_name, parse_image_name(p).full_name) for p in plan.get("images", ())) or \
                    stage.profile.family in plan.get("families", ()):
                return plan["create"], plan["user"]
        return None

    def _insertion_point(self, stage_index: int) -> int:
        """The line before which new steps go: after the stage's last building instruction,
        before the trailing CMD/ENTRYPOINT/EXPOSE/... block."""
        stage = [i for i in self.instructions if i.stage == stage_index]
        building = [i for i in stage if i.name not in _TRAILING or i.name == "FROM"]
        last = building[-1]
        following = [i for i in stage if i.start > last.end]
        return following[0].start if following else last.end + 1

    # dev-dependencies-in-runtime ---------------------------------------------------------------

    def _prune(self, finding: Finding) -> None:
        details = dict(finding.details)
        manager = details.get("manager", "")
        directory = details.get("directory", "")
        if self._production_flag(finding, manager):
            return
        template = _table()["prune"].get(manager)
        if template is None or self._installed_by_targets(finding):
            self._decide(finding, f"{manager} installs cannot be pruned in place: install only production "
                                  "requirements in the stage that ships")
            return
        stage, directory = self._stage_holding(finding, directory)
        project = posixpath.dirname(directory.rstrip("/"))
        command = template.replace("{dir}", project or "/")
        at = self._insertion_point(stage)
        if any(e.start == at and f"RUN {command}" in e.lines for e in self.edits):
            return
        self.edits.append(Edit(at, at - 1, (f"RUN {command}",), finding.rule_id))

    def _production_flag(self, finding: Finding, manager: str) -> bool:
        """Make the final stage's install production-only when it is the last command of the
        stage's last RUN (nothing after it can need the dev tools): a production flag after
        the installer's subcommand, or, for pip-like installs, the dev targets dropped."""
        located = self._last_install(finding)
        if located is None:
            return False
        install, run = located
        words = tuple(install.command.split())
        grammar = installer_of(words)
        if grammar is None:
            return False
        spec, end = grammar
        if spec.judged_by_targets:
            return self._drop_dev_targets(finding, words, run)
        flag = _table()["production_flags"].get(spec.manager)
        if flag is None:
            return False
        head = " ".join(words[:end])
        for number in range(run.end, run.start - 1, -1):
            line = self.lines[number - 1]
            position = line.rfind(head)
            if position >= 0:
                cut = position + len(head)
                self.edits.append(Edit(number, number, (line[:cut] + f" {flag}" + line[cut:],), finding.rule_id))
                return True
        return False

    def _installed_by_targets(self, finding: Finding) -> bool:
        """Whether the install at the finding is pip-like (what it names decides dev or not):
        no prune command undoes that, so it is left to a person."""
        for stage in self.build.stages:
            for dependency in stage.dependencies:
                if dependency.install.line == finding.line and dependency.arrived_via is None:
                    grammar = installer_of(tuple(dependency.install.command.split()))
                    return grammar is not None and grammar[0].judged_by_targets
        return False

    def _last_install(self, finding: Finding):
        """The final stage's dev install at the finding's line, and its RUN, when it is the
        last command of the stage's last RUN."""
        final = self.build.final
        install = next((d.install for d in final.dependencies if d.includes_dev and d.arrived_via is None
                        and d.install.line == finding.line), None)
        runs = [i for i in self.instructions if i.stage == final.index and i.name == "RUN"]
        last = runs[-1] if runs else None
        if install is None or last is None or not (last.start <= install.line <= last.end):
            return None
        command_text = " ".join(self.lines[last.start - 1 : last.end]).replace("\\", " ")
        if not " ".join(command_text.split()).rstrip().endswith(" ".join(install.command.split())):
            return None  # something follows the install in the same RUN
        return install, last

    def _drop_dev_targets(self, finding: Finding, words: tuple[str, ...], run: Instruction) -> bool:
        """`pip install -r requirements.txt -r requirements-dev.txt .[dev]` → `... -r requirements.txt .`"""
        drop, rewrite, refusal = dev_target_words(words)
        if refusal:
            self._decide(finding, refusal)
            return True
        edited = {number: self.lines[number - 1] for number in range(run.start, run.end + 1)}
        for sequence in drop:
            pattern = re.compile(r"[ \t]+" + r"[ \t]+".join(re.escape(w) for w in sequence) + r"(?=[ \t]|\\?$)")
            if not _replace_once(edited, pattern, ""):
                return False  # written across lines or quoted: the prune or a person handles it
        for written, replacement in rewrite:
            pattern = re.compile(r"(?<=[ \t])" + re.escape(written) + r"(?=[ \t]|\\?$)")
            if not _replace_once(edited, pattern, replacement):
                return False
        for number, line in edited.items():
            if line != self.lines[number - 1]:
                self.edits.append(Edit(number, number, (line,), finding.rule_id))
        return True

    def _stage_holding(self, finding: Finding, directory: str) -> tuple[int, str]:
        """Where the dependencies must be pruned: the stage a COPY --from took them from
        (where the package manager is), else the final stage."""
        final = self.build.final
        for copy in final.copies:
            if copy.line == finding.line:
                source = self.build.stages[copy.source_stage]
                # The dependency directory the copy carries, not just any one of that stage.
                carried = [d for d in source.dependencies if d.includes_dev and _within_any(d.directory, copy.sources)]
                for dependency in carried or [d for d in source.dependencies if d.includes_dev]:
                    return source.index, dependency.directory
        return final.index, directory

    # no-healthcheck ----------------------------------------------------------------------------

    def _healthcheck(self, finding: Finding) -> None:
        final = self.build.final
        port = exposed_port(final)
        if port is None:
            self._decide(finding, "no numeric EXPOSE port to probe: add a HEALTHCHECK that checks the server")
            return
        base = self.build.root_base(final)
        command = probe_command(base.resolved, port) if base.resolved else None
        if command is None:
            self._decide(finding, "no runtime in the image to probe the port with: add a small health-check binary")
            return
        line = f"HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD {json.dumps(command)}"
        if final.healthcheck and final.healthcheck.disabled:
            self.edits.append(Edit(final.healthcheck.line, final.healthcheck.line, (line,), finding.rule_id))
            return
        stage = [i for i in self.instructions if i.stage == final.index]
        starts = [i for i in stage if i.name in ("CMD", "ENTRYPOINT")]
        at = starts[0].start if starts else stage[-1].end + 1
        self.edits.append(Edit(at, at - 1, (line,), finding.rule_id))


def _replace_once(lines: dict[int, str], pattern: re.Pattern[str], replacement: str) -> bool:
    """Replace the one match of `pattern` among `lines` (by number); False when there is not exactly one."""
    matches = [(number, match) for number, line in lines.items() for match in pattern.finditer(line)]
    if len(matches) != 1:
        return False
    number, match = matches[0]
    lines[number] = lines[number][: match.start()] + replacement + lines[number][match.end() :]
    return True


def _within_any(directory: str, sources: tuple[str, ...]) -> bool:
    """Whether `directory` lies in (or is) one of the copied source paths."""
    directory = directory.rstrip("/")
    return any(directory == source.rstrip("/") or directory.startswith(source.rstrip("/") + "/") or source in ("/", ".")
               for source in sources)


def exposed_port(stage: Stage) -> str | None:
    """The first numeric EXPOSE port of a stage (what a health check probes)."""
    return next((p.port.split("/")[0] for p in stage.exposed_ports if p.port.split("/")[0].isdigit() and is_server_port(p.port)), None)


def probe_command(reference: str, port: str) -> list[str] | None:
    """An exec-form command that checks `port` with the runtime the image ships (fixes.toml)."""
    name = parse_image_name(reference).full_name
    for runtime in _table()["healthcheck_runtimes"]:
        if any(fnmatchcase(name, pattern) for pattern in runtime["images"]):
            return [part.replace("{port}", port) for part in runtime["command"]]
    return None
