FROM node:22 AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build

FROM gcr.io/distroless/nodejs22-debian12:nonroot
COPY --from=build /app /app
CMD ["/app/dist/index.js"]
