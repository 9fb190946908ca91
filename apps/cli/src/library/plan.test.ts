import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type BlobRef, makeEnvelope } from "@persona/contracts";
import { type LibraryState, emptyLibrary, encodeEmbedding, evolve, personIdFromImportKey } from "@persona/library";
import type { AcceptedScan, LocalFile, RejectedScan } from "./folder.ts";
import { planImport } from "./plan.ts";
import { type RejectionMemory, noteRejection } from "./rejections.ts";
import { importExitCode, plannedReport, summarize } from "./report.ts";

const src = { source: "test" };
const sha = (c: string) => c.repeat(64);
const file = (name: string, c: string, contentType = "image/jpeg", ext = "jpg"): LocalFile => ({
  path: `/import/${name}`,
  fileName: name,
  sha256: sha(c),
  size: 100,
  contentType,
  ext,
});
const scan = (over: Partial<AcceptedScan> = {}): AcceptedScan => ({
  ok: true,
  folder: "anna",
  path: "/import/anna",
  importKey: "anna",
  warnings: [],
  name: "Анна Каренина",
  description: "Декан",
  photos: [file("anna.jpg", "a"), file("anna-2.jpg", "b")],
  sound: file("hi.mp3", "c", "audio/mpeg", "mp3"),
  encoding: "utf-8",
  groups: [],
  ...over,
});
const ref = (personId: string, f: LocalFile, bucket = "photos"): BlobRef => ({
  bucket,
  key: `${personId}/${f.sha256}.${f.ext}`,
  contentType: f.contentType,
  size: f.size,
  sha256: f.sha256,
});

/** The library after a first import of `s` in which `accepted` photos became templates. */
function libraryWith(s: AcceptedScan, accepted: LocalFile[]): { state: LibraryState; personId: string } {
  const personId = personIdFromImportKey(s.importKey);
  const state = emptyLibrary();
  evolve(
    state,
    makeEnvelope(
      "PersonEnrolled",
      {
        personId,
        name: s.name,
        description: s.description,
        photos: accepted.map((f) => ref(personId, f)),
        sound: s.sound === null ? null : ref(personId, s.sound, "sounds"),
        source: "import",
        importKey: s.importKey,
      },
      src,
    ),
  );
  for (const f of accepted) {
    evolve(
      state,
      makeEnvelope(
        "FaceTemplateAdded",
        {
          personId,
          templateId: crypto.randomUUID(),
          embedding: { model: "m", dims: 2, base64: encodeEmbedding(new Float32Array([0.6, 0.8])) },
          quality: { score: 0.9, faceSize: 150, eyeDistance: 50, sharpness: 80, yaw: 0, pitch: 0, roll: 0 },
          crop: null,
          origin: { kind: "enrollment", photo: ref(personId, f) },
        },
        src,
      ),
    );
  }
  return { state, personId };
}

