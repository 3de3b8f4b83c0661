"""CycloneDX 1.6 JSON SBOM of audited images, with package URLs (purl) per ecosystem."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from mcpharden.model.image import ImageModel, Package

ARCHITECTURES = {"amd64": "amd64", "arm64": "arm64", "386": "i386", "arm": "armhf", "ppc64le": "ppc64el", "s390x": "s390x"}
APK_ARCHITECTURES = {"amd64": "x86_64", "arm64": "aarch64", "386": "x86", "arm": "armv7", "ppc64le": "ppc64le", "s390x": "s390x"}


def purl(package: Package, image: ImageModel) -> str:
    architecture = image.platform.split("/")[1] if image.platform.count("/") >= 1 else ""
    version = quote(package.version, safe="~._-")
    if package.ecosystem == "deb":
        vendor = image.distro or "debian"
        # The release as os-release gives it (debian-12, ubuntu-22.04): the same version string
        # is a different package, with different advisories, in another release.
        release = f"{vendor}-{image.distro_version}" if image.distro_version else vendor
        qualifiers = "&".join(q for q in (f"arch={ARCHITECTURES.get(architecture, architecture)}" if architecture else "",
                                          f"distro={quote(release, safe='._-')}") if q)
        return f"pkg:deb/{vendor}/{quote(package.name)}@{version}?{qualifiers}"
    if package.ecosystem == "apk":
        vendor = image.distro or "alpine"
        qualifiers = "&".join(q for q in (f"arch={APK_ARCHITECTURES.get(architecture, architecture)}" if architecture else "",
                                          f"distro={quote(vendor + '-' + image.distro_version, safe='._-')}"
                                          if image.distro_version else "") if q)
        return f"pkg:apk/{vendor}/{quote(package.name)}@{version}" + (f"?{qualifiers}" if qualifiers else "")
    if package.ecosystem == "npm":
        scope, _, name = package.name.rpartition("/")
        path = f"{quote(scope)}/{quote(name.lower())}" if scope else quote(name.lower())
        return f"pkg:npm/{path}@{version}"
    return f"pkg:pypi/{re.sub(r'[-_.]+', '-', package.name).lower()}@{version}"


def render_sbom(images: list[ImageModel], tool_version: str) -> str:
    components: dict[str, dict] = {}
    for image in images:
        for package in image.packages:
            url = purl(package, image)
            properties = [{"name": "mcpharden:path", "value": package.path}, {"name": "mcpharden:image", "value": image.label}]
            if package.dev:
                properties.append({"name": "mcpharden:dev", "value": "true"})
            components.setdefault(url, {"type": "library", "bom-ref": url, "name": package.name, "version": package.version,
                                        "purl": url, "properties": properties})
    first = images[0]
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "mcpharden", "version": tool_version}]},
            "component": {"type": "container", "bom-ref": f"image:{first.reference}", "name": first.reference,
                          "properties": [{"name": "mcpharden:platform", "value": first.platform}]},
        },
        "components": sorted(components.values(), key=lambda c: c["purl"]),
    }
    return json.dumps(document, indent=2) + "\n"
