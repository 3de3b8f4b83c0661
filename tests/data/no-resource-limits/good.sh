docker run -i --rm --memory 512m --pids-limit 128 ghcr.io/example/mcp-server
