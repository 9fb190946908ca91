import assert from "node:assert/strict";
import { test } from "node:test";
import { VOTE_DEFAULTS } from "@persona/recognition";
import { configSchema } from "../config.ts";

test("search by photo defaults to the recognizers' mode: SEARCH_FLIP is RECOGNIZER_FLIP's default", () => {
  const c = configSchema.parse({});
  assert.equal(c.SEARCH_FLIP, VOTE_DEFAULTS.flip);
  assert.equal(c.SEARCH_MODEL, undefined, "unset: @persona/vision's default model, as the recognizers'");
  assert.equal(c.SEARCH_THREADS, 1);
});
