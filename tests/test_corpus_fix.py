"""`fix --write` over every repository of both shared corpora: every written Dockerfile parses
with Docker's parser, every written YAML file composes without a key it did not have twice,
nothing is refused, and a second run changes nothing."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import dockerfile
import pytest
import yaml

from mcpharden.fixes.plan import plan_fixes
from mcpharden.fixes.writer import write_plan
from mcpharden.scan import ScanOptions
from mcpharden.sources.discovery import classify

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
CORPORA = [SHARED / "corpus", SHARED / "corpus2"]


def _repositories() -> list[Path]:
    return [r for corpus in CORPORA if corpus.is_dir() for r in sorted(corpus.iterdir())
            if r.is_dir() and not r.name.startswith((".", "_"))]


def duplicate_keys(text: str) -> list[tuple[str, int]]:
    """Keys a mapping holds twice (merge keys aside), read from the node tree, so custom tags
    and anchors need no constructor."""
    found = []

    def walk(node) -> None:
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if key.value in seen:
                        found.append((key.value, key.start_mark.line + 1))
                    seen.add(key.value)
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for value in node.value:
                walk(value)

    for document in yaml.compose_all(text, Loader=yaml.SafeLoader):
        walk(document)
    return found


def _writable_copy(repository: Path, destination: Path) -> Path:
    shutil.copytree(repository, destination, symlinks=True)
    for directory, _subdirectories, files in os.walk(destination):
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):  # the corpus is read-only; the writer refuses read-only files
                os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)
    return destination


def test_fix_write_over_every_corpus_repository(tmp_path):
    repositories = _repositories()
    if not repositories:
        pytest.skip(f"the shared corpora are absent ({', '.join(map(str, CORPORA))})")
    problems: list[str] = []
    written = 0
    for repository in repositories:
        target = _writable_copy(repository, tmp_path / repository.parent.name / repository.name)
        for plan in plan_fixes(target, ScanOptions(), {}).plans:
            before = duplicate_keys(plan.original) if plan.path.endswith((".yml", ".yaml")) and plan.original else []
            outcome = write_plan(target, plan)
            if not outcome.written:
                problems.append(f"{repository.name}/{plan.path}: not written: {outcome.reason}")
                continue
            written += 1
            path = target / plan.path
            if plan.path.endswith((".yml", ".yaml")):
                after = duplicate_keys(path.read_text(encoding="utf-8"))
                if len(after) > len(before):
                    problems.append(f"{repository.name}/{plan.path}: duplicate keys {after}")
            elif classify(plan.path).kind == "dockerfile":
                dockerfile.parse_file(str(path))  # raises on a file Docker would not read
        for plan in plan_fixes(target, ScanOptions(), {}).plans:
            problems.append(f"{repository.name}/{plan.path}: changes again on a second run")
        shutil.rmtree(target)
    assert written > 1000
    assert problems == []
