import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { testBus } from "@persona/bus/testing";
import { isTrialCamera } from "@persona/contracts";
import { type NatsServerHandle, createLogger } from "@persona/runtime";
import { AlertRules, CameraDirectory, startAlertConsumer } from "@persona/service-portal";
import { type ReadModels, openReadModels, startProjections } from "@persona/service-portal/projections";
import { configSchema, startRecognizer } from "@persona/service-recognizer";
import { type DocumentStore, openStore } from "@persona/store";
import { Teardown, startNatsServer, tempDir, waitFor } from "@persona/testing";
import { clipsSkipReason, importLfwPeople, watchClip } from "./testing/clips.ts";

const skip = clipsSkipReason();

const ENROLLED = { folder: "Angelina_Jolie", name: "Angelina Jolie", clip: "ytc_0294_02_004_angelina_jolie.avi" };
const STRANGER = "ytc_1034_03_006_jet_li.avi";

describe("persona watch against a running system records nothing unless --record", { skip }, () => {
  let server: NatsServerHandle;
  let portalBus: Bus;
  let store: DocumentStore;
  let models: ReadModels;
  let cameras: CameraDirectory;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let personId = "";
  const log = createLogger("test", "silent");

  const started = new Teardown();
  before(async () => {
    server = started.use(await startNatsServer());
    const recognizerBus = started.use(await testBus(server.url, "recognizer"));
    started.use(await startRecognizer(recognizerBus, configSchema.parse({ ALIGN_LANDMARKS: process.env.ALIGN_LANDMARKS }), log));
    dir = tempDir(started, "persona-watch-trial-");
    // the portal's recording consumers: projections (sightings, presence, attendance, visitors), alert rules, cameras
    portalBus = started.use(await testBus(server.url, "portal"));
    store = started.use(await openStore({ url: `sqlite:${join(dir, "persona.db")}` }));
    models = await openReadModels(store);
    started.use(await startProjections({ bus: portalBus, store, log, timeZone: "UTC" }));
    // an unknown face on any camera raises an alert at its first shot
    const rules = AlertRules.parse({
      rules: [{ id: "any-unknown", kind: "unknown-at-perimeter", severity: "medium", minUnknownShots: 1 }],
    });
    started.use(await startAlertConsumer({ bus: portalBus, store, models, log, rules: async () => rules }));
    cameras = started.use(new CameraDirectory());
    await cameras.start(portalBus);

    env = { ...process.env, NATS_URL: server.url };
    personId = (await importLfwPeople(dir, [ENROLLED], env))[0]?.personId ?? "";
  });
  after(() => started.run());

  const watch = (clip: string, record: boolean) => watchClip(clip, env, record);
  /** Every SIGHTINGS and SYSTEM message so far has been handled by the portal's durables. */
  const settled = async () => {
    for (const durable of ["projections", "alerts"])
      await waitFor(
        async () => {
          const i = await portalBus.jsm.consumers.info("SIGHTINGS", durable);
          return i.num_pending === 0 && i.num_ack_pending === 0;
        },
        { timeoutMs: 30_000 },
      );
  };
  const alertsRaised = async () => (await portalBus.jsm.streams.info("ALERTS")).state.messages;
  const today = () => new Date().toISOString().slice(0, 10);

  test("without --record: the recognizer answers, and no sighting, presence, attendance, visitor or alert is recorded, and the camera is not listed", async (t) => {
    const recs = [...(await watch(ENROLLED.clip, false)), ...(await watch(STRANGER, false))];
    t.diagnostic(recs.map((r) => `${r.cameraId} ${r.trackId} ${r.decision} ${r.name ?? ""}`).join("; "));
    assert.ok(recs.length > 0, "tracks were concluded");
    for (const r of recs) assert.ok(isTrialCamera(r.cameraId), `${r.cameraId} is a trial camera`);
    assert.ok(
      recs.some((r) => r.decision === "recognized" && r.personId === personId),
      "the enrolled person is still recognized",
    );
    assert.ok(
      recs.some((r) => r.decision === "unknown"),
      "the stranger is unknown",
    );
    // the recognizer did publish them on SIGHTINGS: the consumers saw and skipped them
    assert.ok((await portalBus.jsm.streams.info("SIGHTINGS")).state.messages > 0);
    await settled();
    assert.equal(await models.sightings.count({}), 0, "no sighting in the read model");
    assert.deepEqual(await models.presence.inView(), [], "no one present");
    assert.deepEqual(await models.attendance.listByDay(today()), [], "no attendance");
    assert.deepEqual(await models.attendance.listByPerson(personId), [], "no attendance of the person");
    assert.deepEqual(await models.concludedTracks.find({}), [], "no concluded track in presence");
    assert.deepEqual(await models.visitors.find({}), [], "no visitor");
    assert.equal(await alertsRaised(), 0, "no alert");
    await waitFor(async () => ![...cameras.cameras.keys()].some(isTrialCamera), { timeoutMs: 10_000 });
    assert.deepEqual([...cameras.cameras.keys()].filter(isTrialCamera), [], "the trial cameras are not listed once they ended");
  });

  test("with --record the sightings are recorded as any camera's", async (t) => {
    const recs = await watch(ENROLLED.clip, true);
    t.diagnostic(recs.map((r) => `${r.cameraId} ${r.trackId} ${r.decision} ${r.name ?? ""}`).join("; "));
    assert.ok(recs.length > 0);
    const cameraId = recs[0]?.cameraId ?? "";
    assert.ok(!isTrialCamera(cameraId), `${cameraId} is an ordinary camera`);
    await settled();
    assert.ok((await models.sightings.count({ cameraId })) > 0, "its sightings are in the read model");
    assert.ok(recs.some((r) => r.decision === "recognized" && r.personId === personId));
    assert.ok((await models.attendance.listByPerson(personId)).length > 0, "the person's attendance is recorded");
    assert.ok(cameras.cameras.has(cameraId), "the camera is listed (ended), as before");
    // and the alert rule the trial stranger did not trip fires for the same stranger recorded
    const stranger = await watch(STRANGER, true);
    assert.ok(stranger.some((r) => r.decision === "unknown"));
    await settled();
    assert.ok((await alertsRaised()) > 0, "the recorded stranger raises the alert");
  });
});
