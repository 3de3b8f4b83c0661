FROM python:3.12-slim AS build
WORKDIR /src
# a tag and a commit are pins; a requirements file governs its own versions
RUN pip install --no-cache-dir "git+https://github.com/example-org/mcp-helpers@v1.4.2" \
    && pip install --no-cache-dir -r requirements.txt
RUN git clone https://github.com/example-org/example-mcp-server.git . \
    && git checkout 3f1c2a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39 \
    && pip install --no-cache-dir --no-deps .
RUN go install github.com/go-delve/delve/cmd/dlv@v1.25.0
USER 65532
CMD ["python", "-m", "example_mcp_server"]
