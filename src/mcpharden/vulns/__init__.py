"""Vulnerability matching: OSV advisories (offline) against an image's package inventory."""
