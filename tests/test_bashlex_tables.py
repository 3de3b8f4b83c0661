"""bashlex's parser tables come from a cache after the first build, and parse exactly as the
tables bashlex builds itself; a broken cache entry is rebuilt."""

import json
import os
import subprocess
import sys

SCRIPTS = [
    "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
    "if [ -f package-lock.json ]; then npm ci; else npm install; fi",
    "for f in a b; do echo $f; done | tee out.txt",
    "case $x in a) npm ci ;; *) npm install ;; esac",
    "cat <<EOF > /etc/app.conf\nport=8080\nEOF\npip install -r requirements.txt",
    "f() { pip install uv; }; f && uv sync --no-dev",
]
PROGRAM = """
import json, sys
if sys.argv[1] == "fresh":
    import bashlex
else:
    from mcpharden.sources.bashlex_tables import import_bashlex
    bashlex = import_bashlex()
result = []
for script in json.loads(sys.argv[2]):
    try:
        result.append([node.dump() for node in bashlex.parse(script)])
    except Exception as error:
        result.append(type(error).__name__)
print(json.dumps(result))
"""


def run(mode, cache):
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode, json.dumps(SCRIPTS)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cached_tables_parse_as_bashlex_does(tmp_path):
    fresh = run("fresh", tmp_path)
    assert run("cached", tmp_path) == fresh  # builds the tables and stores them
    [entry] = list((tmp_path / "mcpharden").glob("bashlex-*.json"))
    assert run("cached", tmp_path) == fresh  # from the cache
    entry.write_text("{broken")
    assert run("cached", tmp_path) == fresh  # a broken entry is rebuilt
    assert json.loads(entry.read_text())["action"]
