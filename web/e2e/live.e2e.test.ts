/**
 * Live video in the console (issue #16): every camera's annotated MJPEG through the portal, a grid and a single view.
 * Two cameras loop clips; the page shows their frames from /api/v1/cameras/<id>/live (same origin, behind the
 * session), a tile opens the camera large, and leaving the page closes the camera's stream.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CameraService, configSchema as cameraConfigSchema, startCameraService } from "@persona/service-camera";
import type { Page } from "playwright-core";
import { ADMIN, System, VIDEOS, go, login, shot, skipReason } from "./harness.ts";

const CLIPS = { desk: "ytc_0294_02_004_angelina_jolie.avi", gate: "ytc_0244_03_004_anderson_cooper.avi" } as const;
const skip = skipReason(Object.values(CLIPS));

/** Waits until the image in `selector` has decoded a frame (naturalWidth > 0); returns its size and src. */
async function frameShown(page: Page, selector: string): Promise<{ width: number; height: number; src: string }> {
  // polled from here: waitForFunction would evaluate the predicate in the page, which the console's CSP forbids
  const probe = `(() => { const img = document.querySelector(${JSON.stringify(selector)}); return img ? { width: img.naturalWidth, height: img.naturalHeight, src: img.getAttribute("src") } : null; })()`;
  const end = Date.now() + 30_000;
  for (;;) {
    const img = (await page.evaluate(probe)) as { width: number; height: number; src: string } | null;
    if (img && img.width > 1 && !img.src.startsWith("data:")) return img;
    if (Date.now() > end) throw new Error(`no frame in ${selector}: ${JSON.stringify(img)}`);
    await page.waitForTimeout(200);
  }
}

describe("live video in the console: a grid of every camera and a single view, through the portal", { skip }, () => {
  let sys: System;
  const cameras: CameraService[] = [];
  /** Watchers of a camera's own live view (its JSON on the camera's port, which only the test reads). */
  const watchers = async (id: string): Promise<number> => {
    const plan = sys.plans.find((p) => p.id === id);
    const r = await fetch(`http://127.0.0.1:${plan?.livePort}/cameras/${id}`);
    return ((await r.json()) as { watchers: number }).watchers;
  };

  before(async () => {
    sys = await System.start([
      { id: "desk", role: "desk" },
      { id: "gate", role: "entrance" },
    ]);
    for (const plan of sys.plans) {
      const config = cameraConfigSchema.parse({
        CAMERAS: JSON.stringify([
          {
            id: plan.id,
            source: join(VIDEOS, CLIPS[plan.id as keyof typeof CLIPS]),
            role: plan.role,
            loop: true,
            realtime: true,
          },
        ]),
        LIVE_PORT: String(plan.livePort),
        DETECTOR_THREADS: "1",
      });
      cameras.push(await startCameraService({ config, bus: sys.bus, log: sys.log }));
    }
  });
  after(async () => {
    for (const c of cameras) await c.stop().catch(() => undefined);
    await sys?.stop();
  });

  test("the grid shows each camera's frames from the portal; a tile opens the camera large; leaving closes the stream", async () => {
    await sys.withPage(async (page) => {
      await login(page, ADMIN.username, ADMIN.password);
      await go(page, "live");
      await page.waitForURL("**/live");
      const tiles = page.getByTestId("live-view");
      await tiles.nth(1).waitFor();
      assert.deepEqual(await tiles.evaluateAll((els) => els.map((e) => e.getAttribute("data-camera-id"))), ["desk", "gate"]);
      for (const id of ["desk", "gate"]) {
        const img = await frameShown(page, `[data-testid=live-view][data-camera-id=${id}] img`);
        assert.equal(img.src, `/api/v1/cameras/${id}/live`, "same origin: the browser never needs the camera's port");
        assert.ok(img.width > 0 && img.height > 0, `${id}: a decoded frame`);
      }
      assert.equal(await watchers("desk"), 1, "one stream per tile, proxied to the camera");
      await page.waitForTimeout(1500); // a few frames with boxes and names
      await shot(page, "live-grid");

      // a tile opens the single view; the grid's streams close
      await page.locator("[data-testid=live-view][data-camera-id=desk] [data-testid=live-open]").click();
      await page.waitForURL("**/live/desk");
      const single = await frameShown(page, "[data-testid=live-single] img");
      assert.equal(single.src, "/api/v1/cameras/desk/live");
      await page.getByRole("heading", { name: "Live: desk" }).waitFor();
      await page.waitForTimeout(1500);
      await shot(page, "live-single");
      await waitUntil(async () => (await watchers("gate")) === 0, "the gate tile's stream closed when the grid was left");

      // pause stops the stream; back to the grid
      await page.getByRole("button", { name: "Pause" }).click();
      await page.getByTestId("live-placeholder").filter({ hasText: "paused" }).waitFor();
      await waitUntil(async () => (await watchers("desk")) === 0, "a paused view holds no stream");
      await page.getByTestId("live-back").click();
      await page.waitForURL("**/live");
      await frameShown(page, "[data-testid=live-view][data-camera-id=gate] img");

      // leaving the page closes every upstream connection
      await go(page, "dashboard");
      await waitUntil(
        async () => (await watchers("desk")) === 0 && (await watchers("gate")) === 0,
        "streams closed once the page is left",
      );
    });
  });

  test("logged out, the live stream is refused (401) and a camera the portal does not know is 404", async () => {
    const anon = await fetch(`${sys.url}/api/v1/cameras/desk/live`);
    assert.equal(anon.status, 401);
    await sys.withPage(async (page) => {
      await login(page, ADMIN.username, ADMIN.password);
      const status = await page.evaluate("fetch('/api/v1/cameras/nowhere/live').then((r) => r.status)");
      assert.equal(status, 404);
    });
  });
});

async function waitUntil(f: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out: ${what}`);
}
