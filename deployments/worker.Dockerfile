# syntax=docker/dockerfile:1
# The dfsopt worker image. Build from the repository root:
#   docker build -f deployments/worker.Dockerfile -t dfsopt-worker .
FROM golang:1.26-bookworm AS build
WORKDIR /src
# Module files first, so dependency downloads are cached across source edits.
COPY go.work go.work.sum ./
COPY api/go.* api/
COPY optimizer/go.* optimizer/
COPY pkg/go.* pkg/
COPY worker/go.* worker/
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY api api
COPY optimizer optimizer
COPY pkg pkg
COPY worker worker
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/worker ./worker/cmd/worker

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /usr/local/bin/worker
USER nonroot:nonroot

EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/worker"]
