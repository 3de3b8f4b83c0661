FROM gcr.io/distroless/python3-debian12:nonroot
COPY --from=build /app /app
ENV PYTHONPATH=/app
# shell form: Docker runs it with /bin/sh -c, and distroless has no shell
HEALTHCHECK CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["-m", "server", "--transport", "http"]
