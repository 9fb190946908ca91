# Persona-ID. `make run` starts everything on the embedded defaults; `make test` runs every test tier.
SHELL := /bin/bash
export ONNXRUNTIME_NODE_INSTALL := skip
NODE := node --import tsx

.PHONY: deps models web run test test-unit test-int test-e2e typecheck lint format bench bench-peers soak clean

deps:
	@scripts/install-deps.sh

models: deps
	@$(NODE) models/build.ts

# the console: built when web/dist is missing or older than its sources (the portal serves web/dist)
web: deps
	@if [ ! -f web/dist/index.html ] || [ -n "$$(find web/src web/index.html web/vite.config.ts -newer web/dist/index.html 2>/dev/null | head -1)" ]; then \
		cd web && npx vite build --logLevel warn && echo "web: built web/dist"; else echo "web: up to date"; fi

run: deps models web
	@npx persona run

test: deps models typecheck lint
	@node scripts/run-tests.mjs all

typecheck: deps
	@npx tsc -p tsconfig.json --noEmit && npx tsc -p web/tsconfig.json --noEmit && npx tsc -p bench/peers/tsconfig.json --noEmit && echo "typecheck: ok"

# biome, and web/src/api.gen.ts as the portal's OpenAPI document generates it (scripts/gen-web-types.ts)
lint: deps
	@npx biome check . && $(NODE) scripts/gen-web-types.ts --check && $(NODE) scripts/house/check.ts && $(NODE) scripts/config-docs.ts --check && echo "lint: ok"

format: deps
	@npx biome format --write .

test-unit: deps
	@node scripts/run-tests.mjs unit

test-int: deps models
	@node scripts/run-tests.mjs int

test-e2e: deps models
	@node scripts/run-tests.mjs e2e

bench: deps models
	@$(NODE) packages/bus/bench/bus.bench.ts
	@$(NODE) packages/vision/bench/vision.bench.ts
	@$(NODE) packages/vision/bench/image-ops.bench.ts
	@$(NODE) packages/vision/bench/recognition.bench.ts
	@$(NODE) services/recognizer/bench/recognizer.bench.ts
	@$(NODE) services/recognizer/bench/scaleout.bench.ts && $(NODE) deploy/bench/camera-cost.bench.ts
	@$(NODE) services/camera/bench/camera.bench.ts
	@$(NODE) services/portal/bench/identify.bench.ts
	@$(NODE) services/camera/bench/decode.bench.ts
	@$(NODE) services/camera/bench/pipeline.bench.ts
	@$(NODE) services/camera/bench/scene-cut.bench.ts
	@$(NODE) services/recognizer/bench/enrollment-pick.bench.ts
	@$(NODE) services/trainer/bench/classifier.bench.ts
	@$(NODE) packages/eval/bin/selflearn-tune.ts

# the chaos soak (README, "The chaos soak"): SOAK_MINUTES (10), SOAK_KILL_EVERY (20-60 s), SOAK_RECOVERY_LIMIT_S (15)
soak: deps models web
	@$(NODE) apps/cli/src/soak/soak.ts

bench-peers: deps models
	@$(NODE) bench/peers/peers.bench.ts

clean:
	rm -rf data artifacts
