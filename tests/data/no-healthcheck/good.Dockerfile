FROM gcr.io/distroless/nodejs22-debian12:nonroot
COPY --from=build /app /app
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["/nodejs/bin/node", "/app/dist/healthcheck.js"]
CMD ["/app/dist/http.js"]
