"""`mcpharden serve`: the scanner as an MCP server, on the official `mcp` SDK.

stdio by default; `--http HOST:PORT` serves streamable HTTP (on 127.0.0.1 unless told
otherwise). Every path a client names must lie inside one of the roots (`--root`, default
the current directory): the roots are opened once, at start, and a path is resolved below a
root's descriptor one component at a time, never by path (sources.discovery.resolve_beneath),
so a folder swapped for a symlink while a call runs cannot lead it out; anything else is
refused with a tool error. Scans run in worker threads, so a long scan or a client that goes
away never stops the server answering others: a client runs at most CALLS_PER_CLIENT calls at
once, all clients together WORKER_THREADS, and a cancelled call's scan stops at its next file.
On stdio a message over MAX_MESSAGE_BYTES is refused as it arrives, never held in memory.

Every tool only reads (the annotations say so: read-only, no network). A scan reads within a
time and a size budget (SCAN_SECONDS, SCAN_MIB): past either, the files not yet read are listed
as notices and the answer, marked `partial`, judges what was read. While it reads, a client that
asked for progress hears how many files were read. A report answer holds the summary and one page
of findings, most severe and files that ship first (`offset`, `limit` for the rest).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcpharden import __version__
from mcpharden.errors import UsageError
from mcpharden.sources.discovery import OpenedTarget

MAX_TEXT_BYTES = 1024 * 1024  # scan_text: one file given inline
# One JSON-RPC message on stdio: scan_text's 1 MB, JSON-escaped, fits.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
CALLS_PER_CLIENT = 2  # running at once for one client (stdio, or one HTTP session); the others wait
WAITING_PER_CLIENT = 16  # beyond that a call is refused: a flood costs only the client that sends it
WORKER_THREADS = 4  # scanner threads for all clients together
STOP_SECONDS = 10.0  # how long a cancelled call waits for its scan to stop before leaving it to finish alone
# A scan's budget (util.budget.ReadBudget), overridable for a server that audits huge monorepos.
SCAN_SECONDS = 60.0
SCAN_MIB = 256
PROGRESS_SECONDS = 0.5  # how often a running scan reports the files read (when the client asked)
PAGE_FINDINGS = 50  # findings in an answer unless `limit` says otherwise
MAX_PAGE_FINDINGS = 500
NOTICES_SHOWN = 50  # notices in an answer; the count says how many there were
INSTRUCTIONS = (
    "mcpharden audits the container setup of MCP servers: Dockerfiles, compose files, Kubernetes manifests, "
    "CI definitions, MCP client configurations and built images. Paths must lie inside the server's roots."
)


class OutsideRoots(UsageError):
    """A path argument that is not inside any of the server's roots."""


_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class Roots:
    """The directories a client may name paths in, resolved (symlinks included) and opened
    once: every path is resolved below these descriptors, for the life of the server."""

    directories: tuple[Path, ...]
    descriptors: tuple[int, ...]
    names: tuple[tuple[str, ...], ...]  # each root's absolute spellings: real, and as given

    @classmethod
    def of(cls, directories: list[str]) -> "Roots":
        resolved, descriptors, names = [], [], []
        for directory in directories or ["."]:
            given = Path(directory).expanduser().absolute()
            real = Path(os.path.realpath(given))
            try:
                descriptors.append(os.open(real, _DIRECTORY_FLAGS))
            except OSError as error:
                for descriptor in descriptors:
                    os.close(descriptor)
                problem = "not a directory" if isinstance(error, (FileNotFoundError, NotADirectoryError)) else error.strerror
                raise ValueError(f"--root {directory}: {problem}") from None
            resolved.append(real)
            names.append(tuple(dict.fromkeys((str(real), os.path.normpath(given)))))
        return cls(tuple(resolved), tuple(descriptors), tuple(names))

    def open(self, path: str) -> OpenedTarget:
        """The file or folder `path` names (relative paths start at the first root), resolved
        and opened below its root; the caller closes `directory`. Regular files and folders only."""
        from mcpharden.scan import TargetError
        from mcpharden.sources.discovery import LeavesRoot, NotRegular, resolve_beneath

        if not isinstance(path, str) or not path or "\x00" in path:
            raise OutsideRoots("give a path (a non-empty string)")
        index, relative = self._locate(path)
        try:
            folder, name, parts = resolve_beneath(self.descriptors[index], relative, self.names[index])
        except LeavesRoot:
            raise OutsideRoots(self._outside(path)) from None
        except (FileNotFoundError, NotADirectoryError):
            raise TargetError(f"{path}: no such file or directory") from None
        except NotRegular:  # a FIFO would block the worker that opened it
            raise TargetError(f"{path}: not a regular file or directory: not read") from None
        except OSError as error:
            raise TargetError(f"{path}: cannot be read: {error.strerror or error}") from None
        return OpenedTarget(self.directories[index].joinpath(*parts), folder, name)

    def _locate(self, path: str) -> tuple[int, str]:
        """Which root `path` starts in, and the rest of it."""
        candidate = os.path.expanduser(path)
        if not os.path.isabs(candidate):
            return 0, candidate
        candidate = os.path.normpath(candidate)  # `..` before the root's name must not hide it
        matches = [(len(name), index, candidate[len(name):].lstrip("/"))
                   for index, spellings in enumerate(self.names) for name in spellings
                   if candidate == name or candidate.startswith(name.rstrip("/") + "/")]
        if not matches:
            raise OutsideRoots(self._outside(path))
        _, index, relative = max(matches)
        return index, relative

    def _outside(self, path: str) -> str:
        shown = ", ".join(str(root) for root in self.directories)
        return f"{path}: outside the directories this server may read ({shown})"


