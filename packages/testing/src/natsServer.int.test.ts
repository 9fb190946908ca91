import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { startNatsServer, waitFor } from "./index.ts";

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

test("a server killed from outside is reported (not one stopped on purpose) and relaunches on its port", async () => {
  const server = await startNatsServer({ ownProcessGroup: true });
  const exits: (string | null)[] = [];
  server.onUnexpectedExit = (_code, signal) => exits.push(signal);
  const port = server.port;
  const pid = server.pid as number;
  // its own process group: a signal to ours (the terminal's Ctrl-C) does not reach it
  assert.equal(Number(execFileSync("ps", ["-o", "pgid=", "-p", String(pid)], { encoding: "utf8" }).trim()), pid);
  process.kill(pid, "SIGKILL");
  await waitFor(() => exits.length === 1, { message: "the kill is reported" });
  assert.deepEqual(exits, ["SIGKILL"]);
  assert.equal(server.running, false);
  await server.relaunch();
  assert.equal(server.port, port);
  const nc = await connect({ servers: server.url });
  assert.equal(nc.info?.jetstream, true);
  await nc.close();
  await server.dispose();
  assert.deepEqual(exits, ["SIGKILL"], "dispose is no unexpected exit");
});
