"""`mcpharden batch --catalog` gets Docker's catalog right: `mcp/name` is an image pulled as
`mcp/name:latest` (from a loopback registry standing in for Docker Hub through
`--registry-mirror`), a monorepo entry is judged on its own folder, a pinned revision is fetched
alone or is an error, a catalog never names a folder of this machine, and an error is never graded."""

import json
import os
import sqlite3
import subprocess
import sys

from conftest import write_tree
from test_fix_registry import push_image, registry  # noqa: F401  (the registry fixture: Debian's docker-registry on loopback)
from test_trust_git import bare_repository, catalog_entry, git, git_over_http, needs_git

ROOT_COMPOSE = {"Dockerfile": "FROM node:22\nCMD [\"node\", \"index.js\"]\n",
                "compose.yaml": "services:\n  s:\n    build: .\n    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n"}
DISTROLESS = {"Dockerfile": "FROM gcr.io/distroless/nodejs22-debian12:nonroot@sha256:" + "1" * 64 + "\nCMD [\"/app/x.js\"]\n"}


def mcpharden(tmp_path, *arguments):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    return subprocess.run([sys.executable, "-m", "mcpharden", *arguments], capture_output=True, text=True, env=env, timeout=300)


def rows(db, query, *parameters):
    with sqlite3.connect(db) as connection:
        return connection.execute(query, parameters).fetchall()


def of(db, table, name, columns):
    return rows(db, f"SELECT {columns} FROM {table} JOIN servers ON servers.id = server_id WHERE name = ?", name)


def test_an_mcp_name_image_is_pulled_as_latest_and_the_catalog_pins_no_digest(registry, tmp_path):  # noqa: F811
    push_image(registry, "mcp/weather", "latest")
    write_tree(tmp_path / "servers", {
        "weather/server.yaml": "name: weather\nimage: mcp/weather\ntype: server\n",
        "tagged/server.yaml": "name: tagged\nimage: mcp/weather:latest\ntype: server\n",
        "absent/server.yaml": "name: absent\nimage: mcp/absent\ntype: server\n",
    })
    db = tmp_path / "r.sqlite"
    result = mcpharden(tmp_path, "batch", "--catalog", str(tmp_path / "servers"), "--registry-mirror", registry,
                       "--db", str(db), "--workers", "1")
    assert result.returncode == 0, result.stderr
    servers = {name: (status, image) for name, status, image in rows(db, "SELECT name, status, image FROM servers")}
    # `absent`: only its catalog entry could be judged, not the server (no repository, no image): an error.
    assert servers == {"weather": ("done", "mcp/weather:latest"), "tagged": ("done", "mcp/weather:latest"),
                       "absent": ("error", "mcp/absent:latest")}
    assert rows(db, "SELECT score, grade FROM servers WHERE name = 'absent'") == [(None, None)]
    assert of(db, "errors", "weather", "step, message") == []  # an image reference, never "no such file"
    [(step, message)] = of(db, "errors", "absent", "step, message")
    assert step == "image" and "mcp/absent" in message and "no such file" not in message
    [(cards,)] = rows(db, "SELECT cards FROM servers WHERE name = 'weather'")
    assert any(card.get("user") == "non-root" for card in json.loads(cards))  # the image's uid 65532 was read
    notices = [message for (message,) in of(db, "notices", "weather", "message")]
    assert any("the catalog pins no digest" in m and "mcp/weather:latest" in m for m in notices), notices
    # The catalog entry itself is judged too: its image follows `latest`.
    [(rule_message,)] = rows(db, "SELECT message FROM findings JOIN servers ON servers.id = server_id WHERE name = 'weather'"
                                 " AND rule_id = 'image-not-pinned-by-digest' AND source = 'catalog'")
    assert "`mcp/weather`" in rule_message and "neither tag nor digest" in rule_message


def test_a_registry_mirror_must_be_a_host(tmp_path):
    write_tree(tmp_path / "servers", {"weather/server.yaml": "name: weather\nimage: mcp/weather\ntype: server\n"})
    for bad in ("http://mirror.example", "mirror.example/path", "-oProxy", ""):
        result = mcpharden(tmp_path, "batch", "--catalog", str(tmp_path / "servers"), "--registry-mirror", bad,
                           "--db", str(tmp_path / "r.sqlite"))
        assert result.returncode == 2 and "--registry-mirror" in result.stderr, (bad, result.stderr)
    assert not (tmp_path / "r.sqlite").exists()


