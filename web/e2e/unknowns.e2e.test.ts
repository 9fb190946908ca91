/**
 * The Unknowns page in Debian's Chromium (real nats-server, store and portal; harness.ts): two unknown tracks of five
 * shots each (real LFW faces as crops, the library empty) that the trainer clustered into one visitor, and one track
 * it did not: one card per track with its shot count under the visitor's header, "no one close" and never a raw
 * "-1.00"; once the visitor is named its cards leave the queue and show closed among the closed ones.
 * Screenshot: unknowns.png.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { ADMIN, System, go, lfw, login, shot, skipReason } from "./harness.ts";

const skip = skipReason();
if (skip) console.log(`# unknowns.e2e skipped: ${skip}`);

const QUALITY = { score: 0.6, faceSize: 160, eyeDistance: 52, sharpness: 90, yaw: 0, pitch: 0, roll: 0 };
const jpeg = (person: string, n: number) => ({
  kind: "inline" as const,
  contentType: "image/jpeg" as const,
  base64: readFileSync(lfw(person, n)).toString("base64"),
});

describe("unknowns by track in the console", { skip }, () => {
  let sys: System;
  let page: Page;
  const visitorId = randomUUID();

  before(async () => {
    sys = await System.start([]);
    ({ page } = await sys.newPage());
  });
  after(async () => {
    await sys?.stop();
  });

  /** Five shots of one track (the recognizer's answer with an empty library: -1, nobody); returns the best shot. */
  const track = async (cameraId: string, trackId: string, person: string, t0: number) => {
    let best = "";
    for (let i = 0; i < 5; i++) {
      const detectionId = randomUUID();
      if (i === 2) best = detectionId;
      await sys.bus.publish(
        sys.bus.envelope("UnknownFaceSeen", {
          cameraId,
          trackId,
          detectionId,
          bestSimilarity: -1,
          bestPersonId: null,
          quality: { ...QUALITY, score: i === 2 ? 0.9 : 0.5 + i * 0.05 },
          frameAt: new Date(t0 + i * 300).toISOString(),
          crop: jpeg(person, i + 1),
          embedding: { model: "m", dims: 1, base64: Buffer.alloc(4).toString("base64") },
        }),
      );
    }
    return best;
  };

  test("one card per track, grouped under the visitor, no sentinel values; closed once the visitor is named", async () => {
    const t0 = Date.now() - 120_000;
    const a = await track("door", "t-1", "Tony_Blair", t0);
    const b = await track("hall", "t-2", "Tony_Blair", t0 + 30_000);
    await track("yard", "t-3", "Serena_Williams", t0 + 60_000);
    const crop = (cameraId: string, trackId: string, detectionId: string, at: number, n: number) => ({
      detectionId,
      cameraId,
      trackId,
      quality: 0.9,
      seenAt: new Date(at).toISOString(),
      crop: jpeg("Tony_Blair", n),
    });
    await sys.bus.publish(
      sys.bus.envelope("VisitorClustered", {
        visitorId,
        faces: 10,
        visits: 2,
        firstSeen: new Date(t0).toISOString(),
        lastSeen: new Date(t0 + 31_200).toISOString(),
        cameras: ["door", "hall"],
        bestCrops: [crop("door", "t-1", a, t0 + 600, 3), crop("hall", "t-2", b, t0 + 30_600, 3)],
        absorbed: [],
      }),
    );

    await login(page, ADMIN.username, ADMIN.password);
    await go(page, "unknowns");
    const group = page.getByTestId("unknown-visitor");
    await group.locator("[data-testid=unknown]").nth(1).waitFor();
    const cards = group.getByTestId("unknown");
    assert.equal(await cards.count(), 2, "the visitor's two tracks, one card each");
    assert.deepEqual(await cards.evaluateAll((els) => els.map((e) => e.getAttribute("data-track"))), ["hall/t-2", "door/t-1"]);
    assert.deepEqual(await cards.evaluateAll((els) => els.map((e) => e.getAttribute("data-sighting-id"))), [b, a]);
    assert.deepEqual(await group.getByTestId("unknown-shots").allTextContents(), ["5 shots", "5 shots"]);
    assert.match((await group.getByTestId("unknown-visitor-header").textContent()) ?? "", /2 visits.*door, hall/);
    await page.getByTestId("unknown-loose").getByTestId("unknown").waitFor();
    assert.equal(await page.getByTestId("unknown").count(), 3, "15 shots, 3 cards");
    assert.deepEqual(await page.getByTestId("unknown-nearest").allTextContents(), [
      "no one close",
      "no one close",
      "no one close",
    ]);
    // the crops are loaded (the best shot of each track)
    await page.waitForFunction(() =>
      [...document.querySelectorAll("[data-testid=unknown] img")].every((i) => (i as HTMLImageElement).naturalWidth > 0),
    );
    const text = (await page.getByTestId("unknowns").textContent()) ?? "";
    // a shown score of -1 (or -1.00), not the "-1" of a date such as 2026-12-07
    assert.ok(!/(^|[^\w-])-1(\.0+)?(?![\w.-])/.test(text), `no sentinel in: ${text}`);
    await shot(page, "unknowns");

    await sys.bus.publish(
      sys.bus.envelope("VisitorNamed", { visitorId, personId: "p-tony", existing: false, name: "Tony Blair", by: "admin" }),
    );
    // the live push of the visitor reloads the page: the named visitor's cards leave the queue
    await page.getByTestId("unknown-visitor").waitFor({ state: "detached" });
    assert.equal(await page.getByTestId("unknown").count(), 1);
    await page.getByTestId("unknowns-show-closed").check();
    await page.getByTestId("unknown-visitor").waitFor();
    assert.match((await page.getByTestId("unknown-visitor-status").textContent()) ?? "", /closed: named as Tony Blair/);
    assert.deepEqual(
      await page
        .getByTestId("unknown-visitor")
        .getByTestId("unknown")
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-status"))),
      ["closed", "closed"],
    );
  });
});
