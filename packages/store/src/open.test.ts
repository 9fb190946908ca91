import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StoreValidationError } from "./errors.ts";
import { DEFAULT_STORE_URL, parseStoreUrl, redactStoreUrl, storeConfigFromEnv } from "./open.ts";

describe("store URLs", () => {
  test("sqlite paths and memory", () => {
    assert.deepEqual(parseStoreUrl("sqlite:./data/persona.db"), { kind: "sqlite", path: "./data/persona.db" });
    assert.deepEqual(parseStoreUrl("sqlite:/var/lib/persona.db"), { kind: "sqlite", path: "/var/lib/persona.db" });
    assert.deepEqual(parseStoreUrl("sqlite:///var/lib/persona.db"), { kind: "sqlite", path: "/var/lib/persona.db" });
    assert.deepEqual(parseStoreUrl("sqlite::memory:"), { kind: "sqlite", path: ":memory:" });
  });

  test("mongodb urls pass through", () => {
    for (const url of ["mongodb://db:27017/?replicaSet=rs0", "mongodb+srv://user:pw@cluster.example.org"]) {
      assert.deepEqual(parseStoreUrl(url), { kind: "mongodb", url });
    }
  });

  test("anything else is refused, without echoing a password", () => {
    for (const url of ["", "sqlite:", "postgres://u:secret@h/db", "./data/persona.db", "mongodb://"]) {
      assert.throws(
        () => parseStoreUrl(url),
        (err: unknown) => err instanceof StoreValidationError && !err.message.includes("secret"),
        url,
      );
    }
  });

  test("redaction masks passwords only", () => {
    assert.equal(
      redactStoreUrl("mongodb://admin:s3cr%40t@db1:27017,db2:27017/persona"),
      "mongodb://admin:***@db1:27017,db2:27017/persona",
    );
    assert.equal(redactStoreUrl("mongodb://db:27017"), "mongodb://db:27017");
    assert.equal(redactStoreUrl("sqlite:./data/persona.db"), "sqlite:./data/persona.db");
  });
});

describe("storeConfigFromEnv", () => {
  test("defaults", () => {
    assert.deepEqual(storeConfigFromEnv({}), {
      url: DEFAULT_STORE_URL,
      database: "persona",
      writeConcern: "majority",
      busyTimeoutMs: 5000,
    });
    assert.equal(DEFAULT_STORE_URL, "sqlite:./data/persona.db");
    assert.deepEqual(storeConfigFromEnv({ STORE_URL: " ", MONGODB_DATABASE: "" }).url, DEFAULT_STORE_URL);
  });

  test("reads every variable", () => {
    assert.deepEqual(
      storeConfigFromEnv({
        STORE_URL: "mongodb://db:27017/?replicaSet=rs0",
        MONGODB_DATABASE: "persona_prod",
        MONGODB_WRITE_CONCERN: "2",
        STORE_BUSY_TIMEOUT_MS: "15000",
      }),
      { url: "mongodb://db:27017/?replicaSet=rs0", database: "persona_prod", writeConcern: 2, busyTimeoutMs: 15000 },
    );
    assert.equal(storeConfigFromEnv({ MONGODB_WRITE_CONCERN: "majority" }).writeConcern, "majority");
  });

  test("fails fast on bad values", () => {
    for (const env of [
      { STORE_URL: "redis://x" },
      { MONGODB_DATABASE: "bad name" },
      { MONGODB_WRITE_CONCERN: "all" },
      { MONGODB_WRITE_CONCERN: "-1" },
      { STORE_BUSY_TIMEOUT_MS: "soon" },
    ]) {
      assert.throws(() => storeConfigFromEnv(env), StoreValidationError, JSON.stringify(env));
    }
  });
});
