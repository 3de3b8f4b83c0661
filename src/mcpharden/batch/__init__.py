"""`mcpharden batch`: audit many MCP servers in one run, locally on a process pool or on a Dask
distributed cluster, into an SQLite database that `mcpharden report` reads.

- audit: the command, from what it was asked to its summary (run_batch);
- inputs: what to audit (repository folders, a list of paths and git URLs, a Docker MCP catalog);
- work: one server's audit, a pure function a worker process runs (clone, scan, image, catalog entry);
- runners: where the work runs (a local process pool, or an existing Dask scheduler);
- store: the results database (schema in docs/batch.md), resumable and idempotent.
"""
