FROM golang:1.24 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /server .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /server /server
# a static curl copied in: exec form needs no shell
COPY --from=ghcr.io/tarampampam/curl:8.7.1 /bin/curl /usr/local/bin/curl
HEALTHCHECK CMD ["/usr/local/bin/curl", "-fsS", "http://127.0.0.1:8080/health"]
ENTRYPOINT ["/server"]
