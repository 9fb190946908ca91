import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "@persona/runtime";
import { freePort, waitFor, tempDir } from "@persona/testing";
import { SERVICE_NAMES } from "./services.ts";

/** Every process whose command line mentions the folder (services and nats-server get it through their args/env). */
function processesMentioning(marker: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(marker) && !l.includes("ps -eo"))
    .map((l) => l.trim());
}

/** Logs in as the run's admin and reads the portal's live stream of a camera until its first JPEG (then leaves). */
async function liveThroughPortal(portal: string, cameraId: string): Promise<Buffer> {
  const login = await fetch(`${portal}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: "run-e2e-admin-pw" }),
  });
  assert.equal(login.status, 200, await login.clone().text());
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
  const cams = (await (await fetch(`${portal}/api/v1/cameras`, { headers: { cookie } })).json()) as {
    items: { cameraId: string; hasLiveView: boolean }[];
  };
  assert.equal(cams.items.find((c) => c.cameraId === cameraId)?.hasLiveView, true, "persona run wires the live view");
  const abort = new AbortController();
  const res = await fetch(`${portal}/api/v1/cameras/${cameraId}/live`, { headers: { cookie }, signal: abort.signal });
  assert.equal(res.status, 200, res.status === 200 ? "" : await res.text());
  assert.match(res.headers.get("content-type") ?? "", /^multipart\/x-mixed-replace/);
  let buf = Buffer.alloc(0);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const deadline = Date.now() + 20_000;
  try {
    while (Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      buf = Buffer.concat([buf, value]);
      const soi = buf.indexOf(Buffer.from([0xff, 0xd8]));
      const eoi = soi < 0 ? -1 : buf.indexOf(Buffer.from([0xff, 0xd9]), soi + 2);
      if (eoi > 0) return buf.subarray(soi, eoi + 2);
    }
  } finally {
    abort.abort();
  }
  throw new Error(`no JPEG through the portal within 20 s (${buf.length} bytes)`);
}

test("persona run: every service ready within 90 s; a killed nats-server comes back; the Ctrl-C a terminal sends stops the services, then nats-server, leaving no process behind", async (t) => {
  const root = repoRoot();
  const data = tempDir(t, "persona-run-");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PERSONA_DATA_DIR: data,
    PERSONA_NATS_PORT: String(await freePort()),
    LIVE_PORT: String(await freePort()),
    PORTAL_PORT: String(await freePort()),
    PORTAL_ADMIN_USER: "admin",
    PORTAL_ADMIN_PASSWORD: "run-e2e-admin-pw",
  };
  delete env.PORTAL_CAMERA_LIVE_URL;
  delete env.PORTAL_LIVE_URLS;
  delete env.CAMERAS;
  delete env.PERSONA_DEMO_CAMERA;
  delete env.NATS_URL;
  delete env.STORE_URL;
  for (const s of SERVICE_NAMES) env[`${s.toUpperCase()}_HEALTH_PORT`] = String(await freePort());

  const started = Date.now();
  // a process group of its own, as a shell gives a foreground job: Ctrl-C goes to the whole group
  const proc = spawn(process.execPath, [join(root, "apps/cli/bin/persona.js"), "run"], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
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
    if (proc.exitCode === null) process.kill(-(proc.pid as number), "SIGKILL");
  });

  const status = () =>
    new Promise<{ code: number; json: { ready: boolean; services: { service: string; ready: boolean }[] } }>((resolve) => {
      const s = spawn(process.execPath, [join(root, "apps/cli/bin/persona.js"), "status", "--json"], { cwd: root, env });
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
    // the portal was pointed at the camera service's live view: the demo's annotated MJPEG comes through the portal
    const jpeg = await liveThroughPortal(`http://127.0.0.1:${env.PORTAL_PORT}`, "demo");
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8], "a JPEG frame of the demo camera through the portal");
    t.diagnostic(`the demo camera's live view through the portal: a ${jpeg.length}-byte frame`);
  } else {
    t.diagnostic("no demo clip here: the live view through the portal is not checked");
  }

  // kill -9 of nats-server: the supervisor restarts it on the same port and every service is ready again
  const natsPid = processesMentioning(data)
    .filter((l) => /nats-server/.test(l))
    .map((l) => Number(l.split(/\s+/)[0]))[0];
  assert.ok(natsPid, "nats-server's pid");
  process.kill(natsPid, "SIGKILL");
  await waitFor(() => /nats-server is back/.test(output), { timeoutMs: 20_000, message: () => output.slice(-2000) });
  await waitFor(
    async () => {
      const r = await status();
      return r.code === 0 && r.json.ready ? r : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1000, message: () => `ready again after the NATS restart:\n${output.slice(-3000)}` },
  );

  // Ctrl-C: the terminal sends SIGINT to its whole foreground process group (the supervisor's); services and
  // nats-server run in groups of their own, so the supervisor stops them in order: services first, then NATS
  process.kill(-(proc.pid as number), "SIGINT");
  const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000))]);
  assert.equal(code, 0, `supervisor exits cleanly; output:\n${output.slice(-2000)}`);
  assert.match(output, /stopped$/m);
  for (const s of SERVICE_NAMES) assert.match(output, new RegExp(`^${s}\\s*\\|.*stopped cleanly`, "m"), `${s} stopped cleanly`);
  assert.doesNotMatch(output, /did not stop in 15 s/, "no service had to be killed");
  const natsStop = output.indexOf("stopping nats-server");
  for (const s of SERVICE_NAMES) {
    const stoppedAt = output.search(new RegExp(`^${s}\\s*\\|.*stopped cleanly`, "m"));
    assert.ok(stoppedAt >= 0 && stoppedAt < natsStop, `${s} stopped before nats-server`);
  }
  await waitFor(() => processesMentioning(data).length === 0, {
    timeoutMs: 5000,
    message: () => processesMentioning(data).join("\n"),
  });
  const after = await status();
  assert.equal(after.code, 1, "nothing answers after the stop");
});