MONOREPO = {
    "src/github/Dockerfile": DISTROLESS["Dockerfile"],
    "src/github/package.json": "{\"name\": \"github\"}\n",
    "src/other/Dockerfile": ROOT_COMPOSE["Dockerfile"],
    "src/other/compose.yaml": ROOT_COMPOSE["compose.yaml"],
    "compose.yaml": ROOT_COMPOSE["compose.yaml"],
}


def test_a_monorepo_entry_is_judged_on_its_own_folder(tmp_path):
    write_tree(tmp_path / "mirror" / "example__servers", MONOREPO)
    project = "https://github.com/example/servers"
    write_tree(tmp_path / "servers", {
        # Docker's catalog names the folder (`directory`) or only the Dockerfile in it (`dockerfile`).
        "github/server.yaml": catalog_entry("github", project, dockerfile="src/github/Dockerfile"),
        "github-dir/server.yaml": catalog_entry("github-dir", project, directory="src/github"),
        "other/server.yaml": catalog_entry("other", project, directory="src/other"),
        "whole/server.yaml": catalog_entry("whole", project, dockerfile="Dockerfile"),
        # A folder the repository does not have: nothing of the server to judge, never the whole monorepo instead.
        "absent/server.yaml": catalog_entry("absent", project, dockerfile="src/absent/Dockerfile"),
    })
    db = tmp_path / "r.sqlite"
    result = mcpharden(tmp_path, "batch", "--catalog", str(tmp_path / "servers"), "--mirror", str(tmp_path / "mirror"),
                       "--no-images", "--db", str(db), "--workers", "1")
    assert result.returncode == 0, result.stderr
    for name in ("github", "github-dir"):
        found = of(db, "findings", name, "source, rule_id, path")
        repository = {(rule, path) for source, rule, path in found if source == "repository"}
        assert not {rule for rule, _ in repository} & {"root-user", "docker-socket-mount"}, repository
        assert all(path.startswith("src/github/") for _, path in repository), repository
        [(grade, location)] = rows(db, "SELECT grade, location FROM servers WHERE name = ?", name)
        assert location == project and grade in ("A", "B"), grade
    other = {(rule, path) for source, rule, path in of(db, "findings", "other", "source, rule_id, path") if source == "repository"}
    assert ("root-user", "src/other/Dockerfile") in other and ("docker-socket-mount", "src/other/compose.yaml") in other
    assert not any(path.startswith("src/github/") or path == "compose.yaml" for _, path in other)
    whole = {path for source, _, path in of(db, "findings", "whole", "source, rule_id, path") if source == "repository"}
    assert "compose.yaml" in whole  # a Dockerfile at the root: the repository is the server's folder
    [(status, grade)] = rows(db, "SELECT status, grade FROM servers WHERE name = 'absent'")
    assert (status, grade) == ("error", None) and of(db, "findings", "absent", "rule_id") == []
    [(step, message)] = of(db, "errors", "absent", "step, message")
    assert step == "scan" and "the server's folder src/absent is not in the repository" in message


