#!/bin/sh
set -e
# runs when the container starts, not when the image is built
pip install --user --no-cache-dir mcp-server-git
exec python -m mcp_server_git --repository /repo
