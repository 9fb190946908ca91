import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { z } from "zod";
import { StoreError } from "./errors.ts";
import { parseFindPlan } from "./query.ts";
import { openSqliteStore } from "./sqlite.ts";
import { compileFind } from "./sqliteQuery.ts";
import { runStoreContract } from "../test/contract.ts";
import type { Doc } from "./types.ts";

const here = dirname(fileURLToPath(import.meta.url));
const tempRoot = mkdtempSync(join(tmpdir(), "persona-store-"));
after(() => rmSync(tempRoot, { recursive: true, force: true }));

let fileNo = 0;
const tempDbPath = () => join(tempRoot, `db-${++fileNo}`, "persona.db");

runStoreContract("sqlite (temp file)", () => openSqliteStore({ path: tempDbPath() }));
runStoreContract("sqlite (:memory:)", () => openSqliteStore({ path: ":memory:" }));

describe("sqlite specifics", () => {
  test("a file store uses WAL with synchronous=NORMAL and keeps data, records and checkpoints across reopening", async () => {
    const path = tempDbPath();
    const store = await openSqliteStore({ path });
    const items = await store.collection<Doc & { v: string }>({ name: "items" });
    await items.put({ id: "1", v: "Привет, 世界 👋" });
    assert.equal(
      await store.applyOnce("proj", { eventId: "e1", seq: 3 }, [
        { op: "put", collection: "items", doc: { id: "2", v: "x" } as Doc },
      ]),
      "applied",
    );
    await store.close();

    const raw = new Database(path, { readonly: true });
    try {
      assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    } finally {
      raw.close();
    }

    const again = await openSqliteStore({ path });
    try {
      const items2 = await again.collection<Doc & { v: string }>({ name: "items" });
      assert.deepEqual(await items2.get("1"), { id: "1", v: "Привет, 世界 👋" });
      assert.equal(await again.checkpoint("proj"), 3);
      assert.equal(await again.applyOnce("proj", { eventId: "e1" }, []), "skipped");
    } finally {
      await again.close();
    }
  });

  test("declared indexes are used by equality, range and sort queries", async () => {
    const path = tempDbPath();
    const store = await openSqliteStore({ path });
    await store.collection({
      name: "sightings",
      indexes: [{ fields: ["cameraId", "at"] }, { fields: ["usernameKey"], unique: true }],
    });
    await store.close();
    const raw = new Database(path, { readonly: true });
    // EXPLAIN needs the function registered; it is never called while planning.
    raw.function("persona_casefold", { deterministic: true }, (v: unknown) => v);
    try {
      const plan = (filter: unknown, options?: unknown) => {
        const sql = compileFind("sightings", parseFindPlan(filter, options));
        const rows = raw.prepare(`EXPLAIN QUERY PLAN ${sql.sql}`).all(...sql.params);
        return z
          .array(z.object({ detail: z.string() }))
          .parse(rows)
          .map((r) => r.detail)
          .join("; ");
      };
      assert.match(plan({ cameraId: "cam1" }), /USING INDEX "?ix_sightings\(cameraId,at\)/);
      assert.match(
        plan({ cameraId: "cam1", at: { $gte: "2025-01-01T00:00:00.000Z" } }, { sort: { at: -1 } }),
        /USING INDEX "?ix_sightings\(cameraId,at\)/,
      );
      assert.match(plan({ usernameKey: "admin" }), /USING INDEX "?ux_sightings\(usernameKey\)/);
      assert.match(plan({ id: "x" }), /USING INDEX sqlite_autoindex|USING PRIMARY KEY|USING INDEX/);
    } finally {
      raw.close();
    }
  });

  test("two processes applying the same 2,000 events to one file apply each exactly once", { timeout: 120_000 }, async (t) => {
    const path = tempDbPath();
    const events = 2000;
    const worker = join(here, "testing", "concurrentApplyWorker.ts");
    const Result = z.strictObject({ applied: z.number().int(), skipped: z.number().int() });

    const start = (tag: string) => {
      const child = spawn(process.execPath, ["--import", "tsx", worker, path, "mp", String(events), tag], {
        cwd: here,
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
      });
      const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess["stdout"]> });
      const output: string[] = [];
      const ready = new Promise<void>((resolve, reject) => {
        lines.on("line", (line) => {
          output.push(line);
          if (line === "ready") resolve();
        });
        child.once("exit", (code) => reject(new Error(`worker ${tag} exited (${code}) before ready: ${stderr}`)));
      });
      const done = new Promise<z.infer<typeof Result>>((resolve, reject) => {
        child.once("exit", (code) => {
          if (code !== 0) return reject(new Error(`worker ${tag} exited with ${code}: ${stderr}`));
          const last = output.at(-1);
          try {
            resolve(Result.parse(JSON.parse(last ?? "")));
          } catch (err) {
            reject(new Error(`worker ${tag} printed ${JSON.stringify(output)}: ${String(err)}; stderr: ${stderr}`));
          }
        });
      });
      // `done` is awaited after `ready`; keep an early rejection from being reported as unhandled meanwhile.
      done.catch(() => undefined);
      return { child, ready, done };
    };

    const workers = [start("A"), start("B")];
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin?.end("go\n");
    const results = await Promise.all(workers.map((w) => w.done));

    t.diagnostic(`applied per process: ${results.map((r, i) => `${"AB"[i]}=${r.applied}`).join(", ")}`);
    const applied = results.reduce((n, r) => n + r.applied, 0);
    const skipped = results.reduce((n, r) => n + r.skipped, 0);
    assert.equal(applied, events, `applied ${JSON.stringify(results)}`);
    assert.equal(skipped, events);

    const raw = new Database(path, { readonly: true });
    try {
      const count = (sql: string) => z.object({ n: z.number() }).parse(raw.prepare(sql).get()).n;
      assert.equal(count(`SELECT count(*) AS n FROM "items"`), events, "exactly 2,000 documents");
      assert.equal(count(`SELECT count(*) AS n FROM "_applied" WHERE projection = 'mp'`), events, "each event recorded once");
      // Each document was written by the process whose applyOnce returned "applied" for it.
      const byTag = z
        .array(z.object({ by: z.string(), n: z.number() }))
        .parse(raw.prepare(`SELECT json_extract(doc, '$.by') AS by, count(*) AS n FROM "items" GROUP BY 1 ORDER BY 1`).all());
      const expected = [
        { by: "A", n: results[0]?.applied ?? -1 },
        { by: "B", n: results[1]?.applied ?? -1 },
      ].filter((r) => r.n > 0);
      assert.deepEqual(byTag, expected);
    } finally {
      raw.close();
    }
  });

  test("a writer that cannot get the lock within busyTimeoutMs gets a StoreError, and nothing is half-applied", async () => {
    const path = tempDbPath();
    const store = await openSqliteStore({ path, busyTimeoutMs: 200 });
    const items = await store.collection({ name: "items" });
    const blocker = new Database(path);
    try {
      blocker.exec("BEGIN IMMEDIATE");
      const started = Date.now();
      await assert.rejects(
        store.applyOnce("p", { eventId: "e1", seq: 1 }, [{ op: "put", collection: "items", doc: { id: "1" } }]),
        (err: unknown) =>
          err instanceof StoreError &&
          /SQLITE_BUSY|locked/i.test(`${err.message} ${String((err.cause as { code?: unknown })?.code)}`),
      );
      assert.ok(Date.now() - started >= 150, "it waited for the busy timeout");
      blocker.exec("COMMIT");
      assert.equal(
        await store.applyOnce("p", { eventId: "e1", seq: 1 }, [{ op: "put", collection: "items", doc: { id: "1" } }]),
        "applied",
      );
      assert.equal(await items.count(), 1);
    } finally {
      blocker.close();
      await store.close();
    }
  });

  test("the directory of a new database file is created", async () => {
    const path = join(tempRoot, "deep", "er", "persona.db");
    const store = await openSqliteStore({ path });
    await store.close();
    assert.equal(new Database(path, { readonly: true, fileMustExist: true }).close().open, false);
  });
});
