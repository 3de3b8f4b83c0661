"""`mcpharden serve` treats its clients and the folders it reads as hostile: paths are
confined race-free (a folder swapped for a symlink mid-call leads nowhere, a FIFO blocks
nothing), one client cannot starve another, a cancelled call's scan stops, and an over-size
stdio message is refused without being held. The repository reader the CLI uses is the same
mechanism, so the CLI is held to it too."""

from __future__ import annotations

import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp_types import Implementation

from conftest import run_cli, write_tree
from imagebuilder import Entry, Image, docker_archive_oci, layer, oci_layout
from test_fix_registry import _free_port
from test_serve import server_command, stdio, text_of

INSIDE = {
    "sub/Dockerfile": "FROM node:22\nEXPOSE 3000\nCMD [\"node\", \"index.js\"]\n",
    "sub/compose.yaml": "services:\n  insider:\n    image: insider:1\n    privileged: true\n",
}


def outside_tree(path: Path, marker: str) -> Path:
    """What lies outside the root: the same layout as inside, every file naming `marker`."""
    return write_tree(path, {
        "Dockerfile": f"FROM registry.example/{marker}:1\nEXPOSE 3000\n",
        "compose.yaml": f"services:\n  {marker}:\n    image: {marker}:1\n    privileged: true\n",
        ".mcpharden.toml": f"{marker} = true\n",  # an unknown setting is named in the error
    })


class Flipper:
    """Swaps root/sub between its real folder and a symlink to a folder outside, as fast as
    it can, while calls run."""

    def __init__(self, root: Path, outside: Path) -> None:
        self.sub, self.parked, self.link = root / "sub", root / ".parked", root / ".link"
        self.link.symlink_to(outside, target_is_directory=True)
        self.stop = threading.Event()
        self.flips = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            os.rename(self.sub, self.parked)
            os.rename(self.link, self.sub)  # sub -> outside
            time.sleep(0.0005)
            os.rename(self.sub, self.link)
            os.rename(self.parked, self.sub)  # sub is the real folder again
            time.sleep(0.0005)
            self.flips += 1

    def __enter__(self) -> "Flipper":
        self.thread.start()
        return self

    def __exit__(self, *_exception) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def test_the_cli_scan_reads_nothing_through_a_folder_swapped_during_the_scan(tmp_path):
    """The same mechanism as serve: scan_target reads through descriptors below the root."""
    from mcpharden.model.findings import fail_threshold
    from mcpharden.reports import Report, render
    from mcpharden.rules import all_rules
    from mcpharden.scan import ScanOptions, scan_target

    marker = "outsider" + uuid.uuid4().hex[:12]
    root = write_tree(tmp_path / "root", INSIDE)
    outside = outside_tree(tmp_path / "outside", marker)
    shown = []
    with Flipper(root, outside):
        for _ in range(150):
            result = scan_target(root, ScanOptions())
            shown.append(render("json", Report(version="t", results=(result,), rules=all_rules(), fail_on=fail_threshold("high"))))
    assert not [text for text in shown if marker in text]
    assert sum("insider:1" in text for text in shown) >= 20


def test_a_compose_include_through_a_symlinked_folder_out_of_the_repository_is_not_read(tmp_path):
    """An include (or any indirection) names a file below a folder that is a symlink out:
    that path is not read, whatever its last component is."""
    marker = "outsider" + uuid.uuid4().hex[:12]
    outside = outside_tree(tmp_path / "outside", marker)
    repo = write_tree(tmp_path / "repo", {"compose.yaml": "include:\n  - elsewhere/compose.yaml\nservices:\n  app:\n    image: app:1\n"})
    (repo / "elsewhere").symlink_to(outside, target_is_directory=True)
    done = run_cli("scan", str(repo), "--format", "json", "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    assert marker not in done.stdout
    notices = {notice["path"]: notice["message"] for notice in json.loads(done.stdout)["notices"]}
    assert "outside the scanned directory" in notices["elsewhere/compose.yaml"]


def test_symlinks_that_stay_inside_are_still_followed(tmp_path):
    """Confinement does not cost what the reader followed before: relative and absolute links
    that stay below the root, through folders too."""
    from mcpharden.scan import ScanOptions, scan_target

    repo = write_tree(tmp_path / "repo", {"real/Dockerfile": "FROM node:22\n", "real/compose.yaml":
                                          "services:\n  app:\n    image: app:1\n    privileged: true\n"})
    (repo / "docker").mkdir()
    (repo / "docker" / "Dockerfile").symlink_to("../real/Dockerfile")
    (repo / "abs.Dockerfile").symlink_to(repo / "real" / "Dockerfile")
    (repo / "alias").symlink_to("real", target_is_directory=True)
    (repo / "compose.yaml").write_text("include:\n  - alias/compose.yaml\n")
    result = scan_target(repo, ScanOptions(select=("root-user", "privileged-container")))
    paths = {(f.rule_id, f.path) for f in result.findings}
    assert {("root-user", "docker/Dockerfile"), ("root-user", "abs.Dockerfile"),
            ("privileged-container", "alias/compose.yaml")} <= paths, paths


def test_the_cli_image_command_refuses_a_fifo_instead_of_waiting(tmp_path):
    os.mkfifo(tmp_path / "image.tar")
    done = subprocess.run([sys.executable, "-m", "mcpharden", "image", str(tmp_path / "image.tar")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not a regular file" in done.stderr and "Traceback" not in done.stderr

