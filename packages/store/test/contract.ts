import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StoreConflictError, StoreError, StoreValidationError } from "../src/errors.ts";
import { AlertsRepository } from "../src/repositories/alertsRepository.ts";
import { AttendanceRepository, attendanceId } from "../src/repositories/attendanceRepository.ts";
import { BotChatsRepository } from "../src/repositories/botChatsRepository.ts";
import { PeopleRepository } from "../src/repositories/peopleRepository.ts";
import { PresenceRepository, presenceId } from "../src/repositories/presenceRepository.ts";
import { SightingsRepository } from "../src/repositories/sightingsRepository.ts";
import { UsersRepository } from "../src/repositories/usersRepository.ts";
import type { Collection, Doc, DocumentStore, Filter, FindOptions, WriteOp } from "../src/types.ts";

/** Runs `fn` on a fresh store and closes it; `open` for the tests that manage the store themselves. */
type WithStore = ((fn: (store: DocumentStore) => Promise<void>) => Promise<void>) & { open: () => Promise<DocumentStore> };

interface Item extends Doc {
  [key: string]: unknown;
}

const ids = (docs: Doc[]) => docs.map((d) => d.id);
/** A document literal for a WriteOp (whose `doc` is typed as the bare Doc). */
const doc = (d: Item): Doc => d;
const sortedIds = (docs: Doc[]) => ids(docs).sort();

/** A small data set with mixed types, nesting, nulls, missing fields and arrays. */
const FIXTURE: Item[] = [
  { id: "a", name: "Alice", age: 30, active: true, tags: ["x", "y"], camera: { id: "cam1", zone: { floor: 1 } }, score: 0.5 },
  { id: "b", name: "bob", age: 25, active: false, tags: ["y"], camera: { id: "cam2" }, score: null },
  { id: "c", name: "Carol", age: "30", active: 1, tags: [], camera: { id: "cam1", zone: { floor: 2 } } },
  { id: "d", name: "Dave.*", age: 41, tags: ["x", 7, null, true], camera: null },
  { id: "e", name: "ева", age: 19.5, active: true },
];

async function fixture(store: DocumentStore): Promise<Collection<Item>> {
  const items = await store.collection<Item>({
    name: "items",
    indexes: [{ fields: ["name"] }, { fields: ["camera.id", "age"] }],
  });
  for (const doc of FIXTURE) await items.put(doc);
  return items;
}

async function expectIds(items: Collection<Item>, filter: Filter, expected: string[], message?: string): Promise<void> {
  assert.deepEqual(sortedIds(await items.find(filter)), [...expected].sort(), message ?? JSON.stringify(filter));
  assert.equal(await items.count(filter), expected.length, `count ${message ?? JSON.stringify(filter)}`);
}

/** The repository tests' reference time. */
const T0 = "2025-03-01T08:00:00.000Z";

/**
 * The behaviour every DocumentStore adapter must share. `open` must return a fresh, empty store each call; every test
 * opens its own and closes it.
 */
export function runStoreContract(name: string, open: () => Promise<DocumentStore>): void {
  const run = async (fn: (store: DocumentStore) => Promise<void>) => {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };
  const withStore: WithStore = Object.assign(run, { open });
  describe(`DocumentStore contract: ${name}`, () => {
    documentsSuite(withStore);
    filtersSuite(withStore);
    findOptionsAndCountingSuite(withStore);
    uniqueIndexesSuite(withStore);
    unicodeSuite(withStore);
    applyOnceSuite(withStore);
    repositoriesSuite(withStore);
  });
}

