import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LiveSighting, Sighting } from "./api.gen.ts";
import { applySighting, dashboardOrder, fromSighting, headlineOf, scoreLabel, verdictOf } from "./feed.ts";

const at = (m: number) => `2026-01-01T09:${String(m).padStart(2, "0")}:00.000Z`;
/** A listed sighting (GET /sightings) of person p's track t, as the recognizer decided the shot. */
const listed = (id: string, recognition: Sighting["recognition"], extra: Partial<Sighting> = {}): Sighting => ({
  id,
  cameraId: "desk-1",
  trackId: "t",
  personId: recognition === "unknown" ? null : "p",
  name: recognition === "unknown" ? null : "Ann",
  decision: recognition === "unknown" ? "unknown" : "recognized",
  recognition,
  concluded: null,
  score: 0.91,
  at: at(Number(id.replace(/\D/g, "")) || 0),
  cropKey: null,
  ...extra,
});
const concluded = (outcome: "recognized" | "unknown" | "undecided", personId: string | null = null) => ({
  outcome,
  personId,
  name: personId === null ? null : "Ann",
  score: outcome === "undecided" ? null : 0.9,
  endedAt: at(30),
});

describe("recognitions as the recognizer decided them", () => {
  test("a listed probable match stays probable after a reload (it used to come back confirmed)", () => {
    assert.equal(verdictOf(listed("s1", "probable")), "probable");
    assert.equal(fromSighting(listed("s1", "probable"))?.decision, "probable");
    assert.equal(fromSighting(listed("s1", "confirmed"))?.decision, "confirmed");
  });

  test("the track's conclusion decides once known: as this person confirmed, a stranger or someone else no card", () => {
    assert.equal(verdictOf(listed("s1", "probable", { concluded: concluded("recognized", "p") })), "confirmed");
    assert.equal(fromSighting(listed("s1", "probable", { concluded: concluded("recognized", "p") }))?.concluded, true);
    assert.equal(verdictOf(listed("s1", "probable", { concluded: concluded("unknown") })), "unknown");
    assert.equal(fromSighting(listed("s1", "confirmed", { concluded: concluded("unknown") })), null);
    assert.equal(verdictOf(listed("s1", "confirmed", { concluded: concluded("recognized", "q") })), "unknown");
    // undecided: the shot's own decision stands
    assert.equal(verdictOf(listed("s1", "probable", { concluded: concluded("undecided") })), "probable");
    assert.equal(verdictOf(listed("s1", "unknown")), "unknown");
  });

  test("the headline is the newest confirmed recognition, never a probable one or a stranger", () => {
    const cards = [listed("s3", "probable"), listed("s2", "confirmed"), listed("s1", "confirmed")]
      .map(fromSighting)
      .filter((r) => r !== null);
    assert.equal(headlineOf(cards)?.id, "s2");
    assert.deepEqual(
      dashboardOrder(cards).map((r) => r.id),
      ["s2", "s3", "s1"],
    );
    const probableOnly = [listed("s1", "probable")].map(fromSighting).filter((r) => r !== null);
    assert.equal(headlineOf(probableOnly), null);
    assert.deepEqual(
      dashboardOrder(probableOnly).map((r) => r.id),
      ["s1"],
    );
  });

  test("a sighting pushed again with its conclusion replaces its card in place, or removes it (a stranger)", () => {
    const pushed = (id: string, extra: Partial<LiveSighting> = {}): LiveSighting => ({
      ...listed(id, "probable"),
      probable: true,
      ...extra,
    });
    let list = applySighting(50, [], pushed("s1"));
    list = applySighting(50, list, pushed("s2"));
    assert.deepEqual(
      list.map((r) => [r.id, r.decision]),
      [
        ["s2", "probable"],
        ["s1", "probable"],
      ],
    );
    const confirmed = applySighting(50, list, pushed("s1", { concluded: concluded("recognized", "p") }));
    assert.deepEqual(
      confirmed.map((r) => [r.id, r.decision]),
      [
        ["s2", "probable"],
        ["s1", "confirmed"],
      ],
    );
    const stranger = applySighting(50, list, pushed("s2", { concluded: concluded("unknown") }));
    assert.deepEqual(
      stranger.map((r) => r.id),
      ["s1"],
    );
    assert.deepEqual(applySighting(50, [], pushed("s9", { concluded: concluded("unknown") })), []);
  });

  test("a score says what it is: a similarity, with the naming threshold when one is known", () => {
    assert.equal(scoreLabel(0.9134).text, "similarity 0.91");
    assert.equal(scoreLabel(0.91, 0.44).text, "similarity 0.91 (names at ≥ 0.44)");
    assert.match(scoreLabel(0.91).title, /not a probability/);
  });
});
