"""The command line: parse the arguments, call the one function of the package that does the
command, print what it gives back. Every error a user is shown is a UsageError (mcpharden.errors),
printed once, here, as `mcpharden: error: MESSAGE` with exit code 2.

Only argparse is imported at start-up; the scanner, parsers and reports load when a
command needs them, so `mcpharden --version` answers at once.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from mcpharden import __version__
from mcpharden.errors import UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
FORMAT_NAMES = ("text", "json", "sarif", "markdown", "github")
SEVERITY_NAMES = ("critical", "high", "medium", "low", "info")
FAIL_ON_NAMES = ("critical", "high", "medium", "low", "info", "never")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 as well; keep its message short
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}{_did_you_mean(message, list(self._option_string_actions))}\n")


def _did_you_mean(message: str, options: list[str]) -> str:
    """`invalid choice: 'scna' (choose from 'scan', ...)` → `; did you mean 'scan'?`, and
    `unrecognized arguments: --formt json` → `; did you mean '--format'?` (`options`: those of
    the command that was given, so a guess is always one it takes)."""
    from difflib import get_close_matches

    if message.startswith("unrecognized arguments:"):
        flags = [option for option in options if option.startswith("--")]
        guesses = [close[0] for word in message.split(":", 1)[1].split() if word.startswith("--")
                   and (close := get_close_matches(word.split("=", 1)[0], flags, n=1))]
        return f"; did you mean {', '.join(repr(g) for g in dict.fromkeys(guesses))}?" if guesses else ""
    match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if not match:
        return ""
    choices = re.findall(r"'([^']*)'", match.group(2)) or [c.strip() for c in match.group(2).split(",")]
    close = get_close_matches(match.group(1), choices, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, for help and for "did you mean"; with `command`, that subcommand
    alone: each parser argparse makes looks up its translations on disk, and building all nine
    cost several milliseconds of every start-up."""
    parser = _Parser(prog="mcpharden", description="Audit and harden the container setup of MCP servers.")
    parser.add_argument("--version", action="version", version=f"mcpharden {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (help_text, add_options) in _COMMANDS.items():
        if command is None or command == name:
            add_options(commands.add_parser(name, help=help_text))
    return parser


def _scan_options(scan: argparse.ArgumentParser) -> None:
    scan.add_argument("paths", nargs="*", metavar="PATH|FILE", help="directories or files (default: . unless --clients)")
    scan.add_argument("--format", "-f", choices=FORMAT_NAMES, default="text")
    scan.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    scan.add_argument("--fail-on", type=str.lower, choices=FAIL_ON_NAMES, default=None,
                      help="exit 1 when a finding is at or above this severity (default: high)")
    scan.add_argument("--fail-on-parse-error", action=argparse.BooleanOptionalAction, default=None,
                      help="a Dockerfile, compose file, manifest or client configuration that does not parse fails the "
                           "gate (default; --no-fail-on-parse-error only reports it)")
    _add_shared_options(scan)
    scan.add_argument("--skip-dirs", "--skip-files", action="append", default=[], metavar="GLOBS", dest="skip",
                      help="as Trivy: folders or files not scanned, comma-separated globs relative to the "
                           "scanned folder (repeatable; added to `exclude`)")
    scan.add_argument("--clients", action="store_true",
                      help="audit the MCP client configurations installed for the current user")
    scan.add_argument("--home", metavar="DIR", help="the home directory --clients looks in (default: yours)")
    scan.add_argument("--image", action="append", default=[], metavar="REF",
                      help="also audit this built image and report where it contradicts the Dockerfile")
    scan.add_argument("--dockerfile", metavar="PATH", help="the Dockerfile --image was built from (default: the only one)")
    scan.add_argument("--platform", metavar="OS/ARCH", help="with --image: only this platform")
    _add_report_options(scan)
    scan.add_argument("--cards", action="store_true", help="text: each server's blast radius (JSON always has it)")
    scan.add_argument("--baseline", metavar="FILE", help="leave out the findings recorded in FILE (report only new ones)")
    scan.add_argument("--write-baseline", metavar="FILE", help="record the current findings in FILE as the baseline")


def _fix_options(fix: argparse.ArgumentParser) -> None:
    fix.add_argument("paths", nargs="*", metavar="PATH|FILE", help="directories or files (default: . unless --clients)")
    fix.add_argument("--clients", action="store_true",
                     help="harden the MCP client configurations installed for the current user (diff; --write writes, with backups)")
    fix.add_argument("--home", metavar="DIR", help="the home directory --clients looks in (default: yours)")
    fix.add_argument("--write", action="store_true", help="apply the changes (default: print a diff)")
    fix.add_argument("--quiet", "-q", action="store_true", help="with --write: no line per written file")
    fix.add_argument("--digests", metavar="FILE", help='JSON map of image references to digests: {"node:22": "sha256:..."}')
    fix.add_argument("--resolve", action="store_true",
                     help="ask image registries for digests missing from --digests (network access)")
    fix.add_argument("--rewrite-distroless", action="store_true",
                     help="turn single-stage Node.js/Python Dockerfiles into build / production-deps / distroless stages")
    fix.add_argument("--all-services", action="store_true",
                     help="also harden services that are not part of a server the repository ships (databases, caches, devcontainers)")
    fix.add_argument("--fail-on", choices=FAIL_ON_NAMES, default=None,
                     help="exit 1 when findings at or above this severity remain that fix does not fix (default: high)")
    fix.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings are left (2 still means an error)")
    _add_shared_options(fix)


def _image_options(image: argparse.ArgumentParser) -> None:
    image.add_argument("images", nargs="+", metavar="REF",
                       help="image archives, OCI layout directories, or references to pull (name:tag, name@sha256:...)")
    image.add_argument("--platform", metavar="OS/ARCH", help="audit only this platform of a multi-platform image")
    image.add_argument("--sbom", metavar="FILE", help="write the package inventory as a CycloneDX 1.6 JSON SBOM")
    image.add_argument("--vuln-db", action="append", default=[], metavar="PATH|auto",
                       help="OSV advisories: a directory of OSV JSON files or an ecosystem's all.zip (repeatable)")
    image.add_argument("--ignore-unfixed", action="store_true", help="leave out vulnerabilities without a fixed version")
    image.add_argument("--format", "-f", choices=FORMAT_NAMES, default="text")
    image.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    _add_report_options(image)
    image.add_argument("--fail-on", type=str.lower, choices=FAIL_ON_NAMES, default=None,
                       help="exit 1 when a finding is at or above this severity (default: high)")
    _add_shared_options(image)


def _serve_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--root", action="append", default=[], metavar="DIR",
                       help="a directory clients may scan (repeatable; default: the current directory)")
    serve.add_argument("--http", metavar="HOST:PORT", help="serve streamable HTTP at http://HOST:PORT/mcp (host defaults to 127.0.0.1)")
    serve.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                       help="with --http: a Host header to accept besides loopback names (repeatable)")


