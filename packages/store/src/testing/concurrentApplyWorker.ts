/**
 * Child process for the multi-process SQLite test: opens the store file, says "ready", waits for "go" on stdin, then
 * calls applyOnce for events 0..count-1 of one projection and prints {"applied":n,"skipped":m}.
 * Usage: node --import tsx concurrentApplyWorker.ts <dbPath> <projection> <count> <tag>
 */
import { createInterface } from "node:readline";
import { openSqliteStore } from "../sqlite.ts";

const [dbPath, projection, countText, tag] = process.argv.slice(2);
if (
  dbPath === undefined ||
  projection === undefined ||
  countText === undefined ||
  tag === undefined ||
  !/^\d+$/.test(countText)
) {
  console.error("usage: concurrentApplyWorker.ts <dbPath> <projection> <count> <tag>");
  process.exit(2);
}
const count = Number(countText);

const store = await openSqliteStore({ path: dbPath, busyTimeoutMs: 30_000 });
await store.collection({ name: "items", indexes: [{ fields: ["by"] }] });
process.stdout.write("ready\n");

const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === "go") break;
lines.close();

let applied = 0;
let skipped = 0;
for (let i = 0; i < count; i++) {
  const doc = { id: `doc-${i}`, by: tag, i };
  const result = await store.applyOnce(projection, { eventId: `event-${i}` }, [{ op: "put", collection: "items", doc }]);
  if (result === "applied") applied++;
  else skipped++;
}
await store.close();
process.stdout.write(`${JSON.stringify({ applied, skipped })}\n`);
