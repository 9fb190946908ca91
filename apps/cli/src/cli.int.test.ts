import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Bus } from "@persona/bus";
import { testBus } from "@persona/bus/testing";
import { datasetsDir, repoRoot } from "@persona/runtime";
import { freePort, startNatsServer, tempDir, waitFor } from "@persona/testing";
import { importCommand } from "./commands/import.ts";
import { peopleCommand } from "./commands/people.ts";
import { projectionsCommand } from "./commands/projections.ts";
import type { ImportReport } from "./library/report.ts";
import type { Output } from "./output.ts";
import { encode1251, utf16le } from "./testing/encodings.ts";

// ------------------------------------------------------------------------------------------ harness

interface Captured extends Output {
  out: string;
  err: string;
}

function capture(answer = "n"): Captured {
  const c: Captured = {
    out: "",
    err: "",
    stderrIsTTY: false,
    stdout: (t) => {
      c.out += t;
    },
    stderr: (t) => {
      c.err += t;
    },
    confirm: async (q) => {
      c.err += `${q}\n`;
      return answer === "y";
    },
  };
  return c;
}

const json = <T>(c: Captured): T => JSON.parse(c.out) as T;

function writeFolder(root: string, name: string, files: Record<string, Buffer | string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) writeFileSync(join(dir, f), content);
  return dir;
}

const lfw = (person: string, n: number) => join(datasetsDir(), "lfw", person, `${person}_${String(n).padStart(4, "0")}.jpg`);
const jpegLike = (seed: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(seed)]);
const mp3Like = Buffer.concat([Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x00", "latin1"), Buffer.from([0xff, 0xfb, 0x90, 0x00])]);

function runPersona(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [join(repoRoot(), "apps/cli/bin/persona.js"), ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d) => {
      stdout += d;
    });
    proc.stderr.on("data", (d) => {
      stderr += d;
    });
    proc.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Given: people in the library, as the recognizer would have published them. */
async function seedPerson(bus: Bus, personId: string, name: string, description = "") {
  await bus.publish(
    bus.envelope("PersonEnrolled", { personId, name, description, photos: [], sound: null, source: "cli", importKey: null }),
  );
  await bus.publish(
    bus.envelope("FaceTemplateAdded", {
      personId,
      templateId: crypto.randomUUID(),
      embedding: { model: "m", dims: 1, base64: Buffer.alloc(4).toString("base64") },
      quality: { score: 0.9, faceSize: 150, eyeDistance: 50, sharpness: 80, yaw: 0, pitch: 0, roll: 0 },
      crop: null,
      origin: { kind: "operator", by: "test" },
    }),
  );
}

// ------------------------------------------------------------------------------------------ connection and usage

describe("connection and usage errors", () => {
  test("no NATS answering: a clear error naming the URL, exit code 1", async () => {
    const port = await freePort();
    const r = await runPersona(["people", "list"], { NATS_URL: `nats://127.0.0.1:${port}` });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`no NATS answers at nats://127\\.0\\.0\\.1:${port}: check NATS_URL`));
  });

  test("usage errors exit 2: no folder, a missing folder, an unknown subcommand, a bad option", async () => {
    for (const args of [
      ["import"],
      ["import", "/no/such/folder"],
      ["people", "frobnicate"],
      ["people", "reembed", "--model", "nope"],
      ["import", ".", "--timeout", "x"],
    ]) {
      const r = await runPersona(args, { NATS_URL: "nats://127.0.0.1:1" });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    }
  });
});

// ------------------------------------------------------------------------------------------ people

