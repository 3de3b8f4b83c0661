"""The batch's results database (SQLite, one file). docs/batch.md documents the schema.

Resumable and idempotent: a server is keyed by what names it (a path, a URL, `catalog:<name>`);
a rerun skips servers whose last audit is `done`, retries those that ended in `error`, and
`--rescan` audits everything again. A server's rows are replaced as a whole, in one
transaction, so an interrupted batch never leaves half a server behind.

The file named by `--db` is input too: mcpharden writes only into a database it made (its tables,
its schema version, no triggers or views of anyone else's), never through a symbolic link, and
every SQLite failure is a StoreError with the file's name, never a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from mcpharden import __version__
from mcpharden.errors import UsageError

if TYPE_CHECKING:
    from mcpharden.batch.work import ServerOutcome

# 2: suppressions by the repository (the `suppressed` table, servers.repository_suppressions).
# 3: the score by server cards (docs/scoring.md) and servers.grade_reason: no grade where nothing was judged.
SCHEMA_VERSION = 3
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
    score INTEGER,                   -- NULL when not graded (see grade_reason)
    grade TEXT,
    high INTEGER NOT NULL DEFAULT 0,
    medium INTEGER NOT NULL DEFAULT 0,
    low INTEGER NOT NULL DEFAULT 0,
    info INTEGER NOT NULL DEFAULT 0,
    files_scanned INTEGER NOT NULL DEFAULT 0,
    base_families TEXT NOT NULL DEFAULT '[]',   -- JSON list
    cards TEXT NOT NULL DEFAULT '[]',           -- JSON list of server cards
    repository_suppressions TEXT NOT NULL DEFAULT 'counted',  -- "counted" or "honoured" (see `suppressed`)
    grade_reason TEXT                -- why it is not graded, or how the grade was reached
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
CREATE TABLE IF NOT EXISTS suppressed (  -- findings the repository's own comments or configuration hide
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    path TEXT NOT NULL,
    line INTEGER NOT NULL,
    message TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    suppressed_by TEXT NOT NULL      -- the comment or setting, e.g. "`mcpharden: ignore=all` (line 3)"
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
CREATE INDEX IF NOT EXISTS suppressed_by_server ON suppressed(server_id);
CREATE TABLE IF NOT EXISTS audits (  -- every audit of every server, kept across reruns: the report's trends
    key TEXT NOT NULL,               -- servers.key
    run_id INTEGER NOT NULL REFERENCES runs(id),
    audited_at REAL NOT NULL,
    status TEXT NOT NULL,
    score INTEGER,
    grade TEXT,
    fingerprints TEXT NOT NULL DEFAULT '[]'  -- JSON list: the fingerprints of its findings
);
CREATE INDEX IF NOT EXISTS audits_by_key ON audits(key);
"""
# Tables added to schema 2 in place: a database written before them gains them on its next batch,
# and `report` reads one without them (no trends then).
ADDED_TABLES = frozenset({"audits"})
_ADDED_SCHEMA = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS audits"):]


class StoreError(UsageError):
    """A database that cannot be opened, written or read, or is not mcpharden's (exit code 2)."""


