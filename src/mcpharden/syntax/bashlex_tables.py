"""Import bashlex without rebuilding its parser tables every time.

bashlex builds its LALR tables at import (its bundled ply never reads the tables it writes),
which costs about 80 ms in every process that parses a script. The tables depend only on
bashlex's grammar, so they are computed once and kept as JSON in
`$XDG_CACHE_HOME/mcpharden/bashlex-<grammar hash>.json`; later imports load them. A missing,
stale, malformed or damaged (digest mismatch) entry only means the tables are built again.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib.util import find_spec
from pathlib import Path

from mcpharden.util.usercache import optional_cache_folder, read_entry, write_entry


def import_bashlex():
    if "bashlex" in sys.modules:
        return sys.modules["bashlex"]
    # The package's __init__ imports the parser, which builds the tables at once: create the
    # package first without running it, patch its yacc, then run __init__.
    from importlib.util import module_from_spec

    spec = find_spec("bashlex")
    package = module_from_spec(spec)
    sys.modules["bashlex"] = package
    try:
        import bashlex.yacc as yacc
    except BaseException:
        del sys.modules["bashlex"]
        raise
    original = yacc.LRTable
    cache = _cache_path()

    class CachedTable(original):
        def __init__(self, grammar, log=None):
            tables = _load(cache)
            if tables is None:
                super().__init__(grammar, log)
                _store(cache, self.lr_action, self.lr_goto)
                return
            self.grammar, self.log = grammar, log
            self.lr_action, self.lr_goto = tables
            self.lr_productions = grammar.Productions
            self.lr_goto_cache, self.lr0_cidhash, self._add_count = {}, {}, 0
            self.sr_conflict = self.rr_conflict = 0
            self.conflicts, self.sr_conflicts, self.rr_conflicts = [], [], []

        def write_table(self, *arguments, **keywords):
            pass  # bashlex never reads the module it would write

    yacc.LRTable = CachedTable
    try:
        spec.loader.exec_module(package)
    except BaseException:
        for name in [n for n in sys.modules if n == "bashlex" or n.startswith("bashlex.")]:
            del sys.modules[name]
        raise
    finally:
        yacc.LRTable = original
    return package


def _cache_path() -> Path | None:
    folder = optional_cache_folder()
    if folder is None:
        return None
    try:
        spec = find_spec("bashlex.parser")
        grammar = Path(spec.origin).read_bytes() if spec and spec.origin else b""
        grammar += Path(find_spec("bashlex.yacc").origin).read_bytes()
    except (OSError, ImportError, AttributeError, ValueError):
        return None
    return folder / f"bashlex-{hashlib.sha256(grammar).hexdigest()[:20]}.json"


def _load(path: Path | None):
    if path is None:
        return None
    text = read_entry(path)
    if text is None:
        return None
    try:
        document = json.loads(text)
        action = {int(state): {str(k): int(v) for k, v in row.items()} for state, row in document["action"].items()}
        goto = {int(state): {str(k): int(v) for k, v in row.items()} for state, row in document["goto"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return (action, goto) if action and goto else None


def _store(path: Path | None, action, goto) -> None:
    if path is not None:
        write_entry(path, json.dumps({"action": action, "goto": goto}))
