"""`mcpharden fix --clients` end to end on a fake home with the clients' real file layouts: a diff
by default, `--write` with a timestamped backup beside each file, comments and formatting kept,
every written file loaded again with its client's format rules, no symlink written through, a
second `--write` that changes nothing, and no credential value in any output."""

import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import run_cli, write_tree
from mcpharden.syntax.jsonc import load_jsonc

TOKEN = "ghp_" + "Q7w8E9r0T1y2U3i4O5p6" * 2
PASSWORD = "Pg-S3cret-" + "x7Y8z9" * 3
API_KEY = "sk-" + "AbCdEf012345" * 4

CURSOR = f"""{{
  "mcpServers": {{
    "github": {{
      "command": "docker",
      "args": [
        "run", "-i", "--rm",
        "-e", "GITHUB_PERSONAL_ACCESS_TOKEN={TOKEN}",
        "-p", "8080:8080",
        "ghcr.io/github/github-mcp-server"
      ]
    }},
    "files": {{"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv/notes", "~/code"]}},
    "mystery": {{"command": "uvx", "args": ["some-unpublished-mcp"]}}
  }}
}}
"""
VSCODE = f"""{{
  // user MCP servers
  "servers": {{
    "db": {{
      "type": "stdio",
      "command": "docker",
      "args": ["run", "-i", "--rm", "-e", "DB_PASSWORD", "mcp/postgres"], // the analytics DB
      "env": {{"DB_PASSWORD": "{PASSWORD}"}},
    }},
  }},
}}
"""
CLAUDE_DESKTOP = json.dumps({"mcpServers": {"search": {
    "command": "docker", "args": ["run", "-i", "--rm", "-e", f"BRAVE_API_KEY={API_KEY}", "mcp/brave-search"]}}}, indent=2) + "\n"
CONTINUE = ("name: mine  # my assistant\nmcpServers:\n  - name: time\n    command: docker\n    args: [run, -i, --rm, mcp/time]\n"
            "  - name: sqlite\n    command: docker\n    args:\n      - run\n      - -i   # interactive\n      - -p\n"
            "      - 3000:3000\n      - mcp/sqlite\n    env:\n      LOG: debug\n")
CODEX = ('# codex\nmodel = "o3"\n\n[mcp_servers.time]\ncommand = "docker"\n'
         f'args = ["run", "-i", "--rm", "-e", "TIME_API_KEY={API_KEY}", "mcp/time"]  # clock\n\n'
         '[mcp_servers.fetch]\ncommand = "uvx"\nargs = ["mcp-server-fetch"]\n')
LAYOUT = {
    ".cursor/mcp.json": CURSOR,
    ".config/Code/User/mcp.json": VSCODE,
    ".config/Claude/claude_desktop_config.json": CLAUDE_DESKTOP,
    ".continue/config.yaml": CONTINUE,
    ".codex/config.toml": CODEX,
}
SECRETS = (TOKEN, PASSWORD, API_KEY)


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _args(document: dict, holder: str, name: str) -> list[str]:
    return document[holder][name]["args"]


def test_a_dry_run_shows_diffs_and_writes_nothing(tmp_path):
    write_tree(tmp_path, LAYOUT)
    result = run_cli("fix", "--clients", "--home", str(tmp_path))
    assert result.returncode == 1  # the Claude Desktop key stays in its file (no reference there)
    assert "+++ b/.cursor/mcp.json" in result.stdout and "+++ b/.config/Code/User/mcp.json" in result.stdout
    assert not _leaks(result.stdout + result.stderr)
    for path, text in LAYOUT.items():
        assert (tmp_path / path).read_text() == text
    assert not list(tmp_path.rglob("*.bak"))


