#!/bin/sh
# Published on the loopback address only, but any Host header is accepted: a page the user
# opens can rebind its own name to 127.0.0.1 and call the tools.
docker run -d --name notes -p 127.0.0.1:3000:3000 \
  -e MCP_ALLOWED_HOSTS='*' \
  ghcr.io/example/notes-mcp:1.4.0 --transport http --port 3000
