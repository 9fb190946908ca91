import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@persona/runtime";
import { type RunningRecognizer, configSchema, startRecognizer } from "@persona/service-recognizer";
import { decodeImage, encodeJpeg, resolveModelPath } from "@persona/vision";
import { randomUUID } from "node:crypto";
import { type Client, type Harness, call, startHarness, inlineCrop, unknownData, until } from "./testSupport.ts";
import { lfwSkipReason, lfwPhoto } from "@persona/testing";

const skip = lfwSkipReason(resolveModelPath("dlib-resnet29.onnx"));

interface Enrolled {
  personId: string;
  enrolled: boolean;
  photos: { file: string; outcome: string; reason?: { code: string; message: string }; photoKey?: string | null }[];
}

describe("enroll by upload with the real recognizer (LFW photos)", { skip }, () => {
  let h: Harness;
  let recognizer: RunningRecognizer;
  let admin: Client;
  const photo = (person: string, n: number) => readFileSync(lfwPhoto(person, n));
  let noFace: Buffer;

  before(async () => {
    h = await startHarness();
    recognizer = await startRecognizer(h.bus, configSchema.parse({}), createLogger("recognizer", "silent"));
    admin = await h.login();
    // a real photo with no face in it: the bottom strip of an LFW photo (shirt and background)
    const img = await decodeImage(photo("Angelina_Jolie", 1));
    const rows = 50;
    const start = (img.height - rows) * img.width * 3;
    noFace = await encodeJpeg({ data: img.data.slice(start), width: img.width, height: rows });
  });
  after(async () => {
    await recognizer?.stop();
    await h?.dispose();
  });

  const form = (fields: Record<string, string>, files: { name: string; bytes: Buffer; type?: string; field?: string }[]) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    for (const x of files) f.append(x.field ?? "photo", new Blob([x.bytes], { type: x.type ?? "image/jpeg" }), x.name);
    return f;
  };

  let personId: string;

  test("a face photo is added and a no-face photo rejected with its reason; 201", async () => {
    const r = await call<Enrolled>(h.portal.url, "POST", "/people", {
      client: admin,
      form: form({ name: "Angelina Jolie", description: "Actor" }, [
        { name: "aj1.jpg", bytes: photo("Angelina_Jolie", 1) },
        { name: "wall.jpg", bytes: noFace },
      ]),
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.enrolled, true);
    personId = r.body.personId;
    const byFile = Object.fromEntries(r.body.photos.map((p) => [p.file, p]));
    assert.equal(byFile["aj1.jpg"]?.outcome, "added");
    assert.match(byFile["aj1.jpg"]?.photoKey ?? "", new RegExp(`^${personId}/[0-9a-f]{64}\\.jpg$`));
    assert.equal(byFile["wall.jpg"]?.outcome, "rejected");
    assert.equal(byFile["wall.jpg"]?.reason?.code, "no-face", JSON.stringify(byFile["wall.jpg"]));

    const detail = await call<{
      person: { name: string; templates: number; photoKeys: string[] };
      templates: { photoKey: string }[];
    }>(h.portal.url, "GET", `/people/${personId}`, { client: admin });
    assert.equal(detail.status, 200);
    assert.equal(detail.body.person.name, "Angelina Jolie");
    assert.equal(detail.body.person.templates, 1);
    assert.equal(detail.body.templates[0]?.photoKey, byFile["aj1.jpg"]?.photoKey);
    const img = await fetch(`${h.portal.url}/api/v1/media/photos/${byFile["aj1.jpg"]?.photoKey}`, {
      headers: { cookie: admin.cookie },
    });
    assert.equal(img.status, 200);
    assert.deepEqual(Buffer.from(await img.arrayBuffer()), photo("Angelina_Jolie", 1));
  });

  test("only a no-face photo: 422, nobody enrolled", async () => {
    const r = await call<Enrolled>(h.portal.url, "POST", "/people", {
      client: admin,
      form: form({ name: "Nobody" }, [{ name: "wall.jpg", bytes: noFace }]),
    });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.enrolled, false);
    assert.equal(r.body.photos[0]?.reason?.code, "no-face");
    const list = await call<{ items: { name: string }[] }>(h.portal.url, "GET", "/people?q=Nobody", { client: admin });
    assert.equal(list.body.items.length, 0);
  });

  test("a file that is not an image: 415; no photo: 400", async () => {
    const r = await call(h.portal.url, "POST", "/people", {
      client: admin,
      form: form({ name: "Text" }, [{ name: "notes.jpg", bytes: Buffer.from("hello, not a jpeg"), type: "image/jpeg" }]),
    });
    assert.equal(r.status, 415);
    const none = await call(h.portal.url, "POST", "/people", { client: admin, form: form({ name: "Empty" }, []) });
    assert.equal(none.status, 400);
  });

  test("more photos of the person add templates; remove (admin) takes the person out", async () => {
    const r = await call<Enrolled>(h.portal.url, "POST", `/people/${personId}/photos`, {
      client: admin,
      form: form({}, [{ name: "aj2.jpg", bytes: photo("Angelina_Jolie", 2) }]),
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.photos[0]?.outcome, "added");
    const detail = await call<{ person: { templates: number } }>(h.portal.url, "GET", `/people/${personId}`, { client: admin });
    assert.equal(detail.body.person.templates, 2);
    assert.equal((await call(h.portal.url, "DELETE", `/people/${personId}`, { client: admin })).status, 204);
    assert.equal((await call(h.portal.url, "GET", `/people/${personId}`, { client: admin })).status, 404);
  });

  test("unknowns: enroll a sighting's crop as a new person (its visitor closes), then assign another sighting to them", async () => {
    const tracks = new Map<string, string>();
    const unknownWith = async (bytes: Buffer) => {
      const id = randomUUID();
      const data = {
        ...unknownData("gate", `t-${id.slice(0, 8)}`, id),
        crop: { kind: "inline" as const, contentType: "image/jpeg" as const, base64: bytes.toString("base64") },
      };
      await h.bus.publish(h.bus.envelope("UnknownFaceSeen", data));
      tracks.set(id, data.trackId);
      await until("the unknown listed", async () =>
        (
          await call<{ items: { best: { sightingId: string } }[] }>(h.portal.url, "GET", "/unknowns", { client: admin })
        ).body.items.some((t) => t.best.sightingId === id),
      );
      return id;
    };
    const first = await unknownWith(photo("Al_Pacino", 1));
    // the trainer clustered the track into a visitor
    const visitorId = randomUUID();
    const seen = new Date().toISOString();
    await h.bus.publish(
      h.bus.envelope("VisitorClustered", {
        visitorId,
        faces: 3,
        visits: 1,
        firstSeen: seen,
        lastSeen: seen,
        cameras: ["gate"],
        bestCrops: [
          {
            detectionId: first,
            cameraId: "gate",
            trackId: tracks.get(first) as string,
            quality: 0.8,
            seenAt: seen,
            crop: inlineCrop(),
          },
        ],
        absorbed: [],
      }),
    );
    const visitor = async () =>
      (
        await call<{ status: string; decision: { personId: string | null } | null }>(
          h.portal.url,
          "GET",
          `/visitors/${visitorId}`,
          { client: admin },
        )
      ).body;
    await until("the visitor listed", async () => (await visitor()).status === "open");
    const r = await call<Enrolled>(h.portal.url, "POST", `/unknowns/${first}/enroll`, {
      client: admin,
      json: { name: "Al Pacino" },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.photos[0]?.outcome, "added");
    type Track = { best: { sightingId: string }; status: string; resolution: { kind: string; personId: string } | null };
    const listed = await call<{ items: Track[] }>(h.portal.url, "GET", "/unknowns", { client: admin });
    assert.ok(!listed.body.items.some((t) => t.best.sightingId === first), "dealt with: no longer in the queue");
    const closed = await call<{ items: Track[] }>(h.portal.url, "GET", "/unknowns?status=closed", { client: admin });
    const track = closed.body.items.find((t) => t.best.sightingId === first);
    assert.equal(track?.status, "closed", "its track is closed");
    assert.deepEqual([track?.resolution?.kind, track?.resolution?.personId], ["enrolled", r.body.personId]);
    const named = await until("enrolling its track names the visitor", async () => {
      const v = await visitor();
      return v.status === "named" && v;
    });
    assert.equal(named.decision?.personId, r.body.personId);
    assert.equal(
      (await call(h.portal.url, "POST", `/unknowns/${first}/enroll`, { client: admin, json: { name: "Again" } })).status,
      409,
    );

    // by track: a walk-in's track enrolled from its best shot (the sessions' unknown faces have no sighting id)
    const walkIn = await unknownWith(photo("Angelina_Jolie", 1));
    const byTrack = await call<Enrolled>(h.portal.url, "POST", `/unknowns/tracks/gate/${tracks.get(walkIn)}/enroll`, {
      client: admin,
      json: { name: "Angelina Jolie" },
    });
    assert.equal(byTrack.status, 201, JSON.stringify(byTrack.body));
    assert.equal(
      (await call(h.portal.url, "POST", "/unknowns/tracks/gate/no-such-track/enroll", { client: admin, json: { name: "X" } }))
        .status,
      404,
    );

    const second = await unknownWith(photo("Al_Pacino", 2));
    const a = await call<Enrolled>(h.portal.url, "POST", `/unknowns/${second}/assign`, {
      client: admin,
      json: { personId: r.body.personId },
    });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    const detail = await call<{ person: { templates: number } }>(h.portal.url, "GET", `/people/${r.body.personId}`, {
      client: admin,
    });
    assert.equal(detail.body.person.templates, 2);
  });
});
