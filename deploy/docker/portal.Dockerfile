# syntax=docker/dockerfile:1
# Persona-ID portal: HTTP API + socket.io + the built web console (web/dist).
# Build from the repository root:  docker build -f deploy/docker/portal.Dockerfile -t persona/portal:0.1.0 .
# Runs the TypeScript sources with tsx, as everywhere in this repo (no build step); see deploy/docker/README.md.

# --- dependencies: production node_modules of this service's workspace (native addons built here) ---
FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false \
    OPENCV4NODEJS_DISABLE_AUTOBUILD=1 JOBS=max
# compilers and OpenCV's headers only for the native addons without a prebuilt binary for this platform
# (better-sqlite3; @u4/opencv4nodejs against Debian's OpenCV 4.6, for search by photo); not in the runtime image
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates libopencv-dev libopencv-contrib-dev \
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
RUN npm ci --omit=dev --workspace=services/portal --include-workspace-root=false
# tsx (a root devDependency) runs the sources: its own prefix, pinned to the repo's version
RUN npm install --prefix /opt/tsx --omit=dev --no-package-lock tsx@4.23.15

# --- the web console, built with vite ---
FROM node:20.20.2-bookworm-slim AS web
WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false ONNXRUNTIME_NODE_INSTALL=skip
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
RUN npm ci --workspace=web --include-workspace-root=false --ignore-scripts
# web/tsconfig.json extends the repo's base config (vite reads it for JSX)
COPY tsconfig.base.json ./
COPY web ./web
RUN npm run build --workspace=web

# --- runtime: node, the sources this service imports, its node_modules, the models search by photo uses; non-root ---
FROM node:20.20.2-bookworm-slim AS runtime
# OpenCV's shared libraries, the ones the @u4/opencv4nodejs binding links (ldd), without the headers; DejaVu Sans
# (fonts-dejavu-core), embedded in the sessions' PDF reports so that Cyrillic names print (the PDF built-ins are Latin-1)
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core libopencv-contrib406 libopencv-core406 libopencv-dnn406 libopencv-flann406 libopencv-highgui406 libopencv-imgcodecs406 libopencv-imgproc406 libopencv-ml406 libopencv-objdetect406 libopencv-photo406 libopencv-video406 libopencv-videoio406 \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 persona \
 && useradd --system --uid 10001 --gid persona --home-dir /app --shell /usr/sbin/nologin persona
WORKDIR /app
ENV NODE_ENV=production HEALTH_HOST=0.0.0.0 HEALTH_PORT=9106 PORTAL_HOST=0.0.0.0 PERSONA_MODELS_DIR=/app/models/dist PERSONA_SHARED_MODELS_DIR=/app/shared-models
COPY --from=deps /opt/tsx /opt/tsx
# node_modules (and any nested workspace node_modules) with every workspace package.json, then the sources
COPY --from=deps /app ./
COPY contracts ./contracts
COPY packages/runtime ./packages/runtime
COPY packages/bus ./packages/bus
COPY packages/library ./packages/library
COPY packages/sessions ./packages/sessions
COPY packages/recognition ./packages/recognition
COPY packages/store ./packages/store
COPY packages/vision ./packages/vision
COPY services/portal ./services/portal
# search by photo (POST /api/v1/identify) detects and embeds as the recognizers do: their default models, baked in
COPY models/dist/blazeface-back-256.onnx models/dist/blazeface-back-dyn.onnx models/dist/fr_feature.onnx ./models/dist/
COPY --from=web /app/web/dist ./web/dist
USER 10001:10001
EXPOSE 9106 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9106/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "/opt/tsx/node_modules/tsx/dist/loader.mjs", "services/portal/src/main.ts"]
