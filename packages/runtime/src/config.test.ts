import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { z } from "zod";
import { ConfigError, defaultStoreUrl, loadConfig } from "./config.ts";
import { dataDir, repoRoot } from "./paths.ts";

const schema = z.strictObject({
  STORE_URL: z.string().default("sqlite:./wrong.db"),
  TRAINER_DATA_DIR: z.string().default("./wrong"),
  PORT: z.coerce.number().int().default(1),
});

test("files default into PERSONA_DATA_DIR, never the working directory; an explicit setting wins", () => {
  const c = loadConfig(schema, { PERSONA_DATA_DIR: "/srv/persona", PATH: "/bin" });
  assert.deepEqual(c, { STORE_URL: "sqlite:/srv/persona/persona.db", TRAINER_DATA_DIR: "/srv/persona/trainer", PORT: 1 });
  const plain = loadConfig(schema, {});
  assert.equal(plain.STORE_URL, `sqlite:${join(repoRoot(), "data", "persona.db")}`, "without it: <repo>/data");
  assert.equal(dataDir({}), join(repoRoot(), "data"));
  const explicit = loadConfig(schema, { PERSONA_DATA_DIR: "/srv/persona", STORE_URL: "mongodb://db/persona" });
  assert.equal(explicit.STORE_URL, "mongodb://db/persona");
  assert.equal(defaultStoreUrl({ PERSONA_DATA_DIR: "/x" }), "sqlite:/x/persona.db");
});

test("bad values are a ConfigError naming the setting", () => {
  assert.throws(
    () => loadConfig(schema, { PORT: "many" }),
    (e: unknown) => e instanceof ConfigError && /PORT/.test(e.message),
  );
});
