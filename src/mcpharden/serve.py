"""`mcpharden serve`: the scanner as an MCP server, on the official `mcp` SDK.

stdio by default; `--http HOST:PORT` serves streamable HTTP (on 127.0.0.1 unless told
otherwise). Every path a client names must lie inside one of the roots (`--root`, default
the current directory), after `..` and symlinks are resolved; anything else is refused with
a tool error. Scans run in worker threads, so a long scan or a client that goes away never
stops the server answering others.
"""

from __future__ import annotations

import inspect
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcpharden import __version__
from mcpharden.errors import UsageError

MAX_TEXT_BYTES = 1024 * 1024  # scan_text: one file given inline
INSTRUCTIONS = (
    "mcpharden audits the container setup of MCP servers: Dockerfiles, compose files, Kubernetes manifests, "
    "CI definitions, MCP client configurations and built images. Paths must lie inside the server's roots."
)


class OutsideRoots(UsageError):
    """A path argument that is not inside any of the server's roots."""


@dataclass(frozen=True)
class Roots:
    """The directories a client may name paths in, resolved once (symlinks included)."""

    directories: tuple[Path, ...]

    @classmethod
    def of(cls, directories: list[str]) -> "Roots":
        resolved = []
        for directory in directories or ["."]:
            real = Path(os.path.realpath(Path(directory).expanduser()))
            if not real.is_dir():
                raise ValueError(f"--root {directory}: not a directory")
            resolved.append(real)
        return cls(tuple(resolved))

    def confine(self, path: str) -> Path:
        """The real path `path` names, if it lies inside a root; relative paths start at the first root."""
        if not isinstance(path, str) or not path or "\x00" in path:
            raise OutsideRoots("give a path (a non-empty string)")
        candidate = Path(path).expanduser()
        if not candidate.is_absolute():
            candidate = self.directories[0] / candidate
        real = Path(os.path.realpath(candidate))
        if not any(real == root or real.is_relative_to(root) for root in self.directories):
            shown = ", ".join(str(root) for root in self.directories)
            raise OutsideRoots(f"{path}: outside the directories this server may read ({shown})")
        if not real.exists():
            raise OutsideRoots(f"{path}: no such file or directory")
        return real


def build_server(roots: Roots):
    """The MCP server with mcpharden's six tools (and, over HTTP, a /healthz route)."""
    import anyio
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer(name="mcpharden", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")

    def tool(**settings):
        """server.tool with the docstring as the description, without its source indentation."""
        def register(function):
            return server.tool(description=inspect.cleandoc(function.__doc__ or ""), **settings)(function)
        return register

    async def in_thread(function, *arguments):
        """Run blocking scanner work off the event loop; scanner errors become tool errors."""
        from mcpharden.scan import TargetError
        from mcpharden.scan.config import ConfigError

        try:
            return await anyio.to_thread.run_sync(function, *arguments, abandon_on_cancel=True)
        except (OutsideRoots, TargetError, ConfigError, ValueError) as error:
            raise ToolError(_safe(str(error))) from None

    @tool(structured_output=False)  # returns its own CallToolResult with structured content
    async def scan_path(path: str, rules: list[str] | None = None, fail_on: str = "high") -> Any:
        """Scan a repository directory or one file (Dockerfile, compose file, Kubernetes manifest,
        CI definition, MCP client configuration) inside the server's roots. Returns the JSON report
        as structured content and the text report. `rules` limits the scan to those rule ids;
        `fail_on` (high, medium, low, info, never) sets the report's `failed` flag."""
        return await in_thread(_scan_path, roots, path, rules, fail_on)

    @tool(structured_output=False)  # returns its own CallToolResult with structured content
    async def scan_text(file_name: str, content: str, rules: list[str] | None = None, fail_on: str = "high") -> Any:
        """Scan one file given inline (up to 1 MB), in memory: `file_name` decides its kind
        (`Dockerfile`, `docker-compose.yml`, `deployment.yaml`, `.cursor/mcp.json`,
        `claude_desktop_config.json`). Returns the same as scan_path."""
        return await in_thread(_scan_text, file_name, content, rules, fail_on)

    @tool(structured_output=False)  # returns its own CallToolResult with structured content
    async def audit_image(path: str, platform: str | None = None) -> Any:
        """Audit a built image inside the server's roots: a `docker save` tarball, an
        oci-archive or an OCI layout directory (user, shell, package managers, setuid files,
        secrets, dev dependencies). `platform` (os/arch) picks one image of a multi-platform index."""
        return await in_thread(_audit_image, roots, path, platform)

    @tool()
    async def preview_fix(path: str, rules: list[str] | None = None) -> str:
        """The unified diff `mcpharden fix` would apply to a repository or file inside the roots,
        and what it leaves to a person. Nothing is ever written."""
        return await in_thread(_preview_fix, roots, path, rules)

    @tool()
    async def list_rules() -> list[dict[str, str]]:
        """Every rule: id, severity and title."""
        return await in_thread(_list_rules)

    @tool()
    async def explain_rule(rule_id: str) -> str:
        """A rule's page: what it finds, why it matters, an example and the fix."""
        return await in_thread(_explain_rule, rule_id)

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request):  # the container's HEALTHCHECK in HTTP mode
        from starlette.responses import PlainTextResponse

        return PlainTextResponse("ok\n")

    return server


