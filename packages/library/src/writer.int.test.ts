import assert from "node:assert/strict";
import { test } from "node:test";
import { Kvm } from "@nats-io/kv";
import { streamEnvelopes, testBus } from "@persona/bus/testing";
import { startNatsServer } from "@persona/testing";
import { encodeEmbedding } from "./library.ts";
import { LibraryBusyError, LibraryWriter } from "./writer.ts";

const quality = { score: 0.9, faceSize: 120, eyeDistance: 45, sharpness: 100, yaw: 0, pitch: 0, roll: 0 };
const embedding = { model: "m", dims: 2, base64: encodeEmbedding(new Float32Array([0.6, 0.8])) };
const person = { name: "Ann", description: "", photos: [], sound: null, source: "cli" as const, importKey: null };

test("writer: racing writers on one person give one consistent outcome (remove vs update, two reverts)", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "test");
  t.after(() => bus.close());
  const [a, b] = [new LibraryWriter({ bus }), new LibraryWriter({ bus })];
  const templateId = crypto.randomUUID();
  const added = await a.execute({
    kind: "add-templates",
    personId: "ann",
    enrollIfAbsent: person,
    templates: [{ templateId, embedding, quality, crop: null, origin: { kind: "operator", by: "op" } }],
  });
  assert.deepEqual("events" in added && added.events.map((e) => e.env.type), ["PersonEnrolled", "FaceTemplateAdded"]);

  // two reverts of the same template: exactly one is written, the other is rejected
  const revert = { kind: "revert-template" as const, personId: "ann", templateId, by: "t", reason: "wrong" };
  const reverts = await Promise.all([a.execute(revert), b.execute(revert)]);
  assert.equal(reverts.filter((o) => "events" in o && o.events.length === 1).length, 1);
  assert.deepEqual(
    reverts.filter((o) => "rejected" in o).map((o) => "rejected" in o && o.rejected.code),
    ["unknown-template"],
  );

  // a remove and an update racing: either the update lands before the removal, or it is rejected after it
  const [removal, update] = await Promise.all([
    a.execute({ kind: "remove-person", personId: "ann", reason: "left", by: "t" }),
    b.execute({ kind: "update-person", change: { personId: "ann", name: "Anna", by: "t" } }),
  ]);
  assert.ok("events" in removal && removal.events.length === 1, "the removal is written");
  const library = await streamEnvelopes(bus, "LIBRARY");
  const types = library.map((e) => e.type);
  assert.equal(types.filter((x) => x === "FaceTemplateReverted").length, 1);
  if ("events" in update) {
    assert.ok(types.indexOf("PersonUpdated") < types.indexOf("PersonRemoved"), "an update lands only before the removal");
  } else {
    assert.equal(update.rejected.code, "unknown-person");
    assert.ok(!types.includes("PersonUpdated"));
  }
  assert.equal(types.indexOf("PersonRemoved"), types.length - 1, "nothing is written about the person after the removal");
  // the lock is released after each command
  const kv = await bus.kv("library-locks");
  const entry = await kv.get("ann");
  assert.ok(entry === null || entry.operation !== "PUT");
});

test("writer: a lock left by a killed writer delays the next one only until its TTL", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "test");
  t.after(() => bus.close());
  await new Kvm(bus.nc).create("test-locks", { history: 1, ttl: 1500 });
  const kv = await bus.kv("test-locks");
  await kv.create("bob", JSON.stringify({ holder: "killed", at: new Date().toISOString() }));

  const impatient = new LibraryWriter({ bus, lock: { bucket: "test-locks", waitMs: 200 } });
  const cmd = { kind: "add-templates" as const, personId: "bob", enrollIfAbsent: person, templates: [] };
  await assert.rejects(impatient.execute(cmd), LibraryBusyError);

  const writer = new LibraryWriter({ bus, lock: { bucket: "test-locks", waitMs: 10_000 } });
  const started = Date.now();
  const out = await writer.execute(cmd);
  const waited = Date.now() - started;
  assert.deepEqual("events" in out && out.events.map((e) => e.env.type), ["PersonEnrolled"]);
  assert.ok(waited >= 500, `waited for the stale lock (${waited} ms)`);
  assert.ok(waited < 8_000, `but not beyond its TTL (${waited} ms)`);
});
