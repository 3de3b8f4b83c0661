FROM python:3.12-slim AS build
COPY . /app
RUN pip install --target /deps /app

FROM gcr.io/distroless/python3-debian12:nonroot
COPY --from=build /deps /deps
ENV PYTHONPATH=/deps
CMD ["-m", "server"]
