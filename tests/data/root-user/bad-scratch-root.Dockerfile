# A scratch image that says it runs as root, though it names no command (a runner starts it)
FROM golang:1.24 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /mcp-server .

FROM scratch
COPY --from=build /mcp-server /mcp-server
USER root
