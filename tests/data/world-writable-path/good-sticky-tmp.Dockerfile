FROM python:3.12-slim
RUN mkdir -p /tmp/cache && chmod 1777 /tmp /tmp/cache
USER 10001
CMD ["python", "-m", "server"]
