FROM debian:12-slim
ADD --checksum=sha256:<digest> https://example.com/tool-1.2.3.tar.gz /tmp/tool.tar.gz
