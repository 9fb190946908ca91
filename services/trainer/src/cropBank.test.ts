import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SAMPLE_SIZE } from "./classifier/sample.ts";
import { type BankedCrop, CropBank, PendingUnknowns } from "./cropBank.ts";

const crop = (id: string, personId: string | null, at: number, source: BankedCrop["source"] = "sighting"): BankedCrop => ({
  id,
  personId,
  source,
  at,
  sample: new Uint8Array(SAMPLE_SIZE * SAMPLE_SIZE).fill(at % 256),
});

describe("crop bank", () => {
  test("bounded per person: the oldest sighting goes, enrollment crops stay", () => {
    const b = new CropBank({ maxPerPerson: 3, maxUnknown: 2 });
    assert.equal(b.add(crop("e1", "p", 1, "enrollment")), true);
    b.add(crop("s1", "p", 2));
    b.add(crop("s2", "p", 3));
    b.add(crop("s3", "p", 4));
    assert.deepEqual(
      b
        .crops()
        .map((c) => c.id)
        .sort(),
      ["e1", "s2", "s3"],
    );
    assert.equal(b.has("s1"), false);
    assert.equal(b.add(crop("s3", "p", 9)), false, "a known id is ignored");
    for (let i = 0; i < 5; i++) b.add(crop(`u${i}`, null, i));
    assert.equal(b.counts().unknown, 2);
  });

  test("removal, template revert, and a serialise round trip", () => {
    const b = new CropBank({ maxPerPerson: 10, maxUnknown: 10 });
    b.add(crop("a1", "a", 1));
    b.add(crop("a2", "a", 2));
    b.add(crop("b1", "b", 3));
    b.add(crop("u1", null, 4));
    b.names.set("a", "Alice");
    b.seq.SIGHTINGS = 42;
    assert.equal(b.removeId("a2"), true);
    assert.equal(b.removeId("nope"), false);
    const copy = CropBank.deserialize(b.serialize(), { maxPerPerson: 10, maxUnknown: 10 });
    assert.deepEqual(copy.counts(), b.counts());
    assert.equal(copy.seq.SIGHTINGS, 42);
    assert.equal(copy.names.get("a"), "Alice");
    assert.deepEqual(copy.crops().find((c) => c.id === "b1")?.sample, crop("b1", "b", 3).sample);
    assert.equal(copy.removePerson("a"), 1);
    assert.equal(copy.has("a1"), false);
    assert.equal(copy.names.has("a"), false);
    assert.equal(copy.add(crop("a9", "a", 9)), false, "a removed person's late crops are refused");
    const again = CropBank.deserialize(copy.serialize(), { maxPerPerson: 10, maxUnknown: 10 });
    assert.equal(again.removed.has("a"), true, "removals survive a restart");
    again.removed.delete("a"); // enrolled again
    assert.equal(again.add(crop("a9", "a", 9)), true);
    assert.throws(() => CropBank.deserialize(b.serialize().subarray(0, 100), { maxPerPerson: 1, maxUnknown: 1 }));
  });

  test("unknown crops wait for their track's conclusion; the buffer is bounded", () => {
    const p = new PendingUnknowns(2, 2);
    const s = crop("x", null, 1).sample;
    p.add("cam/t1", { id: "1", sample: s, at: 1 });
    p.add("cam/t1", { id: "2", sample: s, at: 2 });
    p.add("cam/t1", { id: "3", sample: s, at: 3 });
    p.add("cam/t2", { id: "4", sample: s, at: 4 });
    p.add("cam/t3", { id: "5", sample: s, at: 5 });
    assert.equal(p.size, 2);
    assert.deepEqual(p.take("cam/t1"), [], "the oldest track was dropped");
    assert.deepEqual(
      p.take("cam/t2").map((c) => c.id),
      ["4"],
    );
    assert.equal(p.size, 1);
  });
});