def _batch_options(batch: argparse.ArgumentParser) -> None:
    batch.add_argument("directories", nargs="*", metavar="DIR", help="repository folders, each its own server")
    batch.add_argument("--list", metavar="FILE", help="a file of repository paths and git URLs, one per line")
    batch.add_argument("--catalog", metavar="DIR", help="a Docker MCP catalog servers/ folder (*/server.yaml)")
    batch.add_argument("--mirror", action="append", default=[], metavar="DIR",
                       help="where catalog repositories are already checked out as owner__name (repeatable)")
    batch.add_argument("--db", default="results.sqlite", metavar="FILE", help="the results database (default: results.sqlite)")
    batch.add_argument("--workers", type=int, default=None, metavar="N", help="local worker processes (default: every core)")
    batch.add_argument("--cluster", metavar="tls://HOST:PORT", help="run on this Dask distributed scheduler instead")
    batch.add_argument("--tls-ca-file", metavar="FILE", help="with --cluster tls://: the CA that signed the scheduler's certificate")
    batch.add_argument("--tls-cert", metavar="FILE", help="with --cluster tls://: this client's certificate (may hold the key too)")
    batch.add_argument("--tls-key", metavar="FILE", help="with --cluster tls://: this client's private key")
    batch.add_argument("--insecure-cluster", action="store_true",
                       help="allow --cluster tcp:// to another machine (anyone who reaches it can run code here)")
    batch.add_argument("--server-timeout", type=float, default=None, metavar="SECONDS",
                       help="stop a server's audit after this long, record it as an error and go on (default: 900)")
    batch.add_argument("--rescan", action="store_true", help="audit every server again, also those already done")
    batch.add_argument("--no-images", action="store_true", help="do not pull and audit the images catalog entries name")
    batch.add_argument("--platform", metavar="OS/ARCH", help="the image platform to audit (default: every one)")
    batch.add_argument("--registry-mirror", metavar="HOST[:PORT]",
                       help="pull Docker Hub images (a catalog's `mcp/name`) from this mirror of it")
    batch.add_argument("--vuln-db", action="append", default=[], metavar="PATH|auto",
                       help="match the audited images' packages against these OSV advisories (as `image --vuln-db`)")
    batch.add_argument("--cache", metavar="DIR", help="where git URLs are cloned (default: $XDG_CACHE_HOME/mcpharden/repos)")
    batch.add_argument("--honour-repository-suppressions", action="store_true",
                       help="let a repository's own `# mcpharden: ignore=` comments and .mcpharden.toml hide its findings "
                            "(default: they are listed and still counted)")
    batch.add_argument("--quiet", "-q", action="store_true", help="no line per server, only the summary")