describe("persona people against a real nats-server", () => {
  test("list, show, ambiguous names, add-photo of a non-image, remove with and without confirmation", async (t) => {
    await using server = await startNatsServer();
    const bus = await testBus(server.url, "recognizer");
    t.after(() => bus.close());
    const env = { NATS_URL: server.url };
    await seedPerson(bus, "p-anna", "Анна Каренина", "Декан");
    await seedPerson(bus, "p-ivan1", "Иван Петров", "Student");
    await seedPerson(bus, "p-ivan2", "Иван Петров", "Teacher");

    const list = capture();
    assert.equal(await peopleCommand({ sub: "list", positionals: [], json: true, env }, list), 0);
    const rows = json<{ count: number; people: { id: string; name: string; templates: number; watchlist: unknown }[] }>(list);
    assert.equal(rows.count, 3);
    assert.deepEqual(
      rows.people.map((p) => [p.name, p.templates]),
      [
        ["Анна Каренина", 1],
        ["Иван Петров", 1],
        ["Иван Петров", 1],
      ],
    );
    const text = capture();
    await peopleCommand({ sub: "list", positionals: [], json: false, env }, text);
    assert.match(text.out, /p-anna\s+Анна Каренина\s+1\s+-\s+Декан/);

    const show = capture();
    assert.equal(await peopleCommand({ sub: "show", positionals: ["анна каренина"], json: true, env }, show), 0);
    const detail = json<{ person: { id: string; name: string; templateList: { origin: { kind: string } }[] } }>(show);
    assert.deepEqual([detail.person.id, detail.person.name], ["p-anna", "Анна Каренина"]);
    assert.equal(detail.person.templateList[0]?.origin.kind, "operator");

    await assert.rejects(peopleCommand({ sub: "show", positionals: ["Иван Петров"], json: true, env }, capture()), (err: Error) =>
      /2 people are named "Иван Петров"; use the id:[\s\S]*p-ivan1[\s\S]*p-ivan2/.test(err.message),
    );
    await assert.rejects(
      peopleCommand({ sub: "show", positionals: ["Борис"], json: true, env }, capture()),
      /no person with id or name "Борис"/,
    );

    const dir = tempDir(t, "persona-cli-");
    writeFileSync(join(dir, "notes.jpg"), "not an image");
    const add = capture();
    assert.equal(
      await peopleCommand({ sub: "add-photo", positionals: ["p-anna", join(dir, "notes.jpg")], json: true, env }, add),
      1,
    );
    assert.equal(json<{ photos: { outcome: string; reason: { code: string } }[] }>(add).photos[0]?.reason.code, "not-an-image");

    const declined = capture("n");
    assert.equal(await peopleCommand({ sub: "remove", positionals: ["p-ivan2"], json: false, env }, declined), 1);
    assert.match(declined.err, /Remove Иван Петров \(p-ivan2, 1 template\(s\)\) from the library\?/);
    const removed = capture();
    assert.equal(
      await peopleCommand({ sub: "remove", positionals: ["p-ivan2"], json: true, reason: "graduated", yes: true, env }, removed),
      0,
    );
    assert.deepEqual(
      (({ removed: r, personId, name, reason }) => [r, personId, name, reason])(
        json<{ removed: boolean; personId: string; name: string; reason: string }>(removed),
      ),
      [true, "p-ivan2", "Иван Петров", "graduated"],
    );
    const after = capture();
    await peopleCommand({ sub: "list", positionals: [], json: true, env }, after);
    assert.equal(json<{ count: number }>(after).count, 2);
    // now the name is no longer ambiguous
    assert.equal(await peopleCommand({ sub: "show", positionals: ["Иван Петров"], json: true, env }, capture()), 0);
  });
});

// ------------------------------------------------------------------------------------------ import without a recognizer

