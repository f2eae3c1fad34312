# OpenChime in a container: docker build -t openchime . && docker run -p 4580:4580 openchime
#
# Two stages: Go builds a static binary (CGO_ENABLED=0: SQLite is pure Go),
# and the image holds only that binary and an empty /data, FROM scratch: no
# shell, no package manager, nothing to patch. --build-arg BASE=... picks
# another base, e.g. one with a shell for the .sh hooks of --init-dir.
#
# .ci/image.sh builds the final stage below with buildah around a binary it
# builds the way the first stage does (containers cannot run in CI's
# sandbox), and runs the README quick start against the image's own
# entrypoint and configuration: keep the final stage to COPY --from=build and
# configuration, which that script reads from here.

ARG GO_VERSION=1.26.8
ARG BASE=scratch

FROM golang:${GO_VERSION} AS build
ARG VERSION=""
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.Version=${VERSION}" -o /out/openchime ./cmd/openchime \
 && mkdir -p /out/data

FROM ${BASE}
COPY --from=build /out/openchime /openchime
# The data volume belongs to the unprivileged user the server runs as.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
WORKDIR /data
USER 65532:65532
# Listen on every interface of the container, so -p 4580:4580 reaches it.
# --auth none, as on loopback outside a container: any credentials work and
# the access key picks the AWS account, as in the README's quick start; the
# DNS-rebinding guard still answers only loopback Host names (127.0.0.1,
# localhost), so reach it from other containers with
# -e OPENCHIME_ALLOWED_HOSTS=<service name>, and set OPENCHIME_AUTH=sigv4,
# OPENCHIME_CREDENTIALS and OPENCHIME_ADMIN_TOKEN beyond a developer machine.
# The store is the log store under the volume.
ENV OPENCHIME_ADDR=0.0.0.0:4580 \
    OPENCHIME_AUTH=none \
    OPENCHIME_DB=log:/data/openchime-data
EXPOSE 4580
# Healthy once the store answers (/_openchime/ready) and the --init-dir
# hooks, if any, have run; scratch has no curl, so the binary probes itself.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/openchime", "healthcheck"]
ENTRYPOINT ["/openchime"]
CMD ["serve"]