# The tools' work, run in threads --------------------------------------------------------------


def _options(rules: list[str] | None):
    from mcpharden.scan import ScanOptions

    if rules is not None and (not isinstance(rules, list) or not all(isinstance(r, str) for r in rules)):
        raise ValueError("rules: a list of rule ids")
    return ScanOptions(select=tuple(rules) if rules else None)


def _report_result(results, fail_on: str):
    """The JSON report as structured content, the text report as content: both through the
    report gate that masks credential values."""
    from mcp_types import CallToolResult, TextContent

    from mcpharden.model.findings import fail_threshold
    from mcpharden.reports import Report, render
    from mcpharden.rules import all_rules

    if fail_on not in ("high", "medium", "low", "info", "never"):
        raise ValueError(f"fail_on: {fail_on!r} is not one of high, medium, low, info, never")
    report = Report(version=__version__, results=tuple(results), rules=all_rules(), fail_on=fail_threshold(fail_on))
    document = json.loads(render("json", report))
    return CallToolResult(content=[TextContent(type="text", text=render("text", report))], structured_content=document)


def _scan_path(roots: Roots, path: str, rules: list[str] | None, fail_on: str):
    from mcpharden.scan import scan_target

    return _report_result([scan_target(roots.confine(path), _options(rules))], fail_on)


def _scan_text(file_name: str, content: str, rules: list[str] | None, fail_on: str):
    from mcpharden.scan import scan_text

    if not isinstance(content, str) or len(content.encode("utf-8", errors="surrogatepass")) > MAX_TEXT_BYTES:
        raise ValueError(f"content: at most {MAX_TEXT_BYTES // 1024 // 1024} MB of text")
    return _report_result([scan_text(file_name, content, _options(rules))], fail_on)


def _audit_image(roots: Roots, path: str, platform: str | None):
    from mcpharden.scan import scan_image

    return _report_result([scan_image(roots.confine(path), _options(None), platform)], "high")


def _preview_fix(roots: Roots, path: str, rules: list[str] | None) -> str:
    from mcpharden.fixes.plan import plan_fixes
    from mcpharden.safety import escape_control, redact_text

    report = plan_fixes(roots.confine(path), _options(rules), {})
    parts = [plan.diff() for plan in report.plans]
    if report.decisions:
        parts.append("Not fixed automatically:\n" + "".join(
            f"  {escape_control(d.path)}:{d.line}: {d.rule_id}: {escape_control(d.message)}\n" for d in report.decisions))
    return redact_text("".join(parts) or "Nothing to fix.\n")


def _list_rules() -> list[dict[str, str]]:
    from mcpharden.rules import all_rules

    return [{"id": rule.id, "severity": rule.severity.label, "title": rule.title} for rule in all_rules()]


def _explain_rule(rule_id: str) -> str:
    from mcpharden.rules import rules_by_id
    from mcpharden.rules.pages import page_markdown

    rule = rules_by_id().get(rule_id)
    if rule is None:
        raise ValueError(f"unknown rule {rule_id!r}: list_rules names them all")
    return page_markdown(rule)


def _safe(text: str) -> str:
    from mcpharden.safety import escape_control, redact_text

    return redact_text(escape_control(text))


# Running -----------------------------------------------------------------------------------


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `[::1]:PORT`, `:PORT` or `PORT`; the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--http {text}: give HOST:PORT, for example 127.0.0.1:8080")
    return host, int(port)


def transport_security(host: str, allowed: list[str]):
    """DNS-rebinding protection whatever the bind address: a browser page must not reach the
    scanner through a name it resolves to this machine. Loopback names always pass; a server
    bound to a wildcard (in a container, published on 127.0.0.1) accepts only them and `--allow-host`."""
    from mcp.server.transport_security import TransportSecuritySettings

    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    if host not in ("0.0.0.0", "::", "127.0.0.1", "localhost", "::1"):
        hosts.append(f"{host}:*")
    hosts += [h if ":" in h.strip("[]") or h.startswith("[") else f"{h}:*" for h in allowed]
    origins = [f"http://{h}" for h in hosts] + [f"https://{h}" for h in hosts]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def run(roots: Roots, http: str | None, allowed_hosts: list[str] | None = None) -> None:
    server = build_server(roots)
    if http is None:
        server.run("stdio")
        return
    host, port = parse_address(http)
    server.run("streamable-http", host=host, port=port, transport_security=transport_security(host, allowed_hosts or []))
