docker run --security-opt no-new-privileges --cap-drop ALL ghcr.io/example/mcp-server
