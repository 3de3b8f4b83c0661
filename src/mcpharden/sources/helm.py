"""Helm chart templates → the Kubernetes objects a user installs with the chart's default values.

A file under a chart's `templates/` folder (a folder whose parent holds `Chart.yaml`) is
rendered with `syntax.gotemplate` against the chart's `values.yaml`, its `Chart.yaml` and a
release named `release-name` in namespace `default` (what `helm template` uses), with the
`define`s of every `*.tpl` beside it. Nothing is executed: what needs a cluster, a file or a
function we do not evaluate is left unrendered (an `if` on it takes its first branch, so a
literal `privileged: true` is still judged) and a notice names it. The rendered objects are
read by `sources.kubernetes`, and every line is mapped back to the template line it came from.
Sub-charts under `charts/` are rendered with their own values (a parent's overrides of them
are not applied).
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from mcpharden.model.findings import Notice
from mcpharden.sources.kubernetes import Manifests, read_manifests
from mcpharden.syntax.gotemplate import UNKNOWN, Renderer, TemplateError
from mcpharden.syntax.yamlnodes import YamlError, YamlMap, load_documents

FileReader = Callable[[str], "str | None"]
FolderOpener = Callable[[str], int]  # a descriptor of a folder below the scanned root
RELEASE = {"Name": "release-name", "Namespace": "default", "Service": "Helm", "IsInstall": True,
           "IsUpgrade": False, "Revision": 1}
CAPABILITIES = {"KubeVersion": {"Version": "v1.31.0", "GitVersion": "v1.31.0", "Major": "1", "Minor": "31"},
                "APIVersions": UNKNOWN, "HelmVersion": UNKNOWN}
MAX_REPAIRS = 20  # lines of a rendered file left out, one at a time, until the rest parses
MAX_NAMED = 4  # unrendered constructs a notice names


def chart_folder(path: str, read: FileReader) -> str | None:
    """The chart a template belongs to: the folder above the nearest `templates/` holding a
    `Chart.yaml` ("" for the scanned root); None when the file is no chart's template."""
    parts = path.split("/")[:-1]
    for index in range(len(parts) - 1, -1, -1):
        if parts[index] == "templates":
            folder = "/".join(parts[:index])
            if read(posixpath.join(folder, "Chart.yaml")) is not None:
                return folder
    return None


