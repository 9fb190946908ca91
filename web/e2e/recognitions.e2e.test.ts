/**
 * Issue #16 (items 1 and 10) in Chromium against the real system (nats-server, SQLite, recognizer, portal): on an
 * empty system the dashboard and the People page say what to do first; recognitions show as the recognizer decided
 * them, after a reload too: a probable match is marked probable, the headline card is the newest confirmed person,
 * and a stranger the recognizer only half-matched (its track concluded unknown) never heads the dashboard.
 * Screenshots go to artifacts/screenshots/recognitions-*.png.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { cameraLive } from "@persona/bus/testing";
import { ADMIN, System, go, login, shot, skipReason } from "./harness.ts";

const skip = skipReason();

/** A small JPEG of one colour, as a face crop riding inline on the event. */
const crop = async (r: number, g: number, b: number) =>
  (
    await sharp({ create: { width: 96, height: 96, channels: 3, background: { r, g, b } } })
      .jpeg({ quality: 70 })
      .toBuffer()
  ).toString("base64");

describe("recognitions as the recognizer decided them, and first-run guidance", { skip }, () => {
  let sys: System;
  let admin: Page;

  before(async () => {
    // no cameras, nobody enrolled
    sys = await System.start([]);
    ({ page: admin } = await sys.newPage());
  });
  after(async () => {
    await sys?.stop();
  });

  const recognized = async (
    trackId: string,
    decision: "confirmed" | "probable",
    similarity: number,
    frameAt: string,
    jpeg: string,
  ) => {
    const detectionId = randomUUID();
    await sys.bus.publish(
      sys.bus.envelope("FaceRecognized", {
        cameraId: "desk-1",
        trackId,
        detectionId,
        personId: "p-ann",
        personName: "Ann Example",
        similarity,
        margin: 0.1,
        decision,
        votes: { agreeing: decision === "confirmed" ? 3 : 1, total: 3 },
        quality: { score: 0.8, faceSize: 96, eyeDistance: 40, sharpness: 10, yaw: 0, pitch: 0, roll: 0 },
        frameAt,
        crop: { kind: "inline", contentType: "image/jpeg", base64: jpeg },
        via: "embedding",
      }),
    );
    return detectionId;
  };
  const card = (id: string) => admin.locator(`[data-testid=recognition][data-sighting-id="${id}"]`);

  test("an empty system: the dashboard and the People page say what to do next", async () => {
    await login(admin, ADMIN.username, ADMIN.password);
    const people = admin.getByTestId("guide-no-people");
    await people.waitFor();
    assert.match((await people.textContent()) ?? "", /persona import DIR/);
    assert.equal(await admin.getByTestId("guide-add-person").textContent(), "Add person");
    const cameras = admin.getByTestId("guide-no-cameras");
    assert.match((await cameras.textContent()) ?? "", /CAMERAS=/);
    await shot(admin, "recognitions-01-first-run-dashboard");

    await admin.getByTestId("guide-add-person").click();
    await admin.getByTestId("people-guide").waitFor();
    assert.match((await admin.getByTestId("people-guide").textContent()) ?? "", /persona import DIR/);
    await admin.getByTestId("people-guide").getByTestId("guide-add-person").click();
    assert.equal(await admin.evaluate("document.activeElement?.dataset?.testid"), "enroll-name");
    await shot(admin, "recognitions-02-first-run-people");
  });

  test("after a reload a probable match is probable, the headline is the confirmed person, never a stranger", async () => {
    await sys.bus.publish(
      sys.bus.envelope("PersonEnrolled", {
        personId: "p-ann",
        name: "Ann Example",
        description: "front desk",
        photos: [],
        sound: null,
        source: "cli",
        importKey: null,
      }),
    );
    await sys.bus.publish(
      sys.bus.envelope("CameraStatusChanged", cameraLive("desk-1", { role: "desk", message: "ok", source: "file://desk" })),
    );
    await go(admin, "dashboard");
    // the guidance follows the system: a person and a camera, nothing left to say
    await admin.getByTestId("recognitions-empty").waitFor();
    await admin.getByTestId("first-run").waitFor({ state: "detached" });

    const t = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    const confirmed = await recognized("ann-1", "confirmed", 0.93, t(0), await crop(40, 120, 200));
    const probable = await recognized("ann-2", "probable", 0.88, t(10), await crop(200, 160, 40));
    // a stranger the recognizer half-matched to Ann on one shot, then concluded unknown over the whole track
    const stranger = await recognized("stranger-1", "probable", 0.91, t(20), await crop(200, 40, 40));
    await card(stranger).waitFor();
    assert.equal(await card(stranger).getAttribute("data-decision"), "probable");
    assert.equal(await card(stranger).getAttribute("data-headline"), null, "a probable match never heads the dashboard");
    await sys.bus.publish(
      sys.bus.envelope("TrackConcluded", {
        cameraId: "desk-1",
        trackId: "stranger-1",
        startedAt: t(19),
        endedAt: t(22),
        frames: 40,
        shots: 3,
        bestQuality: 0.8,
        outcome: { kind: "unknown", bestSimilarity: 0.52 },
      }),
    );
    // pushed again with its conclusion: the card goes, without a reload
    await card(stranger).waitFor({ state: "detached" });

    await admin.reload();
    await card(probable).waitFor();
    await card(confirmed).waitFor();
    assert.equal(await card(probable).getAttribute("data-decision"), "probable", "still probable after the reload");
    assert.equal(await card(probable).getByTestId("recognition-probable").textContent(), "probable");
    assert.equal(await card(confirmed).getAttribute("data-decision"), "confirmed");
    const headline = admin.locator("[data-testid=recognition][data-headline=true]");
    assert.equal(await headline.count(), 1);
    assert.equal(await headline.getAttribute("data-sighting-id"), confirmed, "the headline is the confirmed person");
    assert.equal(await card(stranger).count(), 0, "the stranger is not shown as Ann after the reload");
    const score = card(probable).getByTestId("recognition-score");
    assert.equal(await score.textContent(), "similarity 0.88");
    assert.match((await score.getAttribute("title")) ?? "", /not a probability/);
    assert.equal(await admin.getByTestId("first-run").count(), 0);
    await shot(admin, "recognitions-03-dashboard-after-reload");

    // the person page: each sighting with the recognizer's decision, the stranger's shot not confirmed
    await admin.getByTestId("recognition-name").first().click();
    await admin.getByTestId("recent-sightings").waitFor();
    const decisions = await admin
      .getByTestId("recent-sighting")
      .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.decision));
    assert.deepEqual(decisions, ["unknown", "probable", "confirmed"]);
    await shot(admin, "recognitions-04-person-sightings");
  });
});
