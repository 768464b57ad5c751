# syntax=docker/dockerfile:1
#
# The esxi-byoi GitHub Action: one static Go binary on distroless, entrypoint
# `esxi-byoi action`. action.yml builds it (image: Dockerfile) for the self-test;
# release.yml pushes it prebuilt to ghcr.io for users who pin it by digest.
#
# Base images are pinned by digest (Dependabot's docker ecosystem proposes new
# ones). Provenance: the build machine cannot reach a registry, so the digests
# were taken on 2026-11-27 from public Dockerfiles that pin them, each cited by
# several independent repositories under the same tag:
#   golang:1.26.8-bookworm                   sha256:dc9ad6c0…8a8107 (also cited as golang:1.26-bookworm;
#                                            Go 1.26.8 is what go.mod asks for, and GOTOOLCHAIN=local keeps it)
#   gcr.io/distroless/static-debian12:latest sha256:d75cdd72…91843f2 (the ROOT variant, not :nonroot)
# Check them before a release: docker buildx imagetools inspect <image>:<tag>.

FROM golang:1.26.8-bookworm@sha256:dc9ad6c05acc7a88e5b71bde60a5fe3bd4b9f0db209011711b464107438a8107 AS build
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
COPY templates ./templates
ARG VERSION=dev
# The same static build as scripts/test.sh: no cgo, no paths of this machine.
RUN go build -trimpath -ldflags "-s -w -X github.com/esxi-byoi/esxi-byoi/internal/version.Version=${VERSION}" \
      -o /out/esxi-byoi ./cmd/esxi-byoi \
 && /out/esxi-byoi version

# Root variant on purpose: the runner mounts $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY
# and the workspace owned by its own user, and only root can write them from
# inside the container.
FROM gcr.io/distroless/static-debian12:latest@sha256:d75cdd72874d4790092fcb1b058493ecf6bb5bf2b2b897045b00ff01d91843f2
LABEL org.opencontainers.image.title="esxi-byoi" \
      org.opencontainers.image.description="Turn a VMware ESXi installer ISO into an HPE Bare Metal OS service"
COPY --from=build /out/esxi-byoi /esxi-byoi
# The binary embeds these; the copy documents what it was built with.
COPY templates /usr/share/esxi-byoi/templates
USER 0:0
ENTRYPOINT ["/esxi-byoi", "action"]
