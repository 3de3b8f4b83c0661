FROM gcr.io/distroless/nodejs22-debian12:nonroot
COPY --from=build /app /app
EXPOSE 8080
CMD ["/app/dist/http.js"]
