/**
 * Cameras managed in the console, in Debian's Chromium (real nats-server, store, portal, recognizer and a camera
 * service with no bootstrap cameras; harness.ts): an admin adds a camera for a clip of the shared videos, it reports
 * live with an fps and its first sighting reaches the console within 10 s, without restarting anything; the admin
 * draws a zone, disables and removes it. Screenshots: cameras.png, camera-edit.png.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { ADMIN, System, apiFromPage, go, login, shot, skipReason } from "./harness.ts";

const CLIP = "clm_multi_face.avi";
const skip = skipReason([CLIP]);
if (skip) console.log(`# cameras.e2e skipped: ${skip}`);

describe("cameras managed in the console", { skip }, () => {
  let sys: System;
  let page: Page;

  before(async () => {
    sys = await System.start([], { managedCameras: true });
    await sys.startCameraFleet();
    ({ page } = await sys.newPage());
  });
  after(async () => {
    await sys?.stop();
  });

  test("add a camera: live with an fps, first sighting within 10 s, no restart; zone, disable, remove", async (t) => {
    await login(page, ADMIN.username, ADMIN.password);
    await go(page, "cameras");
    await page.getByTestId("cameras-empty").waitFor();

    await page.getByTestId("camera-add").click();
    await page.getByTestId("camera-id").fill("hall");
    await page.getByTestId("camera-name").fill("Hall (clip)");
    await page.getByTestId("camera-source").fill(CLIP);
    await page.getByTestId("camera-role").selectOption("classroom");
    const t0 = Date.now();
    await page.getByTestId("camera-save").click();
    await page.getByTestId("camera-form").waitFor({ state: "detached" });

    const row = page.getByTestId("camera-row-hall");
    await row.and(page.locator('[data-status="live"]')).waitFor({ timeout: 15_000 });
    const sighting = async () => {
      for (;;) {
        const r = await apiFromPage(page, "GET", "/api/v1/sightings?cameraId=hall");
        if ((r.body as { items: unknown[] }).items.length > 0) return Date.now() - t0;
        if (Date.now() - t0 > 10_000) return null;
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    const ms = await sighting();
    assert.ok(ms !== null, "a sighting from the added camera within 10 s of saving it");
    t.diagnostic(`camera added in the console: first sighting after ${ms} ms`);
    await page
      .getByTestId("camera-fps-hall")
      .filter({ hasText: /^[1-9]/ })
      .waitFor({ timeout: 10_000 });
    assert.match((await row.textContent()) ?? "", /Hall \(clip\)/);
    await shot(page, "cameras");

    // edit: a zone typed in per cent over the snapshot
    await page.getByTestId("camera-edit-hall").click();
    const form = page.getByTestId("camera-form");
    await form.getByRole("img").waitFor();
    await page.getByTestId("zone-x").fill("10");
    await page.getByTestId("zone-y").fill("0");
    await page.getByTestId("zone-width").fill("50");
    await page.getByTestId("zone-height").fill("100");
    await shot(page, "camera-edit");
    await page.getByTestId("camera-save").click();
    await form.waitFor({ state: "detached" });
    await row.filter({ hasText: "zone" }).waitFor();
    const listed = (await apiFromPage(page, "GET", "/api/v1/cameras")).body as { items: { cameraId: string; zone: unknown }[] };
    assert.deepEqual(listed.items.find((c) => c.cameraId === "hall")?.zone, { x: 0.1, y: 0, width: 0.5, height: 1 });

    await page.getByTestId("camera-toggle-hall").click();
    await row.and(page.locator('[data-status="disabled"]')).waitFor({ timeout: 10_000 });

    page.once("dialog", (d) => void d.accept());
    await page.getByTestId("camera-remove-hall").click();
    await row.waitFor({ state: "detached", timeout: 10_000 });
    await page.getByTestId("cameras-empty").waitFor();
  });
});
