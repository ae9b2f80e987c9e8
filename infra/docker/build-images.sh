#!/usr/bin/env bash
# Builds the five service images (settings.SERVICES) from infra/docker/Dockerfile (what a
# `make images` target runs where a Docker engine exists).
#   infra/docker/build-images.sh [TAG]      (default: the version in pyproject.toml)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v docker >/dev/null || { echo "build-images: needs docker (with BuildKit)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "build-images: no Docker engine reachable" >&2; exit 1; }
tag=${1:-$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)}
registry=${RPS_REGISTRY:+$RPS_REGISTRY/}
for service in contracts visits feedback reporting web; do
  DOCKER_BUILDKIT=1 docker build -f infra/docker/Dockerfile \
    --build-arg SERVICE="$service" -t "${registry}rps-$service:$tag" .
done
