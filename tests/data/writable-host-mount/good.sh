docker run -i --rm -v "$PWD":/workspace:ro mcp/filesystem /workspace
