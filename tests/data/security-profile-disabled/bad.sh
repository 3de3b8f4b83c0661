docker run --security-opt seccomp=unconfined ghcr.io/example/mcp-server
