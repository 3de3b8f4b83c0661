"""The scan pipeline: discover → parse into models → run rules → configure findings.

This module only orchestrates; each step lives in sources/, model/, rules/ or config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from mcpharden.scan.config import Config, ConfigError, check_rule_ids, load_config
from mcpharden.model.build import BuildModel
from mcpharden.model.findings import Finding, Notice
from mcpharden.model.pipeline import Pipeline
from mcpharden.model.project import Project
from mcpharden.model.server import TransportEvidence
from mcpharden.rules import all_rules
from mcpharden.rules.base import Rule
from mcpharden.knowledge.client_files import ClientFile
from mcpharden.model.container import ClientServer, ContainerSpec
from mcpharden.sources.discovery import MAX_CONFIG_BYTES, MAX_SOURCE_BYTES, Artifact, RepoReader, classify, discover

_SUPPRESSION = re.compile(r"mcpharden:\s*ignore\s*=\s*([A-Za-z0-9_,\- ]+)")
_COMMENT_PREFIXES = ("#", "//", "<!--", ";")


class TargetError(Exception):
    """A scan target that does not exist or cannot be read (exit code 2)."""


@dataclass(frozen=True)
class ScanOptions:
    """What the user asked of a scan, from the command line or the MCP tools."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    target_stage: str | None = None
    config_path: Path | None = None
    # `scan --image`: built images to audit with the repository and compare with a Dockerfile.
    images: tuple[Path, ...] = ()
    image_dockerfile: str | None = None
    platform: str | None = None
    # OSV databases (directories or all.zip) to match image packages against.
    vuln_dbs: tuple[Path, ...] = ()
    ignore_unfixed: bool = False
    # False for an outside audit (`mcpharden batch`): nothing the repository says about its own
    # findings (.mcpharden.toml, [tool.mcpharden], `# mcpharden: ignore=` comments) changes them,
    # or the audited could grade themselves; what it would hide is listed, still counted, in
    # TargetResult.repository_suppressions.
    use_repository_config: bool = True


@dataclass(frozen=True)
class RepositorySuppression:
    """A finding the scanned repository's own comments or configuration hide (or lower), and
    what does it: left out when they are honoured, listed and still counted when they are not."""

    finding: Finding
    by: str  # "`# mcpharden: ignore=all` (line 3)", "`ignore` in .mcpharden.toml"


@dataclass(frozen=True)
class TargetResult:
    """Everything a scan found in one target, ready for the reports."""

    target: str  # as the user named it
    root: str  # the directory finding paths are relative to, as a posix path
    config: Config
    findings: tuple[Finding, ...]
    notices: tuple[Notice, ...]
    files_scanned: int
    suppressed: int
    scope: str = "repository"  # "repository" | "files" | "clients"
    # MCP servers that client configurations start (the laptop audit lists them all).
    servers: tuple[ClientServer, ...] = ()
    # Built images audited (`mcpharden image`), for the SBOM.
    images: tuple = ()
    # The blast radius of what was scanned (mcpharden.verdicts.cards).
    cards: tuple = ()
    # Base-image families of the images the Dockerfiles ship (debian, distroless, ...).
    base_families: tuple[str, ...] = ()
    # What the repository's own suppressions hide: left out of `findings` when honoured, kept in
    # them (and listed here) when not (ScanOptions.use_repository_config).
    repository_suppressions: tuple[RepositorySuppression, ...] = ()


def scan_target(target: Path, options: ScanOptions) -> TargetResult:
    if not target.exists() and not target.is_symlink():
        raise TargetError(f"{target}: no such file or directory")
    is_directory = target.is_dir()
    root = target if is_directory else target.parent
    rule_ids = frozenset(rule.id for rule in all_rules())
    config = load_config(root, options.config_path, rule_ids) if options.use_repository_config else Config()
    rules = _selected_rules(config, options, rule_ids)
    reader = RepoReader(root)
    claimed = config if options.use_repository_config else _claimed_config(root, rule_ids, reader)
    if is_directory:
        discovery = discover(root, config.exclude, reader)
        artifacts, notices = discovery.artifacts, list(discovery.notices)
    else:
        artifacts, notices = (_artifact_for_file(target),), []
        if reader.read(target.name) is None:
            problem = reader.notices[0].message if reader.notices else "cannot be read"
            raise TargetError(f"{target}: {problem}")
    scope = "repository" if is_directory else "files"
    return _judge(str(target), root, artifacts, reader, notices, config, rules, options, scope, claimed)


