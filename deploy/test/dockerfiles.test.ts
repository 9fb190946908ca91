// deploy/docker/*.Dockerfile linted without a Docker engine: parsed into stages and instructions, then checked for
// what a reviewer would check by hand: pinned base images, multi-stage with a non-root runtime, a HEALTHCHECK on the
// service's health port, every workspace package the service imports (from its sources) copied in, the models its
// code loads copied in, ffmpeg where frames are decoded, no secret in ENV/ARG, and COPY sources that exist and are
// not excluded by .dockerignore. One Dockerfile per service, and one per image the Kubernetes manifests use.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { DEFAULT_HEALTH_PORTS } from "@persona/bus";
import { DEFAULT_EMBEDDER_MODEL, MODEL_FILES, embedderSpec } from "@persona/vision";
import { ROOT, dockerignore, parseDockerfile, workspaceClosure } from "./dockerfile.ts";
import { containersOf, imageName, render } from "./kustomize.ts";
const DOCKER = join(ROOT, "deploy/docker");
const SERVICES = Object.keys(DEFAULT_HEALTH_PORTS) as (keyof typeof DEFAULT_HEALTH_PORTS)[];

/** The model files a service's code loads: the detector for camera; detector + default embedder for the ML services. */
const MODELS: Partial<Record<(typeof SERVICES)[number], string[]>> = {
  camera: [MODEL_FILES.blazeface, MODEL_FILES.blazefaceDynamic],
  recognizer: [MODEL_FILES.blazeface, MODEL_FILES.blazefaceDynamic, embedderSpec(DEFAULT_EMBEDDER_MODEL).file],
  trainer: [MODEL_FILES.blazeface, MODEL_FILES.blazefaceDynamic, embedderSpec(DEFAULT_EMBEDDER_MODEL).file],
  // search by photo detects and embeds as the recognizers do
  portal: [MODEL_FILES.blazeface, MODEL_FILES.blazefaceDynamic, embedderSpec(DEFAULT_EMBEDDER_MODEL).file],
};

const ignored = dockerignore();
const SECRETISH = /(PASSWORD|TOKEN|SECRET|KEY|CREDENTIAL)/i;

