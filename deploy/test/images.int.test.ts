// Each image's runtime stage, assembled without Docker and started: the files its COPY instructions put into /app
// (from the repo, through .dockerignore), node_modules from this checkout standing in for the deps stage, the image's
// ENV, WORKDIR and CMD. The service must become ready on a real nats-server and stop cleanly on SIGTERM. A package
// the service imports but the Dockerfile forgets, a model not copied, or a wrong CMD fails here as it would in the
// cluster.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { describe, test } from "node:test";
import { DEFAULT_HEALTH_PORTS } from "@persona/bus";
import { freePort, startNatsServer, waitFor, tempDir } from "@persona/testing";
import { resolveModelPath } from "@persona/vision";
import { ROOT, dockerignore, parseDockerfile } from "./dockerfile.ts";

const SERVICES = Object.keys(DEFAULT_HEALTH_PORTS) as (keyof typeof DEFAULT_HEALTH_PORTS)[];
const skip = !existsSync(resolveModelPath("dlib-resnet29.onnx")) ? "models not built (run make models)" : undefined;
const ignored = dockerignore();

/** Copies `src` (repo-relative) to `dest` as a Docker COPY would: directories recursively, minus .dockerignore. */
function copyIn(src: string, dest: string): void {
  cpSync(join(ROOT, src), dest, {
    recursive: true,
    filter: (from) => {
      const rel = relative(ROOT, from);
      return rel === "" || !ignored(rel);
    },
  });
}

/** The runtime stage of a Dockerfile laid out under `app` (standing for /app). Returns ENV and CMD. */
function assemble(service: string, app: string): { env: Record<string, string>; cmd: string[] } {
  const { stages } = parseDockerfile(readFileSync(join(ROOT, "deploy/docker", `${service}.Dockerfile`), "utf8"));
  const runtime = stages.at(-1)!;
  const env: Record<string, string> = {};
  let cmd: string[] = [];
  const abs = (p: string) => (p.startsWith("/app") ? join(app, p.slice(4)) : p.startsWith("/") ? p : join(app, p));
  for (const i of runtime.instructions) {
    if (i.op === "WORKDIR") assert.equal(i.args, "/app", "WORKDIR /app");
    if (i.op === "ENV") {
      for (const kv of i.args.split(/\s+/)) {
        const [k, v] = kv.split("=");
        if (k && v !== undefined) env[k] = v.startsWith("/app") ? abs(v) : v;
      }
    }
    if (i.op === "CMD") cmd = JSON.parse(i.args) as string[];
    if (i.op !== "COPY") continue;
    const parts = i.args.split(/\s+/);
    const from = parts.find((p) => p.startsWith("--from="))?.slice(7);
    const args = parts.filter((p) => !p.startsWith("--"));
    const dest = args.at(-1)!;
    if (from === "deps" && args[0] === "/app") {
      // the deps stage's /app: this checkout's node_modules, with the workspace links pointing inside `app`
      mkdirSync(join(app, "node_modules/@persona"), { recursive: true });
      for (const n of readdirSync(join(ROOT, "node_modules"))) {
        if (n !== "@persona" && n !== ".bin") symlinkSync(join(ROOT, "node_modules", n), join(app, "node_modules", n));
      }
      for (const n of readdirSync(join(ROOT, "node_modules/@persona"))) {
        // the same relative link (../../packages/bus ...), so it resolves to the copy under `app`, or to nothing
        symlinkSync(readlinkSync(join(ROOT, "node_modules/@persona", n)), join(app, "node_modules/@persona", n));
      }
      copyIn("package.json", join(app, "package.json"));
      continue;
    }
    if (from === "deps" || from === "web") continue; // /opt/tsx: this checkout's tsx (same pinned version); web/dist: optional
    const sources = args.slice(0, -1);
    for (const s of sources) {
      const target = dest.endsWith("/") || sources.length > 1 ? join(abs(dest), basename(s)) : abs(dest);
      mkdirSync(dirname(target), { recursive: true });
      copyIn(s, target);
    }
  }
  // /opt/tsx/node_modules/tsx/... -> this checkout's tsx
  cmd = cmd.map((a) => a.replace(/^\/opt\/tsx\/node_modules\//, `${join(ROOT, "node_modules")}/`));
  return { env, cmd };
}

describe("images, assembled from their Dockerfiles and started", { skip }, () => {
  for (const service of SERVICES) {
    test(`${service}: ready on a real nats-server from only what its image contains, stops on SIGTERM`, {
      timeout: 120_000,
    }, async (t) => {
      await using server = await startNatsServer();
      const dir = tempDir(t, `persona-image-${service}-`);
      const app = join(dir, "app");
      mkdirSync(app);
      const { env, cmd } = assemble(service, app);
      assert.equal(cmd[0], "node");
      const healthPort = await freePort();
      const proc = spawn(process.execPath, cmd.slice(1), {
        cwd: app,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: dir,
          TMPDIR: dir,
          ...env,
          NATS_URL: server.url,
          HEALTH_PORT: String(healthPort),
          LOG_LEVEL: "warn",
          // the cluster passes these; here: a local store in the temp dir, free ports
          STORE_URL: `sqlite:${join(dir, "persona.db")}`,
          ...(service === "portal" ? { PORTAL_PORT: String(await freePort()) } : {}),
          ...(service === "camera" ? { LIVE_PORT: "0" } : {}),
          ...(service === "greeter" ? { PERSONA_DATA_DIR: join(dir, "data") } : {}),
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      proc.stderr?.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      t.after(() => {
        if (proc.exitCode === null) proc.kill("SIGKILL");
      });
      const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
      await waitFor(
        async () => {
          if (proc.exitCode !== null) throw new Error(`${service} exited ${proc.exitCode}: ${stderr.slice(-1500)}`);
          const r = await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined);
          return r?.ok;
        },
        { timeoutMs: 90_000, intervalMs: 250, message: () => `${service} ready (stderr: ${stderr.slice(-800)})` },
      );
      assert.ok((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).ok);
      proc.kill("SIGTERM");
      assert.equal(await exited, 0, `${service} stops cleanly: ${stderr.slice(-800)}`);
    });
  }
});
