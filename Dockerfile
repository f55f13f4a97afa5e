# syntax=docker/dockerfile:1
# promship agent image. Three stages: `build` bundles the TypeScript with the dev dependencies
# (scripts/build.ts), `deps` installs the production dependencies only (native addons and the
# cloud SDKs stay outside the bundle), and the runtime image gets just dist/, package.json (read
# for the version) and the production node_modules. test/install/ runs exactly this file set outside Docker.
# Node 22 (LTS): Node 20 left maintenance on 2026-04-30. promship runs on Node >= 20.18.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Native modules (snappy, @node-rs/crc32) come as prebuilt binaries for the image's platform.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ARG NODE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="promship" \
      org.opencontainers.image.description="Ships a secondary cluster's Prometheus data as Thanos-readable TSDB blocks into the global object-storage bucket." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
ENV NODE_ENV=production
# Node 22 keeps the bytecode of the modules it compiles here and reuses it: every run of the agent
# is a process of its own, and from the second on each starts about 0.16 s of CPU cheaper (17 % of
# a run with nothing to ship; measured, BENCHMARKS.md). The chart mounts /tmp (an emptyDir); on a
# read-only /tmp Node skips the cache and runs as before.
ENV NODE_COMPILE_CACHE=/tmp/node-compile-cache
# The Node flags of src/daemon/run-node-flags.ts (a small young generation: less memory for a
# window, measured in BENCHMARKS.md), for `once` and the other commands too; runs of the agent get
# them either way. Setting NODE_OPTIONS in the chart's env replaces these.
ENV NODE_OPTIONS=--max-semi-space-size=4
# RUN_ENV of the same file: one malloc arena, some 7 MiB less peak memory for a window at 250,000
# series (BENCHMARKS.md), for every command; runs of the agent get it either way.
ENV MALLOC_ARENA_MAX=1
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# `kubectl exec deploy/promship -- promship status` works with the pod's own environment.
RUN chmod 0755 /app/dist/cli.js && ln -s /app/dist/cli.js /usr/local/bin/promship
# A numeric non-root user (as the Helm chart's securityContext) that owns nothing in the image.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["run"]