class Store:
    """The database a batch writes: opened only if it is mcpharden's own, or new and empty."""

    def __init__(self, path: Path) -> None:
        self.path = path
        _refuse_links(path)
        try:
            self.db = sqlite3.connect(path, timeout=30)
        except sqlite3.Error as error:
            raise StoreError(f"{path}: cannot open the results database ({error})") from None
        try:
            _harden(self.db)
            new = check_schema(self.db, path)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            if new:
                with self.db:
                    self.db.executescript(SCHEMA)
                    self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            else:
                self.db.executescript(_ADDED_SCHEMA)
        except StoreError:
            self.db.close()
            raise
        except sqlite3.Error as error:
            self.db.close()
            raise StoreError(f"{path}: not a results database ({error})") from None
        _refuse_links(path)  # swapped for a link while it was opened: write nothing through it

    def start_run(self, executor: str, total: int) -> int:
        with self._failures(), self.db:
            cursor = self.db.execute("INSERT INTO runs (started_at, mcpharden_version, executor, servers_total) VALUES (?, ?, ?, ?)",
                                     (time.time(), __version__, executor, total))
        return int(cursor.lastrowid)

    def done_keys(self, repository_suppressions: str = "counted") -> set[str]:
        """Servers audited to the end under the same treatment of repository suppressions: one
        audited under the other is audited again, so a database never mixes the two silently."""
        with self._failures():
            return {str(key) for (key,) in self.db.execute(
                "SELECT key FROM servers WHERE status = 'done' AND repository_suppressions = ?", (repository_suppressions,))}

    def record(self, run_id: int, outcome: ServerOutcome) -> None:
        counts = {severity: sum(1 for f in outcome.findings if f["severity"] == severity)
                  for severity in ("high", "medium", "low", "info")}
        with self._failures(), self.db:  # one transaction: the server's rows are replaced whole
            self.db.execute("DELETE FROM servers WHERE key = ?", (outcome.key,))
            cursor = self.db.execute(
                "INSERT INTO servers (key, name, location, source_commit, image, status, run_id, audited_at, score, grade,"
                " high, medium, low, info, files_scanned, base_families, cards, repository_suppressions, grade_reason)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (outcome.key, outcome.name, outcome.location, outcome.commit, outcome.image, outcome.status, run_id, time.time(),
                 outcome.score, outcome.grade, counts["high"], counts["medium"], counts["low"], counts["info"],
                 outcome.files_scanned, json.dumps(list(outcome.base_families)), json.dumps(list(outcome.cards)),
                 outcome.repository_suppressions, outcome.grade_reason or None))
            server = cursor.lastrowid
            self.db.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?,?,?)", [
                (server, f["source"], f["rule_id"], f["severity"], f["path"], f["line"], f["message"], f["fingerprint"])
                for f in outcome.findings])
            self.db.executemany("INSERT INTO suppressed VALUES (?,?,?,?,?,?,?,?,?)", [
                (server, f["source"], f["rule_id"], f["severity"], f["path"], f["line"], f["message"], f["fingerprint"],
                 f["suppressed_by"]) for f in outcome.suppressed])
            self.db.executemany("INSERT INTO notices VALUES (?,?,?,?)",
                                [(server, n["path"], n["line"], n["message"]) for n in outcome.notices])
            self.db.executemany("INSERT INTO timings VALUES (?,?,?)", [(server, s, t) for s, t in outcome.timings])
            self.db.executemany("INSERT INTO errors VALUES (?,?,?)", [(server, s, m) for s, m in outcome.errors])
            self.db.execute("INSERT INTO audits VALUES (?,?,?,?,?,?,?)",
                            (outcome.key, run_id, time.time(), outcome.status, outcome.score, outcome.grade,
                             json.dumps(sorted({f["fingerprint"] for f in outcome.findings}))))

    def finish_run(self, run_id: int, audited: int, skipped: int, failed: int) -> None:
        with self._failures(), self.db:
            self.db.execute("UPDATE runs SET finished_at = ?, servers_audited = ?, servers_skipped = ?, servers_failed = ?"
                            " WHERE id = ?", (time.time(), audited, skipped, failed, run_id))

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass  # closing never costs what was already committed

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """Any SQLite failure while the database is used (a full disk, a lock held past the
        timeout, a file damaged under us) becomes a StoreError that names the file."""
        try:
            yield
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: the results database failed: {error}") from None


