"""Rules that judge CI definitions and git hooks (Pipeline)."""
