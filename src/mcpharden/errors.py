"""UsageError: the base of every error a user is shown (exit code 2), never as a traceback.

Each part raises its own kind (scan.TargetError, scan.config.ConfigError, scan.results.BaselineError,
batch.inputs.InputError, batch.store.StoreError, image.ImageError, image.registry.RegistryError,
vulns.download.DownloadError, vulns.osv.VulnDbError, serve.OutsideRoots); the command line
catches UsageError once and prints `mcpharden: error: MESSAGE`.

ParseError: the base of the errors of files that do not parse (a notice, never exit code 2).
"""

from __future__ import annotations


class UsageError(Exception):
    """An error in what the user gave (a target, a file, an option) or in what it names.
    `command`: the subcommand whose arguments are at fault, for the messages that name it as
    argparse does (`mcpharden report: error: …`); empty for the rest."""

    def __init__(self, *args: object, command: str = "") -> None:
        super().__init__(*args)
        self.command = command


class ParseError(ValueError):
    """A file of a known kind that does not parse (syntax.yamlnodes.YamlError,
    sources.dockerfile.DockerfileError): nothing in it is judged, and it fails the gate. Here, apart
    from the parsers, so that the scan catches it without importing a parser its target lacks."""
