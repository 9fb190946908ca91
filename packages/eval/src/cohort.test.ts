import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseCohort, withoutPeople } from "./cohort.ts";
import type { IdentificationProtocol } from "./lfw.ts";

const people = [{ name: "A", count: 9 }, ...Array.from({ length: 10 }, (_, i) => ({ name: `p${i}`, count: i + 1 }))];

test("chooseCohort: half of the never-enrolled people, a seeded sample of their images", () => {
  const c = chooseCohort(people, 5, 6, 1);
  const never = people.filter((p) => p.count < 5).map((p) => p.name);
  assert.equal(c.people.size, Math.floor(never.length / 2));
  for (const p of c.people) assert.ok(never.includes(p));
  assert.equal(
    c.images.length,
    Math.min(
      6,
      [...c.people].reduce((s, p) => s + Number(p.slice(1)) + 1, 0),
    ),
  );
  for (const i of c.images) {
    assert.ok(c.people.has(i.personId));
    assert.ok(i.index >= 1 && i.index <= Number(i.personId.slice(1)) + 1);
  }
  assert.deepEqual(chooseCohort(people, 5, 6, 1), c, "same seed, same cohort");
  assert.throws(() => chooseCohort(people, 5, 0, 1), RangeError);
});

test("withoutPeople drops the cohort people's probes and refuses an enrolled one", () => {
  const p: IdentificationProtocol = {
    name: "x",
    gallery: new Map([["A", ["a1"]]]),
    probes: [{ personId: "A", path: "a2" }],
    impostors: [
      { personId: "p1", path: "i1" },
      { personId: "p2", path: "i2" },
    ],
  };
  const r = withoutPeople(p, new Set(["p1"]));
  assert.deepEqual(r.impostors, [{ personId: "p2", path: "i2" }]);
  assert.deepEqual(r.probes, p.probes);
  assert.throws(() => withoutPeople(p, new Set(["A"])), RangeError);
});
