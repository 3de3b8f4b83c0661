"""Project: every model of one scan target, which is what a rule receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:  # the models load with the readers that make them: a scan imports only its target's kinds
    from mcpharden.model.build import BuildModel
    from mcpharden.model.container import BuildArguments, ClientServer, ContainerSpec
    from mcpharden.model.image import ImageModel
    from mcpharden.model.pipeline import Pipeline
    from mcpharden.model.server import ServerFacts


@dataclass(frozen=True)
class Project:
    """Every model parsed from one scan target, the input of every rule."""

    # "repository" when a directory was scanned (repository-wide rules apply), "files" when
    # single files were named, "clients" for the laptop audit, "image" for built images.
    scope: str
    builds: tuple[BuildModel, ...] = ()
    pipelines: tuple[Pipeline, ...] = ()
    # ServerFacts of the server each Dockerfile packages, by Dockerfile path.
    servers: Mapping[str, ServerFacts] = field(default_factory=lambda: MappingProxyType({}))
    # Every way a container is run: compose services, Kubernetes containers, docker run lines.
    containers: tuple[ContainerSpec, ...] = ()
    # `--build-arg` values given to image builds (scripts, Makefiles, READMEs, CI).
    build_arguments: tuple[BuildArguments, ...] = ()
    # MCP servers that client configurations start, in a container or not.
    client_servers: tuple[ClientServer, ...] = ()
    # Built images read by `mcpharden image` (or `scan --image`).
    images: tuple[ImageModel, ...] = ()
    # With `scan --image`: the Dockerfile the images were built from, to compare them.
    image_dockerfile: str | None = None
    # The files that were read and parsed into these models (a broken or unreadable one is not).
    parsed_files: frozenset[str] = frozenset()
