"""Judging a target's files: its project built, the rules run on it (a rule that fails costs only
its own findings), severities overridden by the configuration, what the repository's own
suppressions hide taken out (or listed, in an outside audit), and the server cards drawn."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mcpharden.model.findings import Finding, Notice
from mcpharden.scan.config import Config
from mcpharden.scan.project import _build_project
from mcpharden.scan.results import TargetResult
from mcpharden.scan.suppression import RepositorySuppression, _claimed_by, _hidden_by

if TYPE_CHECKING:
    from mcpharden.model.project import Project
    from mcpharden.rules.base import Rule
    from mcpharden.scan.targets import ScanOptions
    from mcpharden.sources.discovery import RepoReader


def _judge(target: str, root: Path, artifacts, reader: RepoReader, notices: list[Notice], config: Config,
           rule_ids: tuple[str, ...], options: ScanOptions, scope: str, claimed: Config | None = None) -> TargetResult:
    """`rule_ids`: the rules selected; `config` is what the findings are judged by; `claimed` what
    the repository says of them (its own configuration, when that is not honoured: see
    ScanOptions.use_repository_config)."""
    project = _build_project(artifacts, reader, options.target_stage or config.target, config, scope)
    if options.images:
        from mcpharden.scan.images import _with_images  # images imports this module

        project = _with_images(project, options, notices)
    findings: list[Finding] = []
    for rule in rules_for(project, rule_ids):
        findings.extend(_run_rule(rule, project, notices))
    findings = [_with_severity(f, config) for f in findings]
    notices = notices + _suppression_notices(config, reader, artifacts) + _unknown_target(config, options, project)
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
        dockerfile_stages=tuple(tuple(stage.name for stage in build.stages if stage.name) for build in project.builds),
        image_dockerfile=project.image_dockerfile if project.images else None,
        image_paths=tuple(image.source_path for image in project.images),
        repository_suppressions=tuple(sorted(suppressions, key=lambda s: Finding.sort_key(s.finding))),
    )


def _suppression_notices(config: Config, reader: RepoReader, artifacts) -> list[Notice]:
    """What the suppressions say that hides nothing: ignore-file entries naming no rule or past
    their expiry (their findings are back), inline comments naming no rule."""
    from mcpharden.rules import RULES
    from mcpharden.scan.suppression import unknown_inline_rules

    notices = []
    if config.ignore_files:
        from datetime import date

        today = date.today()
        notices = [notice for ignore_file in config.ignore_files for notice in (*ignore_file.notices, *ignore_file.expired_notices(today))]
    paths = [artifact.path for artifact in artifacts if artifact.kind not in ("context", "source")]
    return notices + unknown_inline_rules(reader, paths, frozenset(RULES))


def _unknown_target(config: Config, options: ScanOptions, project: Project) -> list[Notice]:
    """`target` of the configuration that names no stage of any Dockerfile read: each is then
    judged by its last stage, and the user is told (a `--target` typo is a usage error instead,
    in the command line, which sees every target's Dockerfiles)."""
    wanted = config.target if not options.target_stage else None
    if not wanted or not project.builds:
        return []
    if any(stage.name and stage.name.lower() == wanted.lower() for build in project.builds for stage in build.stages):
        return []
    where = Path(config.source).name if config.source else "the configuration"
    return [Notice(where, f"`target = {wanted!r}` names no stage of the Dockerfiles scanned: each is judged by its last stage")]


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


def rules_for(project: Project, rule_ids: tuple[str, ...]) -> list[Rule]:
    """The selected rules that have something to judge in `project`: those that read a model it
    holds (rules.base.READS names the fields of each). The others would only walk empty tuples,
    so their modules are not even imported (tests/rules/test_declarations.py checks that every
    rule finds nothing in a project without its models)."""
    from mcpharden.rules import rules_reading
    from mcpharden.rules.base import READS

    present = {model for model, fields in READS.items() if any(getattr(project, name) for name in fields)}
    return rules_reading(rule_ids, present)


def _run_rule(rule: Rule, project: Project, notices: list[Notice]) -> list[Finding]:
    try:
        return list(rule.check(project))
    except Exception as error:  # a rule bug must not lose the other rules' findings
        notices.append(Notice(".", f"rule {rule.id} failed: {type(error).__name__}: {error}"))
        return []


def _with_severity(finding: Finding, config: Config) -> Finding:
    override = config.severity.get(finding.rule_id)
    return replace(finding, severity=override) if override is not None else finding
