# syntax=docker/dockerfile:1
# mcpharden in its own hardened image: a build stage installs mcpharden and its production
# dependencies into one folder; the runtime is distroless Python (no shell, no package
# manager) running as nonroot (65532). Python is 3.11 in both (Debian 12).
# Digests were current when written; Renovate or Dependabot keep them so.
ARG BUILD_IMAGE=python:3.11-slim@sha256:e031123e3d85762b141ad1cbc56452ba69c6e722ebf2f042cc0dc86c47c0d8b3
ARG RUNTIME_IMAGE=gcr.io/distroless/python3-debian12:nonroot@sha256:7d1042ce588ab97019fe95c24ffca7bc5a82ccdac572511d5e09bda4435c89c5

FROM ${BUILD_IMAGE} AS build
# pip reads these as settings: an offline build points them at a wheelhouse in the context.
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
WORKDIR /src
COPY . /src
# Exec form: the build needs no shell. `[serve]`: the image runs `mcpharden serve` too. --target keeps everything the runtime needs in one folder.
RUN ["python3", "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check", "--target", "/opt/mcpharden", "-c", "constraints.txt", ".[serve]"]

FROM ${RUNTIME_IMAGE}
COPY --from=build /opt/mcpharden /opt/mcpharden
ENV PYTHONPATH=/opt/mcpharden PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 65532:65532
WORKDIR /work
# `serve --http 0.0.0.0:8080` listens here; the health check asks its /healthz route.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["/usr/bin/python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["/usr/bin/python3", "-m", "mcpharden"]
CMD ["--help"]
