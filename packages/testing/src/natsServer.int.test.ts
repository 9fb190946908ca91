import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "./index.ts";

test("starts a real nats-server with JetStream on a free port, restarts on the same port, cleans up", async () => {
  const server = await startNatsServer();
  const first = server.port;
  assert.ok(first > 0);
  const nc = await connect({ servers: server.url });
  const info = nc.info;
  assert.equal(info?.jetstream, true);
  await nc.close();
  await server.restart();
  assert.equal(server.port, first, "a restarted server keeps its port");
  const nc2 = await connect({ servers: server.url });
  await nc2.close();
  const dir = server.workDir;
  await server.dispose();
  assert.equal(existsSync(dir), false, "its temporary directory is removed");
});

test("two servers never share a port or a store", async () => {
  await using a = await startNatsServer();
  await using b = await startNatsServer();
  assert.notEqual(a.port, b.port);
  assert.notEqual(a.storeDir, b.storeDir);
});
