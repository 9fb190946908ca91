import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StoreValidationError } from "./errors.ts";
import { compileMongoFilter, compileMongoIndex, compileMongoSort, escapeRegex } from "./mongoQuery.ts";
import { assertCollectionName, assertFieldPath } from "./names.ts";
import { checkOps, checkPosition, parseFilter, parseFindPlan, serializeDoc } from "./query.ts";
import { compileCreateIndex, compileFind, compileWhere } from "./sqliteQuery.ts";

describe("names", () => {
  test("collection names", () => {
    for (const ok of ["people", "bot_chats", "a", "x1"]) assert.doesNotThrow(() => assertCollectionName(ok));
    for (const bad of ["", "People", "_x", "1x", "a-b", "a.b", "a b", "sqlite_x", 'a"b', "a".repeat(64), 7]) {
      assert.throws(() => assertCollectionName(bad), StoreValidationError, String(bad));
    }
  });

  test("field paths", () => {
    for (const ok of ["id", "name", "camera.id", "_private", "a.b.c", "CamelCase9"])
      assert.doesNotThrow(() => assertFieldPath(ok));
    for (const bad of [
      "",
      ".a",
      "a.",
      "a..b",
      "$gt",
      "a.$b",
      "a-b",
      "a b",
      "a'b",
      "_id",
      "_id.x",
      "0",
      "a.0",
      "a.b.c.d.e.f.g.h.i",
    ]) {
      assert.throws(() => assertFieldPath(bad), StoreValidationError, bad);
    }
  });
});

describe("parseFilter", () => {
  test("flattens shorthand equality and operators into conditions", () => {
    assert.deepEqual(parseFilter({ a: 1, "b.c": { $gte: 2, $lt: "x" }, d: { $in: [null, true] }, e: { $contains: "Q" } }), [
      { path: "a", op: "eq", value: 1 },
      { path: "b.c", op: "gte", value: 2 },
      { path: "b.c", op: "lt", value: "x" },
      { path: "d", op: "in", values: [null, true] },
      { path: "e", op: "contains", value: "Q" },
    ]);
    assert.deepEqual(parseFilter(undefined), []);
    assert.deepEqual(parseFilter({}), []);
  });

  test("refuses what the adapters could not translate alike", () => {
    const bad: unknown[] = [
      null,
      [],
      "x",
      { a: {} },
      { a: { $regex: "." } },
      { a: { $gt: false } },
      { a: { $in: [[1]] } },
      { a: { $in: new Array(1001).fill(1) } },
      { a: new Date() },
      { a: Number.NaN },
      { a: { $exists: "yes" } },
      { $and: [] },
    ];
    for (const filter of bad) assert.throws(() => parseFilter(filter), StoreValidationError, String(JSON.stringify(filter)));
  });

  test("find plans check sort, limit and skip", () => {
    assert.deepEqual(parseFindPlan({}, { sort: { at: -1, id: 1 }, limit: 5, skip: 10 }), {
      conditions: [],
      sort: [
        ["at", -1],
        ["id", 1],
      ],
      limit: 5,
      skip: 10,
    });
    for (const options of [{ limit: -1 }, { skip: 0.5 }, { sort: { a: 0 } }, { sort: [["a", 1]] }, "x"]) {
      assert.throws(() => parseFindPlan({}, options), StoreValidationError, JSON.stringify(options));
    }
  });
});

describe("documents and units of work", () => {
  test("serializeDoc keeps JSON and refuses what cannot round-trip", () => {
    assert.deepEqual(serializeDoc({ id: "1", n: "Ёж" }, "c"), { id: "1", json: '{"id":"1","n":"Ёж"}' });
    for (const bad of [null, [], { id: 1 }, { id: "" }, { id: "x", _id: "y" }, { id: "x", n: 1n }, new Map()]) {
      assert.throws(() => serializeDoc(bad, "c"), StoreValidationError);
    }
  });

  test("checkOps only allows declared collections and known op kinds", () => {
    const declared = new Set(["items"]);
    assert.equal(checkOps([{ op: "delete", collection: "items", id: "1" }], declared).length, 1);
    for (const bad of [
      [{ op: "put", collection: "other", doc: { id: "1" } }],
      [{ op: "upsert", collection: "items", doc: { id: "1" } }],
      [{ op: "delete", collection: "items", id: "" }],
      [{ op: "deleteMany", collection: "items", filter: { "a;": 1 } }],
      "ops",
    ]) {
      assert.throws(() => checkOps(bad, declared), StoreValidationError, JSON.stringify(bad));
    }
  });

  test("checkPosition wants an event id and an optional positive integer seq", () => {
    assert.deepEqual(checkPosition({ eventId: "e", seq: 3 }), { eventId: "e", seq: 3 });
    assert.deepEqual(checkPosition({ eventId: "e" }), { eventId: "e", seq: undefined });
    for (const bad of [
      {},
      { eventId: "" },
      { eventId: "e", seq: 0 },
      { eventId: "e", seq: "1" },
      { eventId: "e", seq: 2 ** 53 },
    ]) {
      assert.throws(() => checkPosition(bad), StoreValidationError, JSON.stringify(bad));
    }
  });
});

