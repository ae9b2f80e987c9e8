#!/usr/bin/env bash
# Builds an image per installed service (pyproject.toml's entry points rps.services) from infra/docker/Dockerfile (what a
# `make images` target runs where a Docker engine exists).
#   infra/docker/build-images.sh [TAG]      (default: the version in pyproject.toml)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v docker >/dev/null || { echo "build-images: needs docker (with BuildKit)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "build-images: no Docker engine reachable" >&2; exit 1; }
tag=${1:-$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)}
registry=${RPS_REGISTRY:+$RPS_REGISTRY/}
services=$(python3 -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["entry-points"]["rps.services"])')
for service in $services; do
  DOCKER_BUILDKIT=1 docker build -f infra/docker/Dockerfile \
    --build-arg SERVICE="$service" -t "${registry}rps-$service:$tag" .
done
