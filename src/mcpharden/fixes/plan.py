"""Plan the fixes for a scan target: scan with the fixable rules, hand each Dockerfile's
findings to its fixer, and keep only plans whose result still parses."""

from __future__ import annotations

import json
import posixpath
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from mcpharden.fixes import Decision, FilePlan
from mcpharden.fixes.ci import image_scan_workflow
from mcpharden.fixes.dockerfile import FIXABLE_RULES, DockerfileFixer, exposed_port
from mcpharden.fixes.runtime import DECISIONS, HARDENING_RULES, LOOPBACK_RULES, RuntimeFixer, unverified
from mcpharden.scan import ScanOptions, TargetError, scan_target
from mcpharden.sources.discovery import OpenedTarget, RepoReader
from mcpharden.sources.dockerfile import DockerfileError, parse_dockerfile
from mcpharden.syntax.text import SourceText, content_lines, line_breaks_for, parsable, split_lines
from mcpharden.syntax.yamlnodes import HelmTemplate, YamlError


@dataclass(frozen=True)
class FixReport:
    root: Path
    plans: tuple[FilePlan, ...]
    decisions: tuple[Decision, ...]
    # (path, rule id) of every finding the plans resolve: what a dry run does not count as left.
    fixed: frozenset[tuple[str, str]] = frozenset()


def load_digests(path: Path) -> dict[str, str]:
    """A JSON object mapping image references (`node:22`) to digests (`sha256:...`); a file with
    any other entry is refused whole (nothing is pinned from a map that is not what it says)."""
    from mcpharden.fixes.digests import map_problems

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TargetError(f"{path}: cannot read digests: {error}") from None
    problems = map_problems(data)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise TargetError(f"{path}: digests refused, nothing changed: {'; '.join(problems[:3])}{more}")
    return data


def _runtime_specs(reader: RepoReader, path: str, text: str):
    """The ContainerSpecs of a compose file or client configuration, as the scan saw them."""
    from mcpharden.knowledge.clients import ClientFile, client_for
    from mcpharden.sources.clients import parse_client_file
    from mcpharden.sources.compose import parse_compose
    from mcpharden.sources.discovery import classify

    artifact = classify(path)
    if artifact is None:
        return None
    if artifact.kind == "compose":
        return [s for s in parse_compose(path, text, reader.read) if s.path == path]
    if artifact.kind == "client":
        return parse_client_file(path, text, client_for(path) or ClientFile(artifact.system, False))[0]
    if artifact.kind == "yaml":
        from mcpharden.sources.helm import chart_folder
        from mcpharden.sources.kubernetes import looks_like_manifest, parse_manifests

        if "templates/" in path and chart_folder(path, reader.read) is not None:
            return None  # a Helm chart's template: rendered from values.yaml, never edited as a manifest

        return parse_manifests(path, text) if looks_like_manifest(text) else None
    return None


def _rewrite(path: str, source: SourceText, build, findings, digests, resolve, stage, base_images) -> tuple[FilePlan | None, list[Decision]]:
    """The distroless rewrite, then digest pinning of the images the rewrite names."""
    from mcpharden.fixes import Edit
    from mcpharden.fixes.distroless import CannotRewrite, rewrite_distroless
    from mcpharden.model.project import Project
    from mcpharden.rules.image_not_pinned_by_digest import RULE as PIN_RULE

    full_os = next(f for f in findings if f.rule_id == "full-os-base-image")
    text = source.text
    port = exposed_port(build.final)
    try:
        rewritten = rewrite_distroless(text, build, port)
    except CannotRewrite as error:
        return None, [Decision(path, full_os.line, full_os.rule_id, f"not rewritten: {error}")]
    decisions: list[Decision] = []
    if digests or resolve:
        model = parse_dockerfile(parsable(rewritten), path, stage, base_images)
        pins = list(PIN_RULE.check(Project(scope="files", builds=(model,))))
        edits, decisions = DockerfileFixer(model, rewritten, digests, resolve).fix(pins)
        rewritten = FilePlan(path, rewritten, tuple(edits)).fixed_text()
    lines = tuple(content_lines(rewritten))
    whole = Edit(1, len(split_lines(text)), lines, "full-os-base-image")
    return FilePlan(path, text, (whole,), bom=source.bom), decisions


def _start_needs(reader: RepoReader, specs, root: Path, all_services: bool, stage_of) -> tuple[dict, dict]:
    """What each spec needs at start (by its line), and the specs left alone with the reason:
    those not part of a server the repository ships, unless `all_services`."""
    from mcpharden.fixes.startup import NOT_BUILT_HERE, not_shipped, spec_needs

    needs, left = {}, {}
    reasons = {spec.line: None if all_services else not_shipped(spec, root.resolve().name) for spec in specs}
    # A Kubernetes file that runs the server: its other containers (sidecars) go with it.
    runs_server = any(spec.origin == "kubernetes" and reasons[spec.line] is None for spec in specs)
    for spec in specs:
        why = reasons[spec.line]
        if why == NOT_BUILT_HERE and spec.origin == "kubernetes" and runs_server:
            why = None
        if why:
            left[spec.line] = why
            continue
        built = stage_of(spec.dockerfile, spec.build_target) if spec.built_locally and spec.dockerfile else None
        needs[spec.line] = spec_needs(spec, built)
    return needs, left


