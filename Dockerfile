# The poolbench image: one static binary on distroless, running as a
# non-root user (uid and gid 65532, which poolbench k8s's pods take as
# their fsGroup so the results volume is theirs to write).
#
#   docker build -t REGISTRY/poolbench:TAG .
#   docker push REGISTRY/poolbench:TAG
#   poolbench k8s SCENARIO -shards 4 -image REGISTRY/poolbench:TAG -allow-remote
#
# Built with CGO off: poolbench needs no C library.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/poolbench . \
 && /out/poolbench version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/poolbench /usr/local/bin/poolbench
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/poolbench"]
