docker run -i --rm ghcr.io/example/mcp-server
