docker run -i --rm --cap-drop ALL --security-opt no-new-privileges --read-only mcp/filesystem /projects