class _Admission:
    """Who runs now: at most CALLS_PER_CLIENT calls of one client at a time (the others wait,
    up to WAITING_PER_CLIENT), and WORKER_THREADS scanner threads for all clients together, so
    one client's flood of long calls cannot keep another waiting for a worker."""

    def __init__(self) -> None:
        import anyio

        self.workers = anyio.CapacityLimiter(WORKER_THREADS)
        self.turns: dict[str, _Turns] = {}  # by client, while it has calls

    def enter(self, client: str) -> "_Turns":
        import anyio
        from mcp.server.mcpserver.exceptions import ToolError

        turns = self.turns.setdefault(client, _Turns(anyio.Semaphore(CALLS_PER_CLIENT)))
        if turns.calls >= CALLS_PER_CLIENT + WAITING_PER_CLIENT:
            raise ToolError(f"too many calls at once: {CALLS_PER_CLIENT} run and {WAITING_PER_CLIENT} wait per client; "
                            "call again when one has answered")
        turns.calls += 1
        return turns

    def leave(self, client: str, turns: "_Turns") -> None:
        turns.calls -= 1
        if not turns.calls:
            self.turns.pop(client, None)


class _Turns:
    """One client's calls: how many run or wait, and the semaphore they run by."""

    def __init__(self, running) -> None:
        self.running = running
        self.calls = 0


def _client_of(ctx) -> str:
    """Whose turns a call takes: its stdio connection's (one client per process), its HTTP
    session's (`Mcp-Session-Id`), or, where the protocol has no session (HTTP at 2026-07-28:
    each request stands alone), the turns of the client name it gives, from its address."""
    request = ctx.request_context.request
    if request is None:
        return "stdio"
    session = (ctx.headers or {}).get("mcp-session-id")
    if session:
        return f"session {session}"
    parameters = ctx.session.client_params
    name = parameters.client_info.name if parameters is not None and parameters.client_info is not None else ""
    address = getattr(getattr(request, "client", None), "host", "")
    return f"client {address} {name}"


async def _stoppable(function, arguments: tuple) -> Any:
    """Run `function` in a worker thread. If the call is cancelled, the work is told to stop
    (budget.checkpoint raises between files and folders) and waited for, so the worker bound
    stays true: a cancelled scan does not go on in a thread nobody counts."""
    import anyio

    from mcpharden.util.budget import cancellable

    stop, finished = threading.Event(), threading.Event()

    def work():
        try:
            with cancellable(stop):
                return function(*arguments)
        finally:
            finished.set()

    try:
        return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        stop.set()
        with anyio.CancelScope(shield=True), anyio.move_on_after(STOP_SECONDS):
            while not finished.is_set():
                await anyio.sleep(0.01)
        raise


