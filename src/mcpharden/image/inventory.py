"""Package inventory of an image's final file system: dpkg status (and distroless's
status.d), Alpine's installed database, node_modules package.json files (with dev flags from
npm's hidden lockfile) and Python metadata: dist-info METADATA, egg-info PKG-INFO, and the
single-file `NAME-VERSION.egg-info` that distutils writes (PKG-INFO's headers in one file, as
Debian's `python3-*` packages ship them in /usr/lib/python3/dist-packages)."""

from __future__ import annotations

import json
import posixpath
import re

from mcpharden.model.image import Package

DPKG_STATUS = "/var/lib/dpkg/status"
DPKG_STATUS_DIR = "/var/lib/dpkg/status.d/"
APK_INSTALLED = ("/lib/apk/db/installed", "/usr/lib/apk/db/installed")
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
NPM_HIDDEN_LOCKFILE = "node_modules/.package-lock.json"
MAX_DATABASE_BYTES = 32 * 1024**2
_NODE_PACKAGE = re.compile(r"/node_modules/(@[^/]+/)?[^/@.][^/]*/package\.json$")
_DIST_INFO = re.compile(r"/[^/]+\.(?:(?:dist-info|egg-info)/(?:METADATA|PKG-INFO)|egg-info)$")


def wanted(path: str) -> int:
    """How many bytes of this file the inventory needs (0: none)."""
    if path == DPKG_STATUS or path.startswith(DPKG_STATUS_DIR) or path in APK_INSTALLED or path.endswith("/" + NPM_HIDDEN_LOCKFILE):
        return MAX_DATABASE_BYTES
    if path in OS_RELEASE:
        return 64 * 1024
    if _is_node_package(path):
        return 256 * 1024
    if _is_dist_info(path):
        return 16 * 1024  # the headers come first
    return 0


def per_package(path: str) -> bool:
    """A file that describes one package (package.json, METADATA): parsed as soon as it is
    read, so that thousands of them never sit in memory as text."""
    return _is_node_package(path) or _is_dist_info(path)


# Asked of every file of every layer: the suffix test spares the pattern nearly every path.
def _is_node_package(path: str) -> bool:
    return path.endswith("/package.json") and _NODE_PACKAGE.search(path) is not None


def _is_dist_info(path: str) -> bool:
    return path.endswith(("/METADATA", "/PKG-INFO", ".egg-info")) and _DIST_INFO.search(path) is not None


def packages_in(path: str, text: str) -> list[Package]:
    """Packages a single file declares (package.json, METADATA); databases are parsed whole."""
    if _is_node_package(path):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return []
        if not isinstance(data, dict):
            return []
        name, version = data.get("name"), data.get("version")
        return [Package("npm", name, version, path)] if isinstance(name, str) and isinstance(version, str) else []
    if _is_dist_info(path):
        headers = _headers(text)
        if "name" in headers and "version" in headers:
            return [Package("pypi", headers["name"], headers["version"], path)]
    return []


def database_packages(contents: dict[str, str]) -> list[Package]:
    found: list[Package] = []
    for path, text in contents.items():
        if path == DPKG_STATUS or path.startswith(DPKG_STATUS_DIR):
            found.extend(_dpkg(path, text))
        elif path in APK_INSTALLED:
            found.extend(_apk(path, text))
    return found


def dev_flags(contents: dict[str, str]) -> set[str]:
    """Paths of node_modules packages that npm's hidden lockfile marks as dev-only."""
    dev: set[str] = set()
    for path, text in contents.items():
        if not path.endswith("/" + NPM_HIDDEN_LOCKFILE):
            continue
        root = path[: -len(NPM_HIDDEN_LOCKFILE)]
        try:
            packages = json.loads(text).get("packages", {})
        except (ValueError, AttributeError):
            continue
        for location, info in packages.items() if isinstance(packages, dict) else []:
            if isinstance(info, dict) and info.get("dev"):
                dev.add(posixpath.join(root, location, "package.json"))
    return dev


def distro(contents: dict[str, str]) -> tuple[str, str]:
    """(ID, VERSION_ID) from os-release."""
    values: dict[str, str] = {}
    for path in OS_RELEASE:
        for line in contents.get(path, "").splitlines():
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), value.strip().strip("\"'"))
    return values.get("ID", ""), values.get("VERSION_ID", "")


def _headers(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the body follows the headers
        key, colon, value = line.partition(":")
        if colon and not line.startswith((" ", "\t")):
            headers.setdefault(key.strip().lower(), value.strip())
    return headers


def _stanzas(text: str):
    stanza: dict[str, str] = {}
    for line in text.splitlines() + [""]:
        if not line.strip():
            if stanza:
                yield stanza
            stanza = {}
        elif not line.startswith((" ", "\t")) and ":" in line:
            key, _, value = line.partition(":")
            stanza[key.strip()] = value.strip()
    return


def _dpkg(path: str, text: str) -> list[Package]:
    return [
        Package("deb", s["Package"], s["Version"], path, source=s.get("Source", s["Package"]).split(" ", 1)[0])
        for s in _stanzas(text)
        if "Package" in s and "Version" in s and "installed" in s.get("Status", "install ok installed")
    ]


def _apk(path: str, text: str) -> list[Package]:
    found, name, version, origin = [], None, None, ""
    for line in text.splitlines() + [""]:
        if not line.strip():
            if name and version:
                found.append(Package("apk", name, version, path, source=origin or name))
            name = version = None
            origin = ""
        elif line.startswith("P:"):
            name = line[2:].strip()
        elif line.startswith("V:"):
            version = line[2:].strip()
        elif line.startswith("o:"):
            origin = line[2:].strip()
    return found
