FROM golang:1.24 AS build
WORKDIR /src
COPY . .
# Only the builder's scratch space is opened up; the final stage copies the binary alone.
RUN mkdir -m 777 /src/cache && go build -o /out/server ./cmd/server

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /server
ENTRYPOINT ["/server"]
