"""The scan pipeline (see each module). Callers import its entry points from here."""

from mcpharden.scan.targets import (ScanOptions, TargetError, TargetResult, ensure_valid_config, open_images, scan_clients,
                                    scan_image, scan_target, scan_text)

__all__ = ["ScanOptions", "TargetError", "TargetResult", "ensure_valid_config", "open_images", "scan_clients", "scan_image",
           "scan_target", "scan_text"]
