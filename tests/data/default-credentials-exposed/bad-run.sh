#!/bin/sh
# Start the knowledge graph the MCP server reads: on the host's network, with a guessable password.
docker run -d --name graph --network host \
  -e NEO4J_AUTH=neo4j/neo4jneo4j \
  neo4j:5
