"""A target's files read into its models: each artifact goes to the reader of its kind (the
READERS table), and what every reader found becomes one Project for the rules. A file that
does not parse, or takes longer than its budget, becomes a notice."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from mcpharden.knowledge.clients import ClientFile
from mcpharden.model.findings import PARSE_ERROR, Notice
from mcpharden.model.project import Project
from mcpharden.sources.discovery import MAX_CONFIG_BYTES, MAX_SOURCE_BYTES, Artifact, RepoReader

if TYPE_CHECKING:
    from mcpharden.model.build import BuildModel
    from mcpharden.model.container import ClientServer, ContainerSpec
    from mcpharden.model.pipeline import Pipeline
    from mcpharden.model.server import TransportEvidence
    from mcpharden.scan.config import Config


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
        self.context_files: list[str] = []  # files a build context must not send (read when a COPY reaches them)
        # Kubernetes ServiceAccounts and role bindings of every manifest, joined to the pods at the end.
        self.service_accounts: list = []
        self.role_bindings: list = []
        self.helm_charts = None  # sources.helm.HelmCharts, made at the first chart template
        self.kustomize_patches: set[str] = set()  # Kustomize patch files: partial objects, not workloads

    def add(self, artifact: Artifact) -> None:
        from mcpharden.errors import ParseError
        from mcpharden.syntax.yamlnodes import HelmTemplate
        from mcpharden.util.budget import FILE_SECONDS, BudgetExceeded, time_budget

        if artifact.kind == "context":
            self.context_files.append(artifact.path)
            return
        quiet = artifact.kind in ("source", "yaml", "runlines")  # not every such file is ours to read
        text = self.reader.read(artifact.path, limit=MAX_SOURCE_BYTES if artifact.kind == "source" else MAX_CONFIG_BYTES, quiet=quiet)
        if text is None:
            return
        try:
            with time_budget(FILE_SECONDS):
                READERS[artifact.kind](self, artifact, text)
            self.parsed.add(artifact.path)
        except ParseError as error:
            self.reader.notices.append(Notice(artifact.path, f"not scanned: {error}", _error_line(error), kind=PARSE_ERROR))
        except (HelmTemplate, BudgetExceeded) as error:
            self.reader.notices.append(Notice(artifact.path, f"not scanned: {error}", getattr(error, "line", None)))
        except (RecursionError, MemoryError) as error:  # nesting or size beyond what a parser bears
            self.reader.notices.append(Notice(artifact.path, f"not scanned: too deeply nested or too large ({type(error).__name__})"))

    def _dockerfile(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.dockerfile import parse_dockerfile
        from mcpharden.sources.manifests import manifests_for
        from mcpharden.sources.packages import BuildContextFiles

        manifests = manifests_for(artifact.path, self.reader.read)
        context = BuildContextFiles(artifact.path, self.reader.read)
        self.builds.append(parse_dockerfile(text, artifact.path, self.stage, self.config.base_images, manifests, context))

    def _ci(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.ci import parse_pipeline

        self.pipelines.append(parse_pipeline(artifact.path, artifact.system, text, self.reader.read))

    def _compose(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.compose import parse_compose

        if artifact.path not in self.compose_seen:  # already read through another file's `include`
            self.containers.extend(parse_compose(artifact.path, text, self.reader.read, self.compose_seen, self.reader.notices))

    def _client(self, artifact: Artifact, text: str) -> None:
        from mcpharden.knowledge.clients import client_for
        from mcpharden.sources.clients import parse_client_file

        client = client_for(artifact.path) or ClientFile(artifact.system, False)
        specs, servers = parse_client_file(artifact.path, text, client)
        self.containers.extend(specs)
        self.client_servers.extend(servers)

    def _smithery(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.smithery import parse_smithery, transport_evidence

        specs, servers = parse_smithery(artifact.path, text)
        self.containers.extend(specs)
        self.client_servers.extend(servers)
        self.evidence.extend(transport_evidence(artifact.path, text))

    def _devcontainer(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.devcontainer import parse_devcontainer

        self.containers.extend(parse_devcontainer(artifact.path, text))

    def _runlines(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.runlines import build_arguments_in_file, specs_in_file

        self.containers.extend(specs_in_file(artifact.path, text))
        self.build_arguments.extend(build_arguments_in_file(artifact.path, text))

    def _yaml(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.helm import chart_folder
        from mcpharden.sources.kubernetes import looks_like_manifest, read_manifests

        if "templates/" in artifact.path and chart_folder(artifact.path, self.reader.read) is not None:
            READERS["helm"](self, artifact, text)
            return
        if artifact.path.rsplit("/", 1)[-1] in SERVER_MANIFESTS:
            from mcpharden.syntax.yamlnodes import load_documents

            load_documents(text)  # nothing in it is judged yet, but one that does not parse is a parse error
        if artifact.path.rsplit("/", 1)[-1] in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            READERS["kustomize"](self, artifact, text)
        if looks_like_manifest(text):
            manifests = read_manifests(artifact.path, text)
            self.containers.extend(manifests.specs)
            self.service_accounts.extend(manifests.accounts)
            self.role_bindings.extend(manifests.bindings)

    def _helm(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.helm import HelmCharts, chart_folder

        chart = chart_folder(artifact.path, self.reader.read)
        if chart is None:
            return
        if self.helm_charts is None:
            self.helm_charts = HelmCharts(self.reader.read, self.reader.open)
        manifests, notices = self.helm_charts.read_template(artifact.path, text, chart)
        self.reader.notices.extend(notices)
        self.containers.extend(manifests.specs)
        self.service_accounts.extend(manifests.accounts)
        self.role_bindings.extend(manifests.bindings)

    def _kustomize(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.kustomize import overlay_specs

        specs, patch_files = overlay_specs(artifact.path, text, lambda path: self.reader.read(path, quiet=True))
        self.containers.extend(specs)
        self.kustomize_patches |= patch_files

    def _source(self, artifact: Artifact, text: str) -> None:
        from mcpharden.sources.transport import scan_source

        self.evidence.extend(scan_source(artifact.path, text))

    def project(self, scope: str) -> Project:
        containers = tuple(spec for spec in self.containers if spec.path not in self.kustomize_patches)
        if any(spec.service_account is not None for spec in containers):  # Kubernetes pods name their account
            from mcpharden.sources.kubernetes import join_accounts

            containers = tuple(join_accounts(list(containers), self.service_accounts, self.role_bindings))
        builds = tuple(self.builds)
        servers = {}
        if builds:  # (the readers of builds and servers load only for a target with a Dockerfile)
            from mcpharden.sources.transport import server_facts

            if scope == "repository":  # the build contexts are folders of a scanned directory
                from mcpharden.sources.buildcontext import with_contexts

                builds = with_contexts(builds, containers, self.pipelines, self.context_files, self.reader.read, self.reader.notices)
            servers = {build.path: server_facts(build, tuple(self.evidence), containers) for build in builds}
        return Project(
            scope=scope,
            builds=builds,
            pipelines=tuple(self.pipelines),
            servers=servers,
            containers=containers,
            build_arguments=tuple(self.build_arguments) + tuple(a for p in self.pipelines for a in p.build_arguments),
            client_servers=tuple(self.client_servers),
            parsed_files=frozenset(self.parsed),
        )


# YAML manifests of an MCP server that no rule reads yet: read only to tell that they parse.
SERVER_MANIFESTS = frozenset({"smithery.yaml", "smithery.yml"})


# The reader of each artifact kind (sources.discovery classifies the files): a new file kind
# is a reader in sources/ and a row here.
READERS: dict[str, Callable[[_ProjectBuilder, Artifact, str], None]] = {
    "dockerfile": _ProjectBuilder._dockerfile,
    "ci": _ProjectBuilder._ci,
    "compose": _ProjectBuilder._compose,
    "client": _ProjectBuilder._client,
    "smithery": _ProjectBuilder._smithery,
    "devcontainer": _ProjectBuilder._devcontainer,
    "runlines": _ProjectBuilder._runlines,
    "yaml": _ProjectBuilder._yaml,  # a chart's templates go on to "helm"
    "helm": _ProjectBuilder._helm,
    "kustomize": _ProjectBuilder._kustomize,  # reached from "yaml": a kustomization.yaml
    "source": _ProjectBuilder._source,
}


_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)\b")


def _error_line(error: Exception) -> int | None:
    """Where a parser says the file breaks: its own `line`, else the first `line N` of its message
    (JSON's `line 1 column 10`, YAML's `line 3, column 1`, TOML's `at line 1`), so annotations
    and SARIF place the parse error on its line."""
    line = getattr(error, "line", None)
    if isinstance(line, int) and line > 0:
        return line
    match = _LINE_IN_MESSAGE.search(str(error))
    return int(match.group(1)) if match else None


def _build_project(artifacts, reader: RepoReader, stage: str | None, config: Config, scope: str) -> Project:
    builder = _ProjectBuilder(reader, stage, config)
    for artifact in artifacts:
        builder.add(artifact)
    return builder.project(scope)