def test_write_hardens_every_client_and_each_file_still_loads_as_its_client_reads_it(tmp_path):
    write_tree(tmp_path, LAYOUT)
    result = run_cli("fix", "--clients", "--home", str(tmp_path), "--write")
    assert not _leaks(result.stdout + result.stderr)
    assert result.returncode == 1, result.stderr
    for path in (".cursor/mcp.json", ".config/Code/User/mcp.json", ".config/Claude/claude_desktop_config.json", ".codex/config.toml",
                 ".continue/config.yaml"):
        [backup] = (tmp_path / path).parent.glob((tmp_path / path).name + ".mcpharden-*.bak")
        assert re.fullmatch(r".*\.mcpharden-\d{8}T\d{6}Z\.bak", backup.name)
        assert backup.read_text() == LAYOUT[path] and oct(backup.stat().st_mode & 0o777) == "0o600"

    cursor = json.loads((tmp_path / ".cursor/mcp.json").read_text())  # Cursor: plain JSON
    github = _args(cursor, "mcpServers", "github")
    assert github[:github.index("-i")] == ["run", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt",
                                           "no-new-privileges", "--memory", "512m", "--pids-limit", "128"]
    assert github.index("--memory") < github.index("ghcr.io/github/github-mcp-server")
    assert "127.0.0.1:8080:8080" in github and "GITHUB_PERSONAL_ACCESS_TOKEN" in github
    assert cursor["mcpServers"]["github"]["env"] == {"GITHUB_PERSONAL_ACCESS_TOKEN": "${env:GITHUB_PERSONAL_ACCESS_TOKEN}"}
    files = cursor["mcpServers"]["files"]
    assert files["command"] == "docker"
    assert files["args"][-3:] == ["mcp/filesystem", "/projects/notes", "/projects/code"]
    assert f"{tmp_path}/code:/projects/code" in files["args"] and "/srv/notes:/projects/notes" in files["args"]
    assert cursor["mcpServers"]["mystery"] == {"command": "uvx", "args": ["some-unpublished-mcp"]}
    assert "no published image of `some-unpublished-mcp` is known: build one" in result.stderr

    vscode_text = (tmp_path / ".config/Code/User/mcp.json").read_text()
    assert "// user MCP servers" in vscode_text and "// the analytics DB" in vscode_text  # comments kept
    vscode = load_jsonc(vscode_text)  # VS Code: JSON with comments and trailing commas
    assert vscode["servers"]["db"]["env"] == {"DB_PASSWORD": "${input:db-db-password}"}
    assert dict(vscode["inputs"][0]) == {"type": "promptString", "id": "db-db-password", "password": True,
                                         "description": "DB_PASSWORD for the db MCP server"}
    assert "--cap-drop" in vscode["servers"]["db"]["args"]

    desktop = json.loads((tmp_path / ".config/Claude/claude_desktop_config.json").read_text())
    search = desktop["mcpServers"]["search"]
    assert "-e" in search["args"] and "BRAVE_API_KEY" in search["args"] and search["env"] == {"BRAVE_API_KEY": API_KEY}
    assert "BRAVE_API_KEY moved out of the docker run arguments (which `ps` shows) into the env map; its value still " \
           "sits in this file" in result.stderr

    # Codex (TOML): rewritten value by value, comments kept, loaded back with TOML's rules.
    codex_text = (tmp_path / ".codex/config.toml").read_text()
    assert codex_text.startswith('# codex\nmodel = "o3"\n') and "]  # clock\n" in codex_text
    codex = tomllib.loads(codex_text)["mcp_servers"]
    assert codex["time"]["args"][:3] == ["run", "--read-only", "--tmpfs"] and "TIME_API_KEY" in codex["time"]["args"]
    assert codex["time"]["env"] == {"TIME_API_KEY": API_KEY}
    assert codex["fetch"] == {"command": "docker", "args": [
        "run", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--memory",
        "512m", "--pids-limit", "128", "-i", "--rm", "mcp/fetch"]}
    assert "(Codex has no reference for it): rotate it" in result.stderr
    # Continue (YAML): flow and block lists edited in their own style, comments kept, loaded back as YAML.
    continue_text = (tmp_path / ".continue/config.yaml").read_text()
    assert "# my assistant" in continue_text and "      - -i   # interactive\n" in continue_text
    servers = {s["name"]: s for s in yaml.safe_load(continue_text)["mcpServers"]}
    assert servers["time"]["args"] == ["run", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt",
                                       "no-new-privileges", "--memory", "512m", "--pids-limit", "128", "-i", "--rm", "mcp/time"]
    assert servers["sqlite"]["args"][-3:] == ["-p", "127.0.0.1:3000:3000", "mcp/sqlite"] and servers["sqlite"]["env"] == {"LOG": "debug"}
    for rotate in ("GITHUB_PERSONAL_ACCESS_TOKEN now comes from ${env:GITHUB_PERSONAL_ACCESS_TOKEN}",
                   "DB_PASSWORD now comes from ${input:db-db-password}"):
        assert rotate in result.stderr and "rotate the value" in result.stderr
    assert "added --memory 512m and --pids-limit 128: raise them" in result.stderr

    # The laptop audit agrees, and a second --write changes nothing.
    audit = json.loads(run_cli("scan", "--clients", "--home", str(tmp_path), "--format", "json").stdout)
    json_files = {f["rule_id"] for f in audit["findings"] if f["path"] in (".cursor/mcp.json", ".config/Code/User/mcp.json")}
    assert not json_files & {"capabilities-not-dropped", "root-filesystem-writable", "privilege-escalation-allowed",
                             "no-resource-limits", "port-exposed-on-all-interfaces", "secret-in-run-config"}
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    again = run_cli("fix", "--clients", "--home", str(tmp_path), "--write")
    assert "fixed " not in again.stdout
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_a_symlinked_client_file_is_reported_and_left(tmp_path):
    real = tmp_path / "dotfiles" / "mcp.json"
    write_tree(tmp_path, {"dotfiles/mcp.json": CLAUDE_DESKTOP})
    (tmp_path / ".cursor").mkdir()
    os.symlink(real, tmp_path / ".cursor" / "mcp.json")
    result = run_cli("fix", "--clients", "--home", str(tmp_path), "--write")
    assert ".cursor/mcp.json:1: is a symlink: not written through" in result.stderr
    assert real.read_text() == CLAUDE_DESKTOP and not list(tmp_path.rglob("*.bak"))
    # A symlinked folder on the way is refused by the writer as well.
    write_tree(tmp_path, {"elsewhere/Claude/claude_desktop_config.json": CLAUDE_DESKTOP})
    (tmp_path / ".config").mkdir()
    os.symlink(tmp_path / "elsewhere" / "Claude", tmp_path / ".config" / "Claude")
    refused = run_cli("fix", "--clients", "--home", str(tmp_path), "--write")
    assert refused.returncode == 2 and "Claude is a symlink or not a directory: not written through" in refused.stderr
    assert (tmp_path / "elsewhere/Claude/claude_desktop_config.json").read_text() == CLAUDE_DESKTOP


