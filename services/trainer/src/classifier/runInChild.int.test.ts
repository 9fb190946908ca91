import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { waitFor, tempDir } from "@persona/testing";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("a training run whose trainer is kill -9ed stops at once instead of training on as an orphan", async (t) => {
  const dir = tempDir(t, "persona-orphan-");
  // a trainer stand-in: starts a long run in a child (3 classes of noise, 10,000 epochs) and prints the child's pid
  const parent = join(dir, "parent.ts");
  writeFileSync(
    parent,
    `import { runInChild } from ${JSON.stringify(new URL("./runInChild.ts", import.meta.url).pathname)};
import { SAMPLE_SIZE } from ${JSON.stringify(new URL("./sample.ts", import.meta.url).pathname)};
const noise = (n: number) => Uint8Array.from({ length: SAMPLE_SIZE * SAMPLE_SIZE }, (_, i) => (i * 7 + n * 13) % 256);
const classes = [0, 1, 2].map((i) => ({ personId: i === 0 ? null : "p" + i, name: "p" + i, crops: 40 }));
const train = Array.from({ length: 120 }, (_, i) => ({ cls: i % 3, sample: noise(i) }));
const val = Array.from({ length: 12 }, (_, i) => ({ cls: i % 3, sample: noise(1000 + i), id: "v" + i }));
const run = runInChild(
  { kind: "train", data: { classes, train, val, skipped: [] } as never, options: { train: { epochs: 10000 }, minProbability: 0.9 } },
  { nice: 0, onEpoch: (e) => { if (e.epoch === 1) console.log("epoch"); } },
);
console.log("child " + run.pid);
run.result.catch(() => undefined);
setInterval(() => undefined, 1000);
`,
  );
  const p = spawn(process.execPath, ["--import", "tsx", parent], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => {
    if (p.exitCode === null) p.kill("SIGKILL");
  });
  let out = "";
  p.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  await waitFor(() => /child \d+/.test(out) && /epoch/.test(out), { timeoutMs: 90_000, message: () => `the run trains: ${out}` });
  const child = Number(/child (\d+)/.exec(out)?.[1]);
  t.after(() => {
    if (alive(child)) process.kill(child, "SIGKILL");
  });
  assert.ok(alive(child), "the training child runs");
  p.kill("SIGKILL");
  await waitFor(() => !alive(child), {
    timeoutMs: 10_000,
    message: `training child ${child} still runs 10 s after its trainer was killed`,
  });
});
