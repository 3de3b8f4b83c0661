FROM python:3.12-slim
WORKDIR /src
# the default branch, whatever it holds at build time
RUN apt-get update && apt-get install -y --no-install-recommends git \
    && git clone --depth 1 https://github.com/example-org/example-mcp-server.git . \
    && pip install --no-cache-dir .
RUN pip install --no-cache-dir https://github.com/example-org/mcp-helpers/archive/refs/heads/master.zip
USER 65532
CMD ["python", "-m", "example_mcp_server"]
