FROM node:22-slim
# installed once, when the image is built, at an exact version
RUN npm install -g @modelcontextprotocol/server-filesystem@2025.8.21
USER node
ENTRYPOINT ["mcp-server-filesystem", "/data"]
