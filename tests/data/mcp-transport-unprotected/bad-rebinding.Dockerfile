FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
# Every container from this image answers requests with any Host header.
ENV FASTMCP_TRANSPORT_SECURITY__ENABLE_DNS_REBINDING_PROTECTION=false
USER 1000
CMD ["notes-mcp", "--transport", "streamable-http"]
