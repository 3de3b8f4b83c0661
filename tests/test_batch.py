"""`mcpharden batch`: many servers in one run, locally or on a Dask cluster, into SQLite;
resumable, idempotent, and never stopped by one bad repository."""

import json
import shutil
import sqlite3
import subprocess

import pytest

from conftest import run_cli, write_tree

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
INSECURE = {"Dockerfile": "FROM node:22\nCMD [\"node\", \"index.js\"]\n",
            "compose.yaml": f"services:\n  s:\n    build: .\n    environment:\n      GITHUB_TOKEN: {TOKEN}\n"}
HARDENED = {"Dockerfile": "FROM gcr.io/distroless/nodejs22-debian12:nonroot@sha256:" + "1" * 64 + "\nCMD [\"/app/x.js\"]\n"}


def rows(db, query, *parameters):
    with sqlite3.connect(db) as connection:
        return connection.execute(query, parameters).fetchall()


def test_folders_become_servers_and_a_bad_one_is_an_error(tmp_path):
    write_tree(tmp_path / "insecure", INSECURE)
    write_tree(tmp_path / "hardened", HARDENED)
    (tmp_path / "not-a-folder").write_text("hello")
    db = tmp_path / "results.sqlite"
    result = run_cli("batch", str(tmp_path / "insecure"), str(tmp_path / "hardened"), str(tmp_path / "not-a-folder"),
                     "--db", str(db), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "Audited 3 server(s)" in result.stdout and "(1 failed)" in result.stdout
    status = dict(rows(db, "SELECT name, status FROM servers"))
    assert status == {"insecure": "done", "hardened": "done", "not-a-folder": "error"}
    assert rows(db, "SELECT grade FROM servers WHERE name = 'insecure'") == [("F",)]
    rules = {rule for (rule,) in rows(db, "SELECT rule_id FROM findings JOIN servers ON servers.id = server_id WHERE name = 'insecure'")}
    assert {"root-user", "secret-in-run-config"} <= rules
    [(cards,)] = rows(db, "SELECT cards FROM servers WHERE name = 'insecure'")
    assert json.loads(cards)[0]["user"] == "root"
    assert rows(db, "SELECT step FROM errors") == [("scan",)]
    assert TOKEN.encode() not in db.read_bytes()  # the database is output too: no credential value


def test_reruns_skip_what_is_done_retry_errors_and_rescan_forces(tmp_path):
    write_tree(tmp_path / "a", INSECURE)
    db = tmp_path / "r.sqlite"
    missing = tmp_path / "b"
    run_cli("batch", str(tmp_path / "a"), str(missing), "--db", str(db), "--workers", "1")
    write_tree(missing, HARDENED)  # the failed server is fixed before the rerun
    second = run_cli("batch", str(tmp_path / "a"), str(missing), "--db", str(db), "--workers", "1")
    assert "Audited 1 server(s)" in second.stdout and "skipped 1 already done" in second.stdout
    assert dict(rows(db, "SELECT name, status FROM servers")) == {"a": "done", "b": "done"}
    third = run_cli("batch", str(tmp_path / "a"), str(missing), "--db", str(db), "--rescan", "--workers", "1")
    assert "Audited 2 server(s)" in third.stdout
    assert rows(db, "SELECT COUNT(*) FROM servers") == [(2,)]  # replaced, never duplicated
    assert [r[0] for r in rows(db, "SELECT servers_audited FROM runs ORDER BY id")] == [2, 1, 2]


def git(*arguments, cwd=None):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main",
                    *arguments], cwd=cwd, check=True, capture_output=True)


