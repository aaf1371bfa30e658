# The Beamline worker image (the Helm chart's image.repository). Node runs the TypeScript sources
# directly (type stripping), so there is no build stage: production dependencies and sources only.
#   docker build -t beamline/worker:0.1.0 .
# Nothing in this repository runs a container engine; test/helm/ checks this file's contract
# with the chart (base, user, workdir, entrypoint) instead.
FROM node:24-slim

ENV NODE_ENV=production \
    ONNXRUNTIME_NODE_INSTALL=skip \
    HOME=/tmp
WORKDIR /app

# Dependencies first, for layer caching: only production ones, no install scripts beyond what
# package.json allows, and no npm cache left in the image.
COPY package.json package-lock.json ./
# The workspace package @beamline/pulsar (#15): npm links node_modules/@beamline/pulsar to it.
COPY functions/pulsar/package.json ./functions/pulsar/package.json
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

COPY bin ./bin
COPY functions ./functions
COPY tenants ./tenants
# The `beamline` command (bin/beamline.js loads cli/main.ts; the worker entry point is `beamline worker`).
COPY cli ./cli
COPY models ./models
COPY review ./review
COPY sinks ./sinks
# `beamline bridge` (#24): the Pub/Sub bridges the chart's bridge Deployments run.
COPY bridge ./bridge

# A fixed non-root user whose ids match the chart's runAsUser/runAsGroup (10001).
RUN groupadd --system --gid 10001 beamline \
 && useradd --system --uid 10001 --gid beamline --home-dir /tmp --shell /usr/sbin/nologin beamline
USER 10001:10001

# /healthz, /readyz, /metrics
EXPOSE 9464
ENTRYPOINT ["node", "/app/bin/beamline.js", "worker"]
