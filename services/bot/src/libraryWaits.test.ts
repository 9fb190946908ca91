import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LibraryWaits } from "./libraryWaits.ts";

describe("LibraryWaits", () => {
  test("true at once when the condition holds, true on the change that makes it hold", async () => {
    const waits = new LibraryWaits();
    assert.equal(await waits.until(() => true, 1000), true);
    let ready = false;
    const waiting = waits.until(() => ready, 5000);
    waits.check();
    ready = true;
    waits.check();
    assert.equal(await waiting, true);
  });

  test("false after the timeout, null when cancelled", async () => {
    const waits = new LibraryWaits();
    assert.equal(await waits.until(() => false, 20), false);
    const waiting = waits.until(() => false, 5000);
    waits.cancelAll();
    assert.equal(await waiting, null);
  });
});