describe("import planning", () => {
  test("given an empty library, a folder is a new person with the id derived from its import key and all its photos", () => {
    const [item] = planImport([scan()], emptyLibrary());
    assert.equal(item?.kind, "enroll");
    if (item?.kind !== "enroll") return;
    assert.equal(item.personId, personIdFromImportKey("anna"));
    assert.deepEqual(
      item.photos.map((p) => p.fileName),
      ["anna.jpg", "anna-2.jpg"],
    );
    assert.equal(plannedReport(item).status, "imported");
  });

  test("given the same folder already imported, it is unchanged (importing twice changes nothing)", () => {
    const s = scan();
    const { state } = libraryWith(s, s.photos);
    const [item] = planImport([s], state);
    assert.equal(item?.kind, "unchanged");
    const report = plannedReport(item as NonNullable<typeof item>);
    assert.deepEqual(
      report.photos.map((p) => p.outcome),
      ["already-enrolled", "already-enrolled"],
    );
  });

  test("given a changed name, description and sound, the person is updated with exactly those changes", () => {
    const { state } = libraryWith(scan(), scan().photos);
    const changed = scan({
      name: "Анна Аркадьевна Каренина",
      description: "Ректор",
      sound: file("hello.mp3", "d", "audio/mpeg", "mp3"),
    });
    const [item] = planImport([changed], state);
    assert.equal(item?.kind, "update");
    if (item?.kind !== "update") return;
    assert.deepEqual(item.changes, ["name", "description", "sound"]);
    assert.deepEqual(item.newPhotos, []);
  });

  test("given a sound removed from the folder, the update clears the sound", () => {
    const { state } = libraryWith(scan(), scan().photos);
    const [item] = planImport([scan({ sound: null })], state);
    assert.deepEqual(item?.kind === "update" ? item.changes : null, ["sound"]);
  });

  test("given a new photo in the folder, only that photo is sent (EnrollPerson existing: true)", () => {
    const s = scan();
    const { state, personId } = libraryWith(s, s.photos);
    const more = scan({ photos: [...s.photos, file("anna-3.jpg", "e")] });
    const [item] = planImport([more], state);
    assert.equal(item?.kind, "update");
    if (item?.kind !== "update") return;
    assert.equal(item.person.personId, personId);
    assert.deepEqual(item.changes, []);
    assert.deepEqual(
      item.newPhotos.map((p) => p.fileName),
      ["anna-3.jpg"],
    );
    assert.deepEqual(plannedReport(item).changes, ["photos"]);
  });

  test("given a photo the recognizer rejected before, it is not sent again unless asked", () => {
    const s = scan();
    const { state, personId } = libraryWith(s, [s.photos[0] as LocalFile]);
    const rejected: RejectionMemory = new Map();
    noteRejection(
      rejected,
      makeEnvelope(
        "EnrollmentRejected",
        {
          requestId: crypto.randomUUID(),
          personId,
          name: s.name,
          reason: "no-face",
          message: `no face in photo ${personId}/${sha("b")}.jpg`,
        },
        src,
      ),
    );
    const [item] = planImport([s], state, rejected);
    assert.equal(item?.kind, "unchanged");
    assert.deepEqual(
      plannedReport(item as NonNullable<typeof item>).photos.map((p) => [p.file, p.outcome, p.reason?.code ?? null]),
      [
        ["anna.jpg", "already-enrolled", null],
        ["anna-2.jpg", "previously-rejected", "no-face"],
      ],
    );
    const [retry] = planImport([s], state, rejected, { retryRejected: true });
    assert.deepEqual(retry?.kind === "update" ? retry.newPhotos.map((p) => p.fileName) : null, ["anna-2.jpg"]);
  });

  test("given a new person whose every photo was rejected before, it is rejected again without sending", () => {
    const s = scan({ photos: [file("blurry.jpg", "f")] });
    const personId = personIdFromImportKey(s.importKey);
    const rejected: RejectionMemory = new Map([[personId, new Map([[sha("f"), { code: "low-quality", message: "blurry" }]])]]);
    const [item] = planImport([s], emptyLibrary(), rejected);
    assert.equal(item?.kind, "reject-again");
    assert.equal(plannedReport(item as NonNullable<typeof item>).status, "rejected");
  });

  test("given a removed person, importing the folder again enrolls them anew under the same id", () => {
    const s = scan();
    const { state, personId } = libraryWith(s, s.photos);
    evolve(state, makeEnvelope("PersonRemoved", { personId, reason: "left", by: "cli" }, src));
    const [item] = planImport([s], state);
    assert.equal(item?.kind, "enroll");
    assert.equal(item?.kind === "enroll" ? item.personId : null, personId);
  });

  test("given a rejected folder, the report says why and the exit code is 1", () => {
    const bad: RejectedScan = {
      ok: false,
      folder: "x",
      path: "/import/x",
      importKey: "x",
      warnings: [],
      reason: { code: "no-data-txt", message: "no data.txt in the folder" },
    };
    const items = planImport([bad, scan()], emptyLibrary());
    const people = items.map(plannedReport);
    assert.deepEqual(people[0]?.reason, { code: "no-data-txt", message: "no data.txt in the folder" });
    const summary = summarize(people);
    assert.deepEqual([summary.total, summary.rejected, summary.imported], [2, 1, 1]);
    const report = { version: 1 as const, dir: "/import", dryRun: true, startedAt: "", finishedAt: "", summary, people };
    assert.equal(importExitCode(report), 1);
    assert.equal(importExitCode({ ...report, people: [people[1]!], summary: summarize([people[1]!]) }), 0);
  });

  test("a rejection naming no single sha256, or refusing the whole request, is not remembered against a photo", () => {
    const memory: RejectionMemory = new Map();
    const rej = (reason: "no-face" | "invalid-request", message: string) =>
      makeEnvelope("EnrollmentRejected", { requestId: crypto.randomUUID(), personId: "p1", name: "A", reason, message }, src);
    noteRejection(memory, rej("no-face", "no face in anna.jpg"));
    noteRejection(memory, rej("invalid-request", `bad request for ${sha("a")}`));
    assert.equal(memory.size, 0);
  });
});

describe("a photo that is another person's (duplicate-of)", () => {
  test("two folders of one import with the same photo: the second is rejected duplicate-of the first", () => {
    const first = scan();
    const twin = scan({ folder: "anna (copy)", path: "/import/anna (copy)", importKey: "anna (copy)" });
    const [a, b] = planImport([first, twin], emptyLibrary());
    assert.equal(a?.kind, "enroll");
    assert.equal(b?.kind, "reject-again");
    const report = plannedReport(b as NonNullable<typeof b>);
    assert.equal(report.status, "rejected");
    assert.equal(report.reason?.code, "duplicate-of");
    assert.ok(report.photos.every((p) => p.outcome === "rejected" && p.reason?.code === "duplicate-of"));
    assert.match(report.photos[0]?.reason?.message ?? "", /^duplicate-of folder anna: the same photo/);
    // the user insists: both folders are sent
    const [, insisted] = planImport([first, twin], emptyLibrary(), new Map(), { allowDuplicate: true });
    assert.equal(insisted?.kind, "enroll");
  });

  test("a photo that is already a library person's template is rejected naming that person; other photos go", () => {
    const anna = scan();
    const { state, personId } = libraryWith(anna, [file("anna.jpg", "a")]);
    const other = scan({
      folder: "kitty",
      path: "/import/kitty",
      importKey: "kitty",
      name: "Kitty",
      photos: [file("kitty.jpg", "k"), file("same.jpg", "a")],
    });
    const [item] = planImport([other], state);
    assert.equal(item?.kind, "enroll");
    assert.deepEqual(item?.kind === "enroll" ? item.photos.map((f) => f.fileName) : null, ["kitty.jpg"]);
    const report = plannedReport(item as NonNullable<typeof item>);
    const dup = report.photos.find((p) => p.file === "same.jpg");
    assert.equal(dup?.outcome, "rejected");
    assert.match(dup?.reason?.message ?? "", new RegExp(`^duplicate-of ${personId} \\(Анна Каренина\\)`));
    // re-importing the owner's own folder is not a duplicate of itself
    assert.equal(planImport([anna], state)[0]?.kind, "update");
  });
});
