"""Kustomize overlays → the containers `kustomize build` (`kubectl apply -k`) gives them.

A `kustomization.yaml` gathers its `resources` (files, and folders with a kustomization of their
own, built the same way; `bases` is the old spelling) and changes them: strategic-merge patches
(`patches` with a `path` or an inline `patch`, `patchesStrategicMerge`), JSON 6902 patches
(`patches` holding a list of operations, `patchesJson6902`) and the `images` transformer. Remote
resources are not fetched, and no path leaves the scanned root.

The resources are judged on their own, as files (a base is applied alone too). What an overlay
adds is the containers its patches or `images` entries touch, judged merged with their base for
what the overlay changes (`compose.judged_for_changes`): a setting from a patch is reported on
the patch's own line (in the kustomization, or in the patch file).

Each source gets a band of line numbers (`_BAND` apart) while the objects are merged, so that
after merging every line still tells its file.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mcpharden.sources.compose import judged_for_changes
from mcpharden.sources.kubernetes import _containers, pod_spec_path
from mcpharden.syntax.yamlnodes import YamlError, YamlList, YamlMap, load_documents

if TYPE_CHECKING:
    from mcpharden.model.container import ContainerSpec

FileReader = Callable[[str], "str | None"]
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_DEPTH = 10
_BAND = 1_000_000  # more lines than a configuration file holds


@dataclass
class _Build:
    """What building one kustomization has gathered: objects, the sources of their lines."""

    read: FileReader
    sources: list[tuple[str, int]] = field(default_factory=lambda: [("", 0)])  # band → (file, line delta)
    patch_sources: set[int] = field(default_factory=set)  # bands that are patches or the overlay's own lines
    base_files: set[str] = field(default_factory=set)
    patch_files: set[str] = field(default_factory=set)  # files that are patches: no workload of their own
    touched: dict[int, int] = field(default_factory=dict)  # id(object) → line (in the overlay) of what touched it
    kept: list[Any] = field(default_factory=list)  # every object built, so that no id above is reused

    def band(self, path: str, delta: int = 0, patch: bool = False) -> int:
        self.sources.append((path, delta))
        if patch:
            self.patch_sources.add(len(self.sources) - 1)
        return (len(self.sources) - 1) * _BAND

    def decode(self, line: int) -> tuple[str, int]:
        index = line // _BAND
        if 0 < index < len(self.sources):
            file, delta = self.sources[index]
            return file, line % _BAND + delta
        return "", line

    def from_patch(self, line: int) -> bool:
        return line // _BAND in self.patch_sources


def is_kustomization(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES


def overlay_specs(path: str, text: str, read: FileReader) -> tuple[list[ContainerSpec], set[str]]:
    """The containers a kustomization's patches and `images` entries change, merged with their
    base; and the patch files it names (a partial object, not a workload to judge alone)."""
    build = _Build(read)
    documents = load_documents(text)
    kustomization = documents[0] if documents and isinstance(documents[0], YamlMap) else None
    if kustomization is None:
        return [], set()
    own = build.band(path, patch=True)
    _shift(kustomization, own)
    objects = _build(build, path, kustomization, depth=0, seen={path})
    specs: list[ContainerSpec] = []
    for item in objects:
        if id(item) not in build.touched or pod_spec_path(item) is None:
            continue
        for spec in _containers(path, item):
            specs.append(_decoded(build, path, spec, build.touched[id(item)], _pod(item)))
    return specs, build.patch_files


def _build(build: _Build, path: str, kustomization: YamlMap, depth: int, seen: set[str]) -> list[YamlMap]:
    folder = posixpath.dirname(path)
    objects: list[YamlMap] = []
    for entry in _strings(kustomization.get("resources")) + _strings(kustomization.get("bases")):
        target = _inside(folder, entry)
        if target is None:
            continue
        nested = next((posixpath.join(target, name) for name in KUSTOMIZATION_NAMES
                       if build.read(posixpath.join(target, name)) is not None), None)
        if nested is not None:
            if nested in seen or depth >= MAX_DEPTH:
                continue
            documents = _load(build.read(nested) or "")
            if documents and isinstance(documents[0], YamlMap):
                inner = documents[0]
                _shift(inner, build.band(nested))
                objects += _build(build, nested, inner, depth + 1, seen | {nested})
            continue
        text = build.read(target)
        if text is None:
            continue
        build.base_files.add(target)
        band = build.band(target)
        for document in _load(text):
            if isinstance(document, YamlMap):
                _shift(document, band)
                objects.append(document)
    top = depth == 0  # what a nested kustomization changes is its own finding, not the overlay's
    for patch, line in _patches(build, folder, kustomization, top):
        objects = _apply(build, objects, patch, line, top)
    images = kustomization.get("images")
    for index, image in enumerate(images if isinstance(images, YamlList) else []):
        if isinstance(image, YamlMap) and isinstance(image.get("name"), str):
            objects = [_with_image(build, item, image, images.line_of(index), top) for item in objects]
    return objects


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value if isinstance(item, str)] if isinstance(value, YamlList) else []


def _inside(folder: str, entry: str) -> str | None:
    """A resource or patch path below the scanned root (None: remote, absolute, or outside)."""
    if "://" in entry or entry.startswith(("/", "github.com/", "git@")) or "?ref=" in entry:
        return None
    joined = posixpath.normpath(posixpath.join(folder, entry))
    return None if joined == ".." or joined.startswith("../") else joined


def _load(text: str) -> list[Any]:
    try:
        return load_documents(text)
    except YamlError:
        return []  # a resource that does not parse is reported when it is read as a file


def _patches(build: _Build, folder: str, kustomization: YamlMap, top: bool) -> Iterator[tuple[Any, int]]:
    """Each patch (a mapping, or a list of JSON 6902 operations with its `target`), with the line
    of the kustomization that names it."""
    entries: list[tuple[Any, int, Any]] = []
    for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
        value = kustomization.get(key)
        for index, entry in enumerate(value if isinstance(value, YamlList) else []):
            entries.append((entry, value.line_of(index), key))
    for entry, line, key in entries:
        target = entry.get("target") if isinstance(entry, YamlMap) else None
        if isinstance(entry, YamlMap) and isinstance(entry.get("path"), str):
            file = _inside(folder, entry["path"])
            text = build.read(file) if file else None
            build.patch_files.update([file] if text else [])
            band = build.band(file, patch=top) if text else 0
        elif isinstance(entry, YamlMap) and isinstance(entry.get("patch"), str):
            text, band = entry["patch"], build.band(build.decode(line)[0], build.decode(entry.line_of("patch"))[1], patch=top)
        elif isinstance(entry, str) and key == "patchesStrategicMerge":
            file = _inside(folder, entry) if "\n" not in entry else None
            text = build.read(file) if file else entry
            build.patch_files.update([file] if file and text else [])
            band = build.band(file, patch=top) if file else build.band(build.decode(line)[0], build.decode(line)[1], patch=top)
        else:
            continue
        for document in _load(text or ""):
            if isinstance(document, (YamlMap, YamlList)):
                _shift(document, band)
                yield (document, target), line


def _apply(build: _Build, objects: list[YamlMap], patch: tuple[Any, Any], line: int, top: bool) -> list[YamlMap]:
    body, target = patch
    kind = str(target.get("kind", "")) if isinstance(target, YamlMap) else str(body.get("kind", "")) if isinstance(body, YamlMap) else ""
    name = (str(target.get("name", "")) if isinstance(target, YamlMap)
            else str((body.get("metadata") or {}).get("name", "")) if isinstance(body, YamlMap) else "")
    result = []
    for item in objects:
        metadata = item.get("metadata") if isinstance(item.get("metadata"), YamlMap) else {}
        if (not kind or item.get("kind") == kind) and (not name or metadata.get("name") == name) and (kind or name):
            patched = _merged(item, body) if isinstance(body, YamlMap) else _json_patch(item, body)
            build.kept.append(patched)
            if top:
                build.touched[id(patched)] = build.decode(line)[1]
            elif id(item) in build.touched:
                build.touched[id(patched)] = build.touched[id(item)]
            result.append(patched)
        else:
            result.append(item)
    return result


# Lists of these keys merge item by item on the key named (Kubernetes' patch strategy).
_MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
               "volumeMounts": "mountPath", "ports": "containerPort", "imagePullSecrets": "name"}


def _merged(base: Any, patch: Any, key: str = "") -> Any:
    """A strategic merge: maps merge, `null` deletes, lists of the keys above merge by their
    merge key, other lists are replaced."""
    if isinstance(base, YamlMap) and isinstance(patch, YamlMap):
        result = _copy(base)
        for name, value in patch.items():
            if str(name).startswith("$"):
                continue
            if value is None:
                result.pop(name, None)
                continue
            result[name] = _merged(base.get(name), value, str(name))
            result.key_lines[name] = patch.line_of(name)
        return result
    if isinstance(base, YamlList) and isinstance(patch, YamlList) and key in _MERGE_KEYS:
        merge_key = _MERGE_KEYS[key]
        result = YamlList()
        result.line = patch.line
        positions: dict[Any, int] = {}
        for index, item in enumerate(base):
            if isinstance(item, YamlMap) and merge_key in item:
                positions[item[merge_key]] = len(result)
            result.append(item)
            result.item_lines.append(base.line_of(index))
        for index, item in enumerate(patch):
            at = positions.get(item.get(merge_key)) if isinstance(item, YamlMap) else None
            if at is not None:
                result[at] = _merged(result[at], item, "")
            else:
                result.append(item)
                result.item_lines.append(patch.line_of(index))
        return result
    return patch


def _copy(node: Any) -> Any:
    """A shallow copy of a mapping or sequence, with its lines."""
    copy = type(node)()
    copy.line = node.line
    if isinstance(node, YamlMap):
        copy.update(node)
        copy.key_lines.update(node.key_lines)
    else:
        copy.extend(node)
        copy.item_lines.extend(node.item_lines)
    return copy


def _json_patch(item: YamlMap, operations: Any) -> YamlMap:
    """`add`, `replace` and `remove` operations of a JSON 6902 patch (others are ignored)."""
    result = _copy(item)  # so that the base object is judged unchanged
    for operation in operations if isinstance(operations, YamlList) else []:
        if not isinstance(operation, YamlMap) or not isinstance(operation.get("path"), str):
            continue
        parts = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
        if not parts:
            continue
        parent: Any = result
        for index, part in enumerate(parts[:-1]):
            child = _child(parent, part)
            if isinstance(child, (YamlMap, YamlList)):
                copied = _copy(child)
                _set_child(parent, part, copied, None)
                parent = copied
            else:
                parent = None
                break
        if parent is None:
            continue
        op, last = operation.get("op"), parts[-1]
        if op in ("add", "replace"):
            _set_child(parent, last, operation.get("value"), operation.line_of("value"), insert=op == "add")
        elif op == "remove" and isinstance(parent, YamlMap):
            parent.pop(last, None)
    return result


def _child(parent: Any, part: str) -> Any:
    if isinstance(parent, YamlMap):
        return parent.get(part)
    if isinstance(parent, YamlList) and part.isdigit() and int(part) < len(parent):
        return parent[int(part)]
    return None


def _set_child(parent: Any, part: str, value: Any, line: int | None, insert: bool = False) -> None:
    if isinstance(parent, YamlMap):
        parent[part] = value
        if line is not None:
            parent.key_lines[part] = line
    elif isinstance(parent, YamlList):
        if part == "-":
            parent.append(value)
            parent.item_lines.append(line if line is not None else parent.line)
        elif part.isdigit() and int(part) <= len(parent):
            index = int(part)
            if insert or index == len(parent):
                parent.insert(index, value)
                parent.item_lines.insert(index, line if line is not None else parent.line)
            else:
                parent[index] = value
                if line is not None and index < len(parent.item_lines):
                    parent.item_lines[index] = line


def _with_image(build: _Build, item: YamlMap, image: YamlMap, line: int, top: bool) -> YamlMap:
    """The `images` transformer: `name` → `newName`, `newTag`, `digest`."""
    pod = _pod(item)
    changed = False
    for list_name in ("initContainers", "containers"):
        containers = pod.get(list_name)
        for container in containers if isinstance(containers, YamlList) else []:
            current = container.get("image") if isinstance(container, YamlMap) else None
            if isinstance(current, str) and _image_name(current) == image["name"]:
                name = str(image.get("newName") or image["name"])
                digest, tag = image.get("digest"), image.get("newTag")
                container["image"] = f"{name}@{digest}" if digest else f"{name}:{tag}" if tag else name + current[len(_image_name(current)):]
                container.key_lines["image"] = line
                changed = True
    if changed and top:
        build.touched.setdefault(id(item), build.decode(line)[1])
    return item


def _image_name(reference: str) -> str:
    name = reference.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def _shift(node: Any, offset: int) -> None:
    """Move every line of a freshly loaded tree into its source's band."""
    if isinstance(node, YamlMap):
        node.line += offset
        for key in node.key_lines:
            node.key_lines[key] += offset
        for value in node.values():
            _shift(value, offset)
    elif isinstance(node, YamlList):
        node.line += offset
        node.item_lines = [line + offset for line in node.item_lines]
        for value in node:
            _shift(value, offset)


