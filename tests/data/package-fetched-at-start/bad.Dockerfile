FROM node:22-slim
USER node
# npx downloads the server from npm each time the container starts
ENTRYPOINT ["npx", "-y", "@modelcontextprotocol/server-filesystem", "/data"]