describe("persona import when no recognizer answers", () => {
  test("a dry run plans without sending; a real run times out with a clear error and withdraws its request", async (t) => {
    await using server = await startNatsServer();
    const env = { NATS_URL: server.url };
    const root = tempDir(t, "persona-import-");
    writeFolder(root, "a-anna", { "data.txt": "Анна\nДекан\nanna.jpg\n", "anna.jpg": jpegLike("anna") });
    writeFolder(root, "b-boris", { "data.txt": "Boris\nDean\nboris.jpg\n", "boris.jpg": jpegLike("boris") });
    writeFolder(root, "c-broken", { "data.txt": "Ghost\nx\nghost.jpg\n" });

    const dry = capture();
    assert.equal(await importCommand({ dir: root, json: true, dryRun: true, retryRejected: false, env }, dry), 1);
    const plan = json<ImportReport>(dry);
    assert.equal(plan.dryRun, true);
    assert.deepEqual(
      plan.people.map((p) => [p.folder, p.status, p.photos.map((ph) => ph.outcome)]),
      [
        ["a-anna", "imported", ["planned"]],
        ["b-boris", "imported", ["planned"]],
        ["c-broken", "rejected", []],
      ],
    );

    const run = capture();
    const code = await importCommand(
      { dir: root, json: true, dryRun: false, retryRejected: false, timeoutMs: 1500, concurrency: 1, env },
      run,
    );
    assert.equal(code, 1);
    const report = json<ImportReport>(run);
    assert.deepEqual(
      report.people.map((p) => [p.folder, p.status, p.reason?.code]),
      [
        ["a-anna", "failed", "timeout"],
        ["b-boris", "failed", "not-attempted"],
        ["c-broken", "rejected", "photo-missing"],
      ],
    );
    assert.match(report.people[0]?.reason?.message ?? "", /is the recognizer running\?.*no recognizer is pulling.*withdrawn/);
    assert.match(run.err, /warning: no recognizer is pulling enrollment requests/);
    const bus = await testBus(server.url, "observer");
    t.after(() => bus.close());
    assert.equal((await bus.jsm.streams.info("COMMANDS")).state.messages, 0, "the unanswered request was withdrawn");
    const photos = await bus.objectStore("photos");
    assert.equal((await photos.list()).length, 1, "only the attempted person's photo was uploaded");
  });
});

// ------------------------------------------------------------------------------------------ import with the real recognizer

async function recognizerAvailable(): Promise<string | null> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(join(repoRoot(), "services/recognizer/src/enrollment.ts"))) as Record<string, unknown>;
  } catch (err) {
    return `services/recognizer/src/enrollment.ts cannot be loaded (${(err as Error).message})`;
  }
  if (typeof mod.startEnrollmentHandler !== "function")
    return "services/recognizer/src/enrollment.ts exports no startEnrollmentHandler yet";
  if (!existsSync(join(repoRoot(), "models/dist/manifest.json")) && !process.env.PERSONA_MODELS_DIR)
    return "the face models are not built (make models)";
  if (!existsSync(lfw("Angelina_Jolie", 1))) return `the LFW data set is not at ${datasetsDir()}`;
  return null;
}

/** Skips the test, saying why in its output, when `reason` is set. */
function skipped(t: { diagnostic: (m: string) => void; skip: (m: string) => void }, reason: string | null): boolean {
  if (reason === null) return false;
  t.diagnostic(`skipped: ${reason}`);
  t.skip(reason);
  return true;
}

async function startRecognizer(
  t: { after: (fn: () => Promise<void>) => void },
  natsUrl: string,
  dir: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<() => Promise<void>> {
  const port = await freePort();
  const proc: ChildProcess = spawn(process.execPath, ["--import", "tsx", join(repoRoot(), "services/recognizer/src/main.ts")], {
    cwd: repoRoot(),
    env: {
      ...process.env,
      NATS_URL: natsUrl,
      STORE_URL: `sqlite:${join(dir, "recognizer.db")}`,
      HEALTH_PORT: String(port),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
      ...extraEnv,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    await exited;
  };
  t.after(stop);
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`the recognizer exited with code ${proc.exitCode}`);
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
      return res?.ok === true;
    },
    { timeoutMs: 120_000, intervalMs: 250, message: "the recognizer is ready" },
  );
  return stop;
}

