"""Sources: read files safely and turn them into models.

discovery finds and classifies files; dockerfile, ci and transport build the models;
shell and yamlnodes are the parsers they share.
"""
