docker run -i --rm -v "$PWD":/workspace mcp/filesystem /workspace
