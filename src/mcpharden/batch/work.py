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
        root = step("clone", lambda: _checkout(task, settings)) if task.is_url else Path(task.location)
    if root is not None and task.subdirectory:
        root = step("scan", lambda: inside(root, task.subdirectory))
    if any(name == "inputs" for name, _ in errors):
        return _outcome(task, [], timings, errors)
    if root is not None:
        found = step("scan", lambda: _scan(root, settings.honour_repository_suppressions))
        if found is not None:
            results.append(found)
    if task.catalog_entry:
        found = step("catalog", lambda: _scan_catalog_entry(Path(task.catalog_entry), settings.honour_repository_suppressions))
        if found is not None:
            results.append(found)
    if task.image and settings.images:
        found = step("image", lambda: _audit_image(task.image, settings.platform))
        if found is not None:
            results.append(found)
    if not task.location and not task.image:
        errors.append(("inputs", "the entry names no source repository and no image"))
    elif results and not any(result.files_scanned for _, result in results) and not errors:
        errors.append(("scan", "nothing to judge: no Dockerfile, compose file, manifest, CI definition or client "
                               "configuration could be read"))
    return _outcome(task, results, timings, errors, settings.honour_repository_suppressions)


def _scan(target: Path, honour: bool):
    from mcpharden.scan import ScanOptions, TargetError, scan_target

    if not target.is_dir():
        raise TargetError(f"{target.name or target}: not a directory")
    return "repository", scan_target(target, ScanOptions(use_repository_config=honour))


def _scan_catalog_entry(entry: Path, honour: bool):
    from mcpharden.scan import ScanOptions, scan_text

    text, problem = read_bounded(entry.parent, entry.name)  # bounded, as the batch read it
    if text is None:
        raise ValueError(f"server.yaml: {problem}")
    return "catalog", scan_text("server.yaml", text, ScanOptions(use_repository_config=honour))


def _audit_image(reference: str, platform: str | None):
    from mcpharden.scan import ScanOptions, scan_image

    return "image", scan_image(reference, ScanOptions(use_repository_config=False), platform)


def _checkout(task: ServerTask, settings: BatchSettings) -> Path:
    return checkout(task.location, task.credential, task.commit, task.branch, settings.cache, task.name)


def _outcome(task: ServerTask, results, timings, errors, honoured: bool = False) -> ServerOutcome:
    from mcpharden.verdicts.scoring import verdict

    findings = [(source, result, finding) for source, result in results for finding in result.findings]
    # An error of any step leaves the audit incomplete: it is never graded, let alone a pass.
    judged = verdict((card for _, result in results for card in result.cards),
                     (notice for _, result in results for notice in result.notices),
                     sum(result.files_scanned for _, result in results),
                     failures=[f"{step}: {message}" for step, message in errors])
    return ServerOutcome(
        key=task.key, name=task.name, location=task.location, commit=task.commit, image=task.image,
        # Done when something was read and judged; a server whose every file failed to parse is an error.
        status="done" if any(result.files_scanned for _, result in results) else "error",
        findings=tuple(_finding_row(source, f) for source, _, f in findings),
        notices=tuple({"path": _safe(n.path), "line": n.line, "message": _safe(n.message)}
                      for _, result in results for n in result.notices),
        cards=tuple(_redacted(card.document()) for _, result in results for card in result.cards),
        score=judged.score, grade=judged.grade, grade_reason=_safe(judged.reason),
        files_scanned=sum(result.files_scanned for _, result in results),
        base_families=tuple(family for _, result in results for family in result.base_families),
        timings=tuple(timings), errors=tuple(errors),
        suppressed=tuple({**_finding_row(source, s.finding), "suppressed_by": _safe(s.by)}
                         for source, result in results for s in result.repository_suppressions),
        repository_suppressions="honoured" if honoured else "counted",
    )


def _finding_row(source: str, f) -> dict:
    return {"source": source, "rule_id": f.rule_id, "severity": f.severity.label, "path": _safe(f.path), "line": f.line,
            "message": _safe(f.message), "fingerprint": f.fingerprint}


def _safe(text: str) -> str:
    """What goes in the database passes the same gate as every report: no credential value."""
    from mcpharden.safety import escape_bytes, redact_text

    return redact_text(escape_bytes(str(text)))


def _redacted(value):
    from mcpharden.safety import redact_document

    return redact_document(value)
