"""Sources: repository readers. discovery finds and classifies the files of a repository;
each reader turns one file kind into its model (dockerfile, compose, kubernetes and helm, ci,
clients, runlines and runargs, manifests and installs, transport). The parsers they share
know no model and live in mcpharden.syntax.
"""
