FROM node:22-slim
ARG NPM_TOKEN
ENV GITHUB_TOKEN=ghp_8Hq0example0token0value0000
RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci
