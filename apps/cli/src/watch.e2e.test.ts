import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { testBus } from "@persona/bus/testing";
import { type NatsServerHandle, createLogger } from "@persona/runtime";
import { type RunningRecognizer, configSchema, startRecognizer } from "@persona/service-recognizer";
import { startNatsServer } from "@persona/testing";
import type { watchRecord } from "./commands/watch.ts";
import { clipsSkipReason, importLfwPeople, watchClip } from "./testing/clips.ts";

const skip = clipsSkipReason();

type Rec = ReturnType<typeof watchRecord>;

const ENROLLED: { folder: string; name: string; clip: string; todo?: string }[] = [
  { folder: "Angelina_Jolie", name: "Angelina Jolie", clip: "ytc_0294_02_004_angelina_jolie.avi" },
  { folder: "Sylvester_Stallone", name: "Sylvester Stallone", clip: "ytc_1804_03_006_sylvester_stallone.avi" },
  { folder: "Al_Pacino", name: "Al Pacino", clip: "ytc_0188_03_021_al_pacino.avi" },
];
const STRANGERS = [
  "ytc_0244_03_004_anderson_cooper.avi",
  "ytc_0686_02_003_gloria_estefan.avi",
  "ytc_1034_03_006_jet_li.avi",
  // in LFW but not enrolled here
  "ytc_0217_03_006_alanis_morissette.avi",
  "ytc_1869_03_009_victoria_beckham.avi",
];

describe("persona watch on real clips against a running system: the right names, strangers unknown, never a wrong name", {
  skip,
}, () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let recognizer: RunningRecognizer;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const ids = new Map<string, string>();

  before(async () => {
    server = await startNatsServer();
    bus = await testBus(server.url, "recognizer");
    recognizer = await startRecognizer(
      bus,
      configSchema.parse({ ALIGN_LANDMARKS: process.env.ALIGN_LANDMARKS }),
      createLogger("test", "silent"),
    );
    env = { ...process.env, NATS_URL: server.url };
    dir = mkdtempSync(join(tmpdir(), "persona-watch-"));
    for (const p of await importLfwPeople(dir, ENROLLED, env)) ids.set(p.name, p.personId);
  });
  after(async () => {
    await recognizer?.stop();
    await bus?.close();
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const watch = (clip: string) => watchClip(clip, env);
  const mainTrack = (recs: Rec[]) => [...recs].sort((a, b) => b.frames - a.frames)[0];

  for (const p of ENROLLED) {
    test(`${p.clip}: the main track is ${p.name}`, p.todo ? { todo: p.todo } : {}, async (t) => {
      const recs = await watch(p.clip);
      t.diagnostic(
        recs.map((r) => `${r.trackId} ${r.frames} frames ${r.decision} ${r.name ?? ""} ${r.score?.toFixed(3)}`).join("; "),
      );
      const main = mainTrack(recs);
      assert.equal(main?.decision, "recognized");
      assert.equal(main?.personId, ids.get(p.name));
      for (const r of recs) if (r.decision === "recognized") assert.equal(r.personId, ids.get(p.name), "never a wrong name");
    });
  }
  for (const clip of STRANGERS) {
    test(`${clip}: not enrolled, ends unknown`, async (t) => {
      const recs = await watch(clip);
      t.diagnostic(recs.map((r) => `${r.trackId} ${r.frames} frames ${r.decision} ${r.score?.toFixed(3)}`).join("; "));
      assert.equal(mainTrack(recs)?.decision, "unknown");
      for (const r of recs) assert.notEqual(r.decision, "recognized", "a stranger is never given a name");
    });
  }
});
