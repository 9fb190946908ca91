#!/usr/bin/env node
// Runs test files of one tier (unit | int | e2e | all) with Node's built-in test runner and tsx.
// Usage: node scripts/run-tests.mjs <tier> [path-filter...]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const tier = process.argv[2] ?? "all";
const filters = process.argv.slice(3);
const skipDirs = new Set(["node_modules", ".git", "data", "dist", ".cache", "artifacts"]);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

const tierOf = (f) => (f.endsWith(".e2e.test.ts") ? "e2e" : f.endsWith(".int.test.ts") ? "int" : "unit");
const files = walk(root, [])
  .filter((f) => tier === "all" || tierOf(f) === tier)
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no ${tier} test files found`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? "2";
// A test that hangs fails after TEST_TIMEOUT_MS instead of stalling CI; --test-force-exit ends a file's process once
// its tests are done even if a handle (a child process, a socket) was leaked, so one bad test cannot hang the run.
const testTimeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 300_000);
// The whole tier gets a budget too (CI must finish within the hour): past it, the run is killed and says so.
const budgetMs = Number(process.env.TEST_BUDGET_MS ?? 45 * 60_000);
const args = [
  "--import",
  "tsx",
  "--test",
  `--test-concurrency=${concurrency}`,
  `--test-timeout=${testTimeoutMs}`,
  "--test-force-exit",
  "--test-reporter=spec",
  ...files,
];
const started = Date.now();
// No test writes into the repository's data/: every service and tool defaults its files to PERSONA_DATA_DIR, which
// is a fresh temporary folder for the run (unless given); data/ is listed before and after, and anything new fails.
const ownDataDir = process.env.PERSONA_DATA_DIR ? null : mkdtempSync(join(tmpdir(), "persona-test-data-"));
const repoData = join(root, "data");
const listData = () => {
  const out = new Set();
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.add(relative(root, p));
    }
  };
  if (existsSync(repoData)) walk(repoData);
  return out;
};
const dataBefore = listData();
const child = spawn(process.execPath, args, {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, NODE_ENV: "test", ...(ownDataDir ? { PERSONA_DATA_DIR: ownDataDir } : {}) },
  detached: true,
});
const watchdog = setTimeout(() => {
  console.error(`\nrun-tests: the ${tier} tier exceeded its budget of ${budgetMs / 60_000} min; killing it`);
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {}
}, budgetMs);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
    process.exit(1);
  });
}
child.on("exit", (code, signal) => {
  clearTimeout(watchdog);
  console.log(`run-tests: ${tier} tier: ${files.length} files in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
  const written = [...listData()].filter((f) => !dataBefore.has(f));
  if (written.length > 0) {
    console.error(
      `run-tests: tests wrote into the repository's data/ (use PERSONA_DATA_DIR or a temp dir):\n  ${written.slice(0, 20).join("\n  ")}`,
    );
    process.exit(1);
  }
  process.exit(code ?? (signal ? 1 : 0));
});
