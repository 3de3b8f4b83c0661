"""The scan pipeline, one module per step:

- targets: what the user asked (ScanOptions), the one preamble every scan starts from (its
  configuration and the rules it selects), and each kind of target up to its files;
- project: the files read into models, through the READERS table (artifact kind -> reader);
- judge: the rules run, severities overridden, what the repository's suppressions hide taken out;
- suppression: inline `# mcpharden: ignore=` comments and the configuration's ignores;
- images: built images (`mcpharden image`, `scan --image`);
- results: what a scan gives back (TargetResult), the baseline, --min-severity;
- config: the configuration (`.mcpharden.toml`, `[tool.mcpharden]`).

Callers import the entry points from here.
"""

from mcpharden.scan.images import open_images, scan_image
from mcpharden.scan.results import TargetResult
from mcpharden.scan.targets import ScanOptions, TargetError, ensure_valid_config, scan_clients, scan_target, scan_text

__all__ = ["ScanOptions", "TargetError", "TargetResult", "ensure_valid_config", "open_images", "scan_clients", "scan_image",
           "scan_target", "scan_text"]