def test_a_server_that_installs_at_start_keeps_a_writable_root_and_says_why(tmp_path):
    config = {"mcpServers": {"py": {"command": "docker", "args": ["run", "-i", "--rm", "python:3.12", "sh", "-c",
                                                                  "pip install some-mcp && some-mcp"]}}}
    write_tree(tmp_path, {".cursor/mcp.json": json.dumps(config)})
    result = run_cli("fix", "--clients", "--home", str(tmp_path), "--write", "--exit-zero")
    args = json.loads((tmp_path / ".cursor/mcp.json").read_text())["mcpServers"]["py"]["args"]
    assert "--read-only" not in args and "--cap-drop" not in args and "no-new-privileges" in args
    assert "--read-only not added: its command installs packages at start (`pip install some-mcp`)" in result.stderr


@pytest.mark.parametrize("text", [
    '{"mcpServers": {"a": {"command": "docker", "args": ["run", "x"], "z": ' + "[" * 50_000 + "]" * 50_000 + "}}}",
    '{"mcpServers": {"a": {"command": "docker", "args": ["run", "x"]',  # cut short
])
def test_a_hostile_client_file_is_left_with_a_reason_never_a_traceback(tmp_path, text):
    write_tree(tmp_path, {".cursor/mcp.json": text})
    result = run_cli("fix", "--clients", "--home", str(tmp_path), "--write")
    assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr[-2000:]
    assert (tmp_path / ".cursor" / "mcp.json").read_text() == text  # not a byte changed
    assert not list((tmp_path / ".cursor").glob("*.bak"))


def test_clients_and_paths_do_not_mix(tmp_path):
    assert run_cli("fix", "--clients", str(tmp_path)).returncode == 2
    assert run_cli("fix", "--home", str(tmp_path)).returncode == 2