def _report_options(report: argparse.ArgumentParser) -> None:
    report.add_argument("--db", required=True, metavar="FILE", help="the results database `mcpharden batch` wrote")
    report.add_argument("--html", metavar="FILE", help="one standalone HTML file")
    report.add_argument("--markdown", metavar="FILE", help="the figures as Markdown")
    report.add_argument("--csv", metavar="FILE", help="every finding, one row each")


def _db_options(db: argparse.ArgumentParser) -> None:
    db_commands = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    update = db_commands.add_parser("update", help="download the OSV dumps (conditional: unchanged dumps are kept)")
    update.add_argument("--dir", metavar="DIR", help="the cache (default: $XDG_CACHE_HOME/mcpharden/osv)")
    update.add_argument("--ecosystem", action="append", default=[], metavar="NAME",
                        help="Debian, Ubuntu, Alpine, npm or PyPI (repeatable; default: what --image needs, else all)")
    update.add_argument("--image", action="append", default=[], metavar="ARCHIVE",
                        help="download what these images' packages need (repeatable)")
    update.add_argument("--url", default=None, metavar="URL", help="a mirror of the OSV bucket (default: OSV's own)")


def _no_options(parser: argparse.ArgumentParser) -> None:
    pass


def _explain_options(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("rule", metavar="RULE")


_COMMANDS = {
    "scan": ("scan repositories, Dockerfiles and CI definitions", _scan_options),
    "fix": ("show (or --write) the changes that fix findings", _fix_options),
    "image": ("audit a built image: docker save tarball, oci-archive, OCI layout, or a registry image", _image_options),
    "serve": ("run mcpharden as an MCP server (stdio, or streamable HTTP with --http)", _serve_options),
    "batch": ("audit many servers into an SQLite database (locally or on a Dask cluster)", _batch_options),
    "report": ("what a batch found: HTML (charts and server cards), Markdown, CSV", _report_options),
    "db": ("the vulnerability database cache (OSV dumps) for `image --vuln-db auto`", _db_options),
    "rules": ("list the rules", _no_options),
    "explain": ("print a rule's documentation", _explain_options),
}


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="text: one line per finding, nothing else")
    parser.add_argument("--min-severity", type=str.lower, choices=SEVERITY_NAMES, default=None,
                        help="leave findings below this severity out of the report (and the score)")
    parser.add_argument("--severity", type=_severity_list, default=None, metavar="LEVELS",
                        help="as Trivy: report only these severities, comma-separated in any case (HIGH,CRITICAL)")
    parser.add_argument("--exit-code", type=_exit_code, default=EXIT_FINDINGS, metavar="N",
                        help="as Trivy: the exit code when the gate fails (--fail-on; default: 1)")
    parser.add_argument("--also-output", action="append", default=[], type=_format_and_file, metavar="FORMAT:FILE",
                        help="from the same run, also write the report in FORMAT to FILE (repeatable), "
                             "e.g. --also-output sarif:mcpharden.sarif")


