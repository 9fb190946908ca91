import assert from "node:assert/strict";
import { test } from "node:test";
import { type LibraryState, type PersonState, emptyLibrary } from "@persona/library";
import { lookupPerson, peopleText, searchPeople } from "./people.ts";
import { statusText } from "./status.ts";

function library(people: [string, string, string][]): LibraryState {
  const s = emptyLibrary();
  for (const [id, name, description] of people) {
    s.people.set(id, {
      personId: id,
      name,
      description,
      photos: [],
      sound: null,
      watchlist: null,
      source: "bot",
      importKey: null,
      enrolledAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      templates: new Map(),
    } satisfies PersonState);
  }
  return s;
}

test("lookup: id, exact name, then the name ignoring case and spaces; several with one name; near matches", () => {
  const s = library([
    ["p-1", "Анна Каренина", "teacher"],
    ["p-2", "John Smith", ""],
    ["p-3", "John Smith", "the other one"],
    ["p-4", "Al Pacino", "actor"],
  ]);
  assert.equal(lookupPerson(s, "p-4").kind === "one", true);
  const anna = lookupPerson(s, "  анна   каренина ");
  assert.equal(anna.kind === "one" && anna.person.personId, "p-1");
  const john = lookupPerson(s, "John Smith");
  assert.equal(john.kind === "several" && john.people.length, 2);
  const near = lookupPerson(s, "pacin");
  assert.equal(near.kind === "none" && near.near[0]?.personId, "p-4");
  assert.deepEqual(
    searchPeople(s, "ACTOR").map((p) => p.personId),
    ["p-4"],
  );
  assert.match(peopleText(s), /^4 people:\n• Al Pacino — actor \(0 templates, id p-4\)/);
  assert.match(peopleText(emptyLibrary()), /empty/);
});

test("status text: services, cameras and lagging consumers", () => {
  const text = statusText(
    [
      { service: "recognizer", ready: true, reachable: true, detail: "" },
      { service: "camera", ready: false, reachable: false, detail: "no answer on port 9101 (TypeError)" },
    ],
    [
      {
        cameraId: "door",
        role: "entrance",
        status: "reconnecting",
        message: "timeout",
        attempt: 2,
        source: "x",
        at: "2026-01-01T10:00:00.000Z",
      },
    ],
    [{ stream: "DETECTIONS", consumer: "recognizers", pending: 5000, ackPending: 3, redelivered: 0 }],
  );
  assert.match(text, /^Services: 1 of 2 ready\n✅ recognizer\n❌ camera down — no answer on port 9101/);
  assert.match(text, /Cameras: 0 of 1 live\n⚠️ door \(entrance\): reconnecting since 2026-01-01 10:00:00 UTC — timeout/);
  assert.match(text, /Consumers: 1, 1 behind\n⚠️ DETECTIONS\/recognizers: 5000 waiting, 3 in progress/);
});
