"""The user cache is the user's alone and holds nothing it should not: every folder of it is
created 0700; a cache folder that others can write, that someone else owns or that is a symbolic
link is refused (optional caches run without it and say so once, explicit ones stop with exit 2);
an entry whose content no longer matches its own digest is rebuilt, never believed; an image
audit keeps where a credential is and what kind, never its value."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import write_tree
from imagebuilder import Entry, Image, layer
from test_fix_registry import _push_blob, registry  # noqa: F401  (the registry fixture: Debian's docker-registry on loopback)
from test_image_registry import push_manifest
from test_image_vulns import database, debian_image, osv_server  # noqa: F401  (an OSV dump server on loopback)

CLOSED = "http://127.0.0.1:9"  # nothing listens: a command that should have stopped earlier fails here, offline
REPOSITORY = {
    "Dockerfile": "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
                  'CMD ["curl", "--version"]\n',
}
HOW = ["writable by others", "someone else's", "a symbolic link"]


def mcpharden(cache: Path, *arguments: str, cwd: Path | None = None, env: dict | None = None):
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run([sys.executable, "-m", "mcpharden", *arguments], capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=120)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def rule_ids(result) -> set[str]:
    assert result.returncode in (0, 1), result.stderr
    return {finding["rule_id"] for finding in json.loads(result.stdout)["findings"]}


def make_unsafe(folder: Path, how: str, tmp_path: Path) -> None:
    """Leave `folder` (to be a cache folder) as someone careless or hostile would."""
    if how == "writable by others":
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o777)
    elif how == "someone else's":
        if os.getuid() != 0:
            pytest.skip("giving a folder to another user needs root")
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chown(folder, 65534, 65534)
    else:  # a private folder of the user's, elsewhere, with what the cache held moved there
        elsewhere = tmp_path / "elsewhere" / folder.name
        elsewhere.parent.mkdir(mode=0o700, parents=True)
        if folder.is_dir():
            folder.rename(elsewhere)
        else:
            elsewhere.mkdir(mode=0o700)
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.symlink_to(elsewhere, target_is_directory=True)


def every_file(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink()]


def tamper(entry: Path, change) -> None:
    """Alter the JSON document of a cache entry as a disk error or another program would; its
    first line (the digest, in an entry that carries one) is left as it was."""
    text = entry.read_text()
    head, newline, body = text.partition("\n") if text.startswith("sha256:") else ("", "", text)
    entry.write_text(head + newline + json.dumps(change(json.loads(body))))


# --- folders ----------------------------------------------------------------------------------


def test_a_first_run_creates_every_cache_folder_0700(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    cache = tmp_path / "not" / "yet"  # XDG_CACHE_HOME and its parent are missing too
    repository = write_tree(tmp_path / "repo", REPOSITORY)
    assert "full-os-base-image" in rule_ids(mcpharden(cache, "scan", str(repository), "--format", "json"))
    auto = mcpharden(cache, "image", str(tmp_path / "missing.tar"), "--vuln-db", "auto")
    assert auto.returncode == 2 and "run `mcpharden db update` first" in auto.stderr
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "one"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *command], cwd=repository,
                       check=True, capture_output=True)
    listing = tmp_path / "servers.txt"
    listing.write_text(f"file://{repository}\n")
    batch = mcpharden(cache, "batch", "--list", str(listing), "--db", str(tmp_path / "r.sqlite"), "--workers", "1")
    assert batch.returncode == 0, batch.stderr
    root = cache / "mcpharden"
    [clone] = [path for path in (root / "repos").iterdir()]
    folders = [tmp_path / "not", cache, root, root / "tables", root / "osv", root / "repos", clone]
    assert {str(folder.relative_to(tmp_path)): oct(mode(folder)) for folder in folders} == {
        str(folder.relative_to(tmp_path)): "0o700" for folder in folders}
    entries = list((root / "tables").iterdir())
    assert entries and {mode(entry) for entry in entries} == {0o600}
    assert not batch.stderr and "notice" not in auto.stderr


def test_a_cache_folder_an_older_version_made_0755_becomes_0700(tmp_path):
    (tmp_path / "mcpharden" / "tables").mkdir(mode=0o755, parents=True)
    (tmp_path / "mcpharden").chmod(0o755)
    (tmp_path / "mcpharden" / "tables").chmod(0o755)
    result = mcpharden(tmp_path, "scan", str(write_tree(tmp_path / "repo", REPOSITORY)), "--format", "json")
    assert "full-os-base-image" in rule_ids(result) and not result.stderr
    assert mode(tmp_path / "mcpharden") == 0o700 and mode(tmp_path / "mcpharden" / "tables") == 0o700


@pytest.mark.parametrize("how", HOW)
def test_an_unsafe_cache_folder_means_a_scan_runs_uncached_and_says_so_once(tmp_path, how):
    cache = tmp_path / "xdg"
    cache.mkdir(mode=0o700)
    make_unsafe(cache / "mcpharden", how, tmp_path)
    planted = every_file(tmp_path / "elsewhere") if how == "a symbolic link" else []
    result = mcpharden(cache, "scan", str(write_tree(tmp_path / "repo", REPOSITORY)), "--format", "json")
    expected = rule_ids(mcpharden(tmp_path / "clean", "scan", str(tmp_path / "repo"), "--format", "json"))
    assert rule_ids(result) == expected  # the same judgement, tables built in memory
    # Every knowledge table wanted the cache: one notice, naming the folder and why.
    assert result.stderr.count("notice") == 1, result.stderr
    assert str(cache / "mcpharden") in result.stderr and "running without the cache" in result.stderr
    assert {"writable by others": "can be written by others", "someone else's": "belongs to uid 65534",
            "a symbolic link": "is a symbolic link"}[how] in result.stderr
    assert every_file(cache) == [] and every_file(tmp_path / "elsewhere") == planted  # nothing written through it


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("command", ["db update", "--vuln-db auto", "batch"])
def test_an_unsafe_explicit_cache_folder_stops_the_command(tmp_path, how, command):
    cache = tmp_path / "xdg"
    (cache / "mcpharden").mkdir(mode=0o700, parents=True)
    folder = cache / "mcpharden" / ("repos" if command == "batch" else "osv")
    make_unsafe(folder, how, tmp_path)
    arguments = {
        "db update": ["db", "update", "--ecosystem", "npm", "--url", CLOSED],
        "--vuln-db auto": ["image", str(tmp_path / "app.tar"), "--vuln-db", "auto"],
        "batch": ["batch", str(write_tree(tmp_path / "repo", REPOSITORY)), "--db", str(tmp_path / "r.sqlite")],
    }[command]
    result = mcpharden(cache, *arguments)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"mcpharden: error: the cache folder {folder}" in result.stderr and "mcpharden does not use it" in result.stderr
    assert not (tmp_path / "r.sqlite").exists()


def test_a_shared_folder_holds_the_cache_only_with_the_sticky_bit(tmp_path):
    """XDG_CACHE_HOME=/tmp: others may write there, but only the owner may rename or delete
    what the sticky bit protects, so mcpharden's own 0700 folder in it is safe; without it,
    anyone could swap that folder."""
    repository = write_tree(tmp_path / "repo", REPOSITORY)
    shared, open_ = tmp_path / "shared", tmp_path / "open"
    for folder, bits in ((shared, 0o1777), (open_, 0o777)):
        folder.mkdir()
        folder.chmod(bits)
    sticky = mcpharden(shared, "scan", str(repository), "--format", "json")
    assert "full-os-base-image" in rule_ids(sticky) and not sticky.stderr
    assert mode(shared / "mcpharden") == 0o700 and list((shared / "mcpharden" / "tables").iterdir())
    plain = mcpharden(open_, "scan", str(repository), "--format", "json")
    assert "full-os-base-image" in rule_ids(plain)
    assert plain.stderr.count("notice") == 1 and "has no sticky bit" in plain.stderr and not list(open_.iterdir())
    update = mcpharden(open_, "db", "update", "--ecosystem", "npm", "--url", CLOSED)
    assert update.returncode == 2 and "has no sticky bit" in update.stderr and not list(open_.iterdir())


def test_a_relative_xdg_cache_home_is_ignored(tmp_path):
    """The XDG rule: a relative value is invalid. Taken as it is, a scan run inside a checkout
    would read its cache from the checkout (a repository could ship one)."""
    repository = write_tree(tmp_path / "repo", REPOSITORY)
    result = mcpharden(Path("cache"), "scan", ".", "--format", "json", cwd=repository, env={"HOME": str(tmp_path / "home")})
    assert "full-os-base-image" in rule_ids(result)
    assert not (repository / "cache").exists() and list((tmp_path / "home" / ".cache" / "mcpharden" / "tables").iterdir())


# --- entries ----------------------------------------------------------------------------------


def test_an_altered_knowledge_table_entry_is_rebuilt_not_believed(tmp_path):
    repository = write_tree(tmp_path / "repo", REPOSITORY)
    first = rule_ids(mcpharden(tmp_path, "scan", str(repository), "--format", "json"))
    assert "full-os-base-image" in first
    [entry] = (tmp_path / "mcpharden" / "tables").glob("base_images-*.json")

    def distroless_debian(table):
        table["families"]["debian"]["kind"] = "distroless"
        return table

    tamper(entry, distroless_debian)
    assert rule_ids(mcpharden(tmp_path, "scan", str(repository), "--format", "json")) == first
    head, body = entry.read_text().split("\n", 1)  # rebuilt, with the digest of what it holds now
    assert head == "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    assert json.loads(body)["families"]["debian"]["kind"] == "full-os"
    entry.write_bytes(entry.read_bytes()[:-20])  # cut short
    assert rule_ids(mcpharden(tmp_path, "scan", str(repository), "--format", "json")) == first


def push_image(registry, repository: str, tag: str, layers: list[bytes], config: dict) -> str:
    base = f"http://{registry}"
    image = Image(layers, config)
    blob = image.config_blob()
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _push_blob(base, repository, blob),
                   "size": len(blob)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": _push_blob(base, repository, data),
                    "size": len(data)} for data in layers],
    }
    digest, _ = push_manifest(base, repository, tag, manifest, manifest["mediaType"])
    return digest


NON_ROOT = [layer(Entry("server", b"\x7fELF", mode=0o755))]


def test_an_altered_image_audit_is_pulled_again_not_believed(registry, tmp_path):
    digest = push_image(registry, "mcp/root", "1", NON_ROOT, {"User": ""})
    assert "root-user" in rule_ids(mcpharden(tmp_path, "image", f"{registry}/mcp/root:1", "--format", "json"))
    entry = tmp_path / "mcpharden" / "images" / f"{digest.replace(':', '-')}-all.json"

    def non_root(document):
        document["images"][0]["config_user"] = "65532"
        return document

    tamper(entry, non_root)
    # By digest from a registry that cannot be reached: only the cache could answer, and it must not.
    unreachable = mcpharden(tmp_path, "image", f"127.0.0.1:9/mcp/root@{digest}", "--format", "json")
    assert unreachable.returncode == 2 and "root-user" not in unreachable.stdout
    assert "root-user" in rule_ids(mcpharden(tmp_path, "image", f"{registry}/mcp/root@{digest}", "--format", "json"))
    assert json.loads(entry.read_text().split("\n", 1)[1])["images"][0]["config_user"] == ""


@pytest.mark.parametrize("how", HOW)
def test_an_unsafe_image_cache_is_not_used(registry, tmp_path, how):
    """Whoever can write the images folder could answer any digest with a clean audit."""
    clean = push_image(registry, "mcp/clean", "1", NON_ROOT, {"User": "65532"})
    rooted = push_image(registry, "mcp/rooted", "1", [layer(Entry("server", b"\x7fELF!", mode=0o755))], {"User": ""})
    assert "root-user" not in rule_ids(mcpharden(tmp_path, "image", f"{registry}/mcp/clean:1", "--format", "json"))
    images = tmp_path / "mcpharden" / "images"
    forged = images / f"{rooted.replace(':', '-')}-all.json"
    shutil.copyfile(images / f"{clean.replace(':', '-')}-all.json", forged)  # a whole entry, its digest right
    forged.chmod(0o600)
    make_unsafe(images, how, tmp_path)
    result = mcpharden(tmp_path, "image", f"{registry}/mcp/rooted:1", "--format", "json")
    assert "root-user" in rule_ids(result)  # pulled and audited, the planted answer unused
    assert result.stderr.count("notice") == 1 and "running without the cache" in result.stderr


# --- what entries hold --------------------------------------------------------------------------

GITHUB_TOKEN = "ghp_" + "Zq8Lw3" * 6
ENV_FILE_KEY = "sk-live-9fK2mQ7xLp4Rt8Vw"
GIT_PASSWORD = "Hx7pQ2rT9vLm4Bn6"
KEY_MATERIAL = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz"
DELETED_TOKEN = "Wq3eR5tY7uI9oP1aZx2c"
DATABASE_PASSWORD = "Pg4sQ8wE2rT6yU0i"
PASSWORD_HASH = "$6$Nq7RtQ2m$Xk29Lp0Vb3Hg5Fd7Sa1Jz8Mc4Ne6"
VALUES = [GITHUB_TOKEN, ENV_FILE_KEY, GIT_PASSWORD, KEY_MATERIAL, DELETED_TOKEN, DATABASE_PASSWORD, PASSWORD_HASH]


def test_an_image_audit_in_the_cache_holds_no_credential_value(registry, tmp_path):
    layers = [
        layer(Entry("app/deploy.env", f"DEPLOY_TOKEN={DELETED_TOKEN}\n".encode())),
        layer(
            Entry("app/.wh.deploy.env"),  # deleted by a later layer: still in the image for anyone who pulls it
            Entry("app/.env", f"API_KEY={ENV_FILE_KEY}\n".encode()),
            Entry("root/.git-credentials", f"https://bob:{GIT_PASSWORD}@github.com\n".encode()),
            Entry("root/.ssh/id_ed25519", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_MATERIAL}\n"
                                          "-----END OPENSSH PRIVATE KEY-----\n".encode(), mode=0o600),
            Entry("etc/passwd", f"root:x:0:0:root:/root:/bin/sh\napp:{PASSWORD_HASH}:1000:1000::/app:/bin/sh\n".encode()),
            Entry("server", b"\x7fELF", mode=0o755),
        ),
    ]
    config = {"User": "app", "Env": [f"GITHUB_TOKEN={GITHUB_TOKEN}", f"DATABASE_URL=postgres://svc:{DATABASE_PASSWORD}@db/app",
                                     "PATH=/usr/bin"]}
    digest = push_image(registry, "mcp/leaky", "1", layers, config)

    def secrets(result):
        found = json.loads(result.stdout)["findings"]
        return sorted((f["details"]["where"], f["details"]["kind"]) for f in found if f["rule_id"] == "secret-in-image"), \
            {f["rule_id"] for f in found}

    cache = tmp_path / "xdg"  # the registry keeps its blobs in tmp_path/data
    fresh, fresh_rules = secrets(mcpharden(cache, "image", f"{registry}/mcp/leaky:1", "--format", "json"))
    assert [where for where, _ in fresh] == ["/app/.env", "/app/deploy.env (deleted by a later layer, still in the image's layers)",
                                             "/root/.git-credentials", "/root/.ssh/id_ed25519", "ENV GITHUB_TOKEN"]
    assert "root-user" not in fresh_rules  # `app` is uid 1000 by the image's /etc/passwd
    files = every_file(cache)
    assert any(path.parent.name == "images" for path in files)
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        assert not [value for value in VALUES if value in text], path
    # Read back from the cache alone (a registry that cannot be reached): the same findings, where and what kind.
    cached = mcpharden(cache, "image", f"127.0.0.1:9/mcp/leaky@{digest}", "--format", "json")
    assert secrets(cached) == (fresh, fresh_rules)
    assert not [value for value in VALUES if value in cached.stdout + cached.stderr]


def test_image_audits_from_earlier_builds_are_removed(registry, tmp_path):
    """Entries written before they carried a digest kept the files the secret check read."""
    images = tmp_path / "mcpharden" / "images"
    images.mkdir(mode=0o700, parents=True)
    old = images / f"sha256-{'1' * 64}-all.json"
    old.write_text(json.dumps({"mcpharden": "0.1.0", "images": [{"contents": {"/app/.env": f"API_KEY={ENV_FILE_KEY}"}}]}))
    push_image(registry, "mcp/any", "1", NON_ROOT, {"User": "65532"})
    assert "root-user" not in rule_ids(mcpharden(tmp_path, "image", f"{registry}/mcp/any:1", "--format", "json"))
    assert not old.exists() and len(list(images.iterdir())) == 1


# --- OSV dumps -----------------------------------------------------------------------------------


def test_a_cut_short_osv_dump_is_not_used_and_db_update_fetches_it_again(tmp_path, osv_server):
    url, served, _ = osv_server
    image = debian_image(tmp_path)
    update = mcpharden(tmp_path / "xdg", "db", "update", "--image", str(image), "--url", url)
    assert update.returncode == 0, update.stderr
    osv = tmp_path / "xdg" / "mcpharden" / "osv"
    assert mode(osv) == 0o700
    debian = osv / "Debian-all.zip"
    whole = debian.read_bytes()
    debian.write_bytes(whole[: len(whole) // 2])
    auto = mcpharden(tmp_path / "xdg", "image", str(image), "--vuln-db", "auto", "--format", "json", "--fail-on", "never",
                     "--select", "known-vulnerability")
    assert auto.returncode == 0, auto.stderr
    assert f"{debian}: damaged" in auto.stderr and "`mcpharden db update` fetches it again" in auto.stderr
    advisories = {f["details"]["advisory"] for f in json.loads(auto.stdout)["findings"]}
    assert "GHSA-aaaa-bbbb-cccc" in advisories and "DSA-5678-1" not in advisories  # npm's dump used, Debian's not
    before = len(served)
    again = mcpharden(tmp_path / "xdg", "db", "update", "--ecosystem", "Debian", "--url", url)
    assert again.returncode == 0 and "Debian: downloaded" in again.stdout  # not "unchanged" on its ETag
    assert served[before:] == ["/Debian/all.zip"] and debian.read_bytes() == whole and zipfile.is_zipfile(debian)
