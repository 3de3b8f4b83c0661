"""Version order per ecosystem, as each package manager defines it: dpkg (Debian), apk
(Alpine), semver (npm) and PEP 440 (PyPI). compare(a, b) is negative, zero or positive."""

from __future__ import annotations

import re
from functools import cmp_to_key


class InvalidVersion(ValueError):
    pass


# dpkg ------------------------------------------------------------------------------------------------


def _dpkg_order(char: str) -> int:
    if char == "~":
        return -1
    if char.isdigit():
        return 0
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _dpkg_part(a: str, b: str) -> int:
    """Compare upstream versions or revisions the way dpkg's verrevcmp does."""
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _dpkg_order(a[i]) if i < len(a) else 0
            bc = _dpkg_order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i, j = i + 1, j + 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i, j = i + 1, j + 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _dpkg_split(version: str) -> tuple[int, str, str]:
    epoch, colon, rest = version.partition(":")
    if not colon:
        epoch, rest = "0", version
    if not epoch.isdigit():
        raise InvalidVersion(version)
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, ""
    return int(epoch), upstream, revision


def compare_dpkg(a: str, b: str) -> int:
    ea, ua, ra = _dpkg_split(a)
    eb, ub, rb = _dpkg_split(b)
    return (ea - eb) or _dpkg_part(ua, ub) or _dpkg_part(ra, rb)


# apk -------------------------------------------------------------------------------------------------

_APK = re.compile(r"^(\d+(?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)(?:-r(\d+))?$")
_APK_SUFFIX_ORDER = {"alpha": -4, "beta": -3, "pre": -2, "rc": -1, "cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5}


def _apk_key(version: str):
    match = _APK.match(version)
    if not match:
        raise InvalidVersion(version)
    numbers = [int(n) for n in match.group(1).split(".")]
    suffixes = [(_APK_SUFFIX_ORDER[name], int(number or 0))
                for name, number in re.findall(r"_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)", match.group(3))]
    return numbers, match.group(2), suffixes or [(0, 0)], int(match.group(4) or 0)


def compare_apk(a: str, b: str) -> int:
    ka, kb = _apk_key(a), _apk_key(b)
    for x, y in zip(ka[0], kb[0]):
        if x != y:
            return -1 if x < y else 1
    if len(ka[0]) != len(kb[0]):
        return -1 if len(ka[0]) < len(kb[0]) else 1
    for x, y in zip(ka[1:], kb[1:]):
        if x != y:
            return -1 if x < y else 1
    return 0


# semver (npm) ----------------------------------------------------------------------------------------

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def compare_semver(a: str, b: str) -> int:
    ma, mb = _SEMVER.match(a.strip()), _SEMVER.match(b.strip())
    if not ma or not mb:
        raise InvalidVersion(a if not ma else b)
    core_a, core_b = tuple(int(x) for x in ma.groups()[:3]), tuple(int(x) for x in mb.groups()[:3])
    if core_a != core_b:
        return -1 if core_a < core_b else 1
    pa, pb = ma.group(4), mb.group(4)
    if pa == pb:
        return 0
    if pa is None or pb is None:
        return 1 if pa is None else -1  # a release sorts after its pre-releases
    for x, y in zip(pa.split("."), pb.split(".")):
        if x == y:
            continue
        if x.isdigit() and y.isdigit():
            return -1 if int(x) < int(y) else 1
        if x.isdigit() != y.isdigit():
            return -1 if x.isdigit() else 1
        return -1 if x < y else 1
    return (len(pa.split(".")) > len(pb.split("."))) - (len(pa.split(".")) < len(pb.split(".")))


# PEP 440 (PyPI) --------------------------------------------------------------------------------------


def compare_pep440(a: str, b: str) -> int:
    from packaging.version import InvalidVersion as PackagingInvalid
    from packaging.version import Version

    try:
        va, vb = Version(a), Version(b)
    except PackagingInvalid:
        raise InvalidVersion(f"{a} / {b}") from None
    return (va > vb) - (va < vb)


COMPARATORS = {"deb": compare_dpkg, "apk": compare_apk, "npm": compare_semver, "pypi": compare_pep440}


def sort_key(ecosystem: str):
    return cmp_to_key(COMPARATORS[ecosystem])
