FROM node:22 AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build && chmod -R a+w /app/dist

FROM node:22-slim
WORKDIR /app
COPY --from=build /app/dist ./dist
USER node
CMD ["node", "dist/index.js"]