def scan_text(name: str, content: str, options: ScanOptions) -> TargetResult:
    """One file given as text (a Dockerfile, compose file, manifest or client configuration),
    scanned in memory: `name` decides its kind (`Dockerfile`, `.cursor/mcp.json`)."""
    from mcpharden.sources.discovery import MemoryReader

    relative = _memory_name(name)
    rule_ids = frozenset(rule.id for rule in all_rules())
    config = Config()
    rules = _selected_rules(config, options, rule_ids)
    reader = MemoryReader({relative: content.encode("utf-8")})
    parts = relative.split("/")
    artifact = next((replace(found, path=relative) for start in range(len(parts))
                     if (found := classify("/".join(parts[start:]))) and found.kind != "source"),
                    Artifact(relative, "dockerfile"))
    return _judge(relative, Path("."), (artifact,), reader, [], config, rules, options, "files")


def _memory_name(name: str) -> str:
    """A relative posix path made from a user's file name: no root, no `..`, no empty parts."""
    parts = [part for part in name.replace("\\", "/").split("/") if part not in ("", ".", "..")]
    if not parts or any("\x00" in part for part in parts):
        raise TargetError(f"{name!r}: not a usable file name")
    return "/".join(parts)


def scan_clients(home: Path, options: ScanOptions) -> TargetResult:
    """The laptop audit: every MCP client configuration installed for the user of `home`."""
    from mcpharden.knowledge.client_files import home_locations

    if not home.is_dir():
        raise TargetError(f"{home}: not a directory")
    rule_ids = frozenset(rule.id for rule in all_rules())
    config = load_config(home, options.config_path, rule_ids) if options.config_path else Config()
    rules = _selected_rules(config, options, rule_ids)
    seen: dict[str, Artifact] = {}
    for client, pattern in home_locations():
        for match in sorted(home.glob(pattern)):
            relative = match.relative_to(home).as_posix()
            seen.setdefault(relative, Artifact(relative, "client", client))
    reader = RepoReader(home)
    return _judge(str(home), home, tuple(seen.values()), reader, [], config, rules, options, "clients")


def scan_image(path: Path | str, options: ScanOptions, platform: str | None = None) -> TargetResult:
    """Audit a built image: a docker save tarball, an oci-archive or an OCI layout, read
    offline, or an image reference pulled from its registry as a stream."""
    from mcpharden.image import ImageError

    try:
        images = _with_vulnerabilities(open_images(str(path), platform), options)
    except ImageError as error:
        raise TargetError(str(error)) from None
    path = Path(path)
    rule_ids = frozenset(rule.id for rule in all_rules())
    root = path.parent
    config = load_config(root, options.config_path, rule_ids) if options.config_path else Config()
    rules = _selected_rules(config, options, rule_ids)
    project = Project(scope="image", images=tuple(images))
    notices: list[Notice] = []
    findings = [_with_severity(f, config) for rule in rules for f in _run_rule(rule, project, notices)]
    return TargetResult(
        target=str(path), root=root.as_posix(), config=config, findings=tuple(sorted(findings, key=Finding.sort_key)),
        notices=tuple(notices), files_scanned=len(images), suppressed=0, scope="image", images=tuple(images),
        cards=_cards(project, findings, path.name),
    )


def open_images(target: str, platform: str | None) -> list:
    """The images a file or layout holds, or that an image reference names in its registry
    (audited once per digest and platform: image.cache keeps the result)."""
    from mcpharden.image.read import is_image_reference, read_images

    path = Path(target)
    if path.exists() or path.is_symlink() or not is_image_reference(target):
        return read_images(path, platform)
    from mcpharden.image.cache import cached_registry_images

    return cached_registry_images(target, platform)


def _with_vulnerabilities(images: list, options: ScanOptions) -> list:
    """Match the images' packages against the OSV databases (a vulnerability service)."""
    if not options.vuln_dbs:
        return images
    from dataclasses import replace as replaced

    from mcpharden.vulns.osv import VulnDbError, match

    try:
        found = match(images, list(options.vuln_dbs), options.ignore_unfixed)
    except VulnDbError as error:
        raise TargetError(str(error)) from None
    return [replaced(image, vulnerabilities=tuple(found.get(position, ()))) for position, image in enumerate(images)]