def test_a_catalog_project_given_as_a_file_url_is_an_error_row_and_never_cloned(tmp_path):
    write_tree(tmp_path / "local", ROOT_COMPOSE)
    git("init", "-q", cwd=tmp_path / "local")
    write_tree(tmp_path / "servers", {"local/server.yaml": catalog_entry("local", f"file://{tmp_path / 'local'}")})
    db = tmp_path / "r.sqlite"
    result = mcpharden(tmp_path, "batch", "--catalog", str(tmp_path / "servers"), "--no-images", "--db", str(db),
                       "--cache", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr
    [(step, message)] = of(db, "errors", "local", "step, message")
    assert step == "inputs" and "a folder of this machine" in message
    assert rows(db, "SELECT COUNT(*) FROM findings") == [(0,)] and not (tmp_path / "cache").exists()


@needs_git
def test_pinned_revisions_are_fetched_alone_or_are_errors(tmp_path):
    bare, first = bare_repository(tmp_path)
    main = git("rev-parse", "main", cwd=bare)
    branch_head = git("rev-parse", "hardened-branch", cwd=bare)
    with git_over_http(tmp_path) as url:
        write_tree(tmp_path / "servers", {
            "pinned/server.yaml": catalog_entry("pinned", url, commit=first),
            "vanished/server.yaml": catalog_entry("vanished", url, commit="0" * 39 + "1"),
            "branch/server.yaml": catalog_entry("branch", url, branch="hardened-branch"),
            "nobranch/server.yaml": catalog_entry("nobranch", url, branch="deleted-branch"),
        })
        db = tmp_path / "r.sqlite"
        result = mcpharden(tmp_path, "batch", "--catalog", str(tmp_path / "servers"), "--no-images", "--db", str(db),
                           "--cache", str(tmp_path / "cache"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    status = {name: (state, commit, grade) for name, state, commit, grade in
              rows(db, "SELECT name, status, source_commit, grade FROM servers")}
    assert status["pinned"][:2] == ("done", first)
    assert status["branch"][:2] == ("done", branch_head)  # the commit audited is recorded
    # A commit or branch that cannot be fetched is an error, never the default branch audited instead.
    for name, what in (("vanished", "commit"), ("nobranch", "branch")):
        assert status[name][0] == "error" and status[name][2] is None
        [(step, message)] = of(db, "errors", name, "step, message")
        assert step == "clone" and f"git fetch of {what}" in message
        assert of(db, "findings", name, "rule_id") == []
    # One download: the branch's clone holds its own commit and not main's, fetched first and thrown away before.
    clones = {path.name.rsplit("-", 1)[0]: path for path in (tmp_path / "cache").iterdir()}
    assert set(clones) == {"pinned", "branch"}
    has = lambda clone, commit: subprocess.run(["git", "-C", str(clone), "cat-file", "-e", f"{commit}^{{commit}}"],  # noqa: E731
                                              capture_output=True).returncode == 0
    assert has(clones["branch"], branch_head) and not has(clones["branch"], main)
    assert has(clones["pinned"], first) and not has(clones["pinned"], main)
    assert not (clones["branch"] / ".git" / "config").read_text().count("url =")  # no remote: the URL is in no file


def test_an_error_row_is_never_graded(tmp_path):
    write_tree(tmp_path / "empty", {"README.md": "no container here\n"})
    write_tree(tmp_path / "broken", {"Dockerfile": "FROM\n"})
    (tmp_path / "file").write_text("x")
    db = tmp_path / "r.sqlite"
    result = mcpharden(tmp_path, "batch", str(tmp_path / "empty"), str(tmp_path / "broken"), str(tmp_path / "file"),
                       "--db", str(db), "--workers", "1")
    assert result.returncode == 0, result.stderr
    for name, status, score, grade in rows(db, "SELECT name, status, score, grade FROM servers"):
        if status == "error":
            assert (score, grade) == (None, None), name
    assert ("error",) in rows(db, "SELECT status FROM servers WHERE name = 'file'")
    assert "grade" not in result.stdout.split("file:", 1)[1].split("\n", 1)[0]


def test_a_catalog_image_that_is_a_path_is_an_error_row_and_no_file_is_read(tmp_path):
    archive = tmp_path / "local.tar"
    archive.write_bytes(b"not read")
    write_tree(tmp_path / "servers", {
        "absolute/server.yaml": f"name: absolute\nimage: {archive}\ntype: server\n",
        "relative/server.yaml": "name: relative\nimage: ../../local.tar\ntype: server\n",
        "spaced/server.yaml": "name: spaced\nimage: mcp/x --privileged\ntype: server\n",
    })
    db = tmp_path / "r.sqlite"
    result = mcpharden(tmp_path, "batch", "--catalog", str(tmp_path / "servers"), "--db", str(db), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert {name: status for name, status in rows(db, "SELECT name, status FROM servers")} == dict.fromkeys(
        ("absolute", "relative", "spaced"), "error")
    for step, message in rows(db, "SELECT step, message FROM errors"):
        assert step == "inputs" and "not an image reference" in message
    assert rows(db, "SELECT COUNT(*) FROM timings WHERE step = 'image'") == [(0,)]  # nothing was pulled or opened
