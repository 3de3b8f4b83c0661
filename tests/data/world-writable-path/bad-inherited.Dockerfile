FROM python:3.12-slim AS base
RUN mkdir -p /app/logs && chmod o+w /app/logs

FROM base AS runtime
USER 10001
CMD ["python", "-m", "server"]
