docker run -i --rm mcp/fetch