def test_a_list_of_paths_and_git_urls_cloned_shallowly(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    work = write_tree(tmp_path / "work", INSECURE)
    git("init", "-q", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "one", cwd=work)
    (work / "Dockerfile").write_text(HARDENED["Dockerfile"])
    git("commit", "-q", "-am", "two", cwd=work)
    git("clone", "-q", "--bare", str(work), str(tmp_path / "server.git"))
    write_tree(tmp_path / "local", HARDENED)
    listing = tmp_path / "servers.txt"
    listing.write_text(f"# servers to audit\nfile://{tmp_path / 'server.git'}\nlocal\n\next::sh -c touch%20{tmp_path / 'pwned'}\n")
    db = tmp_path / "r.sqlite"
    result = run_cli("batch", "--list", str(listing), "--db", str(db), "--cache", str(tmp_path / "cache"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    status = dict(rows(db, "SELECT location, status FROM servers"))
    assert status[f"file://{tmp_path / 'server.git'}"] == "done"
    assert not (tmp_path / "pwned").exists()  # an ext:: "URL" is a path that does not exist, never run
    [clone] = list((tmp_path / "cache").iterdir())
    depth = subprocess.run(["git", "-C", str(clone), "rev-list", "--count", "HEAD"], capture_output=True, text=True)
    assert depth.stdout.strip() == "1"  # shallow: only the last commit
    assert rows(db, "SELECT COUNT(*) FROM timings WHERE step = 'clone'") == [(1,)]


def test_a_catalog_with_mirrored_sources_and_images(tmp_path):
    catalog = tmp_path / "servers"
    write_tree(catalog, {
        "weather/server.yaml": "name: weather\nimage: mcp/weather\ntype: server\nsource:\n"
                               "  project: https://github.com/example/weather-mcp\n  commit: abc\n  directory: server\n",
        "remote/server.yaml": "name: remote\ntype: remote\nremote:\n  url: https://example.com/mcp\n",
        "broken/server.yaml": "name: [unclosed\n",
    })
    write_tree(tmp_path / "mirror" / "example__weather-mcp" / "server", INSECURE)
    db = tmp_path / "r.sqlite"
    result = run_cli("batch", "--catalog", str(catalog), "--mirror", str(tmp_path / "mirror"), "--no-images", "--db", str(db))
    assert result.returncode == 0, result.stderr
    servers = {name: (status, location) for name, status, location in rows(db, "SELECT name, status, location FROM servers")}
    assert set(servers) == {"weather", "broken"}  # a remote server has no container to audit
    # Scanned in the mirror, named by its URL: the results hold no folder of the machine that ran the batch.
    assert servers["weather"] == ("done", "https://github.com/example/weather-mcp")
    paths = {path for (path,) in rows(db, "SELECT path FROM findings WHERE source = 'repository'")}
    assert paths and all(path.startswith("server/") for path in paths)  # the server's folder, as a path of its repository
    assert servers["broken"][0] == "error"
    sources = {source for (source,) in rows(db, "SELECT DISTINCT source FROM findings")}
    assert sources == {"repository", "catalog"}


def test_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    for name in ("a", "b", "c"):
        write_tree(tmp_path / name, INSECURE)
    db = tmp_path / "r.sqlite"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = run_cli("batch", *(str(tmp_path / n) for n in "abc"), "--db", str(db), "--cluster", cluster.scheduler_address)
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT COUNT(*) FROM servers WHERE status = 'done'") == [(3,)]
    assert rows(db, "SELECT executor FROM runs")[0][0].startswith("tcp://")


def test_usage_errors(tmp_path):
    assert run_cli("batch", "--db", str(tmp_path / "r.sqlite")).returncode == 2
    (tmp_path / "not.sqlite").write_text("not a database at all, just text" * 10)
    bad = run_cli("batch", str(tmp_path), "--db", str(tmp_path / "not.sqlite"))
    assert bad.returncode == 2 and "not a results database" in bad.stderr
    unreachable = run_cli("batch", str(tmp_path), "--db", str(tmp_path / "r.sqlite"), "--cluster", "tcp://127.0.0.1:9")
    assert unreachable.returncode == 2 and "tcp://127.0.0.1:9" in unreachable.stderr