describe("SQLite translation", () => {
  test("paths are inlined into json_extract, values are bound, types are checked", () => {
    const where = compileWhere(parseFilter({ "camera.id": "cam1", age: { $gt: 3 }, ok: true, gone: null }));
    assert.equal(
      where.sql,
      ` WHERE (json_extract(doc, '$.camera.id') = ? AND json_type(doc, '$.camera.id') = 'text')` +
        ` AND (json_extract(doc, '$.age') > ? AND json_type(doc, '$.age') IN ('integer', 'real'))` +
        ` AND (json_extract(doc, '$.ok') = 1 AND json_type(doc, '$.ok') = 'true')` +
        ` AND json_extract(doc, '$.gone') IS NULL`,
    );
    assert.deepEqual(where.params, ["cam1", 3]);
  });

  test("no value ever reaches the SQL text", () => {
    const evil = `'); DROP TABLE people; --`;
    const where = compileWhere(
      parseFilter({
        a: evil,
        b: { $in: [evil, 1] },
        c: { $contains: evil },
        d: { $ne: evil },
        e: { $has: evil },
        f: { $lt: evil },
      }),
    );
    assert.ok(!where.sql.includes("DROP"), where.sql);
    assert.deepEqual(where.params, [evil, evil, 1, evil.toLowerCase(), evil, evil, evil]);
  });

  test("$contains folds the needle with the same function the SQL applies to the haystack", () => {
    const where = compileWhere(parseFilter({ name: { $contains: "ИВАН" } }));
    assert.match(where.sql, /instr\(persona_casefold\(json_extract\(doc, '\$\.name'\)\), \?\) > 0/);
    assert.deepEqual(where.params, ["иван"]);
  });

  test("id uses the primary key column", () => {
    const sql = compileFind("people", parseFindPlan({ id: { $in: ["a", "b"] } }, { sort: { id: -1 }, limit: 2 }));
    assert.equal(
      sql.sql,
      `SELECT doc FROM "people" WHERE ("id" IN (?, ?) AND 'text' = 'text') ORDER BY "id" DESC LIMIT ? OFFSET ?`,
    );
    assert.deepEqual(sql.params, ["a", "b", 2, 0]);
  });

  test("sorting appends id as the tie-breaker; skip without limit uses LIMIT -1", () => {
    const sql = compileFind("s", parseFindPlan({}, { sort: { at: -1 }, skip: 5 }));
    assert.equal(sql.sql, `SELECT doc FROM "s" ORDER BY json_extract(doc, '$.at') DESC, "id" ASC LIMIT ? OFFSET ?`);
    assert.deepEqual(sql.params, [-1, 5]);
  });

  test("index DDL uses the very expressions queries use", () => {
    assert.equal(
      compileCreateIndex("users", ["usernameKey"], true),
      `CREATE UNIQUE INDEX IF NOT EXISTS "ux_users(usernameKey)" ON "users" (json_extract(doc, '$.usernameKey'))`,
    );
    assert.equal(
      compileCreateIndex("s", ["camera.id", "at"], false),
      `CREATE INDEX IF NOT EXISTS "ix_s(camera.id,at)" ON "s" (json_extract(doc, '$.camera.id'), json_extract(doc, '$.at'))`,
    );
  });
});

describe("MongoDB translation", () => {
  test("each operator maps to its MongoDB counterpart, id to _id", () => {
    assert.deepEqual(
      compileMongoFilter(
        parseFilter({
          id: "x",
          a: { $ne: null },
          "b.c": { $gte: 1, $lt: 5 },
          d: { $in: ["p", 2, null] },
          e: { $contains: "Ив.ан*" },
          f: { $exists: false },
          g: { $has: "tag" },
          h: false,
        }),
      ),
      {
        _id: { $eq: "x" },
        a: { $ne: null },
        "b.c": { $gte: 1, $lt: 5 },
        d: { $in: ["p", 2, null] },
        e: { $regex: "Ив\\.ан\\*", $options: "i" },
        f: { $exists: false },
        g: { $elemMatch: { $eq: "tag" } },
        h: { $eq: false },
      },
    );
  });

  test("escapeRegex makes every metacharacter literal", () => {
    const special = "a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o";
    const re = new RegExp(escapeRegex(special));
    assert.ok(re.test(`xx${special}yy`));
    assert.ok(!new RegExp(escapeRegex("a.b")).test("axb"));
  });

  test("sort gets _id as the tie-breaker", () => {
    assert.deepEqual(compileMongoSort(parseFindPlan({}, { sort: { at: -1 } })), { at: -1, _id: 1 });
    assert.deepEqual(compileMongoSort(parseFindPlan({}, { sort: { id: -1, at: 1 } })), { _id: -1, at: 1 });
  });

  test("unique indexes skip documents missing the fields, like SQLite's", () => {
    assert.deepEqual(compileMongoIndex(["usernameKey"], true), {
      key: { usernameKey: 1 },
      options: { name: "ux_usernameKey", unique: true, partialFilterExpression: { usernameKey: { $exists: true } } },
    });
    assert.deepEqual(compileMongoIndex(["camera.id", "at"], false), {
      key: { "camera.id": 1, at: 1 },
      options: { name: "ix_camera.id_at" },
    });
  });
});