def _severity_list(text: str) -> tuple[str, ...]:
    """`HIGH,critical` → ("high", "critical"); an unknown level is argparse's own error."""
    levels = tuple(dict.fromkeys(item.strip().lower() for item in text.split(",") if item.strip()))
    unknown = [level for level in levels if level not in SEVERITY_NAMES]
    if unknown or not levels:
        raise argparse.ArgumentTypeError(f"unknown severity {', '.join(unknown) or repr(text)} "
                                         f"(choose from {', '.join(name.upper() for name in SEVERITY_NAMES)})")
    return levels


def _exit_code(text: str) -> int:
    try:
        code = int(text)
    except ValueError:
        code = -1
    if not 0 <= code <= 255:
        raise argparse.ArgumentTypeError(f"{text!r} is not an exit code (0 to 255)")
    return code


def _format_and_file(text: str) -> tuple[str, str]:
    format_name, separator, path = text.partition(":")
    if not separator or not path or format_name not in FORMAT_NAMES:
        raise argparse.ArgumentTypeError(f"expected FORMAT:FILE with FORMAT one of {', '.join(FORMAT_NAMES)}, got {text!r}")
    return format_name, path


def _add_shared_options(parser: argparse.ArgumentParser) -> None:
    """The rule selection, stage and configuration options of `scan` and `fix`."""
    parser.add_argument("--select", action="append", metavar="RULES", help="comma-separated rule ids (default: all; repeatable)")
    parser.add_argument("--ignore", action="append", metavar="RULES", help="comma-separated rule ids to leave out (repeatable)")
    parser.add_argument("--target", metavar="STAGE", help="the Dockerfile stage that ships (like docker build --target)")
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: .mcpharden.toml or pyproject.toml, "
                                                         "found from the scanned path upwards)")
    parser.add_argument("--ignorefile", metavar="FILE",
                        help="the ignore file (default: .mcpharden-ignore.yaml and .trivyignore, found as the configuration)")



def main(argv: list[str] | None = None) -> int:
    return _command(argv)[0]


# Commands that leave threads, worker processes or a Dask client to wind down: they exit the
# usual way. Every other command is done once its output is written.
_LONG_RUNNING = frozenset({"serve", "batch"})


def run() -> None:
    """The `mcpharden` program. A one-shot command skips the interpreter's teardown, which frees
    every loaded module one by one (about 12 ms, near a tenth of a scan): its output is flushed
    first, and it leaves nothing to atexit handlers or finalizers (no temporary files, daemon
    threads only)."""
    import os

    code, command = _command(None)
    if command in _LONG_RUNNING:
        raise SystemExit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass  # the reader is gone, as `mcpharden scan | head` does; nothing left to tell
    except OSError:
        raise SystemExit(code) from None  # a full disk: the usual exit reports it
    os._exit(code)


def _command(argv: list[str] | None) -> tuple[int, str]:
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(words[0] if words and words[0] in _COMMANDS else None)
    arguments, unknown = parser.parse_known_args(argv)
    if unknown:  # the subcommand's own usage, not the top-level one
        _subcommand(parser, arguments.command).error(f"unrecognized arguments: {' '.join(unknown)}")
    handler = {"scan": _scan, "fix": _fix, "image": _image, "serve": _serve, "batch": _batch, "report": _ecosystem_report, "db": _db, "rules": _rules,
               "explain": _explain}[arguments.command]
    try:
        return handler(arguments), arguments.command
    except BrokenPipeError:
        return EXIT_OK, arguments.command
    except UsageError as error:  # every error a user is shown, printed here and nowhere else
        program = f"mcpharden {error.command}" if error.command else "mcpharden"
        print(_for_terminal(f"{program}: error: {error}"), file=sys.stderr)
        return EXIT_USAGE, arguments.command


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def _rule_list(given: list[str] | None) -> tuple[str, ...] | None:
    """Repeated `--ignore`/`--select` flags add up, each a comma-separated list."""
    if given is None:
        return None
    return tuple(item.strip() for text in given for item in text.split(",") if item.strip())


