FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN chmod -R 777 /app && pip install --no-cache-dir . && chmod -R o-w /app
USER 10001
CMD ["python", "-m", "server"]
