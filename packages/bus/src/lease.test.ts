import assert from "node:assert/strict";
import { test } from "node:test";
import { leaseAction } from "./lease.ts";

test("lease: create when free, renew own, wait for a live one, take over an expired one", () => {
  assert.equal(leaseAction(null, "me", 100), "create");
  assert.equal(leaseAction({ holder: "me", expiresAt: 50, acquiredAt: 0 }, "me", 100), "renew");
  assert.equal(leaseAction({ holder: "other", expiresAt: 150, acquiredAt: 0 }, "me", 100), "wait");
  assert.equal(leaseAction({ holder: "other", expiresAt: 100, acquiredAt: 0 }, "me", 100), "takeover");
});