def _with_images(project: Project, options: ScanOptions, notices: list[Notice]) -> Project:
    """Add the built images, and pick the Dockerfile they are compared with."""
    from dataclasses import replace as replaced

    from mcpharden.image import ImageError
    from mcpharden.image.read import read_images

    images = []
    for path in options.images:
        try:
            images.extend(_with_vulnerabilities(open_images(str(path), options.platform), options))
        except ImageError as error:
            raise TargetError(str(error)) from None
    paths = sorted(build.path for build in project.builds)
    dockerfile = options.image_dockerfile
    if dockerfile is None:
        dockerfile = paths[0] if len(paths) == 1 else ("Dockerfile" if "Dockerfile" in paths else None)
    if dockerfile is not None and dockerfile not in paths:
        raise TargetError(f"--dockerfile {dockerfile}: not a Dockerfile of the scanned directory")
    if dockerfile is None and paths:
        notices.append(Notice(".", "several Dockerfiles: name the one the image was built from with --dockerfile to compare them"))
    return replaced(project, images=tuple(images), image_dockerfile=dockerfile)


def _judge(target: str, root: Path, artifacts, reader: RepoReader, notices: list[Notice], config: Config,
           rules: list[Rule], options: ScanOptions, scope: str, claimed: Config | None = None) -> TargetResult:
    """`config` is what the findings are judged by; `claimed` what the repository says of them
    (its own configuration, when that is not honoured: see ScanOptions.use_repository_config)."""
    project = _build_project(artifacts, reader, options.target_stage or config.target, config, scope)
    if options.images:
        project = _with_images(project, options, notices)
    findings: list[Finding] = []
    for rule in rules:
        findings.extend(_run_rule(rule, project, notices))
    findings = [_with_severity(f, config) for f in findings]
    if options.use_repository_config:
        suppressions = [RepositorySuppression(f, by) for f in findings if (by := _hidden_by(f, config, reader))]
        hidden = {id(suppression.finding) for suppression in suppressions}
        kept = [f for f in findings if id(f) not in hidden]
    else:  # an outside audit: every finding counts; what the repository would hide is listed
        said = claimed or Config()
        suppressions = [RepositorySuppression(f, by) for f in findings if (by := _claimed_by(f, said, reader))]
        kept = findings
    return TargetResult(
        target=target,
        root=root.as_posix(),
        config=config,
        findings=tuple(sorted(kept, key=Finding.sort_key)),
        notices=tuple(notices + reader.notices),
        # YAML files and scripts count when they held something to judge (a manifest, a run line).
        files_scanned=_files_judged(artifacts, project),
        suppressed=len(findings) - len(kept),
        scope=scope,
        servers=project.client_servers,
        cards=_cards(project, kept, Path(target).resolve().name or target),
        base_families=tuple(build.final.profile.family for build in project.builds),
        repository_suppressions=tuple(sorted(suppressions, key=lambda s: Finding.sort_key(s.finding))),
    )


def _cards(project: Project, findings, name: str) -> tuple:
    from mcpharden.verdicts.cards import cards_for

    try:
        return cards_for(project, findings, name)
    except Exception:  # a card is a view of the findings: it must never cost the findings
        return ()


def _files_judged(artifacts, project: Project) -> int:
    """Files the rules judged: every Dockerfile, compose file, CI definition and client
    configuration that was read and parsed, and the YAML files and scripts that held a
    container (a manifest, a run line). A file that could not be read or parsed judges nothing."""
    kinds = {artifact.path: artifact.kind for artifact in artifacts if artifact.path in project.parsed_files}
    always = sum(1 for kind in kinds.values() if kind not in ("source", "yaml", "runlines"))
    return always + len({spec.path for spec in project.containers if kinds.get(spec.path) in ("yaml", "runlines")})


def _selected_rules(config: Config, options: ScanOptions, rule_ids: frozenset[str]) -> list[Rule]:
    if options.select is not None:
        check_rule_ids(options.select, rule_ids, "--select")
    check_rule_ids(options.ignore, rule_ids, "--ignore")
    selected = set(options.select) if options.select is not None else (set(config.select) if config.select is not None else None)
    ignored = set(options.ignore) | set(config.ignore)
    return [r for r in all_rules() if (selected is None or r.id in selected) and r.id not in ignored]


