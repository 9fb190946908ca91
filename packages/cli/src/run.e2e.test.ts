import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "@persona/runtime";
import { waitFor } from "@persona/testing";
import { SERVICE_NAMES } from "./services.ts";

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** Every process whose command line mentions the folder (services and nats-server get it through their args/env). */
function processesMentioning(marker: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(marker) && !l.includes("ps -eo"))
    .map((l) => l.trim());
}

test("persona run: every service reports ready within 90 s, Ctrl-C leaves no process behind", async (t) => {
  const root = repoRoot();
  const data = mkdtempSync(join(tmpdir(), "persona-run-"));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PERSONA_DATA_DIR: data,
    PERSONA_NATS_PORT: String(await freePort()),
    LIVE_PORT: String(await freePort()),
  };
  delete env.CAMERAS;
  delete env.PERSONA_DEMO_CAMERA;
  delete env.NATS_URL;
  delete env.STORE_URL;
  for (const s of SERVICE_NAMES) env[`${s.toUpperCase()}_HEALTH_PORT`] = String(await freePort());

  const started = Date.now();
  const proc = spawn(process.execPath, [join(root, "packages/cli/bin/persona.js"), "run"], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout.on("data", (c: Buffer) => {
    output += c.toString();
  });
  proc.stderr.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  t.after(() => {
    if (proc.exitCode === null) proc.kill("SIGKILL");
  });

  const status = () =>
    new Promise<{ code: number; json: { ready: boolean; services: { service: string; ready: boolean }[] } }>((resolve) => {
      const s = spawn(process.execPath, [join(root, "packages/cli/bin/persona.js"), "status", "--json"], { cwd: root, env });
      let out = "";
      s.stdout.on("data", (c: Buffer) => {
        out += c.toString();
      });
      s.once("exit", (code) => resolve({ code: code ?? 1, json: JSON.parse(out) }));
    });

  const ready = await waitFor(
    async () => {
      const r = await status();
      return r.code === 0 && r.json.ready ? r : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 1000, message: () => `all services ready; output so far:\n${output.slice(-3000)}` },
  );
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`all ${ready.json.services.length} services ready after ${seconds.toFixed(1)} s`);
  assert.deepEqual(ready.json.services.map((s) => s.service).sort(), [...SERVICE_NAMES].sort());
  assert.ok(processesMentioning(data).length >= 1, "nats-server runs with its store in the data folder");
  if (/demo camera "demo" loops/.test(output)) {
    // the demo clip runs through the whole pipeline: its camera reports live
    await waitFor(() => /camera\s*\|.*"live"|camera\s*\|.*live/.test(output), { timeoutMs: 30_000, message: "demo camera live" });
  }

  // Ctrl-C: the terminal sends SIGINT to the supervisor
  proc.kill("SIGINT");
  const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000))]);
  assert.equal(code, 0, `supervisor exits cleanly; output:\n${output.slice(-2000)}`);
  assert.match(output, /stopped$/m);
  for (const s of SERVICE_NAMES) assert.match(output, new RegExp(`^${s}\\s*\\|.*stopped cleanly`, "m"), `${s} stopped cleanly`);
  await waitFor(() => processesMentioning(data).length === 0, {
    timeoutMs: 5000,
    message: () => processesMentioning(data).join("\n"),
  });
  const after = await status();
  assert.equal(after.code, 1, "nothing answers after the stop");
});
