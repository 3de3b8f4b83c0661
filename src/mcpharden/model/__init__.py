"""Models: what the sources say, in a form the rules can judge.

Many sources collapse into few models (see DESIGN.md): a Dockerfile becomes a
BuildModel, CI definitions and git hooks become a Pipeline, the source tree and
start arguments become ServerFacts; a built image becomes an ImageModel (model.image), and
image references anywhere are model.references. Rules read these and nothing else.
"""
