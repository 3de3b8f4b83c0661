FROM node:22-alpine