describe("persona import with the real recognizer, on LFW photos", () => {
  test("import, import again (nothing changes), change a folder (updated), people add-photo, remove", async (t) => {
    if (skipped(t, await recognizerAvailable())) return;
    await using server = await startNatsServer();
    const env = { NATS_URL: server.url };
    const work = tempDir(t, "persona-import-lfw-");
    await startRecognizer(t, server.url, work);
    const root = join(work, "library");
    // UTF-8, the named photo plus an extra one
    const angelina = writeFolder(root, "Angelina_Jolie", { "data.txt": "Angelina Jolie\nActress\nAngelina_Jolie_0001.jpg\n" });
    copyFileSync(lfw("Angelina_Jolie", 1), join(angelina, "Angelina_Jolie_0001.jpg"));
    copyFileSync(lfw("Angelina_Jolie", 2), join(angelina, "Angelina_Jolie_0002.jpg"));
    // UTF-16 LE with BOM and CRLF, the photo named without extension and in other case; plus a crowd photo
    const pacino = writeFolder(root, "Al_Pacino", { "data.txt": utf16le("Al Pacino\r\nActor\r\nal_pacino_0001\r\n") });
    copyFileSync(lfw("Al_Pacino", 1), join(pacino, "Al_Pacino_0001.jpg"));
    copyFileSync(join(datasetsDir(), "crowd", "ulfd_imgs_1.jpg"), join(pacino, "crowd.jpg"));
    // Cyrillic name in Windows-1251, with a greeting sound
    const cyr = writeFolder(root, "Экхарт", {
      "data.txt": encode1251("Аарон Экхарт\r\nАктёр\r\nphoto.jpg\r\nprivet.mp3\r\n"),
      "privet.mp3": mp3Like,
    });
    copyFileSync(lfw("Aaron_Eckhart", 1), join(cyr, "photo.jpg"));
    // the photo named in data.txt is missing
    writeFolder(root, "Missing_Photo", { "data.txt": "Nobody\nGhost\nghost.jpg\n" });

    const first = capture();
    const code1 = await importCommand(
      { dir: root, json: true, dryRun: false, retryRejected: false, timeoutMs: 120_000, env },
      first,
    );
    const r1 = json<ImportReport>(first);
    t.diagnostic(JSON.stringify(r1.summary));
    const byFolder = (r: ImportReport) => Object.fromEntries(r.people.map((p) => [p.folder, p]));
    const p1 = byFolder(r1);
    assert.equal(p1.Angelina_Jolie?.status, "imported", JSON.stringify(p1.Angelina_Jolie));
    assert.deepEqual(
      p1.Angelina_Jolie?.photos.map((p) => p.outcome),
      ["added", "added"],
    );
    assert.equal(p1.Al_Pacino?.status, "imported", JSON.stringify(p1.Al_Pacino));
    assert.deepEqual(
      p1.Al_Pacino?.photos.map((p) => [p.file, p.outcome]),
      [
        ["Al_Pacino_0001.jpg", "added"],
        ["crowd.jpg", "rejected"],
      ],
    );
    assert.match(p1.Al_Pacino?.photos[1]?.reason?.message ?? "", /[0-9a-f]{64}/, "the recognizer names the photo");
    assert.deepEqual([p1.Экхарт?.status, p1.Экхарт?.name, p1.Экхарт?.encoding], ["imported", "Аарон Экхарт", "windows-1251"]);
    assert.deepEqual([p1.Missing_Photo?.status, p1.Missing_Photo?.reason?.code], ["rejected", "photo-missing"]);
    assert.equal(code1, 1, "a folder and a photo were rejected");

    // importing again changes nothing
    const second = capture();
    const code2 = await importCommand({ dir: root, json: true, dryRun: false, retryRejected: false, env }, second);
    const p2 = byFolder(json<ImportReport>(second));
    assert.deepEqual(
      Object.values(p2).map((p) => [p.folder, p.status]),
      [
        ["Al_Pacino", "unchanged"],
        ["Angelina_Jolie", "unchanged"],
        ["Missing_Photo", "rejected"],
        ["Экхарт", "unchanged"],
      ],
    );
    assert.deepEqual(
      p2.Al_Pacino?.photos.map((p) => p.outcome),
      ["already-enrolled", "previously-rejected"],
    );
    assert.equal(code2, 1);

    // a new photo and a new description
    copyFileSync(lfw("Angelina_Jolie", 3), join(angelina, "Angelina_Jolie_0003.jpg"));
    writeFileSync(join(pacino, "data.txt"), utf16le("Al Pacino\r\nActor, director\r\nal_pacino_0001\r\n"));
    const third = capture();
    await importCommand({ dir: root, json: true, dryRun: false, retryRejected: false, timeoutMs: 120_000, env }, third);
    const p3 = byFolder(json<ImportReport>(third));
    assert.deepEqual([p3.Angelina_Jolie?.status, p3.Angelina_Jolie?.changes], ["updated", ["photos"]]);
    assert.deepEqual([p3.Al_Pacino?.status, p3.Al_Pacino?.changes], ["updated", ["description"]]);
    assert.equal(p3.Экхарт?.status, "unchanged");

    const list = capture();
    await peopleCommand({ sub: "list", positionals: [], json: true, env }, list);
    const people = json<{ people: { name: string; description: string; templates: number; sound: boolean }[] }>(list).people;
    assert.deepEqual(
      people.map((p) => [p.name, p.description, p.templates, p.sound]),
      [
        ["Al Pacino", "Actor, director", 1, false],
        ["Angelina Jolie", "Actress", 3, false],
        ["Аарон Экхарт", "Актёр", 1, true],
      ],
    );

    const add = capture();
    assert.equal(
      await peopleCommand(
        {
          sub: "add-photo",
          positionals: ["angelina jolie", lfw("Angelina_Jolie", 4), lfw("Angelina_Jolie", 1)],
          json: true,
          env,
        },
        add,
      ),
      0,
    );
    assert.deepEqual(
      json<{ photos: { outcome: string }[] }>(add).photos.map((p) => p.outcome),
      ["added", "already-enrolled"],
    );

    assert.equal(await peopleCommand({ sub: "remove", positionals: ["Аарон Экхарт"], json: true, yes: true, env }, capture()), 0);
    const after = capture();
    await peopleCommand({ sub: "list", positionals: [], json: true, env }, after);
    assert.equal(json<{ people: unknown[] }>(after).people.length, 2);
  });
});

