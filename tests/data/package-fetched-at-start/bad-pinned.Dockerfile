FROM ghcr.io/astral-sh/uv:python3.12-bookworm-slim
USER 65532
# pinned, but still downloaded from PyPI at every start (LOW)
CMD ["uvx", "mcp-server-fetch==2025.4.7"]