def build_server(roots: Roots):
    """The MCP server with mcpharden's six tools (and, over HTTP, a /healthz route)."""
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp_types import ToolAnnotations

    server = MCPServer(name="mcpharden", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")
    admission = _Admission()
    budget_seconds, budget_bytes = scan_budget()
    # No tool writes (preview_fix shows a diff and writes nothing) and none uses the network: the
    # images audit_image reads are files inside the roots, never pulled from a registry.
    annotations = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

    def tool(**settings):
        """server.tool with the docstring as the description, without its source indentation."""
        def register(function):
            # The SDK finds the context parameter by its type, resolved in this module's
            # globals, where the SDK is not imported (start-up time): name the type here.
            function.__annotations__["ctx"] = Context
            return server.tool(description=inspect.cleandoc(function.__doc__ or ""), annotations=annotations,
                               **settings)(function)
        return register

    async def in_thread(ctx, function, *arguments, budget=None):
        """Run blocking scanner work off the event loop, in the client's turn; scanner errors
        become tool errors. With a `budget`, its files read are reported as progress."""
        from mcpharden.scan import TargetError
        from mcpharden.scan.config import ConfigError

        client = _client_of(ctx)
        turns = admission.enter(client)
        try:
            async with turns.running, admission.workers:
                if budget is None:
                    return await _stoppable(function, arguments)
                return await _reporting(ctx, budget, _stoppable(function, arguments))
        except (OutsideRoots, TargetError, ConfigError, ValueError) as error:
            raise ToolError(_safe(str(error))) from None
        finally:
            admission.leave(client, turns)

    def budget():
        from mcpharden.util.budget import ReadBudget

        return ReadBudget(budget_seconds, budget_bytes)

    @tool(structured_output=False)  # returns its own CallToolResult with structured content
    async def scan_path(path: str, ctx: Context, rules: list[str] | None = None, fail_on: str = "high",
                        offset: int = 0, limit: int = PAGE_FINDINGS) -> Any:
        """Scan a repository directory or one file (Dockerfile, compose file, Kubernetes manifest,
        CI definition, MCP client configuration) inside the server's roots. Returns the JSON report
        as structured content and the text report: the summary of every finding, and one page of
        them, most severe and files that ship first (`limit`, default 50, at most 500; `page.next_offset`
        is the `offset` of the next page). `rules` limits the scan to those rule ids; `fail_on`
        (critical, high, medium, low, info, never) sets the report's `failed` flag. A scan that
        outgrows its time or size budget answers for the files it read, with `partial` saying why."""
        spending = budget()
        return await in_thread(ctx, _scan_path, roots, path, rules, fail_on, offset, limit, spending, budget=spending)

    @tool(structured_output=False)  # returns its own CallToolResult with structured content
    async def scan_text(file_name: str, content: str, ctx: Context, rules: list[str] | None = None, fail_on: str = "high",
                        offset: int = 0, limit: int = PAGE_FINDINGS) -> Any:
        """Scan one file given inline (up to 1 MB), in memory: `file_name` decides its kind
        (`Dockerfile`, `docker-compose.yml`, `deployment.yaml`, `.cursor/mcp.json`,
        `claude_desktop_config.json`). Returns the same as scan_path."""
        return await in_thread(ctx, _scan_text, file_name, content, rules, fail_on, offset, limit)

    @tool(structured_output=False)  # returns its own CallToolResult with structured content
    async def audit_image(path: str, ctx: Context, platform: str | None = None, offset: int = 0,
                          limit: int = PAGE_FINDINGS) -> Any:
        """Audit a built image inside the server's roots: a `docker save` tarball, an
        oci-archive or an OCI layout directory (user, shell, package managers, setuid files,
        secrets, dev dependencies); nothing is pulled from a registry. `platform` (os/arch) picks
        one image of a multi-platform index. Pages of findings as scan_path's."""
        return await in_thread(ctx, _audit_image, roots, path, platform, offset, limit)

    @tool()
    async def preview_fix(path: str, ctx: Context, rules: list[str] | None = None) -> str:
        """The unified diff `mcpharden fix` would apply to a repository or file inside the roots,
        and what it leaves to a person. Nothing is ever written."""
        return await in_thread(ctx, _preview_fix, roots, path, rules)

    @tool()
    async def list_rules(ctx: Context) -> list[dict[str, str]]:
        """Every rule: id, severity and title."""
        return await in_thread(ctx, _list_rules)

    @tool()
    async def explain_rule(rule_id: str, ctx: Context) -> str:
        """A rule's page: what it finds, why it matters, an example and the fix."""
        return await in_thread(ctx, _explain_rule, rule_id)

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


def scan_budget() -> tuple[float, int]:
    """A scan's time (s) and size (bytes) budget: SCAN_SECONDS and SCAN_MIB, or the environment's
    MCPHARDEN_SERVE_SCAN_SECONDS and MCPHARDEN_SERVE_SCAN_MIB."""
    values = []
    for name, default in (("MCPHARDEN_SERVE_SCAN_SECONDS", SCAN_SECONDS), ("MCPHARDEN_SERVE_SCAN_MIB", SCAN_MIB)):
        text = os.environ.get(name, "").strip()
        try:
            value = float(text) if text else float(default)
        except ValueError:
            value = -1.0
        if not value > 0:
            raise UsageError(f"{name}={text}: give a positive number")
        values.append(value)
    return values[0], int(values[1] * 1024 * 1024)


async def _reporting(ctx, budget, work) -> Any:
    """Await `work`, meanwhile telling the client how many files its scan has read (a progress
    notification when the count changes; nothing when the client asked for none)."""
    import anyio

    async def report() -> None:
        sent = -1
        while True:
            if budget.files_read != sent:
                sent = budget.files_read
                try:
                    await ctx.report_progress(sent, None, f"{sent} files read")
                except Exception:  # a client gone away: the scan still answers (or is cancelled)
                    return
            await anyio.sleep(PROGRESS_SECONDS)

    failure: Exception | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(report)
        try:
            result = await work
        except Exception as error:  # raised below, as itself: a task group would wrap it in a group
            failure = error
        finally:
            group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    try:  # the count the answer is built from
        await ctx.report_progress(budget.files_read, budget.files_read, f"{budget.files_read} files read: done")
    except Exception:
        pass
    return result


@dataclass(frozen=True)
class _Page:
    offset: int
    limit: int


def _page(offset: Any, limit: Any) -> _Page:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError("offset: a whole number, 0 or more")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_PAGE_FINDINGS:
        raise ValueError(f"limit: a whole number from 1 to {MAX_PAGE_FINDINGS}")
    return _Page(offset, limit)


def _report_result(results, fail_on: str, page: _Page, budget=None):
    """The JSON report as structured content, the text report as content, both through the
    report gate that masks credential values, cut to one page: the summary counts every finding,
    the page lists `page.limit` of them from `page.offset`, most severe and files that ship first."""
    from mcp_types import CallToolResult, TextContent

    from mcpharden.model.findings import fail_threshold
    from mcpharden.reports import Report, render
    from mcpharden.reports.entries import is_documentation
    from mcpharden.reports.text import render_page
    from mcpharden.safety import escape_control, redact_text

    fail_on = fail_on.lower() if isinstance(fail_on, str) else fail_on  # any case, as on the command line
    if fail_on not in ("critical", "high", "medium", "low", "info", "never"):
        raise ValueError(f"fail_on: {fail_on!r} is not one of critical, high, medium, low, info, never")
    report = Report(version=__version__, results=tuple(results), fail_on=fail_threshold(fail_on))
    document = json.loads(render("json", report))
    found = report.findings  # in the order of document["findings"]
    order = sorted(range(len(found)), key=lambda i: (is_documentation(found[i][1].path), -found[i][1].severity, i))
    chosen = order[page.offset:page.offset + page.limit]
    total, end = len(order), page.offset + len(chosen)
    document["findings"] = [document["findings"][i] for i in chosen]
    document["page"] = {"offset": page.offset, "limit": page.limit, "returned": len(chosen), "total": total,
                        "next_offset": end if end < total else None, "notices_total": len(document["notices"])}
    document["notices"] = document["notices"][:NOTICES_SHOWN]
    notes, footer = [], []
    if report.notices:
        notes = ["Not scanned or only partly scanned:"] + [f"  {escape_control(notice.path)}: {escape_control(notice.message)}"
                                                          for _, notice in report.notices[:NOTICES_SHOWN]]
        if len(report.notices) > NOTICES_SHOWN:
            notes.append(f"  ... {len(report.notices) - NOTICES_SHOWN} more (the JSON report of `mcpharden scan` lists them all)")
        notes.append("")
    if total:
        footer.append(f"Findings {page.offset + 1 if chosen else page.offset}-{end} of {total} shown (most severe and files that "
                      f"ship first)" + (f"; call again with offset={end} for the next {page.limit}." if end < total else "."))
    document["partial"] = None
    if budget is not None and budget.spent is not None:
        document["partial"] = {"reason": f"the scan used up {budget.spent}", "files_read": budget.files_read,
                               "files_not_read": budget.files_skipped}
        footer.append(f"PARTIAL: the scan used up {budget.spent} after reading {budget.files_read} files; "
                      f"{budget.files_skipped} files were not read (notices name them). Scan a sub-folder for a whole answer.")
    text = redact_text(render_page(report, [found[i][1] for i in chosen], notes, footer))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=document)