def _pod(item: YamlMap) -> YamlMap:
    pod: Any = item
    for step in pod_spec_path(item) or ():
        pod = pod.get(step) if isinstance(pod, YamlMap) else None
    return pod if isinstance(pod, YamlMap) else YamlMap()


def _decoded(build: _Build, path: str, spec: ContainerSpec, line: int, pod: YamlMap) -> ContainerSpec:
    """A merged container with its lines back in their files, judged for what the overlay changes."""
    lines: dict[str, int] = {}
    paths: dict[str, str] = {}
    changed: set[str] = set()
    for name, encoded in spec.lines.items():
        file, real = build.decode(encoded)
        lines[name] = real
        if file != path:
            paths[name] = file
        if build.from_patch(encoded):
            changed.add(name)

    def moved(item: Any) -> Any:
        file, real = build.decode(item.line)
        if build.from_patch(item.line):
            changed.add("item")
        return replace(item, line=real, path="" if file == path else file)

    spec = replace(
        spec, line=line, lines=MappingProxyType(lines), paths=MappingProxyType(paths),
        mounts=tuple(moved(m) for m in spec.mounts), ports=tuple(moved(p) for p in spec.ports),
        env=tuple(moved(e) for e in spec.env),
        command=tuple(replace(word, line=build.decode(word.line)[1]) for word in spec.command),
        start_fetches=tuple(replace(fetch, line=build.decode(fetch.line)[1], path=build.decode(fetch.line)[0] or path)
                            for fetch in spec.start_fetches),
    )
    # `resources` holds the memory and CPU limits: a patch that sets it sets both.
    if "memory_limit" in changed:
        changed.add("cpu_limit")
    # The token is the overlay's doing only when a patch names the account or the token setting.
    changed.discard("service_account_token")
    if any(key in pod and build.from_patch(pod.line_of(key)) for key in ("automountServiceAccountToken", "serviceAccountName")):
        changed.add("service_account_token")
    else:
        spec = replace(spec, service_account=None, service_account_token=None)  # judged on the base
    return judged_for_changes(spec, changed, build.base_files)
