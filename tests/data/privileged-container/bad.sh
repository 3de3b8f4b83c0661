docker run -i --rm --privileged mcp/filesystem /projects