def plan_fixes(target: Path, options: ScanOptions, digests: dict[str, str], resolve=None,
               rewrite_distroless: bool = False, opened: OpenedTarget | None = None, all_services: bool = False) -> FixReport:
    """`resolve(reference) -> digest` asks a registry for digests the map lacks;
    `rewrite_distroless` turns single-stage Node/Python Dockerfiles into the three-stage pattern;
    `opened`: the target opened race-free (`mcpharden serve`), read only through it; `all_services`:
    also harden services, containers and Dockerfiles that are not part of a server the repository
    ships (databases, caches, devcontainers)."""
    from mcpharden.fixes.startup import stage_needs
    fixable = FIXABLE_RULES + HARDENING_RULES + LOOPBACK_RULES + tuple(DECISIONS) + (("full-os-base-image",) if rewrite_distroless else ())
    selected = tuple(r for r in (options.select or fixable) if r in fixable)
    result = scan_target(target, replace(options, select=selected), opened)
    root = target if (target.is_dir() if opened is None else opened.name is None) else target.parent
    reader = RepoReader(root, opened.directory if opened else None)
    by_path: dict[str, list] = defaultdict(list)
    for finding in result.findings:
        by_path[finding.path].append(finding)
    plans: list[FilePlan] = []
    decisions: list[Decision] = []
    fixed: set[tuple[str, str]] = set()
    stage = options.target_stage or result.config.target

    def stage_of(dockerfile: str, target: str | None):
        """What the stage a Dockerfile ships needs at start (None when it cannot be read)."""
        found = reader.read_source(dockerfile)
        if found is None:
            return None
        try:
            model = parse_dockerfile(found.parsable, dockerfile, target, result.config.base_images)
        except DockerfileError:
            return None
        return stage_needs(model, model.final, reader.read, posixpath.dirname(dockerfile))
    for finding in (f for f in result.findings if f.rule_id == "no-image-scan-in-ci"):
        plans.append(image_scan_workflow(dict(finding.details)["dockerfiles"].split(",")))
        fixed.add((finding.path, finding.rule_id))
    for path, findings in sorted(by_path.items()):
        findings = [f for f in findings if f.rule_id != "no-image-scan-in-ci"]
        if not findings:
            continue
        # The exact bytes, under the scan's bounds and symlink rules: a fix keeps every byte
        # it does not mean to change (BOM, line endings, bytes that are not UTF-8).
        source = reader.read_source(path)
        if source is None:
            continue
        text = source.text
        breaks = line_breaks_for(path)
        specs = _runtime_specs(reader, path, source.parsable)
        if specs is not None:
            needs, left = _start_needs(reader, specs, root, all_services, stage_of)
            fixer = RuntimeFixer(path, text, specs, breaks, needs, left)
            edits, undecided = fixer.fix(findings)
            decisions.extend(undecided)
            if edits:
                plan = FilePlan(path, text, tuple(edits), breaks, source.bom)
                # What is written must read back as the same containers, hardened as intended:
                # a line editor can misplace a key in a file formatted in an unusual way.
                try:
                    problem = unverified(specs, _runtime_specs(reader, path, parsable(plan.fixed_text())) or [], fixer.applied)
                except (YamlError, HelmTemplate) as error:
                    problem = f"it would not parse ({error})"
                if problem:
                    decisions.append(Decision(path, 1, "", f"not fixed: the fixed file was checked and {problem}; "
                                                            "harden it by hand"))
                    continue
                plans.append(plan)
                fixed.update((path, rule) for rules in fixer.applied.values() for rule in rules)
                fixed.update((path, rule) for rule in fixer.bound)
            continue
        if not all_services and (path.startswith(".devcontainer/") or "/.devcontainer/" in path):
            decisions.append(Decision(path, 1, "", "a devcontainer's Dockerfile is not part of a server this repository "
                                                   "ships: left as it is (--all-services hardens it too)"))
            continue
        try:
            build = parse_dockerfile(source.parsable, path, stage, result.config.base_images)
        except DockerfileError:
            decisions.extend(Decision(path, f.line, f.rule_id, DECISIONS.get(f.rule_id, "only Dockerfiles, compose files and "
                                      "JSON/TOML client configurations are fixed so far: change this by hand")) for f in findings)
            continue
        if rewrite_distroless and any(f.rule_id == "full-os-base-image" for f in findings):
            plan, undecided = _rewrite(path, source, build, findings, digests, resolve, stage, result.config.base_images)
            decisions.extend(undecided)
            if plan is not None:
                plans.append(plan)
                fixed.add((path, "full-os-base-image"))
                fixed.update((path, rule) for rule in ("root-user", "dev-dependencies-in-runtime"))
                continue
            findings = [f for f in findings if f.rule_id != "full-os-base-image"]
        if any(f.rule_id == "root-user" for f in findings):
            blocker = stage_needs(build, build.final, reader.read, posixpath.dirname(path)).user_blocker()
            if blocker:
                decisions.extend(Decision(path, f.line, f.rule_id, f"USER not added: {blocker}")
                                 for f in findings if f.rule_id == "root-user")
                findings = [f for f in findings if f.rule_id != "root-user"]
        edits, undecided = DockerfileFixer(build, text, digests, resolve).fix(findings)
        decisions.extend(undecided)
        if not edits:
            continue
        plan = FilePlan(path, text, tuple(edits), bom=source.bom)
        try:
            parse_dockerfile(parsable(plan.fixed_text()), path, stage, result.config.base_images)
        except DockerfileError as error:
            decisions.append(Decision(path, 1, "", f"the fixed file would not parse ({error}): left alone"))
            continue
        plans.append(plan)
        fixed.update((path, edit.rule_id) for edit in edits)
    return FixReport(root, tuple(plans), tuple(decisions), frozenset(fixed))
