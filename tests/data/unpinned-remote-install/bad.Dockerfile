FROM node:22-slim
# no version: each build takes whatever npm serves that day
RUN npm install -g @modelcontextprotocol/server-filesystem
USER node
ENTRYPOINT ["mcp-server-filesystem", "/data"]
