# syntax=docker/dockerfile:1
# Persona-ID bot: Telegram bot.
# Build from the repository root:  docker build -f deploy/docker/bot.Dockerfile -t persona/bot:0.1.0 .
# Runs the TypeScript sources with tsx, as everywhere in this repo (no build step); see deploy/docker/README.md.

# --- dependencies: production node_modules of this service's workspace (native addons built here) ---
FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
# compilers only for a native addon without a prebuilt binary for this platform (better-sqlite3); not in the runtime image
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# every workspace's package.json: npm ci checks the whole lockfile
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY packages/bus/package.json packages/bus/
COPY apps/cli/package.json apps/cli/
COPY packages/eval/package.json packages/eval/
COPY packages/library/package.json packages/library/
COPY packages/sessions/package.json packages/sessions/
COPY packages/onnx/package.json packages/onnx/
COPY packages/recognition/package.json packages/recognition/
COPY packages/runtime/package.json packages/runtime/
COPY packages/store/package.json packages/store/
COPY packages/testing/package.json packages/testing/
COPY packages/vision/package.json packages/vision/
COPY services/bot/package.json services/bot/
COPY services/camera/package.json services/camera/
COPY services/cleaner/package.json services/cleaner/
COPY services/greeter/package.json services/greeter/
COPY services/portal/package.json services/portal/
COPY services/recognizer/package.json services/recognizer/
COPY services/trainer/package.json services/trainer/
COPY web/package.json web/
RUN npm ci --omit=dev --workspace=services/bot --include-workspace-root=false
# tsx (a root devDependency) runs the sources: its own prefix, pinned to the repo's version
RUN npm install --prefix /opt/tsx --omit=dev --no-package-lock tsx@4.23.15

# --- runtime: node, the sources this service imports, its node_modules; non-root ---
FROM node:20.20.2-bookworm-slim AS runtime
RUN groupadd --system --gid 10001 persona \
 && useradd --system --uid 10001 --gid persona --home-dir /app --shell /usr/sbin/nologin persona
WORKDIR /app
ENV NODE_ENV=production HEALTH_HOST=0.0.0.0 HEALTH_PORT=9107
COPY --from=deps /opt/tsx /opt/tsx
# node_modules (and any nested workspace node_modules) with every workspace package.json, then the sources
COPY --from=deps /app ./
COPY contracts ./contracts
COPY packages/runtime ./packages/runtime
COPY packages/bus ./packages/bus
COPY packages/library ./packages/library
COPY packages/sessions ./packages/sessions
COPY packages/store ./packages/store
COPY services/bot ./services/bot
USER 10001:10001
EXPOSE 9107
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9107/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "/opt/tsx/node_modules/tsx/dist/loader.mjs", "services/bot/src/main.ts"]
