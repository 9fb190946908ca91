import assert from "node:assert/strict";
import { test } from "node:test";
import { makeEnvelope } from "@persona/contracts";
import { deliveryOfParts, subjectMatches } from "./follow.ts";

test("subject filters match as NATS does", () => {
  assert.equal(subjectMatches("commands.>", "commands.remove-person"), true);
  assert.equal(subjectMatches("commands.>", "commands"), false);
  assert.equal(subjectMatches("sightings.*.unknown", "sightings.gate.unknown"), true);
  assert.equal(subjectMatches("sightings.*.unknown", "sightings.gate.recognized"), false);
  assert.equal(subjectMatches("library.ann.>", "library.anna.enrolled"), false);
});

test("a delivery parses its envelope; garbage and foreign JSON come as null with the reason", () => {
  const env = makeEnvelope("RemovePerson", { personId: "ann", reason: "r", requestedBy: "x", erase: true }, { source: "test" });
  const ok = deliveryOfParts(7, "commands.remove-person", new TextEncoder().encode(JSON.stringify(env)));
  assert.equal(ok.env?.id, env.id);
  assert.equal(ok.problem, undefined);
  const garbage = deliveryOfParts(8, "commands.remove-person", new TextEncoder().encode("{not json"));
  assert.equal(garbage.env, null);
  assert.equal(garbage.problem, "not JSON");
  const foreign = deliveryOfParts(9, "commands.remove-person", new TextEncoder().encode('{"hello":1}'));
  assert.equal(foreign.env, null);
  assert.match(foreign.problem ?? "", /not a valid envelope/);
});
