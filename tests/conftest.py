"""Helpers: write a small repository into tmp_path and scan it with the real engine."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mcpharden.model.findings import Finding
from mcpharden.scan import ScanOptions, TargetResult, scan_target

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CORPORA = {"corpus": CORPUS, "corpus2": ROOT.parent / "shared" / "corpus2"}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def scan_files(root: Path, files: dict[str, str], **options) -> TargetResult:
    write_tree(root, files)
    return scan_target(root, ScanOptions(**options))


def findings(result: TargetResult, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id]


def rule_findings(tmp_path: Path, rule_id: str, dockerfile: str, files: dict[str, str] | None = None) -> list[Finding]:
    """Findings of one rule for a repository holding `dockerfile` (and other files)."""
    tree = {"Dockerfile": dockerfile, **(files or {})}
    return findings(scan_files(tmp_path, tree, select=(rule_id,)), rule_id)


def run_cli(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI as a user runs it, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "mcpharden", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@pytest.fixture(params=sorted(CORPORA))
def corpus(request) -> Path:
    """Each shared corpus in turn (corpus2 holds the whole Docker MCP catalog in _catalog/)."""
    path = CORPORA[request.param]
    if not path.is_dir():
        pytest.skip(f"the shared corpus is absent ({path})")
    return path
