"""Built images in a scan: `mcpharden image` (scan_image) and `scan --image` (_with_images, which
adds them to a repository's project to compare with its Dockerfile), with their known
vulnerabilities when OSV databases are given."""

from __future__ import annotations

from pathlib import Path

from mcpharden.model.findings import Finding, Notice
from mcpharden.model.project import Project
from mcpharden.scan.judge import _cards, _run_rule, _with_severity, rules_for
from mcpharden.scan.results import TargetResult
from mcpharden.scan.targets import ScanOptions, TargetError, preamble


def scan_image(path: Path | str, options: ScanOptions, platform: str | None = None, opened: int | None = None) -> TargetResult:
    """Audit a built image: a docker save tarball, an oci-archive or an OCI layout, read
    offline, or an image reference pulled from its registry as a stream. `opened`: the
    archive or layout already opened race-free (`mcpharden serve`), read only through it."""
    from mcpharden.image import ImageError

    try:
        images = _with_vulnerabilities(open_images(str(path), platform, opened), options)
    except ImageError as error:
        raise TargetError(str(error)) from None
    path = Path(path)
    root = path.parent
    config, rules, _ = preamble(root, options, "explicit")
    project = Project(scope="image", images=tuple(images))
    notices: list[Notice] = []
    findings = [_with_severity(f, config) for rule in rules_for(project, rules) for f in _run_rule(rule, project, notices)]
    return TargetResult(
        target=str(path), root=root.as_posix(), config=config, findings=tuple(sorted(findings, key=Finding.sort_key)),
        notices=tuple(notices), files_scanned=len(images), suppressed=0, scope="image", images=tuple(images),
        cards=_cards(project, findings, path.name),
    )


def open_images(target: str, platform: str | None, opened: int | None = None) -> list:
    """The images a file or layout holds, or that an image reference names in its registry
    (audited once per digest and platform: image.cache keeps the result)."""
    from mcpharden.image.read import is_image_reference, read_images

    path = Path(target)
    if opened is not None or path.exists() or path.is_symlink() or not is_image_reference(target):
        return read_images(path, platform, opened)
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