def test_zed_command_objects_and_windsurf_layouts_are_hardened(tmp_path):
    zed = '{\n  "context_servers": {\n    "pg": {\n      "command": {"path": "docker", "args": ["run", "-i", "mcp/postgres"], "env": {}}\n    }\n  }\n}\n'
    windsurf = json.dumps({"mcpServers": {"git": {"command": "uvx", "args": ["mcp-server-git"]}}}, indent=2)
    write_tree(tmp_path, {".config/zed/settings.json": zed, ".codeium/windsurf/mcp_config.json": windsurf})
    assert run_cli("fix", "--clients", "--home", str(tmp_path), "--write", "--exit-zero").returncode == 0
    command = load_jsonc((tmp_path / ".config/zed/settings.json").read_text())["context_servers"]["pg"]["command"]
    assert command["path"] == "docker" and command["args"][:2] == ["run", "--read-only"] and command["args"][-1] == "mcp/postgres"
    git = json.loads((tmp_path / ".codeium/windsurf/mcp_config.json").read_text())["mcpServers"]["git"]
    assert git["command"] == "docker" and git["args"][-1] == "mcp/git"


SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
# Where a corpus file of each name sits in a home (the client that reads it).
HOME_PLACES = {"claude_desktop_config.json": ".config/Claude/claude_desktop_config.json", "mcp.json": ".cursor/mcp.json",
               "mcp_config.json": ".codeium/windsurf/mcp_config.json", ".mcp.json": ".claude.json"}


def test_every_client_file_of_the_corpora_is_fixed_once_and_never_crashes(tmp_path):
    files = [p for corpus in ("corpus", "corpus2") if (SHARED / corpus).is_dir() for p in sorted((SHARED / corpus).rglob("*"))
             if p.name in HOME_PLACES and p.is_file() and not p.is_symlink() and p.stat().st_size < 200_000]
    if not files:
        pytest.skip(f"the shared corpora are absent ({SHARED})")
    from mcpharden.fixes.clients import plan_client_fixes
    from mcpharden.fixes.writer import write_plan

    written = 0
    for number, source in enumerate(files):
        home = tmp_path / str(number)
        (home / HOME_PLACES[source.name]).parent.mkdir(parents=True)
        shutil.copyfile(source, home / HOME_PLACES[source.name])
        for plan in plan_client_fixes(home).plans:
            assert write_plan(home, plan, ".bak").written, source
            written += 1
            load_jsonc((home / plan.path).read_text())
        assert not plan_client_fixes(home).plans, f"{source} changes again"
    assert written >= 5


def test_claude_codes_mcp_json_gets_its_own_environment_reference():
    """Claude Code expands ${NAME} in a project's .mcp.json (not in ~/.claude.json, which keeps the value)."""
    from mcpharden.fixes.clients import _fix_file
    from mcpharden.syntax.text import decode

    text = json.dumps({"mcpServers": {"gh": {"command": "docker", "args": ["run", "-i", "-e", f"GITHUB_TOKEN={TOKEN}",
                                                                             "ghcr.io/github/github-mcp-server"]}}})
    plan, told = _fix_file(".mcp.json", decode(text.encode()), "Claude Code", Path("/home/me"))
    server = json.loads(plan.fixed_text())["mcpServers"]["gh"]
    assert server["env"] == {"GITHUB_TOKEN": "${GITHUB_TOKEN}"} and "-e" in server["args"] and TOKEN not in plan.fixed_text()
    user_plan, _ = _fix_file(".claude.json", decode(text.encode()), "Claude Code", Path("/home/me"))
    assert json.loads(user_plan.fixed_text())["mcpServers"]["gh"]["env"] == {"GITHUB_TOKEN": TOKEN}
    assert not _leaks(" ".join(d.message for d in told) + plan.diff())


def test_a_home_without_clients_changes_nothing(tmp_path):
    result = run_cli("fix", "--clients", "--home", str(tmp_path), "--write")
    assert result.returncode == 0 and result.stdout == "" and list(tmp_path.iterdir()) == []
    assert run_cli("fix", "--clients", "--home", str(tmp_path / "absent")).returncode == 2
