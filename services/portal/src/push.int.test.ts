import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@persona/runtime";
import { type Socket, io } from "socket.io-client";
import { type RunningPortal, startPortal } from "./app.ts";
import { ADMIN, type Harness, login, recognizedData, startHarness, until } from "./testSupport.ts";

let h: Harness;
let replica: RunningPortal;
const sockets: Socket[] = [];

async function connect(url: string, cookie: string): Promise<Socket> {
  const s = io(url, { transports: ["websocket"], reconnection: false, extraHeaders: { cookie } });
  sockets.push(s);
  await new Promise<void>((res, rej) => {
    s.once("connect", () => res());
    s.once("connect_error", rej);
  });
  return s;
}

before(async () => {
  h = await startHarness({ socketRecheckMs: 200 });
  // a second replica on the same NATS and store: its clients get the same events
  replica = await startPortal({
    bus: h.bus,
    store: h.store,
    log: createLogger("portal2", "silent"),
    port: 0,
    webDist: null,
    timeZone: "UTC",
  });
});
after(async () => {
  for (const s of sockets) s.close();
  await replica?.stop();
  await h?.dispose();
});

describe("socket.io push", () => {
  test("must hold: ten people recognised within one second reach every console, in order, none dropped", async (t) => {
    const a = await login(h.portal.url, ADMIN.username, ADMIN.password);
    const clients = [
      await connect(h.portal.url, a.cookie),
      await connect(h.portal.url, a.cookie),
      await connect(replica.url, a.cookie),
    ];
    const got: { detectionId: string; at: number }[][] = clients.map(() => []);
    const presence: unknown[][] = clients.map(() => []);
    clients.forEach((c, i) => {
      c.on("FaceRecognized", (env: { type: string; data: { detectionId: string } }) => {
        assert.equal(env.type, "FaceRecognized");
        got[i]?.push({ detectionId: env.data.detectionId, at: Date.now() });
      });
      c.on("presence", (p: unknown) => presence[i]?.push(p));
    });
    const sent: { detectionId: string; at: number }[] = [];
    const start = Date.now();
    for (let i = 0; i < 10; i++) {
      const detectionId = randomUUID();
      sent.push({ detectionId, at: Date.now() });
      await h.bus.publish(
        h.bus.envelope("FaceRecognized", recognizedData(`cam${i % 3}`, `t${i}`, `p-${i}`, `Person ${i}`, detectionId)),
      );
    }
    const publishMs = Date.now() - start;
    assert.ok(publishMs < 1000, `published within one second (${publishMs} ms)`);
    await until("every client has ten", async () => got.every((g) => g.length >= 10), 5000);
    await new Promise((r) => setTimeout(r, 300));
    const order = sent.map((s) => s.detectionId);
    for (const [i, g] of got.entries()) {
      assert.deepEqual(
        g.map((x) => x.detectionId),
        order,
        `client ${i}: all ten, in publish order, no duplicates`,
      );
    }
    const latencies = got.flatMap((g) => g.map((x, k) => x.at - (sent[k]?.at ?? 0)));
    t.diagnostic(
      `published 10 in ${publishMs} ms; push latency max ${Math.max(...latencies)} ms, mean ${(latencies.reduce((s, x) => s + x, 0) / latencies.length).toFixed(1)} ms`,
    );
    await until("presence updates", async () => presence.every((p) => p.length > 0), 5000);
    const last = presence[0]?.at(-1) as { cameraId: string; items: { personId: string }[] };
    assert.match(last.cameraId, /^cam[012]$/);
    assert.ok(last.items.length > 0);
  });

  test("logged-out or forged cookies do not connect", async () => {
    const s = io(h.portal.url, {
      transports: ["websocket"],
      reconnection: false,
      extraHeaders: { cookie: "persona_sid=forged-token-aaaaaaaaaaaaaaaaaaaa" },
    });
    sockets.push(s);
    const err = await new Promise<Error>((res) => s.once("connect_error", res));
    assert.match(err.message, /unauthorized/);
  });

  test("a socket is disconnected once its session ends (logout)", async () => {
    const c = await login(h.portal.url, ADMIN.username, ADMIN.password);
    const s = await connect(h.portal.url, c.cookie);
    const gone = new Promise<string>((res) => s.once("disconnect", res));
    const r = await fetch(`${h.portal.url}/api/v1/auth/logout`, {
      method: "POST",
      headers: { cookie: c.cookie, "x-csrf-token": c.csrf },
    });
    assert.equal(r.status, 204);
    const reason = await Promise.race([gone, new Promise<string>((res) => setTimeout(() => res("still connected"), 3000))]);
    assert.equal(reason, "io server disconnect");
  });
});
