"""Syntax: parsers that know no model, shared by the readers in sources/, the fixers and the
image reader.

shell splits scripts into simple commands, on bashtree (tree-sitter's bash grammar, read into
commands); yamlnodes composes YAML with line numbers, and jsonc reads JSON with
comments through it; variables expands `$VAR` the way Dockerfiles and compose do; text turns
a file's bytes into text and lines and back without losing a byte; dockerignore reads
`.dockerignore` patterns as Docker matches them; permissions reads `chmod` modes.
"""