describe("persona people reembed after a model change, with real recognizers", () => {
  test("photos enrolled under one model get templates of the new one; a second run has nothing to do", async (t) => {
    const mobileface = existsSync(join(repoRoot(), "models/dist/mobileface.onnx")) ? null : "mobileface model not built";
    if (skipped(t, (await recognizerAvailable()) ?? mobileface)) return;
    await using server = await startNatsServer();
    const env = { NATS_URL: server.url };
    const work = tempDir(t, "persona-reembed-");
    // the site ran mobileface when these people were imported
    const stopOld = await startRecognizer(t, server.url, work, { RECOGNIZER_MODEL: "mobileface" });
    const root = join(work, "library");
    const angelina = writeFolder(root, "Angelina_Jolie", { "data.txt": "Angelina Jolie\nActress\nAngelina_Jolie_0001.jpg\n" });
    copyFileSync(lfw("Angelina_Jolie", 1), join(angelina, "Angelina_Jolie_0001.jpg"));
    copyFileSync(lfw("Angelina_Jolie", 2), join(angelina, "Angelina_Jolie_0002.jpg"));
    const pacino = writeFolder(root, "Al_Pacino", { "data.txt": "Al Pacino\nActor\nAl_Pacino_0001.jpg\n" });
    copyFileSync(lfw("Al_Pacino", 1), join(pacino, "Al_Pacino_0001.jpg"));
    const imported = capture();
    assert.equal(
      await importCommand({ dir: root, json: true, dryRun: false, retryRejected: false, timeoutMs: 120_000, env }, imported),
      0,
      imported.out,
    );
    // then it moved to the default model: the old recognizer goes, the new one starts
    await stopOld();
    await startRecognizer(t, server.url, work);
    // (recognizers embed with flip by default: their templates are named "<model>+flip")
    const newModel = "fr_feature+flip";

    interface Report {
      model: string;
      planned: number;
      added: number;
      rejected: number;
      failed: number;
      results: { name: string; planned: number; added: number }[];
    }
    const dry = capture();
    assert.equal(await peopleCommand({ sub: "reembed", positionals: [], json: true, dryRun: true, env }, dry), 0);
    const planned = json<Report>(dry);
    assert.deepEqual(
      [planned.model, planned.planned, planned.added, planned.results.map((r) => [r.name, r.planned])],
      [
        newModel,
        3,
        0,
        [
          ["Al Pacino", 1],
          ["Angelina Jolie", 2],
        ],
      ],
    );

    // one person by name first, then everyone: only what is still missing is sent
    const one = capture();
    assert.equal(await peopleCommand({ sub: "reembed", positionals: ["al pacino"], json: true, env }, one), 0, one.out);
    assert.deepEqual([json<Report>(one).planned, json<Report>(one).added], [1, 1]);
    const all = capture();
    assert.equal(await peopleCommand({ sub: "reembed", positionals: [], json: true, timeoutMs: 120_000, env }, all), 0, all.out);
    const r = json<Report>(all);
    assert.deepEqual([r.planned, r.added, r.rejected, r.failed], [2, 2, 0, 0]);

    // every enrollment photo now has a template of each model; a second run has nothing to do
    const show = capture();
    await peopleCommand({ sub: "show", positionals: ["Angelina Jolie"], json: true, env }, show);
    const templates = json<{ person: { templateList: { model: string; origin: { sha256?: string } }[] } }>(show).person
      .templateList;
    assert.deepEqual(templates.map((x) => x.model).sort(), [newModel, newModel, "mobileface+flip", "mobileface+flip"]);
    const again = capture();
    assert.equal(await peopleCommand({ sub: "reembed", positionals: [], json: true, env }, again), 0);
    assert.deepEqual([json<Report>(again).planned, json<Report>(again).added], [0, 0]);

    // --model names the template model to make: the old one's templates exist for every photo
    const dup = capture();
    assert.equal(
      await peopleCommand({ sub: "reembed", positionals: ["Angelina Jolie"], json: true, model: "mobileface+flip", env }, dup),
      0,
    );
    assert.equal(json<Report>(dup).planned, 0, "mobileface templates exist for every photo");
  });
});

