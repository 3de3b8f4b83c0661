"""What mcpharden keeps in the user's cache to start fast gives exactly what it would compute:
the knowledge tables (TOML kept as JSON); a broken entry is rebuilt."""

import json
import os
import subprocess
import sys

KNOWLEDGE = """
import json, sys
from mcpharden.knowledge import load_table
print(json.dumps({name: load_table(name) for name in sys.argv[1:]}))
"""


def test_knowledge_tables_from_the_cache_equal_the_toml(tmp_path):
    import tomllib
    from pathlib import Path

    import mcpharden.knowledge

    folder = Path(mcpharden.knowledge.__file__).parent
    names = sorted(path.name for path in folder.glob("*.toml"))
    expected = {name: tomllib.loads((folder / name).read_text(encoding="utf-8")) for name in names}
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}

    def load():
        done = subprocess.run([sys.executable, "-c", KNOWLEDGE, *names], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert load() == expected  # parsed, and kept
    entries = sorted((tmp_path / "mcpharden" / "tables").glob("*.json"))
    assert len(entries) == len(names)
    assert load() == expected  # from the cache
    entries[0].write_text("{broken")
    assert load() == expected  # a broken entry is parsed again


# A container run as an arbitrary uid has no passwd entry and often no HOME: Path.home() fails.
_NO_HOME = """
import pathlib, sys
def no_home(cls):
    raise RuntimeError("Could not determine home directory.")
pathlib.Path.home = classmethod(no_home)
from mcpharden.cli import run
sys.argv[0] = "mcpharden"
run()
"""


def test_without_a_home_directory_commands_run_without_the_cache(tmp_path):
    """No XDG_CACHE_HOME and no home: scans and image audits run uncached; commands whose
    default folder is the cache say so and exit 2 instead of a traceback."""
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "HOME")}
    example = Path(__file__).resolve().parents[1] / "examples" / "insecure-server"

    def mcpharden(*arguments):
        return subprocess.run([sys.executable, "-c", _NO_HOME, *arguments], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)

    scan = mcpharden("scan", str(example), "--format", "json")
    assert scan.returncode == 1 and json.loads(scan.stdout)["findings"], scan.stderr
    auto = mcpharden("image", str(tmp_path / "missing.tar"), "--vuln-db", "auto")
    assert auto.returncode == 2 and "no user cache" in auto.stderr and "Traceback" not in auto.stderr
    batch = mcpharden("batch", str(example), "--db", str(tmp_path / "out.db"))
    assert batch.returncode == 2 and "no user cache" in batch.stderr and "Traceback" not in batch.stderr
