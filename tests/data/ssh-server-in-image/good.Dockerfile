FROM debian:12-slim
RUN useradd --system app
USER app
EXPOSE 8080