describe("deploy/docker", () => {
  test("one Dockerfile per service and per image the Kubernetes base uses", () => {
    const files = readdirSync(DOCKER).filter((f) => f.endsWith(".Dockerfile"));
    assert.deepEqual(files.map((f) => f.replace(".Dockerfile", "")).sort(), [...SERVICES].sort());
    const images = new Set(
      render(join(ROOT, "deploy/k8s/base"))
        .flatMap((o) => containersOf(o).map((c) => imageName(String(c.image))))
        .filter((i) => i.startsWith("persona/")),
    );
    assert.deepEqual([...images].sort(), SERVICES.map((s) => `persona/${s}`).sort());
  });

  test(".dockerignore keeps dependencies, data, git, secrets and generated files out of the context", () => {
    for (const p of [
      "node_modules",
      "packages/bus/node_modules",
      ".git",
      "data",
      "services/portal/data",
      ".env",
      "models/.cache",
    ])
      assert.ok(ignored(p), `${p} is ignored`);
    for (const p of ["package.json", "services/camera/src/main.ts", "models/dist/dlib-resnet29.onnx", "contracts/src/index.ts"])
      assert.ok(!ignored(p), `${p} is in the context`);
  });

  for (const service of SERVICES) {
    test(`${service}.Dockerfile`, () => {
      const { stages, global } = parseDockerfile(readFileSync(join(DOCKER, `${service}.Dockerfile`), "utf8"));
      assert.ok(stages.length >= 2, "multi-stage");
      for (const s of stages) {
        if (stages.some((x) => x.name === s.from)) continue;
        assert.match(
          s.from,
          /^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$/,
          `base ${s.from} is pinned`,
        );
        assert.doesNotMatch(s.from, /:latest/);
      }
      const runtime = stages[stages.length - 1]!;
      const ops = (op: string) => runtime.instructions.filter((i) => i.op === op);

      const user = ops("USER").at(-1)?.args ?? "";
      assert.match(user, /^[1-9]\d*(:[1-9]\d*)?$/, "the runtime runs as a numeric non-root user (Kubernetes runAsNonRoot)");
      const port = DEFAULT_HEALTH_PORTS[service];
      const hc = ops("HEALTHCHECK").at(-1)?.args ?? "";
      assert.match(hc, new RegExp(`127\\.0\\.0\\.1:${port}/healthz`), "HEALTHCHECK on the service's /healthz");
      assert.ok(
        ops("EXPOSE").some((e) => e.args.split(/\s+/).includes(String(port))),
        "EXPOSE the health port",
      );
      const cmd = JSON.parse(ops("CMD").at(-1)?.args ?? "[]") as string[];
      assert.equal(cmd.at(-1), `services/${service}/src/main.ts`);
      assert.ok(existsSync(join(ROOT, cmd.at(-1)!)));

      // sources: every workspace package the service imports is copied, from paths the context contains
      const copied = new Set<string>();
      for (const c of ops("COPY")) {
        if (c.args.startsWith("--from=")) continue;
        const parts = c.args.split(/\s+/).filter((p) => !p.startsWith("--"));
        for (const src of parts.slice(0, -1)) {
          assert.ok(existsSync(join(ROOT, src)), `COPY source ${src} exists`);
          assert.ok(!ignored(src), `COPY source ${src} is not excluded by .dockerignore`);
          copied.add(src);
        }
      }
      for (const folder of workspaceClosure(`services/${service}`)) assert.ok(copied.has(folder), `copies ${folder} (imported)`);
      for (const model of MODELS[service] ?? []) assert.ok(copied.has(`models/dist/${model}`), `copies the model ${model}`);
      if (!MODELS[service]) assert.ok(![...copied].some((c) => c.startsWith("models/")), "no models where none are used");
      assert.ok(
        runtime.instructions.some((i) => i.op === "COPY" && /^--from=deps \/app \.\/$/.test(i.args)),
        "node_modules from deps",
      );
      const tsx = JSON.parse(readFileSync(join(ROOT, "node_modules/tsx/package.json"), "utf8")) as {
        version: string;
        exports: { ".": string };
      };
      assert.equal(cmd[2], `/opt/tsx/node_modules/tsx/${tsx.exports["."].replace("./", "")}`, "CMD loads tsx's loader");
      const installs = runtime.instructions.filter((i) => i.op === "RUN").map((i) => i.args);
      if (service === "camera")
        assert.ok(
          installs.some((r) => /apt-get install .*ffmpeg/.test(r)),
          "ffmpeg for the sources",
        );
      assert.ok(!installs.some((r) => /\b(g\+\+|gcc|make|python3)\b/.test(r)), "no compilers in the runtime image");

      // the deps stage installs with the lockfile and copies every workspace manifest (npm ci checks them all)
      const deps = stages.find((s) => s.name === "deps");
      assert.ok(deps, "a deps stage");
      assert.ok(
        deps.instructions.some((i) => i.op === "RUN" && i.args.includes(`tsx@${tsx.version}`)),
        `tsx pinned to the repo's ${tsx.version}`,
      );
      assert.ok(
        deps.instructions.some((i) => i.op === "RUN" && /npm ci\b.*--omit=dev/.test(i.args)),
        "npm ci --omit=dev",
      );
      const workspaces = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] }).workspaces;
      for (const w of workspaces) {
        const dirs = w.endsWith("/*") ? readdirSync(join(ROOT, w.slice(0, -2))).map((d) => `${w.slice(0, -2)}/${d}`) : [w];
        for (const d of dirs.filter((x) => existsSync(join(ROOT, x, "package.json"))))
          assert.ok(
            deps.instructions.some((i) => i.op === "COPY" && i.args.startsWith(`${d}/package.json `)),
            `deps copies ${d}/package.json`,
          );
      }

      // no secret baked into an image
      for (const i of [...global, ...stages.flatMap((s) => s.instructions)]) {
        if (i.op !== "ENV" && i.op !== "ARG") continue;
        for (const kv of i.args.split(/\s+/))
          assert.doesNotMatch(kv.split("=")[0] ?? "", SECRETISH, `${i.op} ${kv} (line ${i.line})`);
      }
      assert.equal(relative(ROOT, join(DOCKER, `${service}.Dockerfile`)), `deploy/docker/${service}.Dockerfile`);
    });
  }
});