class HelmCharts:
    """Renders the templates of the charts of one scan; each chart's values and helpers are read once."""

    def __init__(self, read: FileReader, open_folder: FolderOpener | None = None) -> None:
        self.read = read
        self.open_folder = open_folder
        self.renderers: dict[str, Renderer | None] = {}

    def read_template(self, path: str, text: str, chart: str) -> tuple[Manifests, list[Notice]]:
        notices: list[Notice] = []
        renderer = self._renderer(chart, notices)
        if renderer is None:
            return Manifests(), notices
        renderer.data["Template"] = {"Name": path, "BasePath": posixpath.join(chart, "templates")}
        try:
            rendered = renderer.render(text)
        except TemplateError as error:
            notices.append(Notice(path, f"Helm template not rendered: {error}", error.line))
            return Manifests(), notices
        manifests, dropped = _parse_rendered(path, rendered.text)
        lines = rendered.lines
        manifests = Manifests([_relined(spec, lambda n: rendered.template_line(n)) for spec in manifests.specs],
                              manifests.accounts, manifests.bindings)
        unrendered = list(rendered.unrendered)
        unrendered += [f"line {rendered.template_line(n)}: rendered text that is not YAML (left out)" for n in dropped]
        if unrendered:
            named = "; ".join(unrendered[:MAX_NAMED]) + (f"; and {len(unrendered) - MAX_NAMED} more" if len(unrendered) > MAX_NAMED else "")
            notices.append(Notice(path, f"Helm template rendered with the chart's default values; left unrendered: {named}",
                                  lines[0] if lines else None))
        return manifests, notices

    def _renderer(self, chart: str, notices: list[Notice]) -> Renderer | None:
        if chart in self.renderers:
            return self.renderers[chart]
        values: Any = {}
        values_path = posixpath.join(chart, "values.yaml")
        try:
            documents = load_documents(self.read(values_path) or "")
            values = documents[0] if documents and isinstance(documents[0], YamlMap) else {}
        except YamlError as error:
            notices.append(Notice(values_path, f"Helm chart values not read: {error}; the Helm templates are rendered without them"))
        try:
            documents = load_documents(self.read(posixpath.join(chart, "Chart.yaml")) or "")
        except YamlError:
            documents = []
        metadata = documents[0] if documents and isinstance(documents[0], YamlMap) else {}
        # Helm's names: `name` → .Chart.Name, `appVersion` → .Chart.AppVersion, `apiVersion` → .Chart.APIVersion
        chart_data = {str(key)[:1].upper() + str(key)[1:]: value for key, value in metadata.items()}
        if "apiVersion" in metadata:
            chart_data["APIVersion"] = metadata["apiVersion"]
        renderer = Renderer({"Values": values, "Chart": chart_data, "Release": dict(RELEASE),
                             "Capabilities": CAPABILITIES, "Files": UNKNOWN})
        for name in self._helpers(chart):
            helper_path = posixpath.join(chart, "templates", name)
            try:
                renderer.add_defines(self.read(helper_path) or "")
            except TemplateError as error:
                notices.append(Notice(helper_path, f"Helm helpers not read: {error}", error.line))
        self.renderers[chart] = renderer
        return renderer

    def _helpers(self, chart: str) -> list[str]:
        """The `*.tpl` files of the chart's templates folder (`_helpers.tpl` when it cannot be listed)."""
        if self.open_folder is None:
            return ["_helpers.tpl"]
        try:
            descriptor = self.open_folder(posixpath.join(chart, "templates"))
        except OSError:
            return []
        try:
            return sorted(name for name in os.listdir(descriptor) if name.endswith(".tpl"))[:50]
        except OSError:
            return []
        finally:
            os.close(descriptor)


def _parse_rendered(path: str, text: str) -> tuple[Manifests, list[int]]:
    """The objects of the rendered text. A line that breaks the YAML (what an unrendered
    construct left behind) is left out and the rest read again, a few times at most."""
    lines = text.split("\n")
    dropped: list[int] = []
    for _ in range(MAX_REPAIRS + 1):
        try:
            return read_manifests(path, "\n".join(lines), rendered=True), dropped
        except YamlError as error:
            line = _error_line(str(error))
            if line is None or not 1 <= line <= len(lines) or not lines[line - 1].strip():
                raise
            dropped.append(line)
            lines[line - 1] = ""
    raise YamlError(f"invalid YAML after rendering ({len(dropped)} lines left out)")


def _error_line(message: str) -> int | None:
    """The line PyYAML's message names last (`line 12, column 3`): where it stopped."""
    import re

    found = re.findall(r"line (\d+), column", message)
    return int(found[-1]) if found else None


def _relined(value: Any, line_of: Callable[[int], int]) -> Any:
    """A ContainerSpec (or anything in it) with every rendered line replaced by its template line."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        for item in dataclasses.fields(value):
            current = getattr(value, item.name)
            if item.name == "line" and isinstance(current, int):
                changes[item.name] = line_of(current)
            elif item.name == "lines" and isinstance(current, Mapping):
                changes[item.name] = MappingProxyType({key: line_of(number) for key, number in current.items()})
            elif isinstance(current, tuple) and current and dataclasses.is_dataclass(current[0]):
                changes[item.name] = tuple(_relined(element, line_of) for element in current)
            elif dataclasses.is_dataclass(current) and not isinstance(current, type):
                changes[item.name] = _relined(current, line_of)
        return dataclasses.replace(value, **changes) if changes else value
    return value
