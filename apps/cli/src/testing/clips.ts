import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { datasetsDir } from "@persona/runtime";
import { DEFAULT_EMBEDDER_MODEL, embedderSpec, resolveModelPath } from "@persona/vision";
import { importCommand } from "../commands/import.ts";
import { type watchRecord, watchCommand } from "../commands/watch.ts";
import { capture } from "./capture.ts";

/** The data sets' labelled clips (`<datasets>/videos`). */
export const VIDEOS = join(datasetsDir(), "videos");

/** Why a test watching clips against the default embedder cannot run here, or undefined when it can. */
export function clipsSkipReason(): string | undefined {
  if (!existsSync(VIDEOS)) return `videos not found at ${VIDEOS} (set PERSONA_DATASETS)`;
  if (!existsSync(resolveModelPath(embedderSpec(DEFAULT_EMBEDDER_MODEL).file))) return "models not built (run make models)";
  return undefined;
}

/**
 * Imports one LFW photo of each person (`<folder>_0001.jpg`, as a registration desk has: not from the clips) from
 * folders written under `<dir>/people`, with `persona import --json` against `env`'s NATS; the import must succeed.
 * Returns the import report's people.
 */
export async function importLfwPeople(
  dir: string,
  people: readonly { folder: string; name: string }[],
  env: NodeJS.ProcessEnv,
): Promise<{ name: string; personId: string }[]> {
  for (const p of people) {
    const folder = join(dir, "people", p.folder);
    mkdirSync(folder, { recursive: true });
    cpSync(join(datasetsDir(), "lfw", p.folder, `${p.folder}_0001.jpg`), join(folder, "1.jpg"));
    writeFileSync(join(folder, "data.txt"), `${p.name}\nActor\n1.jpg\n`);
  }
  const o = capture();
  assert.equal(
    await importCommand({ dir: join(dir, "people"), json: true, dryRun: false, retryRejected: false, env }, o),
    0,
    o.err,
  );
  return (JSON.parse(o.out) as { people: { name: string; personId: string }[] }).people;
}

/** `persona watch <clip> --once --json` against `env`'s running system (recorded with `record`): its lines. */
export async function watchClip(
  clip: string,
  env: NodeJS.ProcessEnv,
  record?: boolean,
): Promise<ReturnType<typeof watchRecord>[]> {
  const o = capture();
  const code = await watchCommand(
    { source: join(VIDEOS, clip), once: true, json: true, realtime: false, standalone: false, record, env },
    o,
  );
  assert.equal(code, 0, `watch ${clip}: ${o.err}`);
  return o.out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReturnType<typeof watchRecord>);
}
