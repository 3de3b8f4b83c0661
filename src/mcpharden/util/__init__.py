"""Helpers every part uses and none owns: globs (shell-style patterns, matched fast), usercache
(the user's cache folder and atomic writes into it), budget (time budgets per file), http (where
a request may go, what it carries and how long it may take: the registry client and the advisory
downloader)."""
