FROM python:3.12-slim
COPY . /app
RUN pip install /app
USER 1000
CMD ["python", "-m", "server"]
