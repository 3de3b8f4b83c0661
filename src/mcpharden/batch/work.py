"""One server's audit, as a worker runs it: clone (for a URL), scan the repository, audit the
image (when there is one and images are wanted), scan the catalog's own entry. Everything a
worker returns is plain data; everything that goes wrong is an error of that step, never an
exception that would stop the batch."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from mcpharden.batch.clone import EntryError, checkout, inside
from mcpharden.batch.inputs import ServerTask, read_bounded


@dataclass(frozen=True)
class BatchSettings:
    cache: str  # where URLs are cloned
    images: bool = True  # audit the image a catalog entry names
    platform: str | None = None
    # An outside audit: a repository's own `# mcpharden: ignore=` comments and configuration change
    # nothing (they are listed); True honours them, as the repository's own `mcpharden scan` would.
    honour_repository_suppressions: bool = False
    # `--registry-mirror HOST[:PORT]`: images of Docker Hub (no registry host, as the catalog writes
    # `mcp/name`) are pulled from this mirror of it, as Docker's `registry-mirrors` does.
    registry_mirror: str | None = None
    vuln_dbs: tuple[str, ...] = ()  # `--vuln-db`: OSV advisories (resolved paths) the images are matched against


@dataclass(frozen=True)
class ServerOutcome:
    key: str
    name: str
    location: str
    commit: str
    image: str
    status: str  # "done" | "error" (no step succeeded)
    findings: tuple[dict, ...] = ()
    notices: tuple[dict, ...] = ()
    cards: tuple[dict, ...] = ()
    score: int | None = None
    grade: str | None = None
    # Why there is no grade (a failed audit, nothing to judge, a file that did not parse, no server
    # container), or how the grade was reached (the worst server card).
    grade_reason: str = ""
    files_scanned: int = 0
    base_families: tuple[str, ...] = ()
    timings: tuple[tuple[str, float], ...] = ()
    errors: tuple[tuple[str, str], ...] = field(default=())
    # What the repository's own comments and configuration hide (findings, each with `suppressed_by`),
    # and whether that was honoured ("honoured": left out of the score) or not ("counted").
    suppressed: tuple[dict, ...] = ()
    repository_suppressions: str = "counted"


def audit_server(task: ServerTask, settings: BatchSettings) -> ServerOutcome:
    """The whole audit of one server; never raises."""
    timings: list[tuple[str, float]] = []
    errors: list[tuple[str, str]] = []
    results = []
    commit = task.commit  # the commit audited: the one a clone holds, else the one the entry names

    def step(name: str, action):
        started = time.perf_counter()
        try:
            return action()
        except EntryError as error:  # a value of the entry mcpharden refuses: the entry is not audited
            errors.append(("inputs", _safe(str(error))))
            return None
        except BaseException as error:  # a hostile repository must not stop the batch
            if isinstance(error, KeyboardInterrupt):
                raise
            errors.append((name, _safe(f"{type(error).__name__}: {error}")))
            return None
        finally:
            timings.append((name, round(time.perf_counter() - started, 4)))

    if task.problem:
        return _outcome(task, [], timings, [("inputs", _safe(task.problem))])
    root = None
    if task.location:
        cloned = step("clone", lambda: checkout(task.location, task.credential, task.commit, task.branch, settings.cache,
                                                task.name)) if task.is_url else (Path(task.location), task.commit)
        root, commit = cloned if cloned is not None else (None, task.commit)
    if root is not None and task.subdirectory:
        root = step("scan", lambda: inside(root, task.subdirectory))
    if any(name == "inputs" for name, _ in errors):
        return _outcome(task, [], timings, errors)
    if root is not None:
        found = step("scan", lambda: _scan(root, settings.honour_repository_suppressions, task.subdirectory if task.location else ""))
        if found is not None:
            results.append(found)
    if task.catalog_entry:
        found = step("catalog", lambda: _scan_catalog_entry(Path(task.catalog_entry), settings.honour_repository_suppressions))
        if found is not None:
            results.append(found)
    if task.image and settings.images:
        found = step("image", lambda: _audit_image(catalog_image(task.image), settings))
        if found is not None:
            results.append(found)
    if not task.location and not task.image:
        errors.append(("inputs", "the entry names no source repository and no image"))
    elif not _judged(results) and not errors:
        if task.location or not results:
            errors.append(("scan", "nothing to judge: no Dockerfile, compose file, manifest, CI definition or client "
                                   "configuration could be read"))
        else:
            errors.append(("image", "not audited (--no-images): the catalog entry alone does not judge the server"))
    return _outcome(task, results, timings, errors, settings.honour_repository_suppressions, commit)


def _scan(target: Path, honour: bool, folder: str = ""):
    from mcpharden.scan import ScanOptions, TargetError, scan_target

    if not target.is_dir():
        if folder:  # the catalog names a folder the repository (or its mirror) does not have
            raise TargetError(f"the server's folder {folder[:200]} is not in the repository: nothing of it to judge")
        raise TargetError(f"{target.name or target}: not a directory")
    return "repository", scan_target(target, ScanOptions(use_repository_config=honour))


def _scan_catalog_entry(entry: Path, honour: bool):
    from mcpharden.scan import ScanOptions, scan_text

    text, problem = read_bounded(entry.parent, entry.name)  # bounded, as the batch read it
    if text is None:
        raise ValueError(f"server.yaml: {problem}")
    return "catalog", scan_text("server.yaml", text, ScanOptions(use_repository_config=honour))


def catalog_image(reference: str) -> str:
    """The image a catalog entry names, as it is pulled: a name with neither tag nor digest
    (`mcp/time`, how Docker's catalog writes its images) is `mcp/time:latest`, as `docker pull`
    reads it; a tag or a digest stays as written."""
    from mcpharden.model.references import parse_image_name

    reference = reference.strip()
    name = parse_image_name(reference)
    return reference if name.tag or name.digest or "@" in reference else f"{reference}:latest"


def _audit_image(reference: str, settings: BatchSettings):
    from mcpharden.model.references import parse_image_name
    from mcpharden.scan import ScanOptions, scan_image

    name, pulled, mirror = parse_image_name(reference), reference, settings.registry_mirror
    if mirror and name.registry == "docker.io":
        pulled = f"{mirror}/{name.repository}" + (f"@{name.digest}" if name.digest else f":{name.tag or 'latest'}")
    options = ScanOptions(use_repository_config=False, vuln_dbs=tuple(Path(db) for db in settings.vuln_dbs))
    return "image", scan_image(pulled, options, settings.platform)


def _outcome(task: ServerTask, results, timings, errors, honoured: bool = False, commit: str = "") -> ServerOutcome:
    from mcpharden.verdicts.scoring import verdict

    findings = [(source, result, finding) for source, result in results for finding in result.findings]
    done = _judged(results)
    # An error of any step leaves the audit incomplete, and so does a server of which nothing was
    # read (only its catalog entry): it is never graded, let alone a pass.
    failures = [f"{step}: {message}" for step, message in errors]
    if not done and not failures:
        failures = ["neither the server's repository nor its image could be read and judged"]
    judged = verdict((card for _, result in results for card in result.cards),
                     (notice for _, result in results for notice in result.notices),
                     sum(result.files_scanned for _, result in results), failures=failures)
    folder = task.subdirectory if task.location else ""
    return ServerOutcome(
        key=task.key, name=task.name, location=task.repository, commit=commit or task.commit,
        image=catalog_image(task.image) if task.image else "",
        status="done" if done else "error",
        findings=tuple(_finding_row(source, f, folder) for source, _, f in findings),
        notices=tuple({"path": _safe(_in_repository(n.path, folder) if source == "repository" else n.path), "line": n.line,
                       "message": _safe(n.message)} for source, result in results for n in result.notices)
        + _unpinned_image(task, results),
        cards=tuple(_redacted(card.document()) for _, result in results for card in result.cards),
        score=judged.score, grade=judged.grade, grade_reason=_safe(judged.reason),
        files_scanned=sum(result.files_scanned for _, result in results),
        base_families=tuple(family for _, result in results for family in result.base_families),
        timings=tuple(timings), errors=tuple(errors),
        suppressed=tuple({**_finding_row(source, s.finding, folder), "suppressed_by": _safe(s.by)}
                         for source, result in results for s in result.repository_suppressions),
        repository_suppressions="honoured" if honoured else "counted",
    )


def _judged(results) -> bool:
    """Done when the server itself was read and judged: its repository (a server whose every file
    failed to parse is not) or its image. The catalog's entry alone says how the server is run, not
    what it is: a repository that could not be fetched leaves the server an error, never a pass."""
    return any(result.files_scanned for source, result in results if source in ("repository", "image"))


def _unpinned_image(task: ServerTask, results) -> tuple[dict, ...]:
    """An image the catalog names by a tag (or by nothing: `latest`) was audited as its registry
    serves it today: said beside its findings, since tomorrow's pull may be another image."""
    if not task.image or "@" in task.image or not any(source == "image" for source, _ in results):
        return ()
    pulled = catalog_image(task.image)
    digests = sorted({image.reference for source, result in results if source == "image" for image in result.images
                      if "sha256:" in image.reference})
    served = f" ({', '.join(digests)})" if digests else ""
    return ({"path": _safe(pulled), "line": None,
             "message": _safe(f"the catalog pins no digest: `{task.image}` was audited as `{pulled}`, the image its registry "
                              f"serves today{served}; another pull may get another image")},)


def _finding_row(source: str, f, folder: str = "") -> dict:
    path = _in_repository(f.path, folder) if source == "repository" else f.path
    return {"source": source, "rule_id": f.rule_id, "severity": f.severity.label, "path": _safe(path), "line": f.line,
            "message": _safe(f.message), "fingerprint": f.fingerprint}


def _in_repository(path: str, folder: str) -> str:
    """A path of the server's folder as a path of its repository (`src/github/Dockerfile`), so
    that the report can link it; the findings themselves were judged on that folder alone."""
    return f"{folder}/{path}" if folder and path and not path.startswith("/") else path


def _safe(text: str) -> str:
    """What goes in the database passes the same gate as every report: no credential value."""
    from mcpharden.safety import escape_bytes, redact_text

    return redact_text(escape_bytes(str(text)))


def _redacted(value):
    from mcpharden.safety import redact_document

    return redact_document(value)
