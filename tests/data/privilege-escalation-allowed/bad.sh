docker run -i --rm --user 1000 ghcr.io/example/mcp-server
