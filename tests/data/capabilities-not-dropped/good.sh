docker run -i --rm --cap-drop ALL mcp/fetch
