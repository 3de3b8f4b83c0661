FROM node:22-slim
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
