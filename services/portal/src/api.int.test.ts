import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { ADMIN, type Client, type Harness, call, startHarness } from "./testSupport.ts";

let h: Harness;
const base = () => h.portal.url;
let admin: Client;
let operator: Client;
let viewer: Client;

before(async () => {
  h = await startHarness();
  [admin, operator, viewer] = await h.clients(["olga", "operator"], ["victor", "viewer"]);
});
after(async () => {
  await h?.dispose();
});

describe("auth", () => {
  test("login sets an httpOnly SameSite=Strict cookie; me answers; logout ends the session", async () => {
    const r = await call(base(), "POST", "/auth/login", { json: ADMIN });
    assert.equal(r.status, 200);
    const cookie = r.headers.get("set-cookie") ?? "";
    assert.match(cookie, /^persona_sid=[A-Za-z0-9_-]{20,};/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    const c: Client = {
      cookie: cookie.split(";")[0] as string,
      csrf: (r.body as { csrfToken: string }).csrfToken,
      role: "admin",
    };
    const me = await call(base(), "GET", "/auth/me", { client: c });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { user: { username: "admin", role: "admin" }, csrfToken: c.csrf });
    assert.equal(
      (await call(base(), "POST", "/auth/logout", { client: c, csrf: null })).status,
      403,
      "logout needs the CSRF token",
    );
    assert.equal((await call(base(), "POST", "/auth/logout", { client: c })).status, 204);
    assert.equal((await call(base(), "GET", "/auth/me", { client: c })).status, 401, "the session is gone");
  });

  test("no session: 401; wrong password: 401 with the error body", async () => {
    const me = await call(base(), "GET", "/auth/me");
    assert.equal(me.status, 401);
    assert.equal((me.body as { error: { code: string } }).error.code, "unauthenticated");
    const bad = await call(base(), "POST", "/auth/login", { json: { username: "admin", password: "nope-nope-nope" } });
    assert.equal(bad.status, 401);
    assert.equal((bad.body as { error: { code: string } }).error.code, "bad-credentials");
    await call(base(), "POST", "/auth/login", { json: ADMIN }); // clears the failure count
  });

  test("a state-changing request without or with a wrong x-csrf-token is refused with 403 csrf", async () => {
    for (const csrf of [null, "wrong-token"]) {
      const r = await call(base(), "PUT", "/rules", { client: admin, csrf, json: { rules: [] } });
      assert.equal(r.status, 403);
      assert.equal((r.body as { error: { code: string } }).error.code, "csrf");
    }
  });

  test("5 failed logins lock the username for this client: 429 with Retry-After, even with the right password", async () => {
    await call(base(), "POST", "/users", {
      client: admin,
      json: { username: "mallory-target", role: "viewer", password: "right-password-1" },
    });
    for (let i = 0; i < 4; i++) {
      const r = await call(base(), "POST", "/auth/login", { json: { username: "mallory-target", password: `guess-${i}-xxxx` } });
      assert.equal(r.status, 401, `attempt ${i + 1}`);
    }
    const fifth = await call(base(), "POST", "/auth/login", { json: { username: "mallory-target", password: "guess-5-xxxx" } });
    assert.equal(fifth.status, 429);
    assert.ok(Number(fifth.headers.get("retry-after")) > 800, "locked for about 15 minutes");
    const right = await call(base(), "POST", "/auth/login", {
      json: { username: "mallory-target", password: "right-password-1" },
    });
    assert.equal(right.status, 429, "locked even with the right password");
    // other users are not affected
    assert.equal((await call(base(), "POST", "/auth/login", { json: ADMIN })).status, 200);
  });

  test("a burst of parallel guesses gets at most 4 password checks before the lock", async () => {
    await call(base(), "POST", "/users", {
      client: admin,
      json: { username: "burst-target", role: "viewer", password: "right-password-2" },
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(base(), "POST", "/auth/login", { json: { username: "burst-target", password: `parallel-guess-${i}` } }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    assert.ok(statuses.filter((s) => s === 401).length <= 4, statuses.join(","));
    assert.equal(statuses.filter((s) => s === 429).length + statuses.filter((s) => s === 401).length, 20);
    const right = await call(base(), "POST", "/auth/login", { json: { username: "burst-target", password: "right-password-2" } });
    assert.equal(right.status, 429);
  });

  test("sessions live in the store: a restarted portal still knows the session", async () => {
    const c = await h.login("victor");
    await h.restart();
    assert.equal((await call(base(), "GET", "/auth/me", { client: c })).status, 200);
  });
});

describe("roles: every route refuses the roles below its own, and anonymous callers", () => {
  const dummy: Record<string, string> = {
    personId: "p-none",
    alertId: "00000000-0000-4000-8000-000000000000",
    sightingId: "s-none",
    username: "nobody",
    key: "x/y.jpg",
  };
  test("table over the registered routes", async () => {
    const routes = h.portal.api.routes.filter((r) => r.role !== "public");
    assert.ok(routes.length >= 25, `routes: ${routes.length}`);
    const rank = { viewer: 0, operator: 1, admin: 2 } as const;
    let checked = 0;
    for (const r of routes) {
      const path = r.path.replace(/\*key$/, dummy.key as string).replace(/:([A-Za-z]+)/g, (_m, p: string) => dummy[p] ?? "x");
      const method = r.method.toUpperCase();
      const anon = await call(base(), method, path, { json: method === "GET" ? undefined : {} });
      assert.equal(anon.status, 401, `${method} ${path} anonymous`);
      for (const c of [viewer, operator]) {
        if (rank[c.role as "viewer" | "operator"] >= rank[r.role as keyof typeof rank]) continue;
        const res = await call(base(), method, path, { client: c, json: method === "GET" ? undefined : {} });
        assert.equal(res.status, 403, `${method} ${path} as ${c.role}: ${JSON.stringify(res.body)}`);
        checked++;
      }
    }
    assert.ok(checked >= 15, `refusals checked: ${checked}`);
  });

  test("an operator may not put a person on the watchlist (admin only)", async () => {
    const r = await call(base(), "PATCH", "/people/p-none", { client: operator, json: { watchlist: { reason: "x" } } });
    assert.equal(r.status, 403);
  });

  test("the socket.io handshake needs a session", async () => {
    const { io } = await import("socket.io-client");
    const s = io(base(), { transports: ["websocket"], reconnection: false });
    const err = await new Promise<Error>((res) => s.on("connect_error", res));
    s.close();
    assert.match(err.message, /unauthorized/);
  });
});

describe("OpenAPI", () => {
  test("every registered route is in /api/v1/openapi.json with its method", async () => {
    const r = await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(base(), "GET", "/openapi.json");
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, "3.1.0");
    for (const route of h.portal.api.routes) {
      const p = `/api/v1${route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\*([A-Za-z0-9_]+)/g, "{$1}")}`;
      assert.ok(r.body.paths[p]?.[route.method], `${route.method} ${p} missing`);
    }
    assert.ok(r.body.paths["/api/v1/people"]?.post, "multipart enrollment documented");
  });
});

describe("media", () => {
  const raw = (path: string, cookie: string) =>
    new Promise<number>((res, rej) => {
      const u = new URL(base());
      const req = request({ host: u.hostname, port: u.port, path, method: "GET", headers: { cookie } }, (r) => {
        r.resume();
        res(r.statusCode ?? 0);
      });
      req.on("error", rej);
      req.end();
    });

  test("keys with .. or encoded separators are refused; nothing outside the buckets is reachable", async () => {
    for (const p of [
      "/api/v1/media/photos/../../../etc/passwd",
      "/api/v1/media/photos/a/../../users",
      "/api/v1/media/photos/%2e%2e/%2e%2e/etc/passwd",
      "/api/v1/media/photos/..%2f..%2fetc%2fpasswd",
      "/api/v1/media/crops/./x.jpg",
      "/api/v1/media/sounds/a%00b.mp3",
    ]) {
      const status = await raw(p, viewer.cookie);
      assert.ok(status === 400 || status === 404, `${p}: ${status}`);
      assert.notEqual(status, 200);
    }
  });

  test("a stored object is served by key", async () => {
    const os = await h.bus.objectStore("photos");
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    await os.putBlob({ name: "p-x/abc.jpg" }, bytes);
    const res = await fetch(`${base()}/api/v1/media/photos/p-x/abc.jpg`, { headers: { cookie: viewer.cookie } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/jpeg");
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
    const anon = await fetch(`${base()}/api/v1/media/photos/p-x/abc.jpg`);
    assert.equal(anon.status, 401);
    assert.equal((await fetch(`${base()}/api/v1/media/photos/p-x/none.jpg`, { headers: { cookie: viewer.cookie } })).status, 404);
  });
});

describe("rules", () => {
  test("PUT validates: 400 with zod issues on bad input, stored otherwise, GET returns it", async () => {
    const bad = await call(base(), "PUT", "/rules", {
      client: admin,
      json: { rules: [{ id: "Bad Id", kind: "watchlisted", severity: "extreme" }] },
    });
    assert.equal(bad.status, 400);
    const issues = (bad.body as { error: { details: { path: unknown[] }[] } }).error.details;
    assert.ok(issues.some((i) => JSON.stringify(i.path).includes("severity")));
    assert.ok(issues.some((i) => JSON.stringify(i.path).includes("id")));
    const afterHoursWithoutSchedule = await call(base(), "PUT", "/rules", {
      client: admin,
      json: { rules: [{ id: "late", kind: "after-hours", severity: "low" }] },
    });
    assert.equal(afterHoursWithoutSchedule.status, 400);
    const good = {
      cameras: { gate: { role: "perimeter" } },
      rules: [
        { id: "unknown-perimeter", kind: "unknown-at-perimeter", severity: "medium", roles: ["perimeter"], minUnknownShots: 2 },
        { id: "watchlist", kind: "watchlisted", severity: "high" },
      ],
    };
    const ok = await call(base(), "PUT", "/rules", { client: admin, json: good });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const got = await call<{ cameras: Record<string, { role: string }> }>(base(), "GET", "/rules", { client: viewer });
    assert.equal(got.body.cameras.gate?.role, "perimeter");
  });
});

describe("bad input gets a clear 4xx, never a 500, and loses nothing", () => {
  /** A raw request (fetch would refuse some of these bodies and paths). */
  const raw = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(base());
      const req = request({ host: u.hostname, port: u.port, method, path: `/api/v1${path}`, headers }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  const authed = (c: Client) => ({ cookie: c.cookie, "x-csrf-token": c.csrf });

  test("broken %-encoding in a path is 400, with or without a session", async () => {
    for (const headers of [{}, authed(admin)]) {
      const r = await raw("GET", "/people/%zz", headers);
      assert.equal(r.status, 400, r.body);
      assert.match(r.body, /not valid %-encoding/);
    }
  });

  test("an unknown charset is 415; a multipart body without a boundary or cut short is 400", async () => {
    const bogus = await raw(
      "POST",
      "/users",
      { ...authed(admin), "content-type": "application/json; charset=bogus-42" },
      JSON.stringify({ username: "x", role: "viewer", password: "pw-123456" }),
    );
    assert.equal(bogus.status, 415, bogus.body);
    const noBoundary = await raw("POST", "/people", { ...authed(admin), "content-type": "multipart/form-data" }, "name=x");
    assert.equal(noBoundary.status, 400, noBoundary.body);
    const cut = await raw(
      "POST",
      "/people",
      { ...authed(admin), "content-type": "multipart/form-data; boundary=XYZ" },
      '--XYZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nAnn',
    );
    assert.equal(cut.status, 400, cut.body);
  });

  test("PUT /rules with an empty or text/plain body is refused and the rules stay", async () => {
    const rules = {
      cameras: { gate: { role: "perimeter" } },
      rules: [{ id: "watchlist", kind: "watchlisted", severity: "high" }],
    };
    assert.equal((await call(base(), "PUT", "/rules", { client: admin, json: rules })).status, 200);
    const empty = await raw("PUT", "/rules", { ...authed(admin), "content-length": "0" });
    assert.equal(empty.status, 400, empty.body);
    const text = await raw("PUT", "/rules", { ...authed(admin), "content-type": "text/plain" }, "rules");
    assert.equal(text.status, 415, text.body);
    const got = await call<{ rules: { id: string }[] }>(base(), "GET", "/rules", { client: viewer });
    assert.deepEqual(
      got.body.rules.map((r) => r.id),
      ["watchlist"],
      "nothing was deleted",
    );
    // a POST whose body has defaults may still come without one
    const ack = await raw("POST", `/alerts/${crypto.randomUUID()}/ack`, authed(operator));
    assert.equal(ack.status, 404, ack.body);
  });

  test("a name with control characters is refused (it broke the camera's live labels)", async () => {
    const form = new FormData();
    form.set("name", "Ctl\u0001\u0007Name");
    form.append("photo", new Blob([Buffer.from("not a photo")], { type: "image/jpeg" }), "a.jpg");
    const r = await call(base(), "POST", "/people", { client: operator, form });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(JSON.stringify(r.body), /control characters/);
  });
});
