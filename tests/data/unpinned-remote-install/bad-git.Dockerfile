FROM golang:1.24 AS tools
# `@latest` moves with every release
RUN go install github.com/go-delve/delve/cmd/dlv@latest

FROM python:3.12-slim
COPY --from=tools /go/bin/dlv /usr/local/bin/dlv
# a branch moves with every push
RUN pip install --no-cache-dir "git+https://github.com/example-org/example-mcp-server@main"
USER 65532
CMD ["python", "-m", "example_mcp_server"]
