#!/usr/bin/env node
// Runs test files of one tier (unit | int | e2e | all) with Node's built-in test runner and tsx.
// Usage: node scripts/run-tests.mjs <tier> [path-filter...]
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
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
const args = ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...files];
const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit", env: { ...process.env, NODE_ENV: "test" } });
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
