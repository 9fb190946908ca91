/**
 * Settings and System pages (issue #16 items 5 and 6): the alert rules edited as a form, the portal's field errors
 * shown beside their field, and the System page with every service replica's readiness (fake replicas answering
 * /readyz and /metrics, and one that does not answer), the cameras' state and fps and the recognizers' throughput.
 */
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { fakeService, serverUrl } from "@persona/testing";
import { after, before, describe, test } from "node:test";
import { cameraLive } from "@persona/bus/testing";
import type { Page } from "playwright-core";
import { ADMIN, System, apiFromPage, go, login, shot, skipReason } from "./harness.ts";

const skip = skipReason();

describe("settings: alert rules as a form; the System page", { skip }, () => {
  let sys: System;
  const servers: Server[] = [];
  let handled = 1000;
  let frames = 300;

  before(async () => {
    sys = await System.start([{ id: "gate", role: "perimeter" }]);
    const recognizer = await fakeService(
      "recognizer",
      () => `persona_messages_handled_total{consumer="recognizer",type="FaceDetected",outcome="ok"} ${handled}\n`,
    );
    const camera = await fakeService(
      "camera",
      () =>
        `persona_camera_frames_total{camera="gate",outcome="processed"} ${frames}\n` +
        `persona_camera_state{camera="gate",state="live"} 1\n`,
    );
    servers.push(recognizer, camera);
    const dead = await fakeService("greeter", () => "");
    const deadUrl = serverUrl(dead);
    await new Promise((r) => dead.close(r));
    // the portal reads the replicas it was given at start
    await sys.stopPortal();
    sys.portalOptions.serviceHealth = [
      { service: "camera", url: serverUrl(camera) },
      { service: "recognizer", url: serverUrl(recognizer) },
      { service: "greeter", url: deadUrl },
    ];
    await sys.startPortalAgain();
    await sys.bus.publish(
      sys.bus.envelope(
        "CameraStatusChanged",
        cameraLive("gate", { role: "perimeter", message: "playing", source: "rtsp://gate" }),
      ),
    );
  });
  after(async () => {
    await sys?.stop();
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  /** `f` on a new page, logged in as the admin and on the page of the `nav` link. */
  const asAdminOn = (nav: string, f: (page: Page) => Promise<void>) =>
    sys.withPage(async (page) => {
      await login(page, ADMIN.username, ADMIN.password);
      await go(page, nav);
      await f(page);
    });

  test("a rule edited in the form: an invalid id is shown beside the field, then the fixed rule is saved", async () => {
    await asAdminOn("settings", async (page) => {
      await page.getByTestId("rules-form").waitFor();
      const rule = page.getByTestId("rule-0");
      await rule.waitFor();
      assert.equal(await page.getByTestId("rules-json").count(), 0, "the JSON is behind the advanced toggle");

      await page.getByTestId("rule-0-id").fill("Bad Id!");
      await page.getByTestId("rule-0-severity").selectOption("critical");
      await page.getByTestId("rule-0-dedupe").fill("15");
      await page.getByTestId("rule-0-role-entrance").check();
      await page.getByTestId("camera-role-gate").selectOption("perimeter");
      await page.getByTestId("camera-scheduled-gate").check();
      await page.getByTestId("camera-from-gate").fill("07:30");
      await page.getByTestId("camera-offset-gate").selectOption("180");
      await page.getByTestId("rules-save").click();
      const idError = page.getByTestId("error-rules.0.id");
      await idError.waitFor();
      assert.match(await idError.innerText(), /lower-case letters/);
      await shot(page, "rules-form");

      await page.getByTestId("rule-0-id").fill("perimeter-strangers");
      await page.getByTestId("rules-save").click();
      await page.getByTestId("rules-result").filter({ hasText: "Rules saved." }).waitFor();
      assert.equal(await idError.count(), 0, "the error is gone once the field is valid");

      const saved = (await apiFromPage(page, "GET", "/api/v1/rules")).body as {
        cameras: Record<string, { role: string; schedule?: { from: string; utcOffsetMinutes: number } }>;
        rules: { id: string; severity: string; dedupeMinutes: number; roles: string[] }[];
      };
      assert.deepEqual(
        [saved.rules[0]?.id, saved.rules[0]?.severity, saved.rules[0]?.dedupeMinutes, saved.rules[0]?.roles],
        ["perimeter-strangers", "critical", 15, ["perimeter", "entrance"]],
      );
      assert.deepEqual(
        [saved.cameras.gate?.role, saved.cameras.gate?.schedule?.from, saved.cameras.gate?.schedule?.utcOffsetMinutes],
        ["perimeter", "07:30", 180],
      );

      // a fresh load shows the saved values in the form; the JSON is still there behind the toggle
      await page.reload();
      await page.getByTestId("rule-0-severity").waitFor();
      assert.equal(await page.getByTestId("rule-0-severity").inputValue(), "critical");
      await page.getByTestId("rules-advanced").check();
      assert.match(await page.getByTestId("rules-json").inputValue(), /perimeter-strangers/);
    });
  });

  test("recognition thresholds: the measured rates beside each value; an admin applies a stricter one and resets it", async () => {
    await asAdminOn("settings", async (page) => {
      const card = page.getByTestId("thresholds");
      const row = card.locator("tr", { hasText: "default" });
      await row.waitFor();
      assert.match(await row.innerText(), /strangers named [\d.]+%/);
      const id = ((await row.getAttribute("data-testid")) ?? "").replace(/^threshold-/, "");
      const before = Number(await page.getByTestId(`threshold-value-${id}`).innerText());
      const select = page.getByTestId(`threshold-select-${id}`);
      const options = await select.locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      const stricter = options.find((v) => Number(v) > before + 0.02) ?? assert.fail("no stricter measured value");
      await select.selectOption(stricter);
      await page.getByTestId(`threshold-save-${id}`).click();
      await page
        .getByTestId(`threshold-value-${id}`)
        .filter({ hasText: Number(stricter).toFixed(3) })
        .waitFor();
      assert.match(await card.locator("tr", { hasText: "default" }).innerText(), /set by admin/);
      await shot(page, "settings-thresholds");
      const listed = (await apiFromPage(page, "GET", "/api/v1/thresholds")).body as {
        items: { recognizerDefault: boolean; effective: { threshold: number } }[];
      };
      assert.equal(listed.items.find((t) => t.recognizerDefault)?.effective.threshold, Number(stricter));
      await page.getByTestId(`threshold-reset-${id}`).click();
      await page
        .getByTestId(`threshold-value-${id}`)
        .filter({ hasText: before.toFixed(3) })
        .waitFor();
    });
  });

  test("the System page: replicas ready and down, consumers, cameras with fps, recognizer throughput, store size", async () => {
    await asAdminOn("system", async (page) => {
      await page.locator("[data-testid=replica-recognizer][data-state=ready]").waitFor();
      await page.locator("[data-testid=replica-camera][data-state=ready]").waitFor();
      await page.locator("[data-testid=replica-greeter][data-state=down]").waitFor();
      await page.getByTestId("system-consumers").getByText("projections").first().waitFor();
      handled += 50;
      frames += 25;
      await page.waitForTimeout(1100);
      await page.getByTestId("system-refresh").click();
      const cam = page.getByTestId("system-camera-gate");
      await cam.getByText("live").first().waitFor();
      // a rate shows once two readings exist
      await page
        .getByTestId("system-recognizers")
        .getByText(/^\d+\.\d$/)
        .waitFor();
      assert.match(await cam.innerText(), /\d+\.\d/);
      assert.match(await page.getByTestId("system-storage").innerText(), /sqlite: [\d.]+ (B|KiB|MiB)/);
      await shot(page, "system");
    });
  });
});
