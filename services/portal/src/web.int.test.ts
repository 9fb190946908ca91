import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Harness, startHarness } from "./testSupport.ts";

describe("the built web app (web/dist) is served with an SPA fallback", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const dist = join(h.dir, "dist");
    mkdirSync(join(dist, "assets"), { recursive: true });
    writeFileSync(join(dist, "index.html"), "<!doctype html><title>Persona</title><div id=root></div>");
    writeFileSync(join(dist, "assets", "app.js"), "console.log('app')");
    await h.restart({ webDist: dist, liveUrls: { gate: "http://10.0.0.5:8090/live/gate" } });
  });
  after(async () => {
    await h?.dispose();
  });

  const get = (path: string) =>
    new Promise<{ status: number; body: string; type: string; csp: string }>((res, rej) => {
      const u = new URL(h.portal.url);
      const req = request({ host: u.hostname, port: u.port, path, method: "GET" }, (r) => {
        let body = "";
        r.on("data", (d) => {
          body += d;
        });
        r.on("end", () =>
          res({
            status: r.statusCode ?? 0,
            body,
            type: String(r.headers["content-type"]),
            csp: String(r.headers["content-security-policy"]),
          }),
        );
      });
      req.on("error", rej);
      req.end();
    });

  test("/, an asset, a client route; /api stays JSON 404; no traversal out of dist", async () => {
    const root = await get("/");
    assert.match(root.body, /<div id=root>/);
    assert.match(root.csp, /script-src 'self';/);
    assert.match(root.csp, /img-src 'self' data: blob:;/, "no camera origin: live views come through the portal");
    const js = await get("/assets/app.js");
    assert.equal(js.status, 200);
    assert.match(js.type, /javascript/);
    const route = await get("/people/p-123");
    assert.equal(route.status, 200);
    assert.match(route.body, /<div id=root>/);
    const api = await get("/api/v1/nothing-here");
    assert.equal(api.status, 404);
    assert.match(api.type, /json/);
    for (const p of ["/../persona.db", "/%2e%2e/persona.db", "/assets/..%2f..%2fpersona.db"]) {
      const r = await get(p);
      assert.doesNotMatch(r.body, /SQLite/, p);
    }
  });
});