def _options(arguments: argparse.Namespace):
    """ScanOptions from the flags `scan` and `fix` share."""
    from mcpharden.scan import ScanOptions

    return ScanOptions(
        select=_rule_list(arguments.select),
        ignore=_rule_list(arguments.ignore) or (),
        target_stage=arguments.target,
        config_path=Path(arguments.config) if arguments.config else None,
        exclude=tuple(_skip_patterns(getattr(arguments, "skip", []))),
        ignore_path=Path(arguments.ignorefile) if arguments.ignorefile else None,
    )


def _skip_patterns(given: list[str]) -> list[str]:
    """`--skip-dirs 'examples,**/fixtures'` → exclude patterns; `./x` is `x`, and `**/x` also
    matches `x` at the top (Trivy's spelling for "at any depth")."""
    patterns = []
    for text in given:
        for item in (part.strip() for part in text.split(",")):
            while item.startswith("./"):
                item = item[2:]
            if not item:
                continue
            patterns.append(item)
            if item.startswith("**/"):
                patterns.append(item[3:])
    return patterns


def _scan(arguments: argparse.Namespace) -> int:
    from dataclasses import replace

    from mcpharden.scan import ensure_valid_config, scan_clients, scan_target

    options = _options(arguments)
    if arguments.image:
        options = replace(options, images=tuple(Path(i) for i in arguments.image), image_dockerfile=arguments.dockerfile,
                          platform=arguments.platform)
    config_path = options.config_path
    paths = arguments.paths or ([] if arguments.clients else ["."])
    if arguments.home and not arguments.clients:
        raise UsageError("--home goes with --clients")
    ensure_valid_config(config_path)
    ensure_valid_config(options.ignore_path, "ignore file")
    results = tuple(scan_target(Path(path), options) for path in paths)
    if arguments.clients:
        home = Path(arguments.home).expanduser() if arguments.home else Path.home()
        results += (scan_clients(home, options),)
    if arguments.target:
        _check_target(arguments.target, results)
    return _report(arguments, results)


