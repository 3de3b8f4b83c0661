"""Helpers every part uses and none owns: globs (shell-style patterns, matched fast), usercache
(the user's cache folder and atomic writes into it), budget (time budgets per file)."""
