docker run -i --rm --user 1000 --security-opt no-new-privileges ghcr.io/example/mcp-server
