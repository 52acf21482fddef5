# The hypobench image for sharded runs on Kubernetes (`hypobench k8s`).
# Not built in this repository's CI: the machines it runs on have no
# container engine. Build it where one is:
#
#   docker build -t REGISTRY/hypobench:TAG .
#
# Stage 1 compiles a static binary (no cgo: the SQLite reader is pure Go);
# stage 2 is distroless's static image (CA certificates, tzdata, no shell)
# running as its numeric non-root user 65532, which the manifests'
# runAsUser and fsGroup name.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hypobench ./cmd/hypobench

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hypobench /usr/local/bin/hypobench
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/hypobench"]