// ------------------------------------------------------------------------------------------ projections rebuild

describe("persona projections rebuild", () => {
  test("rebuilds the read models from the streams into STORE_URL and reports the counts", async (t) => {
    await using server = await startNatsServer();
    const bus = await testBus(server.url, "recognizer");
    t.after(() => bus.close());
    await seedPerson(bus, "p1", "Анна");
    await seedPerson(bus, "p2", "Борис");
    await bus.publish(
      bus.envelope("TrackConcluded", {
        cameraId: "gate",
        trackId: "t1",
        startedAt: "2026-03-02T09:00:00.000Z",
        endedAt: "2026-03-02T09:00:30.000Z",
        frames: 30,
        shots: 2,
        bestQuality: 0.8,
        outcome: { kind: "recognized", personId: "p1", personName: "Анна", similarity: 0.9 },
      }),
    );
    const dir = tempDir(t, "persona-rebuild-");
    const env = { NATS_URL: server.url, STORE_URL: `sqlite:${join(dir, "persona.db")}`, ATTENDANCE_TIME_ZONE: "UTC" };
    for (let run = 0; run < 2; run++) {
      const out = capture();
      assert.equal(await projectionsCommand({ sub: "rebuild", json: true, settleMs: 50, env }, out), 0);
      const report = json<{ projections: { name: string; documents: Record<string, number> }[] }>(out);
      assert.deepEqual(
        Object.fromEntries(report.projections.map((p) => [p.name, p.documents])),
        {
          // the one concluded track's conclusion is kept beside the sightings (none of its shots is in the stream)
          sightings: { sightings: 0, sighting_tracks: 1, unknown_tracks: 0 },
          presence: { presence: 0, presence_concluded: 1 },
          attendance: { attendance: 1, attendance_spans: 1 },
          visitors: { visitors: 0, visitor_decisions: 0, visitor_tracks: 0 },
          people: { people: 2, person_templates: 2 },
        },
        `run ${run + 1}: the same read models every time`,
      );
    }
  });
});
