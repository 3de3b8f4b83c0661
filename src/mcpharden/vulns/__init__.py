"""Vulnerability matching: OSV advisories (offline) against an image's package inventory.

osv matches, versions compares versions per ecosystem, download fetches the OSV dumps, and
dumps is what the command line asks of the cache (`db update`, `--vuln-db auto`).
"""