def open_for_reading(path: Path) -> sqlite3.Connection:
    """A read-only connection to a results database this mcpharden reads (`mcpharden report`):
    never created, never written, refused unless it is mcpharden's own schema."""
    if not os.path.lexists(path):
        raise StoreError(f"{path}: no such results database")
    try:
        info = os.stat(path)
    except OSError as error:
        problem = "a symbolic link to nothing" if os.path.islink(path) else (error.strerror or str(error))
        raise StoreError(f"{path}: cannot read the results database: {problem}") from None
    if not stat.S_ISREG(info.st_mode):  # a FIFO would block the open; a folder is no database
        raise StoreError(f"{path}: not a results database (not a regular file)")
    try:
        db = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as error:
        raise StoreError(f"{path}: cannot open the results database ({error})") from None
    try:
        _harden(db)
        db.execute("PRAGMA query_only = ON")
        if check_schema(db, path):
            raise StoreError(f"{path}: an empty database, not one `mcpharden batch` wrote")
    except sqlite3.Error as error:
        db.close()
        raise StoreError(f"{path}: not a results database ({error})") from None
    except StoreError:
        db.close()
        raise
    return db


def check_schema(db: sqlite3.Connection, path: Path) -> bool:
    """True for an empty database (a new one); None of the checks write. Raises StoreError for
    anything but mcpharden's own schema of this version: another application's database, another
    version's, or one holding triggers or views (mcpharden makes none: they would run, or stand in
    for a table, on every write and read)."""
    objects = db.execute("SELECT type, name FROM sqlite_master").fetchall()
    if not objects:
        return True
    foreign = sorted(f"{kind} {name}" for kind, name in objects if kind not in ("table", "index"))
    if foreign:
        raise StoreError(f"{path}: not a results database mcpharden uses: it holds {_listed(foreign)}, which mcpharden never makes")
    tables = {str(name) for kind, name in objects if kind == "table"}
    if "meta" not in tables or "servers" not in tables:
        raise StoreError(f"{path}: not a results database (it holds the tables {_listed(sorted(tables))}): "
                         "mcpharden writes only into a database of its own; give a new --db")
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = str(row[0])[:20] if row else "none"
    if version != str(SCHEMA_VERSION):
        older = version.isdigit() and int(version) < SCHEMA_VERSION
        raise StoreError(f"{path}: a results database of schema {version}, "
                         f"{'an older' if older else 'another'} mcpharden's; this one reads and writes schema {SCHEMA_VERSION}: "
                         "give a new --db (or use the mcpharden that wrote it)"
                         + (f"; its grades were computed by the per-finding score schema {SCHEMA_VERSION} replaced, "
                            "which graded what it never judged" if older and int(version) < 3 else ""))
    for table, columns in _expected_columns().items():
        found = tuple(str(column[1]) for column in db.execute(f"PRAGMA table_xinfo({table})"))
        if not found and table in ADDED_TABLES:
            continue
        if found != columns:
            raise StoreError(f"{path}: not a results database of schema {SCHEMA_VERSION}: table {table} "
                             f"{'is missing' if not found else 'has other columns'}")
    return False


@lru_cache(maxsize=1)
def _expected_columns() -> dict[str, tuple[str, ...]]:
    """Each table's columns as SCHEMA makes them (read from a database in memory: one source)."""
    memory = sqlite3.connect(":memory:")
    try:
        memory.executescript(SCHEMA)
        tables = [name for (name,) in memory.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: tuple(column[1] for column in memory.execute(f"PRAGMA table_xinfo({table})")) for table in tables}
    finally:
        memory.close()


def _harden(db: sqlite3.Connection) -> None:
    """Functions with side effects stay out of anything the file's own schema could run, and text
    that is not UTF-8 is read with replacement characters instead of failing the read."""
    db.execute("PRAGMA trusted_schema = OFF")
    db.text_factory = lambda data: data.decode("utf-8", "replace")


def _refuse_links(path: Path) -> None:
    """The database and the journal files SQLite writes beside it: never through a symbolic link
    (a dangling one would create its target), and only a regular file."""
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal"))):
        if os.path.islink(candidate):
            raise StoreError(f"{candidate}: a symbolic link; mcpharden does not write a results database through one "
                             "(give the real path)")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise StoreError(f"{path}: cannot open the results database: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{path}: not a results database (not a regular file)")


def _listed(names: list[str]) -> str:
    shown = ", ".join(name[:60] for name in names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")
