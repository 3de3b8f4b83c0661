# An MCP server whose product is the linter: it runs ruff on the files it is given
FROM python:3.12-slim
RUN pip install --no-cache-dir ruff==0.8.0 ruff-mcp==0.3.1
USER 1000
ENTRYPOINT ["ruff", "server"]
