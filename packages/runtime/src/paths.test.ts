import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { datasetsDir, findDatasetsDir } from "./paths.ts";

test("datasetsDir: PERSONA_DATASETS; the old PERSONA_DATASETS_DIR only when it is unset, with a deprecation warning", async () => {
  assert.equal(datasetsDir({ PERSONA_DATASETS: "/data/sets", PERSONA_DATASETS_DIR: "/old" }), "/data/sets");
  const warned = once(process, "warning");
  assert.equal(datasetsDir({ PERSONA_DATASETS_DIR: "/old" }), "/old");
  const [w] = (await warned) as [Error & { code?: string }];
  assert.equal(w.name, "DeprecationWarning");
  assert.equal(w.code, "PERSONA_DATASETS_DIR");
  assert.match(datasetsDir({}), /shared[/\\]datasets$/);
});

test("findDatasetsDir: the named folder when it holds what is needed, else the next place; null when none does", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "persona-datasets-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "lfw"));
  assert.equal(findDatasetsDir(undefined, { PERSONA_DATASETS: dir }), dir);
  assert.equal(
    findDatasetsDir((d) => d === dir, { PERSONA_DATASETS: dir }),
    dir,
  );
  assert.equal(
    findDatasetsDir(() => false, { PERSONA_DATASETS: dir }),
    null,
  );
  const seen: string[] = [];
  findDatasetsDir(
    (d) => {
      seen.push(d);
      return false;
    },
    { PERSONA_DATASETS: dir },
  );
  assert.deepEqual(seen.slice(0, 1), [dir]);
  assert.equal(seen.at(-1), "/work/shared/datasets");
});
