FROM python:3.12-slim
WORKDIR /app
COPY --chmod=777 . .
RUN pip install --no-cache-dir .
USER 10001
CMD ["python", "-m", "server"]