def _artifact_for_file(target: Path) -> Artifact:
    """A file named on the command line: classified by its trailing path components
    (.github/workflows/ci.yml), and read as a Dockerfile when nothing else matches."""
    parts = target.absolute().as_posix().split("/")
    for start in range(len(parts) - 1, 0, -1):
        artifact = classify("/".join(parts[start:]))
        if artifact and artifact.kind != "source":
            return replace(artifact, path=target.name)
    return Artifact(target.name, "dockerfile")


class _ProjectBuilder:
    """Parses each artifact into its model; a file that does not parse becomes a notice."""

    def __init__(self, reader: RepoReader, stage: str | None, config: Config) -> None:
        self.reader = reader
        self.stage = stage
        self.config = config
        self.builds: list[BuildModel] = []
        self.pipelines: list[Pipeline] = []
        self.containers: list[ContainerSpec] = []
        self.client_servers: list[ClientServer] = []
        self.build_arguments: list = []
        self.evidence: list[TransportEvidence] = []
        self.compose_seen: set[str] = set()
        self.parsed: set[str] = set()

    def add(self, artifact: Artifact) -> None:
        from mcpharden.util.budget import FILE_SECONDS, BudgetExceeded, time_budget
        from mcpharden.sources.dockerfile import DockerfileError
        from mcpharden.sources.kubernetes import HelmTemplate
        from mcpharden.syntax.yamlnodes import YamlError

        quiet = artifact.kind in ("source", "yaml", "runlines")  # not every such file is ours to read
        text = self.reader.read(artifact.path, limit=MAX_SOURCE_BYTES if artifact.kind == "source" else MAX_CONFIG_BYTES, quiet=quiet)
        if text is None:
            return
        try:
            with time_budget(FILE_SECONDS):
                getattr(self, f"_{artifact.kind}")(artifact, text)
            self.parsed.add(artifact.path)
        except (DockerfileError, YamlError, HelmTemplate, BudgetExceeded) as error:
            self.reader.notices.append(Notice(artifact.path, f"not scanned: {error}", getattr(error, "line", None)))
        except (RecursionError, MemoryError) as error:  # nesting or size beyond what a parser bears
            self.reader.notices.append(Notice(artifact.path, f"not scanned: too deeply nested or too large ({type(error).__name__})"))

    def _dockerfile(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.dockerfile import parse_dockerfile
        from mcpharden.sources.manifests import manifests_for

        manifests = manifests_for(artifact.path, self.reader.read)
        self.builds.append(parse_dockerfile(text, artifact.path, self.stage, self.config.base_images, manifests))

    def _ci(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.ci import parse_pipeline

        self.pipelines.append(parse_pipeline(artifact.path, artifact.system, text, self.reader.read))

    def _compose(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.compose import parse_compose

        if artifact.path not in self.compose_seen:  # already read through another file's `include`
            self.containers.extend(parse_compose(artifact.path, text, self.reader.read, self.compose_seen))

    def _client(self, artifact: Artifact, text: str) -> None:
        from mcpharden.knowledge.client_files import client_for
        from mcpharden.sources.clients import parse_client_file

        client = client_for(artifact.path) or ClientFile(artifact.system, False)
        specs, servers = parse_client_file(artifact.path, text, client)
        self.containers.extend(specs)
        self.client_servers.extend(servers)

    def _runlines(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.runlines import build_arguments_in_file, specs_in_file

        self.containers.extend(specs_in_file(artifact.path, text))
        self.build_arguments.extend(build_arguments_in_file(artifact.path, text))

    def _yaml(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.kubernetes import looks_like_manifest, parse_manifests

        if looks_like_manifest(text):
            self.containers.extend(parse_manifests(artifact.path, text))

    def _source(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.transport import scan_source

        self.evidence.extend(scan_source(artifact.path, text))

    def project(self, scope: str) -> Project:
        from mcpharden.sources.transport import server_facts

        containers = tuple(self.containers)
        servers = {build.path: server_facts(build, tuple(self.evidence), containers) for build in self.builds}
        return Project(
            scope=scope,
            builds=tuple(self.builds),
            pipelines=tuple(self.pipelines),
            servers=servers,
            containers=tuple(self.containers),
            build_arguments=tuple(self.build_arguments) + tuple(a for p in self.pipelines for a in p.build_arguments),
            client_servers=tuple(self.client_servers),
            parsed_files=frozenset(self.parsed),
        )


def _build_project(artifacts, reader: RepoReader, stage: str | None, config: Config, scope: str) -> Project:
    builder = _ProjectBuilder(reader, stage, config)
    for artifact in artifacts:
        builder.add(artifact)
    return builder.project(scope)


def _run_rule(rule: Rule, project: Project, notices: list[Notice]) -> list[Finding]:
    try:
        return list(rule.check(project))
    except Exception as error:  # a rule bug must not lose the other rules' findings
        notices.append(Notice(".", f"rule {rule.id} failed: {type(error).__name__}: {error}"))
        return []


def _with_severity(finding: Finding, config: Config) -> Finding:
    override = config.severity.get(finding.rule_id)
    return replace(finding, severity=override) if override is not None else finding


def _claimed_config(root: Path, rule_ids: frozenset[str], reader: RepoReader) -> Config:
    """The repository's own configuration, read to list what it would hide, never to judge: one
    that cannot be read or is invalid claims nothing (a notice says so), it fails no audit."""
    try:
        return load_config(root, None, rule_ids)
    except ConfigError as error:
        reader.notices.append(Notice(".", f"the repository's own configuration is not valid ({error}): it hides nothing"))
    except Exception as error:  # nested past what the TOML parser bears, or shapes no check foresaw
        reader.notices.append(Notice(".", f"the repository's own configuration cannot be read ({type(error).__name__}): "
                                          "it hides nothing"))
    return Config()


def _hidden_by(finding: Finding, config: Config, reader: RepoReader) -> str | None:
    """What hides `finding` once its rule ran on a file that was read: an inline comment above
    it, or `per-file-ignores` of the configuration; None when nothing does."""
    comment = _suppression_comment(finding, reader)
    if comment:
        return comment
    if config.ignores(finding.rule_id, finding.path):
        return f"`per-file-ignores` in {_config_name(config)}"
    return None


def _claimed_by(finding: Finding, config: Config, reader: RepoReader) -> str | None:
    """What in the repository would hide or lower `finding` if it were honoured: besides
    `_hidden_by`, the settings that keep a rule from running (`ignore`, `select`), a file from
    being read (`exclude`), or lower a severity."""
    hidden = _hidden_by(finding, config, reader)
    if hidden:
        return hidden
    where = _config_name(config)
    if finding.rule_id in config.ignore:
        return f"`ignore` in {where}"
    if config.select is not None and finding.rule_id not in config.select:
        return f"`select` in {where} leaves the rule out"
    if config.exclude:
        from mcpharden.sources.discovery import _excluded  # the matcher discovery skips files with

        if _excluded(finding.path, config.exclude):
            return f"`exclude` in {where}"
    lowered = config.severity.get(finding.rule_id)
    if lowered is not None and lowered < finding.severity:  # lowering changes the grade as hiding does
        return f"`severity` in {where} lowers it to {lowered.label}"
    return None


def _config_name(config: Config) -> str:
    return Path(config.source).name if config.source else "the configuration"


def _suppression_comment(finding: Finding, reader: RepoReader) -> str | None:
    """`# mcpharden: ignore=RULE[,RULE]` in the comment block right above the finding's line,
    as written (shortened), with its line; None when there is none for this rule."""
    lines = reader.suppression_lines(finding.path)
    index = finding.line - 2
    while 0 <= index < len(lines):
        stripped = lines[index].strip()
        if not stripped.startswith(_COMMENT_PREFIXES):
            break
        match = _SUPPRESSION.search(stripped)
        if match:
            rules = {r.strip() for r in match.group(1).split(",")}
            if finding.rule_id in rules or "all" in rules:
                written = " ".join(match.group(0).split())
                return f"`{written[:120]}{'…' if len(written) > 120 else ''}` (line {index + 1})"
        index -= 1
    return None


def ensure_valid_config(path: Path | None) -> None:
    """Validate an explicit --config early, so a typo exits 2 before any scanning."""
    if path is not None and not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")

