import assert from "node:assert/strict";
import { test } from "node:test";
import { personEnrolled, testBus } from "@persona/bus/testing";
import { AnyEnvelopeSchema } from "@persona/contracts";
import { startNatsServer } from "@persona/testing";
import { peopleCommand } from "./commands/people.ts";
import { capture } from "./testing/capture.ts";

const quality = { score: 0.8, faceSize: 110, eyeDistance: 42, sharpness: 120, yaw: 0, pitch: 0, roll: 0 };
const embedding = { model: "dlib-resnet29", dims: 2, base64: Buffer.from(new Float32Array([1, 0]).buffer).toString("base64") };

test("persona people revert: one template by id, or every self-learned one since a time (asked first)", async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "cli-test");
  t.after(() => bus.close());
  const env = { NATS_URL: server.url };
  await bus.publish(bus.envelope("PersonEnrolled", personEnrolled("ann", "Ann")));
  const photo = { bucket: "photos", key: "ann/1.jpg", contentType: "image/jpeg", size: 1, sha256: "0".repeat(64) };
  const enrolled = crypto.randomUUID();
  await bus.publish(
    bus.envelope("FaceTemplateAdded", {
      personId: "ann",
      templateId: enrolled,
      embedding,
      quality,
      crop: null,
      origin: { kind: "enrollment", photo },
    }),
  );
  const learned: string[] = [];
  for (let i = 0; i < 3; i++) {
    const id = crypto.randomUUID();
    learned.push(id);
    await bus.publish(
      bus.envelope("FaceTemplateAdded", {
        personId: "ann",
        templateId: id,
        embedding,
        quality,
        crop: null,
        origin: {
          kind: "self-learning",
          cameraId: "door",
          trackId: `t${i}`,
          similarity: 0.96,
          margin: 0.1,
          seenAt: new Date().toISOString(),
          detectionId: crypto.randomUUID(),
        },
      }),
    );
  }
  const reverted = async () => {
    const info = await bus.jsm.streams.info("LIBRARY");
    const ids: string[] = [];
    for (let seq = 1; seq <= info.state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage("LIBRARY", { seq });
      const e = m ? AnyEnvelopeSchema.parse(m.json()) : null;
      if (e?.type === "FaceTemplateReverted") ids.push(e.data.templateId);
    }
    return ids;
  };

  // one template by id
  const one = capture();
  assert.equal(await peopleCommand({ sub: "revert", positionals: ["Ann"], template: learned[0], json: true, env }, one), 0);
  assert.deepEqual(await reverted(), [learned[0]]);

  // since a time: asks first; declined, nothing happens
  const since = new Date(Date.now() - 60_000).toISOString();
  const declined = capture();
  assert.equal(await peopleCommand({ sub: "revert", positionals: ["ann"], since, json: false, env }, declined), 1);
  assert.deepEqual(await reverted(), [learned[0]]);
  // with --yes: the two remaining self-learned ones go; the enrollment template stays
  const yes = capture();
  assert.equal(await peopleCommand({ sub: "revert", positionals: ["ann"], since, yes: true, json: true, env }, yes), 0);
  assert.deepEqual((await reverted()).sort(), [...learned].sort());
  const report = JSON.parse(yes.out) as { templates: { templateId: string }[] };
  assert.equal(report.templates.length, 2);
  assert.ok(!report.templates.some((x) => x.templateId === enrolled));

  // bad input: both or neither option, an unknown template, a bad time
  await assert.rejects(peopleCommand({ sub: "revert", positionals: ["ann"], json: true, env }, capture()), /exactly one/);
  await assert.rejects(
    peopleCommand({ sub: "revert", positionals: ["ann"], template: crypto.randomUUID(), json: true, env }, capture()),
    /has no template/,
  );
  await assert.rejects(
    peopleCommand({ sub: "revert", positionals: ["ann"], since: "yesterday", json: true, env }, capture()),
    /ISO time/,
  );
});