def _check_target(target: str, results) -> None:
    """`--target` naming no stage of any Dockerfile scanned is a typo, not a choice: without this,
    every Dockerfile would be judged by its last stage with no word said. A scan that read no
    Dockerfile (a compose file, client configurations) has nothing the name could mean."""
    from difflib import get_close_matches

    names = sorted({name for result in results for stages in result.dockerfile_stages for name in stages})
    if not any(result.dockerfile_stages for result in results) or target.lower() in {n.lower() for n in names}:
        return
    close = get_close_matches(target, names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    known = f" (stages: {', '.join(names)})" if names else " (no Dockerfile scanned names its stages)"
    raise UsageError(f"--target {target}: no Dockerfile scanned has a stage of that name{hint}{known}")


def _report(arguments: argparse.Namespace, results) -> int:
    """Render the results in the chosen format, write them, and pick the exit code."""
    from mcpharden.model.findings import fail_threshold
    from mcpharden.reports import Report, render
    from mcpharden.scan.results import prepared

    fail_on_text = arguments.fail_on or next((r.config.fail_on for r in results if r.config.fail_on), None) or "high"
    parse_gate = getattr(arguments, "fail_on_parse_error", None)
    if parse_gate is None:
        parse_gate = next((r.config.fail_on_parse_error for r in results if r.config.fail_on_parse_error is not None), True)
    record, known = getattr(arguments, "write_baseline", None), getattr(arguments, "baseline", None)
    results = prepared(results, Path(record) if record else None, Path(known) if known else None, arguments.min_severity,
                       arguments.severity)
    report = Report(version=__version__, results=results, fail_on=fail_threshold(fail_on_text),
                    fail_on_parse_error=parse_gate)
    output = render(arguments.format, report, quiet=arguments.quiet, colour=_colour(arguments),
                    cards=getattr(arguments, "cards", False))
    if arguments.output:
        _write(arguments.output, output)
    else:
        sys.stdout.write(output)
    for format_name, path in arguments.also_output:  # one scan, every format a CI job needs
        _write(path, render(format_name, report, cards=getattr(arguments, "cards", False)))
    return arguments.exit_code if report.failed else EXIT_OK


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def _colour(arguments: argparse.Namespace) -> bool:
    """Colour for a terminal: NO_COLOR (any value) turns it off, FORCE_COLOR turns it on anywhere."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return not arguments.output and sys.stdout.isatty()


def _image(arguments: argparse.Namespace) -> int:
    from dataclasses import replace

    from mcpharden.scan import ensure_valid_config, scan_image
    from mcpharden.vulns.dumps import vuln_db_paths

    options = replace(_options(arguments), vuln_dbs=vuln_db_paths(arguments.vuln_db, _notice), ignore_unfixed=arguments.ignore_unfixed)
    ensure_valid_config(options.config_path)
    results = tuple(scan_image(path, options, arguments.platform) for path in arguments.images)
    if arguments.sbom:
        from mcpharden.reports.sbom import render_sbom

        images = [image for result in results for image in result.images]
        _write(arguments.sbom, render_sbom(images, __version__))
    return _report(arguments, results)


def _batch(arguments: argparse.Namespace) -> int:
    from mcpharden.batch.audit import BatchRequest, run_batch
    from mcpharden.vulns.dumps import vuln_db_paths

    request = BatchRequest(
        directories=tuple(arguments.directories), list_file=arguments.list, catalog=arguments.catalog,
        mirrors=tuple(arguments.mirror), db=arguments.db, workers=arguments.workers, cluster=arguments.cluster,
        tls_ca_file=arguments.tls_ca_file, tls_cert=arguments.tls_cert, tls_key=arguments.tls_key,
        insecure_cluster=arguments.insecure_cluster, server_timeout=arguments.server_timeout,
        rescan=arguments.rescan, images=not arguments.no_images, platform=arguments.platform, cache=arguments.cache,
        honour_repository_suppressions=arguments.honour_repository_suppressions, registry_mirror=arguments.registry_mirror,
        vuln_dbs=tuple(str(path) for path in vuln_db_paths(arguments.vuln_db, _notice)),
    )
    summary = run_batch(request, None if arguments.quiet else lambda line: print(_for_terminal(line), flush=True))
    print(f"Audited {summary.audited} server(s) in {summary.seconds:.1f} s ({summary.failed} failed), skipped {summary.skipped}"
          f" already done; results in {arguments.db}")
    return EXIT_OK


def _ecosystem_report(arguments: argparse.Namespace) -> int:
    from mcpharden.batch.report import write_reports

    for path in write_reports(Path(arguments.db), arguments.html, arguments.markdown, arguments.csv):
        print(_for_terminal(f"wrote {path}"))
    return EXIT_OK


def _db(arguments: argparse.Namespace) -> int:
    from mcpharden.vulns.dumps import update_dumps

    for outcome in update_dumps(arguments.dir, arguments.ecosystem, arguments.image, arguments.url):
        print(_for_terminal(f"{outcome.ecosystem}: {outcome.status} ({outcome.size:,} bytes) {outcome.path}"))
    return EXIT_OK


def _fix(arguments: argparse.Namespace) -> int:
    from mcpharden.fixes.apply import apply_plans, left_over, plan_paths, shown_left_over

    options = _options(arguments)
    if arguments.home and not arguments.clients:
        raise UsageError("--home goes with --clients")
    if arguments.clients:
        return _fix_clients(arguments, options)
    arguments.paths = arguments.paths or ["."]
    reports = plan_paths(arguments.paths, options, Path(arguments.digests) if arguments.digests else None,
                         arguments.resolve, arguments.rewrite_distroless, arguments.all_services)
    if _show_fixes(apply_plans(reports, arguments.write), arguments.quiet):
        return EXIT_USAGE
    left = left_over(arguments.paths, options, reports, arguments.write, arguments.fail_on)
    sys.stdout.flush()
    sys.stderr.write(shown_left_over(left, arguments.write))  # already through the credential gate
    return EXIT_FINDINGS if left and not arguments.exit_zero else EXIT_OK


def _show_fixes(told_all, quiet: bool) -> bool:
    """Print what `fix` tells (diffs on standard output, decisions on standard error); True when
    a file could not be written."""
    failed = False
    for told in told_all:
        if told.kind == "diff":
            sys.stdout.write(told.text)
        elif told.kind == "fixed":
            if not quiet:
                print(_for_terminal(told.text))
        else:  # "not written", "left"
            failed = failed or told.kind == "not written"
            sys.stdout.flush()  # the diff first, then what was left, when both go to one terminal
            if told.kind == "left":  # fixes.shown_decisions: already through the credential gate, lines ended
                sys.stderr.write(told.text)
            else:
                print(_for_terminal(told.text), file=sys.stderr)
    return failed


def _fix_clients(arguments: argparse.Namespace, options) -> int:
    from mcpharden.fixes.apply import clients_left_over, fix_clients, shown_left_over
    from mcpharden.fixes.clients import plan_client_fixes

    if arguments.paths:
        raise UsageError("--clients fixes the client configurations of --home: give no paths")
    home = Path(arguments.home).expanduser() if arguments.home else Path.home()
    if _show_fixes(fix_clients(home, arguments.write), arguments.quiet):
        return EXIT_USAGE
    planned = {} if arguments.write else {plan.path: plan.fixed_text() for plan in plan_client_fixes(home).plans}
    left = clients_left_over(home, options, planned, arguments.fail_on)
    sys.stdout.flush()
    sys.stderr.write(shown_left_over(left, arguments.write))
    return EXIT_FINDINGS if left and not arguments.exit_zero else EXIT_OK


def _serve(arguments: argparse.Namespace) -> int:
    _require_sdk()
    from mcpharden.serve import Roots, parse_address, run

    try:
        roots = Roots.of(arguments.root)
        if arguments.http:
            parse_address(arguments.http)
    except ValueError as error:  # serve checks its roots and address with ValueError
        raise UsageError(str(error)) from None
    try:
        run(roots, arguments.http, arguments.allow_host)
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _require_sdk() -> None:
    """The SDK is the `serve` extra; a server project's environment may hold an older one."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("mcp")
    except PackageNotFoundError:
        raise UsageError("mcpharden serve needs the MCP SDK, which is not installed: "
                         "pip install 'mcpharden[serve]' (or: pipx install 'mcpharden[serve]')") from None
    major_minor = tuple(int(part) for part in re.findall(r"\d+", found)[:2])
    if major_minor < (2, 3):
        raise UsageError(f"mcpharden serve needs MCP SDK 2.3 or later, and this environment has {found}: "
                         "install mcpharden in its own environment with pipx install 'mcpharden[serve]'")


def _for_terminal(text: str) -> str:
    """safety.for_terminal, loaded when a line is printed."""
    from mcpharden.safety import for_terminal

    return for_terminal(text)


def _notice(text: str) -> None:
    """A notice on standard error, through the gate, as the command goes on."""
    print(_for_terminal(text), file=sys.stderr)


def _rules(arguments: argparse.Namespace) -> int:
    from mcpharden.rules import all_rules

    rules = all_rules()
    width = max(len(rule.id) for rule in rules)
    for rule in rules:
        print(f"{rule.id:<{width}}  {rule.severity.name:<6}  {rule.title}")
    return EXIT_OK


def _explain(arguments: argparse.Namespace) -> int:
    from mcpharden.rules import RULES, rule
    from mcpharden.rules.pages import page_markdown

    if arguments.rule not in RULES:
        from mcpharden.scan.config import unknown_rule_message

        raise UsageError(unknown_rule_message([arguments.rule], frozenset(RULES)))
    sys.stdout.write(page_markdown(rule(arguments.rule)))
    return EXIT_OK