def _scan_path(roots: Roots, path: str, rules: list[str] | None, fail_on: str, offset: int, limit: int, budget):
    from mcpharden.scan import scan_target
    from mcpharden.util.budget import read_budget

    page = _page(offset, limit)
    options = _options(rules)
    target = roots.open(path)
    try:
        with read_budget(budget):
            result = scan_target(target.path, options, target)
    finally:
        os.close(target.directory)
    return _report_result([result], fail_on, page, budget)


def _scan_text(file_name: str, content: str, rules: list[str] | None, fail_on: str, offset: int = 0, limit: int = PAGE_FINDINGS):
    from mcpharden.scan import scan_text

    page = _page(offset, limit)
    if not isinstance(content, str) or len(content.encode("utf-8", errors="surrogatepass")) > MAX_TEXT_BYTES:
        raise ValueError(f"content: at most {MAX_TEXT_BYTES // 1024 // 1024} MB of text")
    return _report_result([scan_text(file_name, content, _options(rules))], fail_on, page)


def _audit_image(roots: Roots, path: str, platform: str | None, offset: int, limit: int):
    from mcpharden.scan import TargetError, scan_image
    from mcpharden.sources.discovery import open_beneath

    page = _page(offset, limit)
    target = roots.open(path)
    opened = target.directory
    if target.name is not None:  # the archive itself, opened from its folder's descriptor
        try:
            opened = open_beneath(target.directory, target.name)
        except OSError as error:
            raise TargetError(f"{path}: cannot be read: {error.strerror or error}") from None
        finally:
            os.close(target.directory)
    try:
        return _report_result([scan_image(target.path, _options(None), platform, opened)], "high", page)
    finally:
        os.close(opened)