function documentsSuite(withStore: WithStore): void {
  describe("documents", () => {
    test("put, get, replace and delete", () =>
      withStore(async (store) => {
        const items = await store.collection<Item>({ name: "items" });
        assert.equal(items.name, "items");
        assert.equal(await items.get("x"), undefined);
        await items.put({ id: "x", a: 1, nested: { b: [1, "two", null, { c: true }] } });
        assert.deepEqual(await items.get("x"), { id: "x", a: 1, nested: { b: [1, "two", null, { c: true }] } });
        await items.put({ id: "x", z: "replaced" });
        assert.deepEqual(await items.get("x"), { id: "x", z: "replaced" }, "put replaces the whole document");
        assert.equal(await items.count(), 1);
        assert.equal(await items.delete("x"), true);
        assert.equal(await items.delete("x"), false);
        assert.equal(await items.get("x"), undefined);
      }));

    test("stores what JSON keeps: Dates become ISO strings, undefined members vanish", () =>
      withStore(async (store) => {
        const items = await store.collection<Item>({ name: "items" });
        await items.put({ id: "t", at: new Date("2025-01-02T03:04:05.678Z"), gone: undefined, n: -0.25 });
        assert.deepEqual(await items.get("t"), { id: "t", at: "2025-01-02T03:04:05.678Z", n: -0.25 });
      }));

    test("declaring a collection is idempotent and keeps its data", () =>
      withStore(async (store) => {
        const def = { name: "items", indexes: [{ fields: ["name"] }, { fields: ["email"], unique: true }] };
        const first = await store.collection<Item>(def);
        await first.put({ id: "1", name: "n" });
        const again = await store.collection<Item>(def);
        assert.deepEqual(await again.get("1"), { id: "1", name: "n" });
      }));

    test("bad collection and field names are refused before reaching the database", () =>
      withStore(async (store) => {
        for (const bad of [
          "",
          "Items",
          "1items",
          "items-x",
          'x"; DROP TABLE users; --',
          "a.b",
          "_applied",
          "sqlite_master",
          "x".repeat(64),
        ]) {
          await assert.rejects(store.collection({ name: bad }), StoreValidationError, `collection name ${JSON.stringify(bad)}`);
        }
        for (const bad of ["", "a..b", "a.", "$where", "na me", "x') OR 1=1 --", "_id", "1a", "a.b.c.d.e.f.g.h.i"]) {
          await assert.rejects(
            store.collection({ name: "ok", indexes: [{ fields: [bad] }] }),
            StoreValidationError,
            `index field ${bad}`,
          );
        }
        const items = await store.collection<Item>({ name: "items" });
        for (const bad of ["x') OR 1=1 --", "$where", "a..b", "_id"]) {
          await assert.rejects(items.find({ [bad]: 1 }), StoreValidationError, `filter field ${bad}`);
          await assert.rejects(items.find({}, { sort: { [bad]: 1 } }), StoreValidationError, `sort field ${bad}`);
        }
      }));

    test("bad documents are refused", () =>
      withStore(async (store) => {
        const items = await store.collection<Item>({ name: "items" });
        const put = (doc: unknown) => items.put(doc as Item);
        await assert.rejects(put({ name: "no id" }), StoreValidationError);
        await assert.rejects(put({ id: 7 }), StoreValidationError);
        await assert.rejects(put({ id: "" }), StoreValidationError);
        await assert.rejects(put({ id: "x", _id: "y" }), StoreValidationError);
        await assert.rejects(put([{ id: "x" }]), StoreValidationError);
        await assert.rejects(put({ id: "x", big: 1n }), StoreValidationError);
        assert.equal(await items.count(), 0);
      }));

    test("errors are StoreErrors with a cause", () =>
      withStore(async (store) => {
        const items = await store.collection<Item>({ name: "items", indexes: [{ fields: ["u"], unique: true }] });
        await items.put({ id: "1", u: "same" });
        const err = await items.put({ id: "2", u: "same" }).then(
          () => assert.fail("expected a conflict"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof StoreConflictError);
        assert.ok(err instanceof StoreError);
        assert.ok(err.cause !== undefined, "the driver error is kept as cause");
        assert.equal(err.collection, "items");
      }));

    test("a closed store refuses calls", async () => {
      const store = await withStore.open();
      const items = await store.collection<Item>({ name: "items" });
      await store.close();
      await assert.rejects(items.get("x"), StoreError);
      await store.close(); // idempotent
    });
  });
}

function filtersTests1(withStore: WithStore): void {
  test("equality: scalar shorthand and $eq compare within one JSON type", () =>
    withStore(async (store) => {
      const items = await fixture(store);
      await expectIds(items, { name: "Alice" }, ["a"]);
      await expectIds(items, { age: 30 }, ["a"], "30 matches the number, not the string '30'");
      await expectIds(items, { age: "30" }, ["c"]);
      await expectIds(items, { age: { $eq: 19.5 } }, ["e"]);
      await expectIds(items, { active: true }, ["a", "e"], "true does not match 1");
      await expectIds(items, { active: 1 }, ["c"], "1 does not match true");
      await expectIds(items, { active: false }, ["b"]);
      await expectIds(items, { score: null }, ["b", "c", "d", "e"], "null matches null and missing");
      await expectIds(items, { name: "alice" }, [], "equality is case-sensitive");
      await expectIds(items, { id: "c" }, ["c"], "id is filterable");
    }));

  test("$ne keeps missing fields and compares within one JSON type", () =>
    withStore(async (store) => {
      const items = await fixture(store);
      await expectIds(items, { active: { $ne: true } }, ["b", "c", "d"]);
      await expectIds(items, { age: { $ne: 30 } }, ["b", "c", "d", "e"]);
      await expectIds(items, { score: { $ne: null } }, ["a"], "$ne null: present and not null");
      await expectIds(items, { id: { $ne: "a" } }, ["b", "c", "d", "e"]);
    }));

  test("$gt, $gte, $lt, $lte on numbers and strings (type bracketed)", () =>
    withStore(async (store) => {
      const items = await fixture(store);
      await expectIds(items, { age: { $gt: 25 } }, ["a", "d"], "the string '30' is not a number");
      await expectIds(items, { age: { $gte: 25 } }, ["a", "b", "d"]);
      await expectIds(items, { age: { $lt: 25 } }, ["e"]);
      await expectIds(items, { age: { $lte: 25 } }, ["b", "e"]);
      await expectIds(items, { age: { $gte: 20, $lt: 35 } }, ["a", "b"], "two bounds on one field");
      await expectIds(items, { age: { $gte: "3" } }, ["c"], "a string bound only matches strings");
      await expectIds(items, { name: { $gte: "B", $lt: "D" } }, ["c"], "binary order: 'bob' > 'D'");
      await expectIds(items, { id: { $gt: "c" } }, ["d", "e"]);
    }));

  test("$in over mixed scalar types, with null and empty lists", () =>
    withStore(async (store) => {
      const items = await fixture(store);
      await expectIds(items, { name: { $in: ["Alice", "bob", "nobody"] } }, ["a", "b"]);
      await expectIds(items, { age: { $in: [30, 41, "30"] } }, ["a", "c", "d"]);
      await expectIds(items, { active: { $in: [false, 1] } }, ["b", "c"]);
      await expectIds(items, { score: { $in: [null, 0.5] } }, ["a", "b", "c", "d", "e"]);
      await expectIds(items, { name: { $in: [] } }, [], "an empty $in matches nothing");
      await expectIds(items, { id: { $in: ["a", "e", "zz"] } }, ["a", "e"]);
    }));

  test("$contains: case-insensitive substring, regex and LIKE characters are literal", () =>
    withStore(async (store) => {
      const items = await fixture(store);
      await expectIds(items, { name: { $contains: "ALI" } }, ["a"]);
      await expectIds(items, { name: { $contains: "o" } }, ["b", "c"]);
      await expectIds(items, { name: { $contains: ".*" } }, ["d"], "'.*' is literal");
      await expectIds(items, { name: { $contains: "E.*" } }, ["d"]);
      await expectIds(items, { name: { $contains: "%" } }, [], "'%' is literal");
      await expectIds(items, { name: { $contains: "_" } }, [], "'_' is literal");
      await expectIds(items, { name: { $contains: "ЕВ" } }, ["e"], "Cyrillic folds case");
      await expectIds(items, { age: { $contains: "3" } }, ["c"], "only strings match");
      await expectIds(items, { name: { $contains: "" } }, ["a", "b", "c", "d", "e"], "the empty string is in every string");
    }));

  test("$exists: null counts as present", () =>
    withStore(async (store) => {
      const items = await fixture(store);
      await expectIds(items, { score: { $exists: true } }, ["a", "b"]);
      await expectIds(items, { score: { $exists: false } }, ["c", "d", "e"]);
      await expectIds(items, { camera: { $exists: true } }, ["a", "b", "c", "d"]);
      await expectIds(items, { "camera.zone": { $exists: false } }, ["b", "d", "e"]);
      await expectIds(items, { id: { $exists: true } }, ["a", "b", "c", "d", "e"]);
    }));

  test("$has: an array with an element equal to the scalar", () =>
    withStore(async (store) => {
      const items = await fixture(store);
      await expectIds(items, { tags: { $has: "x" } }, ["a", "d"]);
      await expectIds(items, { tags: { $has: "y" } }, ["a", "b"]);
      await expectIds(items, { tags: { $has: 7 } }, ["d"]);
      await expectIds(items, { tags: { $has: "7" } }, []);
      await expectIds(items, { tags: { $has: true } }, ["d"]);
      await expectIds(items, { tags: { $has: null } }, ["d"]);
      await expectIds(items, { name: { $has: "Alice" } }, [], "a scalar field is not an array");
    }));

  test("dotted paths reach into nested objects", () =>
    withStore(async (store) => {
      const items = await fixture(store);
      await expectIds(items, { "camera.id": "cam1" }, ["a", "c"]);
      await expectIds(items, { "camera.zone.floor": { $gte: 2 } }, ["c"]);
      await expectIds(items, { "camera.id": null }, ["d", "e"], "missing parents count as null");
      await expectIds(items, { "camera.id": "cam1", age: 30 }, ["a"], "conditions are ANDed");
      await expectIds(items, { "camera.id": { $in: ["cam1", "cam2"] }, active: { $ne: true } }, ["b", "c"]);
    }));
}

function filtersTests2(withStore: WithStore): void {
  test("malformed filters are StoreValidationErrors", () =>
    withStore(async (store) => {
      const items = await fixture(store);
      const bad: unknown[] = [
        { age: { $regex: "x" } },
        { age: { $where: "1" } },
        { age: {} },
        { age: { $gt: true } },
        { age: { $gt: null } },
        { age: { $in: "x" } },
        { age: { $in: [{}] } },
        { age: Number.NaN },
        { age: { $eq: Number.POSITIVE_INFINITY } },
        { age: [1, 2] },
        { name: { $contains: 1 } },
        { name: { $exists: 1 } },
        { $or: [{ age: 1 }] },
        "age = 1",
      ];
      for (const filter of bad) {
        await assert.rejects(items.find(filter as Filter), StoreValidationError, JSON.stringify(filter));
        await assert.rejects(items.count(filter as Filter), StoreValidationError, JSON.stringify(filter));
        await assert.rejects(items.deleteMany(filter as Filter), StoreValidationError, JSON.stringify(filter));
      }
      assert.equal(await items.count(), FIXTURE.length);
    }));
}

function filtersSuite(withStore: WithStore): void {
  describe("filters", () => {
    filtersTests1(withStore);
    filtersTests2(withStore);
  });
}

function findOptionsAndCountingSuite(withStore: WithStore): void {
  describe("find options and counting", () => {
    test("sort by one or more fields, ties broken by id", () =>
      withStore(async (store) => {
        const items = await store.collection<Item>({ name: "items" });
        const docs: Item[] = [
          { id: "5", g: "b", n: 1 },
          { id: "3", g: "a", n: 2 },
          { id: "4", g: "b", n: 2 },
          { id: "1", g: "a", n: 2 },
          { id: "2", n: 0 },
        ];
        for (const d of docs) await items.put(d);
        assert.deepEqual(ids(await items.find()), ["1", "2", "3", "4", "5"], "no sort: by id");
        assert.deepEqual(ids(await items.find({}, { sort: { n: 1 } })), ["2", "5", "1", "3", "4"]);
        assert.deepEqual(ids(await items.find({}, { sort: { n: -1 } })), ["1", "3", "4", "5", "2"], "ties still by id ascending");
        assert.deepEqual(
          ids(await items.find({}, { sort: { g: 1, n: -1 } })),
          ["2", "1", "3", "4", "5"],
          "missing sorts first ascending",
        );
        assert.deepEqual(ids(await items.find({}, { sort: { g: -1, n: 1 } })), ["5", "4", "1", "3", "2"], "and last descending");
        assert.deepEqual(ids(await items.find({}, { sort: { id: -1 } })), ["5", "4", "3", "2", "1"]);
      }));

    test("limit and skip page through a sorted result without gaps or repeats", () =>
      withStore(async (store) => {
        const items = await store.collection<Item>({ name: "items", indexes: [{ fields: ["at"] }] });
        for (let i = 0; i < 23; i++)
          await items.put({
            id: `d${String(i).padStart(2, "0")}`,
            at: `2025-01-01T00:00:${String(i % 7).padStart(2, "0")}.000Z`,
          });
        const all = ids(await items.find({}, { sort: { at: -1 } }));
        assert.equal(all.length, 23);
        const paged: string[] = [];
        for (let skip = 0; skip < 30; skip += 5) paged.push(...ids(await items.find({}, { sort: { at: -1 }, skip, limit: 5 })));
        assert.deepEqual(paged, all);
        assert.deepEqual(await items.find({}, { limit: 0 }), [], "limit 0 returns nothing");
        assert.deepEqual(ids(await items.find({}, { skip: 21 })), ["d21", "d22"], "skip without limit");
        assert.deepEqual(await items.find({}, { skip: 100 }), []);
        const bad: FindOptions[] = [{ limit: -1 }, { limit: 1.5 }, { skip: -2 }, { sort: { at: 2 as 1 } }];
        for (const options of bad) await assert.rejects(items.find({}, options), StoreValidationError, JSON.stringify(options));
      }));

    test("count with and without a filter; deleteMany returns how many it removed", () =>
      withStore(async (store) => {
        const items = await fixture(store);
        assert.equal(await items.count(), 5);
        assert.equal(await items.count({ "camera.id": "cam1" }), 2);
        assert.equal(await items.deleteMany({ "camera.id": "cam1" }), 2);
        assert.equal(await items.deleteMany({ "camera.id": "cam1" }), 0);
        assert.deepEqual(sortedIds(await items.find()), ["b", "d", "e"]);
        assert.equal(await items.deleteMany({}), 3);
        assert.equal(await items.count(), 0);
      }));
  });
}

function uniqueIndexesSuite(withStore: WithStore): void {
  describe("unique indexes", () => {
    test("a second document with the same unique value is a StoreConflictError; the first is kept", () =>
      withStore(async (store) => {
        const users = await store.collection<Item>({ name: "accounts", indexes: [{ fields: ["email"], unique: true }] });
        await users.put({ id: "u1", email: "a@example.org", n: 1 });
        await users.put({ id: "u1", email: "a@example.org", n: 2 }); // replacing itself is fine
        await assert.rejects(users.put({ id: "u2", email: "a@example.org" }), StoreConflictError);
        assert.deepEqual(await users.get("u1"), { id: "u1", email: "a@example.org", n: 2 });
        assert.equal(await users.get("u2"), undefined);
        await users.put({ id: "u1", email: "b@example.org" }); // frees a@
        await users.put({ id: "u2", email: "a@example.org" });
        assert.equal(await users.count(), 2);
      }));

    test("documents without the field do not collide", () =>
      withStore(async (store) => {
        const users = await store.collection<Item>({ name: "accounts", indexes: [{ fields: ["email"], unique: true }] });
        await users.put({ id: "u1" });
        await users.put({ id: "u2" });
        assert.equal(await users.count(), 2);
      }));

    test("compound unique indexes on nested paths", () =>
      withStore(async (store) => {
        const seats = await store.collection<Item>({ name: "seats", indexes: [{ fields: ["room.id", "seat"], unique: true }] });
        await seats.put({ id: "1", room: { id: "r1" }, seat: 1 });
        await seats.put({ id: "2", room: { id: "r1" }, seat: 2 });
        await seats.put({ id: "3", room: { id: "r2" }, seat: 1 });
        await assert.rejects(seats.put({ id: "4", room: { id: "r1" }, seat: 2 }), StoreConflictError);
        assert.equal(await seats.count(), 3);
      }));
  });
}

function unicodeSuite(withStore: WithStore): void {
  describe("Unicode", () => {
    const names = [
      "Иван Петрович Сидоров",
      "Ёлка Щукина-Эйлер",
      "王小明",
      "山田 太郎",
      "김민준",
      "Zoë Ångström",
      "👩‍👩‍👧‍👦 family 🙂",
      "مرحبا بالعالم",
      "e\u0301 (decomposed) vs \u00e9 (composed)",
      "quotes ' \" \\ and \n newline \t tab",
      "\u0000 nul inside",
    ];

    test("Cyrillic, CJK, emoji, RTL and control characters round-trip exactly", () =>
      withStore(async (store) => {
        const items = await store.collection<Item>({ name: "names", indexes: [{ fields: ["name"] }] });
        for (const [i, name] of names.entries()) await items.put({ id: `n${i}`, name, nested: { [`k${i}`]: [name] } });
        for (const [i, name] of names.entries()) {
          assert.deepEqual(await items.get(`n${i}`), { id: `n${i}`, name, nested: { [`k${i}`]: [name] } });
          await expectIds(items, { name }, [`n${i}`], `equality on ${JSON.stringify(name)}`);
        }
        const unicodeId = "камера-東京-🙂";
        await items.put({ id: unicodeId, name: "x" });
        assert.deepEqual(await items.get(unicodeId), { id: unicodeId, name: "x" });
      }));

    test("$contains folds case beyond ASCII and finds CJK and emoji substrings", () =>
      withStore(async (store) => {
        const items = await store.collection<Item>({ name: "names" });
        for (const [i, name] of names.entries()) await items.put({ id: `n${i}`, name });
        await expectIds(items, { name: { $contains: "иван" } }, ["n0"]);
        await expectIds(items, { name: { $contains: "ПЕТРОВИЧ" } }, ["n0"]);
        await expectIds(items, { name: { $contains: "ёЛКА" } }, ["n1"]);
        await expectIds(items, { name: { $contains: "小明" } }, ["n2"]);
        await expectIds(items, { name: { $contains: "민준" } }, ["n4"]);
        await expectIds(items, { name: { $contains: "ÅNGSTRÖM" } }, ["n5"]);
        await expectIds(items, { name: { $contains: "🙂" } }, ["n6"]);
        await expectIds(items, { name: { $contains: "بالعالم" } }, ["n7"]);
      }));
  });
}

function applyOnceTests1(withStore: WithStore): void {
  test("applied twice, same result: the second call is skipped and changes nothing", () =>
    withStore(async (store) => {
      const items = await store.collection<Item>({ name: "items" });
      const first = await store.applyOnce("proj", { eventId: "ev-1" }, [
        { op: "put", collection: "items", doc: doc({ id: "1", v: "first" }) },
      ]);
      assert.equal(first, "applied");
      const second = await store.applyOnce("proj", { eventId: "ev-1" }, [
        { op: "put", collection: "items", doc: doc({ id: "1", v: "second" }) },
        { op: "put", collection: "items", doc: doc({ id: "2", v: "second" }) },
      ]);
      assert.equal(second, "skipped");
      assert.deepEqual(await items.find(), [{ id: "1", v: "first" }]);
      assert.equal(await store.applyOnce("other", { eventId: "ev-1" }, []), "applied", "event ids are per projection");
    }));

  test("put, delete and deleteMany ops apply together", () =>
    withStore(async (store) => {
      const items = await store.collection<Item>({ name: "items" });
      const log = await store.collection<Item>({ name: "log" });
      for (const id of ["1", "2", "3", "4"]) await items.put({ id, k: Number(id) % 2 === 0 ? "even" : "odd" });
      const result = await store.applyOnce("proj", { eventId: "ev", seq: 1 }, [
        { op: "delete", collection: "items", id: "1" },
        { op: "deleteMany", collection: "items", filter: { k: "even" } },
        { op: "put", collection: "log", doc: doc({ id: "l1", msg: "cleaned" }) },
        { op: "delete", collection: "items", id: "does-not-exist" },
      ]);
      assert.equal(result, "applied");
      assert.deepEqual(ids(await items.find()), ["3"]);
      assert.deepEqual(await log.get("l1"), { id: "l1", msg: "cleaned" });
    }));

  test("seq checkpoints: anything at or below the last applied seq is skipped", () =>
    withStore(async (store) => {
      const items = await store.collection<Item>({ name: "items" });
      const put = (id: string) => [{ op: "put" as const, collection: "items", doc: { id } }];
      assert.equal(await store.checkpoint("proj"), 0);
      assert.equal(await store.applyOnce("proj", { eventId: "e5", seq: 5 }, put("five")), "applied");
      assert.equal(await store.checkpoint("proj"), 5);
      assert.equal(await store.applyOnce("proj", { eventId: "e3", seq: 3 }, put("three")), "skipped", "older seq");
      assert.equal(await store.applyOnce("proj", { eventId: "e5b", seq: 5 }, put("five-b")), "skipped", "same seq");
      assert.equal(await store.applyOnce("proj", { eventId: "e7", seq: 7 }, put("seven")), "applied");
      assert.equal(await store.applyOnce("proj", { eventId: "e6", seq: 6 }, put("six")), "skipped");
      assert.equal(
        await store.applyOnce("proj", { eventId: "no-seq" }, put("unordered")),
        "applied",
        "no seq: only the id dedupes",
      );
      assert.equal(await store.checkpoint("proj"), 7, "events without seq leave the checkpoint alone");
      assert.equal(await store.checkpoint("elsewhere"), 0, "checkpoints are per projection");
      assert.equal(await store.applyOnce("elsewhere", { eventId: "e1", seq: 1 }, put("other-one")), "applied");
      assert.deepEqual(sortedIds(await items.find()), ["five", "other-one", "seven", "unordered"]);
    }));

  test("atomicity: a failing op rolls back the whole unit, checkpoint and record included", async (t) => {
    const store = await withStore.open();
    try {
      if (!store.atomicApply) {
        t.skip(`${store.kind} without transactions (standalone server): applyOnce is not atomic here`);
        return;
      }
      const accounts = await store.collection<Item>({ name: "accounts", indexes: [{ fields: ["email"], unique: true }] });
      await accounts.put({ id: "taken", email: "x@example.org" });
      const ops = [
        { op: "put" as const, collection: "accounts", doc: doc({ id: "new-1", email: "new@example.org" }) },
        { op: "delete" as const, collection: "accounts", id: "taken" },
        { op: "put" as const, collection: "accounts", doc: doc({ id: "new-2", email: "x@example.org" }) },
        { op: "put" as const, collection: "accounts", doc: doc({ id: "new-3", email: "new@example.org" }) },
      ];
      await assert.rejects(store.applyOnce("proj", { eventId: "ev-bad", seq: 10 }, ops), StoreConflictError);
      assert.deepEqual(sortedIds(await accounts.find()), ["taken"], "nothing of the unit stayed");
      assert.equal(await store.checkpoint("proj"), 0, "the checkpoint did not move");
      const fixed = [ops[0], ops[1], ops[2]].filter((op) => op !== undefined);
      assert.equal(await store.applyOnce("proj", { eventId: "ev-bad", seq: 10 }, fixed), "applied", "the event was not recorded");
      assert.deepEqual(sortedIds(await accounts.find()), ["new-1", "new-2"]);
      assert.equal(await store.checkpoint("proj"), 10);
    } finally {
      await store.close();
    }
  });
}

function applyOnceTests2(withStore: WithStore): void {
  test("bad units are refused before anything is written", () =>
    withStore(async (store) => {
      const items = await store.collection<Item>({ name: "items" });
      const ok = { op: "put" as const, collection: "items", doc: { id: "1" } };
      await assert.rejects(
        store.applyOnce("proj", { eventId: "e" }, [ok, { op: "put", collection: "undeclared", doc: { id: "1" } }]),
        StoreValidationError,
      );
      await assert.rejects(
        store.applyOnce("proj", { eventId: "e" }, [ok, { op: "put", collection: "items", doc: { nope: 1 } as unknown as Doc }]),
        StoreValidationError,
      );
      await assert.rejects(
        store.applyOnce("proj", { eventId: "e" }, [
          ok,
          { op: "deleteMany", collection: "items", filter: { a: { $bad: 1 } } as unknown as Filter },
        ]),
        StoreValidationError,
      );
      await assert.rejects(store.applyOnce("proj", { eventId: "" }, [ok]), StoreValidationError);
      await assert.rejects(store.applyOnce("", { eventId: "e" }, [ok]), StoreValidationError);
      for (const seq of [0, -1, 1.5, Number.NaN])
        await assert.rejects(store.applyOnce("proj", { eventId: "e", seq }, [ok]), StoreValidationError, `seq ${seq}`);
      assert.equal(await items.count(), 0);
      assert.equal(await store.applyOnce("proj", { eventId: "e" }, [ok]), "applied", "the refused attempts left no record");
    }));

  test("pruneApplied drops old applied-event records but keeps checkpoints", () =>
    withStore(async (store) => {
      const items = await store.collection<Item>({ name: "items" });
      const put = (id: string): WriteOp[] => [{ op: "put", collection: "items", doc: doc({ id }) }];
      assert.equal(await store.applyOnce("proj", { eventId: "e1", seq: 1 }, put("a")), "applied");
      assert.equal(await store.applyOnce("proj", { eventId: "e2" }, put("b")), "applied");
      assert.equal(await store.applyOnce("other", { eventId: "e1", seq: 5 }, put("c")), "applied");
      // nothing is older than an hour ago
      assert.equal(await store.pruneApplied(new Date(Date.now() - 3_600_000)), 0);
      assert.equal(await store.applyOnce("proj", { eventId: "e2" }, put("x")), "skipped");
      // everything is older than a minute from now: all three records go, the checkpoints stay
      assert.equal(await store.pruneApplied(new Date(Date.now() + 60_000)), 3);
      assert.equal(await store.checkpoint("proj"), 1);
      assert.equal(await store.checkpoint("other"), 5);
      assert.equal(await store.applyOnce("proj", { eventId: "e1", seq: 1 }, put("y")), "skipped", "at the checkpoint");
      assert.equal(await store.applyOnce("other", { eventId: "e9", seq: 4 }, put("z")), "skipped", "below the checkpoint");
      // a pruned event id without a seq is no longer recognised
      assert.equal(await store.applyOnce("proj", { eventId: "e2" }, put("b2")), "applied");
      assert.deepEqual(sortedIds(await items.find({})), ["a", "b", "b2", "c"]);
      await assert.rejects(store.pruneApplied(new Date("nope")), StoreValidationError);
    }));

  test("resetProjection forgets the checkpoint and applied events of one projection only", () =>
    withStore(async (store) => {
      const items = await store.collection<Item>({ name: "items" });
      const put = (id: string) => [{ op: "put" as const, collection: "items", doc: { id } }];
      await store.applyOnce("proj", { eventId: "e1", seq: 1 }, put("1"));
      await store.applyOnce("proj", { eventId: "e2", seq: 2 }, put("2"));
      await store.applyOnce("keep", { eventId: "e1", seq: 4 }, put("k"));
      await items.deleteMany({});
      await store.resetProjection("proj");
      assert.equal(await store.checkpoint("proj"), 0);
      assert.equal(await store.checkpoint("keep"), 4);
      assert.equal(await store.applyOnce("proj", { eventId: "e1", seq: 1 }, put("1")), "applied", "replay after reset");
      assert.equal(await store.applyOnce("proj", { eventId: "e2", seq: 2 }, put("2")), "applied");
      assert.equal(await store.applyOnce("keep", { eventId: "e1", seq: 4 }, put("k")), "skipped");
      assert.deepEqual(sortedIds(await items.find()), ["1", "2"]);
      await store.resetProjection("never-used");
    }));
}

function applyOnceSuite(withStore: WithStore): void {
  describe("applyOnce", () => {
    applyOnceTests1(withStore);
    applyOnceTests2(withStore);
  });
}

function repositoriesTests1(withStore: WithStore): void {
  test("people: round trip, defaults, case-insensitive order, search, soft removal and erasure", () =>
    withStore(async (store) => {
      const people = await PeopleRepository.open(store);
      const base = { createdAt: T0, updatedAt: new Date(T0) };
      const ivan = await people.put({ id: "p1", name: "Иван Петров", ...base, photoIds: ["photos/p1/1.jpg"], templates: 3 });
      assert.deepEqual(ivan, {
        id: "p1",
        name: "Иван Петров",
        nameKey: "иван петров",
        description: "",
        photoIds: ["photos/p1/1.jpg"],
        soundId: null,
        templates: 3,
        watchlist: null,
        createdAt: T0,
        updatedAt: T0,
        removedAt: null,
      });
      assert.deepEqual(await people.get("p1"), ivan);
      await people.put({ id: "p2", name: "alice", ...base, watchlist: { reason: "banned" } });
      await people.put({ id: "p3", name: "Bob", ...base, createdAt: "2025-03-01T11:00:00+03:00" });
      await people.put({ id: "p4", name: "王小明", ...base });
      assert.deepEqual(
        (await people.list()).map((p) => p.name),
        ["alice", "Bob", "Иван Петров", "王小明"],
      );
      assert.equal((await people.get("p3"))?.createdAt, T0, "times are stored as UTC");
      assert.deepEqual(
        (await people.searchByName("ПЕТР")).map((p) => p.id),
        ["p1"],
      );
      assert.deepEqual(
        (await people.searchByName("b")).map((p) => p.id),
        ["p3"],
      );
      assert.deepEqual(
        (await people.list({ limit: 2, skip: 1 })).map((p) => p.id),
        ["p3", "p1"],
      );
      const removed = await people.markRemoved("p3", "2025-03-02T00:00:00Z");
      assert.equal(removed?.removedAt, "2025-03-02T00:00:00.000Z");
      assert.equal(await people.markRemoved("nobody", T0), undefined);
      assert.deepEqual(
        (await people.list()).map((p) => p.id),
        ["p2", "p1", "p4"],
      );
      assert.equal(await people.count(), 3);
      assert.equal(await people.count({ includeRemoved: true }), 4);
      assert.deepEqual(
        (await people.searchByName("bob", { includeRemoved: true })).map((p) => p.id),
        ["p3"],
      );
      assert.equal(await people.erase("p3"), true);
      assert.equal(await people.get("p3"), undefined);
    }));

  test("people: invalid documents are refused on write and detected on read", () =>
    withStore(async (store) => {
      const people = await PeopleRepository.open(store);
      const good = { id: "p1", name: "Ann", createdAt: T0, updatedAt: T0 };
      const bad: unknown[] = [
        { ...good, name: "" },
        { ...good, name: "   " },
        { ...good, id: "has space" },
        { ...good, id: "subject.token" },
        { ...good, templates: -1 },
        { ...good, createdAt: "yesterday" },
        { ...good, photoIds: "p.jpg" },
        { ...good, watchlist: { reason: "" } },
      ];
      for (const doc of bad)
        await assert.rejects(people.put(doc as Parameters<typeof people.put>[0]), StoreValidationError, JSON.stringify(doc));
      assert.equal(await people.count({ includeRemoved: true }), 0);
      // A document written behind the repository's back (another version, a manual edit) fails loudly on read.
      const raw = await store.collection<Doc & Record<string, unknown>>({ name: "people" });
      await raw.put({ id: "p9", name: 42, createdAt: T0 });
      const err = await people.get("p9").then(
        () => assert.fail("expected a validation error"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StoreValidationError);
      assert.match(err.message, /people: stored document p9 is invalid/);
      assert.ok(err.cause !== undefined);
      await assert.rejects(people.list({ includeRemoved: true }), StoreValidationError);
    }));

  test("people: putOp makes repository writes usable in applyOnce", () =>
    withStore(async (store) => {
      const people = await PeopleRepository.open(store);
      const op = people.putOp({ id: "p1", name: "Ann", createdAt: T0, updatedAt: T0 });
      assert.equal(await store.applyOnce("library", { eventId: "enrolled-1", seq: 1 }, [op]), "applied");
      assert.equal(await store.applyOnce("library", { eventId: "enrolled-1", seq: 1 }, [op]), "skipped");
      assert.equal((await people.get("p1"))?.nameKey, "ann");
      assert.throws(() => people.putOp({ id: "p2", name: "", createdAt: T0, updatedAt: T0 }), StoreValidationError);
      assert.equal(await store.applyOnce("library", { eventId: "erased-1", seq: 2 }, [people.eraseOp("p1")]), "applied");
      assert.equal(await people.get("p1"), undefined);
    }));
}

function repositoriesTests2(withStore: WithStore): void {
  test("presence: who is in view, per camera, expiry", () =>
    withStore(async (store) => {
      const presence = await PresenceRepository.open(store);
      const at = (s: number) => new Date(Date.parse(T0) + s * 1000);
      await presence.put({
        id: presenceId("cam1", "t1"),
        cameraId: "cam1",
        trackId: "t1",
        personId: "p1",
        enteredAt: at(0),
        lastSeenAt: at(30),
      });
      await presence.put({
        id: presenceId("cam1", "t2"),
        cameraId: "cam1",
        trackId: "t2",
        enteredAt: at(5),
        lastSeenAt: at(6),
      });
      await presence.put({
        id: presenceId("cam2", "t1"),
        cameraId: "cam2",
        trackId: "t1",
        personId: "p1",
        enteredAt: at(1),
        lastSeenAt: at(40),
      });
      assert.deepEqual(
        (await presence.inView()).map((p) => p.id),
        ["cam1:t1", "cam2:t1", "cam1:t2"],
      );
      assert.deepEqual(
        (await presence.inView({ cameraId: "cam1" })).map((p) => p.trackId),
        ["t1", "t2"],
      );
      assert.equal((await presence.get("cam1", "t2"))?.personId, null);
      assert.deepEqual(
        (await presence.wherePerson("p1")).map((p) => p.cameraId),
        ["cam1", "cam2"],
      );
      assert.equal(await presence.expire(at(10)), 1);
      assert.equal(await presence.leave("cam2", "t1"), true);
      assert.deepEqual(
        (await presence.inView()).map((p) => p.id),
        ["cam1:t1"],
      );
      await assert.rejects(
        presence.put({ id: "wrong", cameraId: "cam1", trackId: "t9", enteredAt: at(0), lastSeenAt: at(0) }),
        StoreValidationError,
      );
    }));
}

function repositoriesTests3(withStore: WithStore): void {
  test("sightings: newest first, filters by camera, person, kind and time range, paging", () =>
    withStore(async (store) => {
      const sightings = await SightingsRepository.open(store);
      for (let i = 0; i < 12; i++) {
        const recognized = i % 3 !== 0;
        await sightings.put({
          id: `s${String(i).padStart(2, "0")}`,
          cameraId: i % 2 === 0 ? "cam1" : "cam2",
          trackId: `t${i}`,
          personId: recognized ? (i % 4 === 1 ? "p1" : "p2") : null,
          kind: recognized ? "recognized" : "unknown",
          similarity: recognized ? 0.8 : 0.2,
          at: new Date(Date.parse(T0) + i * 60_000),
          cropId: `crops/${i}.jpg`,
        });
      }
      const all = await sightings.list();
      assert.deepEqual(all.map((s) => s.id).slice(0, 3), ["s11", "s10", "s09"]);
      assert.equal(all.length, 12);
      assert.deepEqual(
        (await sightings.list({ limit: 3, skip: 3 })).map((s) => s.id),
        ["s08", "s07", "s06"],
      );
      assert.deepEqual(
        (await sightings.list({ cameraId: "cam1", kind: "unknown" })).map((s) => s.id),
        ["s06", "s00"],
      );
      assert.deepEqual(
        (await sightings.list({ personId: "p1" })).map((s) => s.id),
        ["s05", "s01"],
      );
      const range = { from: "2025-03-01T08:02:00Z", to: new Date("2025-03-01T08:05:00Z") };
      assert.deepEqual(
        (await sightings.list(range)).map((s) => s.id),
        ["s04", "s03", "s02"],
        "from inclusive, to exclusive",
      );
      assert.equal(await sightings.count({ ...range, cameraId: "cam2" }), 1);
      assert.equal(await sightings.deleteOlderThan("2025-03-01T08:06:00Z"), 6);
      assert.equal(await sightings.count(), 6);
      const bad = {
        id: "x",
        cameraId: "cam1",
        trackId: "t",
        personId: null,
        kind: "recognized" as const,
        similarity: 1,
        at: T0,
      };
      await assert.rejects(sightings.put(bad), StoreValidationError, "recognized needs a person");
      await assert.rejects(sightings.put({ ...bad, personId: "p1", similarity: Number.NaN }), StoreValidationError);
      await assert.rejects(sightings.list({ from: "not a time" }), StoreValidationError);
    }));

  test("alerts: status transitions are documents, listing newest first", () =>
    withStore(async (store) => {
      const alerts = await AlertsRepository.open(store);
      const raised = await alerts.put({
        id: "a1",
        rule: "unknown-face",
        severity: "warning",
        status: "raised",
        cameraId: "cam1",
        at: T0,
      });
      assert.equal(raised.acknowledgedBy, null);
      await alerts.put({
        id: "a2",
        rule: "watchlist",
        severity: "critical",
        status: "raised",
        personId: "p2",
        at: "2025-03-01T09:00:00Z",
      });
      await alerts.put({
        ...raised,
        status: "acknowledged",
        acknowledgedBy: "operator-1",
        acknowledgedAt: "2025-03-01T08:05:00Z",
      });
      assert.equal((await alerts.get("a1"))?.status, "acknowledged");
      assert.deepEqual(
        (await alerts.list()).map((a) => a.id),
        ["a2", "a1"],
      );
      assert.deepEqual(
        (await alerts.list({ status: "raised" })).map((a) => a.id),
        ["a2"],
      );
      assert.equal(await alerts.count({ cameraId: "cam1" }), 1);
      await assert.rejects(alerts.put({ ...raised, status: "acknowledged" }), StoreValidationError, "who acknowledged?");
      await assert.rejects(alerts.put({ ...raised, severity: "apocalyptic" as "critical" }), StoreValidationError);
      assert.equal(await alerts.deleteOlderThan("2025-03-01T08:30:00Z"), 1);
    }));
}

function repositoriesTests4(withStore: WithStore): void {
  test("attendance: per person per day", () =>
    withStore(async (store) => {
      const attendance = await AttendanceRepository.open(store);
      const day = (personId: string, d: string, first: string) => ({
        id: attendanceId(personId, d),
        personId,
        day: d,
        firstSeen: `${d}T${first}:00Z`,
        lastSeen: `${d}T17:00:00Z`,
        secondsInView: 3600,
        cameras: ["cam1", "cam2"],
      });
      await attendance.put(day("p1", "2025-03-01", "09:00"));
      await attendance.put(day("p2", "2025-03-01", "08:30"));
      await attendance.put(day("p1", "2025-03-02", "09:10"));
      await attendance.put(day("p1", "2025-03-03", "09:20"));
      assert.deepEqual(
        (await attendance.listByDay("2025-03-01")).map((a) => a.personId),
        ["p2", "p1"],
      );
      assert.deepEqual(
        (await attendance.listByPerson("p1")).map((a) => a.day),
        ["2025-03-03", "2025-03-02", "2025-03-01"],
      );
      assert.deepEqual(
        (await attendance.listByPerson("p1", { fromDay: "2025-03-02", toDay: "2025-03-02" })).map((a) => a.day),
        ["2025-03-02"],
      );
      assert.deepEqual((await attendance.get("p1", "2025-03-02"))?.cameras, ["cam1", "cam2"]);
      await assert.rejects(attendance.put({ ...day("p1", "2025-03-04", "09:00"), secondsInView: -1 }), StoreValidationError);
      await assert.rejects(attendance.put({ ...day("p1", "2025-02-30", "09:00") }), StoreValidationError);
      await assert.rejects(attendance.put({ ...day("p1", "2025-03-04", "09:00"), id: "p1" }), StoreValidationError);
      await assert.rejects(attendance.listByDay("March 1st"), StoreValidationError);
    }));

  test("users: usernames are unique case-insensitively (StoreConflictError)", () =>
    withStore(async (store) => {
      const users = await UsersRepository.open(store);
      const admin = await users.put({ id: "u1", username: "Admin", passwordHash: "scrypt$x", role: "admin", createdAt: T0 });
      assert.equal(admin.failedLogins, 0);
      assert.equal(admin.lockedUntil, null);
      assert.equal((await users.findByUsername("ADMIN"))?.id, "u1");
      assert.equal(await users.findByUsername("nobody"), undefined);
      await assert.rejects(
        users.put({ id: "u2", username: "admin", passwordHash: "h", role: "viewer", createdAt: T0 }),
        StoreConflictError,
      );
      await users.put({ id: "u2", username: "Оператор", passwordHash: "h", role: "operator", createdAt: T0 });
      assert.equal((await users.findByUsername("оператор"))?.id, "u2");
      await users.put({ ...admin, failedLogins: 3, lockedUntil: "2025-03-01T08:15:00Z" });
      assert.equal((await users.get("u1"))?.failedLogins, 3);
      assert.deepEqual(
        (await users.list()).map((u) => u.username),
        ["Admin", "Оператор"],
      );
      await assert.rejects(users.put({ ...admin, role: "root" as "admin" }), StoreValidationError);
      await assert.rejects(users.put({ ...admin, username: " padded" }), StoreValidationError);
      assert.equal(await users.delete("u2"), true);
      assert.equal(await users.count(), 1);
    }));

  test("bot chats: admins and subscribers", () =>
    withStore(async (store) => {
      const chats = await BotChatsRepository.open(store);
      await chats.put({ id: "100", chatId: 100, isAdmin: true, subscribed: true, loggedInAt: T0 });
      await chats.put({ id: "-2001", chatId: -2001, subscribed: true });
      await chats.put({ id: "300", chatId: 300 });
      assert.deepEqual(
        (await chats.listSubscribed()).map((c) => c.chatId),
        [-2001, 100],
      );
      assert.deepEqual(
        (await chats.listAdmins()).map((c) => c.chatId),
        [100],
      );
      assert.deepEqual(await chats.get(300), {
        id: "300",
        chatId: 300,
        isAdmin: false,
        subscribed: false,
        loggedInAt: null,
        portalUser: null,
      });
      await chats.put({ id: "100", chatId: 100, isAdmin: true, subscribed: true, loggedInAt: T0, portalUser: "Оля" });
      await chats.put({ id: "-2001", chatId: -2001, subscribed: true, portalUser: "оля" });
      assert.deepEqual(
        (await chats.listLinked("Оля")).map((c) => c.chatId),
        [100],
        "linked to that exact console user",
      );
      await assert.rejects(chats.put({ id: "1", chatId: 2 }), StoreValidationError);
      await assert.rejects(chats.put({ id: "1.5", chatId: 1.5 }), StoreValidationError);
      assert.equal(await chats.delete(300), true);
      assert.equal(await chats.get(300), undefined);
    }));
}

function repositoriesSuite(withStore: WithStore): void {
  describe("repositories", () => {
    repositoriesTests1(withStore);
    repositoriesTests2(withStore);
    repositoriesTests3(withStore);
    repositoriesTests4(withStore);
  });
}
