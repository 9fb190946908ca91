import assert from "node:assert/strict";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { testBus } from "@persona/bus/testing";
import { createLogger } from "@persona/runtime";
import { configSchema, startRecognizer } from "@persona/service-recognizer";
import { lfwDir, lfwSkipReason, startNatsServer, tempDir } from "@persona/testing";
import { resolveModelPath } from "@persona/vision";
import { type IdentifiedImage, identifyCommand } from "./commands/identify.ts";
import { importCommand } from "./commands/import.ts";
import { capture } from "./testing/capture.ts";

const lfw = lfwDir();
const skip = lfwSkipReason(resolveModelPath("dlib-resnet29.onnx"));

test("persona identify: each face with its box and quality, named against the system's library, unknown otherwise", {
  skip,
}, async (t) => {
  await using server = await startNatsServer();
  const bus = await testBus(server.url, "recognizer");
  t.after(() => bus.close());
  const recognizer = await startRecognizer(bus, configSchema.parse({}), createLogger("test", "silent"));
  t.after(() => recognizer.stop());
  const env = { ...process.env, NATS_URL: server.url };

  const dir = tempDir(t, "persona-identify-");
  const folder = join(dir, "people", "Angelina_Jolie");
  mkdirSync(folder, { recursive: true });
  cpSync(join(lfw, "Angelina_Jolie", "Angelina_Jolie_0001.jpg"), join(folder, "photo.jpg"));
  for (const n of [2, 3, 4]) cpSync(join(lfw, "Angelina_Jolie", `Angelina_Jolie_000${n}.jpg`), join(folder, `extra${n}.jpg`));
  writeFileSync(join(folder, "data.txt"), "Angelina Jolie\nActress\nphoto.jpg\n");
  assert.equal(
    await importCommand({ dir: join(dir, "people"), json: true, dryRun: false, retryRejected: false, env }, capture()),
    0,
  );

  const broken = join(dir, "broken.jpg");
  writeFileSync(broken, "not an image");
  const o = capture();
  const code = await identifyCommand(
    {
      images: [
        join(lfw, "Angelina_Jolie", "Angelina_Jolie_0005.jpg"),
        join(lfw, "George_W_Bush", "George_W_Bush_0001.jpg"),
        broken,
      ],
      json: true,
      offline: false,
      env,
    },
    o,
  );
  assert.equal(code, 1, "one image could not be read");
  const report = JSON.parse(o.out) as { version: number; images: IdentifiedImage[] };
  assert.equal(report.version, 1);
  const [aj, gwb, bad] = report.images;
  const main = (img: IdentifiedImage | undefined) => [...(img?.faces ?? [])].sort((a, b) => b.box.width - a.box.width)[0];
  assert.equal(main(aj)?.name, "Angelina Jolie");
  assert.ok((main(aj)?.quality.score ?? 0) > 0.3);
  assert.equal(main(gwb)?.decision, "unknown");
  assert.equal(bad?.faces.length, 0);
  assert.match(bad?.error ?? "", /image/i);

  const offline = capture();
  await identifyCommand(
    { images: [join(lfw, "Angelina_Jolie", "Angelina_Jolie_0005.jpg")], json: true, offline: true, env },
    offline,
  );
  const off = JSON.parse(offline.out) as { images: IdentifiedImage[] };
  assert.ok(off.images[0]?.faces.every((f) => f.decision === "unknown" && f.reason === "empty_gallery"));
});