def _preview_fix(roots: Roots, path: str, rules: list[str] | None) -> str:
    from mcpharden.fixes import shown_decisions
    from mcpharden.fixes.plan import plan_fixes

    target = roots.open(path)
    try:
        report = plan_fixes(target.path, _options(rules), {}, opened=target)
    finally:
        os.close(target.directory)
    # What `fix` prints, gated as it gates it: each diff judged in its whole file (a redacted hunk
    # says so), each decision line on its own.
    return "".join([*(plan.diff() for plan in report.plans), shown_decisions(report.decisions)]) or "Nothing to fix.\n"


def _list_rules() -> list[dict[str, str]]:
    from mcpharden.rules import all_rules

    return [{"id": rule.id, "severity": rule.severity.label, "title": rule.title} for rule in all_rules()]


def _explain_rule(rule_id: str) -> str:
    from mcpharden.rules import RULES, rule
    from mcpharden.rules.pages import page_markdown

    if rule_id not in RULES:
        raise ValueError(f"unknown rule {rule_id!r}: list_rules names them all")
    return page_markdown(rule(rule_id))


def _safe(text: str) -> str:
    from mcpharden.safety import escape_control, redact_text

    return redact_text(escape_control(text))


# Running -----------------------------------------------------------------------------------


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT`, `[::1]:PORT`, `:PORT` or `PORT`; the host defaults to 127.0.0.1. Port 0
    takes any free port (the URL printed at start-up says which)."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) < 65536:
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
        import anyio

        anyio.run(_serve_stdio, server)
        return
    host, port = parse_address(http)
    import anyio

    anyio.run(_serve_http, server, host, port, transport_security(host, allowed_hosts or []))


HTTP_PATH = "/mcp"


async def _serve_http(server, host: str, port: int, security) -> None:
    """What MCPServer.run("streamable-http") does, and once the socket listens, the URL a client
    connects to on stderr (the port the system chose, for port 0)."""
    import sys

    import uvicorn

    class Announcing(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                bound = next((s.getsockname()[1] for listening in self.servers for s in listening.sockets), port)
                print(f"mcpharden serve: MCP endpoint at {http_url(host, bound)} (health check at "
                      f"{http_url(host, bound, '/healthz')})", file=sys.stderr, flush=True)

    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, transport_security=security, host=host)
    await Announcing(uvicorn.Config(app, host=host, port=port, log_level="warning")).serve()


def http_url(host: str, port: int, path: str = HTTP_PATH) -> str:
    """The URL for a client on this machine: a wildcard address is reached on loopback."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}{path}"


# stdio with a bound on messages ------------------------------------------------------------

# A request's id, when the message starts with it (after at most `jsonrpc` and `method`), as
# clients write requests: the refusal of an over-size message then answers that request.
_LEADING_ID = re.compile(rb'\s*\{\s*(?:"(?:jsonrpc|method)"\s*:\s*"[^"\\]{0,100}"\s*,\s*){0,2}'
                         rb'"id"\s*:\s*(-?\d{1,18}|"[^"\\]{0,100}")\s*[,}]')
_CHUNK_BYTES = 64 * 1024


async def _serve_stdio(server) -> None:
    """What MCPServer.run("stdio") does, with _StdioWire in front of the SDK's stdio transport."""
    from mcp.server.stdio import stdio_server

    with _StdioWire() as wire:
        async with stdio_server(wire, wire) as (read_stream, write_stream):
            lowlevel = server._lowlevel_server  # the SDK's own stdio runner hands it these streams the same way
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


class _StdioWire:
    """stdin and stdout for the SDK's stdio transport (its `stdin` and `stdout` arguments).

    The SDK reads a whole line before it looks at it, so one 200 MB message costs 800 MB. Here
    lines are read in chunks: a line over MAX_MESSAGE_BYTES is skipped as it arrives, never
    held, and answered with an error of its own (for the request its first bytes name). Both
    the SDK's answers and those errors are written whole, one at a time. As the SDK's own
    claim of the standard streams does, fd 0 and fd 1 point at /dev/null and stderr meanwhile,
    so nothing else in the process can take a message or write into the stream."""

    def __enter__(self) -> "_StdioWire":
        import anyio

        self._input, self._output = os.dup(0), os.dup(1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)
        self._lock = anyio.Lock()
        return self

    def __exit__(self, *_exception) -> None:
        os.dup2(self._input, 0)
        os.dup2(self._output, 1)
        # self._input stays open: a worker thread may still be blocked reading it, and a
        # descriptor closed under it could be reused by the time it returns.
        os.close(self._output)

    async def __aiter__(self):
        """The messages, one line each, as text; over-size ones refused instead."""
        import anyio

        line = bytearray()
        refused: bytes | None = None  # the first bytes of an over-size message being skipped
        while True:
            chunk = await anyio.to_thread.run_sync(os.read, self._input, _CHUNK_BYTES, abandon_on_cancel=True)
            start = 0
            while True:
                end = chunk.find(b"\n", start) if chunk else -1
                if refused is None:
                    line += chunk[start:] if end < 0 else chunk[start:end]
                    if len(line) > MAX_MESSAGE_BYTES:
                        refused = bytes(line[:4096])
                        line = bytearray()
                if end < 0:
                    break
                if refused is not None:
                    await self._refuse(refused)
                    refused = None
                elif line.strip():
                    yield line.decode("utf-8", errors="replace")
                line = bytearray()
                start = end + 1
            if not chunk:  # end of input: a last message without a newline still counts
                if refused is None and line.strip():
                    yield line.decode("utf-8", errors="replace")
                return

    async def _refuse(self, start: bytes) -> None:
        found = _LEADING_ID.match(start)
        answer = {"jsonrpc": "2.0", "id": json.loads(found.group(1)) if found else None, "error": {
            "code": -32600, "message": f"message larger than {MAX_MESSAGE_BYTES // 1024 // 1024} MiB: refused without being read"}}
        await self.write(json.dumps(answer) + "\n")

    async def write(self, text: str) -> None:
        import anyio

        data = text.encode("utf-8")
        async with self._lock:
            await anyio.to_thread.run_sync(_write_all, self._output, data)

    async def flush(self) -> None:
        """Every write is whole and unbuffered already."""


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]
