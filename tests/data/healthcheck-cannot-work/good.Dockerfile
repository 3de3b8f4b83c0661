FROM gcr.io/distroless/nodejs22-debian12:nonroot
WORKDIR /app
COPY dist/ ./dist/
EXPOSE 8080
# exec form, the runtime itself: no shell and no curl needed
HEALTHCHECK --interval=30s --timeout=3s CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:8080/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["dist/http.js"]
