// Used by the image's HEALTHCHECK: distroless has no curl, so Node checks the server.
const port = Number(process.env.PORT ?? 3000);
const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
process.exit(response?.ok ? 0 : 1);
