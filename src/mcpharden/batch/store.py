"""The batch's results database (SQLite, one file). docs/batch.md documents the schema.

Resumable and idempotent: a server is keyed by what names it (a path, a URL, `catalog:<name>`);
a rerun skips servers whose last audit is `done`, retries those that ended in `error`, and
`--rescan` audits everything again. A server's rows are replaced as a whole, in one
transaction, so an interrupted batch never leaves half a server behind.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from mcpharden import __version__
from mcpharden.batch.work import ServerOutcome

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    mcpharden_version TEXT NOT NULL,
    executor TEXT NOT NULL,          -- "local:<workers>" or the Dask scheduler's address
    servers_total INTEGER NOT NULL DEFAULT 0,
    servers_audited INTEGER NOT NULL DEFAULT 0,
    servers_skipped INTEGER NOT NULL DEFAULT 0,
    servers_failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS servers (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    source_commit TEXT NOT NULL DEFAULT '',
    image TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,            -- "done" or "error"
    run_id INTEGER NOT NULL REFERENCES runs(id),
    audited_at REAL NOT NULL,
    score INTEGER,                   -- NULL when nothing could be scanned
    grade TEXT,
    high INTEGER NOT NULL DEFAULT 0,
    medium INTEGER NOT NULL DEFAULT 0,
    low INTEGER NOT NULL DEFAULT 0,
    info INTEGER NOT NULL DEFAULT 0,
    files_scanned INTEGER NOT NULL DEFAULT 0,
    base_families TEXT NOT NULL DEFAULT '[]',   -- JSON list
    cards TEXT NOT NULL DEFAULT '[]'            -- JSON list of server cards
);
CREATE TABLE IF NOT EXISTS findings (
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    source TEXT NOT NULL,            -- "repository", "catalog" or "image"
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    message TEXT NOT NULL,
    fingerprint TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notices (
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    line INTEGER,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS timings (
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    step TEXT NOT NULL,              -- "clone", "scan", "catalog", "image"
    seconds REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS errors (
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_by_rule ON findings(rule_id);
CREATE INDEX IF NOT EXISTS findings_by_server ON findings(server_id);
"""


class StoreError(Exception):
    """A database that cannot be opened or is not mcpharden's (exit code 2)."""


class Store:
    def __init__(self, path: Path) -> None:
        try:
            self.db = sqlite3.connect(path, timeout=30)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.executescript(SCHEMA)
            version = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if version is None:
                self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif version[0] != str(SCHEMA_VERSION):
                raise StoreError(f"{path}: results database schema {version[0]}, this mcpharden writes {SCHEMA_VERSION}")
            self.db.commit()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{path}: not a results database ({error})") from None

    def start_run(self, executor: str, total: int) -> int:
        cursor = self.db.execute("INSERT INTO runs (started_at, mcpharden_version, executor, servers_total) VALUES (?, ?, ?, ?)",
                                 (time.time(), __version__, executor, total))
        self.db.commit()
        return int(cursor.lastrowid)

    def done_keys(self) -> set[str]:
        return {key for (key,) in self.db.execute("SELECT key FROM servers WHERE status = 'done'")}

    def record(self, run_id: int, outcome: ServerOutcome) -> None:
        counts = {severity: sum(1 for f in outcome.findings if f["severity"] == severity)
                  for severity in ("high", "medium", "low", "info")}
        with self.db:  # one transaction: the server's rows are replaced whole
            self.db.execute("DELETE FROM servers WHERE key = ?", (outcome.key,))
            cursor = self.db.execute(
                "INSERT INTO servers (key, name, location, source_commit, image, status, run_id, audited_at, score, grade,"
                " high, medium, low, info, files_scanned, base_families, cards) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (outcome.key, outcome.name, outcome.location, outcome.commit, outcome.image, outcome.status, run_id, time.time(),
                 outcome.score, outcome.grade, counts["high"], counts["medium"], counts["low"], counts["info"],
                 outcome.files_scanned, json.dumps(list(outcome.base_families)), json.dumps(list(outcome.cards))))
            server = cursor.lastrowid
            self.db.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?,?,?)", [
                (server, f["source"], f["rule_id"], f["severity"], f["path"], f["line"], f["message"], f["fingerprint"])
                for f in outcome.findings])
            self.db.executemany("INSERT INTO notices VALUES (?,?,?,?)",
                                [(server, n["path"], n["line"], n["message"]) for n in outcome.notices])
            self.db.executemany("INSERT INTO timings VALUES (?,?,?)", [(server, s, t) for s, t in outcome.timings])
            self.db.executemany("INSERT INTO errors VALUES (?,?,?)", [(server, s, m) for s, m in outcome.errors])

    def finish_run(self, run_id: int, audited: int, skipped: int, failed: int) -> None:
        self.db.execute("UPDATE runs SET finished_at = ?, servers_audited = ?, servers_skipped = ?, servers_failed = ? WHERE id = ?",
                        (time.time(), audited, skipped, failed, run_id))
        self.db.commit()

    def close(self) -> None:
        self.db.close()
