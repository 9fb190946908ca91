/**
 * Training data bookkeeping for one run, pure: classes (0 = unknown, then people sorted by id), a validation split
 * that is stable per crop (by a hash of its id, so a crop never moves between train and validation across runs),
 * and augmented, shuffled batches.
 */
import { createHash } from "node:crypto";
import { seededRandom } from "@persona/runtime";
import { NET_SIZE, SAMPLE_SIZE, WINDOW, sampleWindow } from "./sample.ts";

export interface LabelledSample {
  /** Stable id of the crop (detection id, template id...). */
  id: string;
  /** The person, or null for an unknown face. */
  personId: string | null;
  sample: Uint8Array;
}

export interface ClassInfo {
  personId: string | null;
  name: string;
}

export interface RunData {
  classes: ClassInfo[];
  train: { cls: number; sample: Uint8Array }[];
  val: { cls: number; sample: Uint8Array; id: string }[];
  /** People left out for having too few crops. */
  skipped: { personId: string; crops: number }[];
}

export interface SplitOptions {
  /** Share of each class held out for validation. */
  valShare: number;
  /** A person needs this many crops to become a class. */
  minPerPerson: number;
}

export const SPLIT_DEFAULTS: SplitOptions = { valShare: 0.2, minPerPerson: 6 };

/** A number in [0, 1) fixed by the id. */
export function idFraction(id: string): number {
  return createHash("sha1").update(id).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Classes and the train/validation split. Every class keeps at least one crop on each side: when the hash puts
 * none (or all) of a class in validation, the crops with the smallest (largest) fractions move over.
 */
export function splitRun(
  samples: readonly LabelledSample[],
  names: ReadonlyMap<string, string>,
  options: Partial<SplitOptions> = {},
): RunData {
  const o = { ...SPLIT_DEFAULTS, ...options };
  const byPerson = new Map<string | null, LabelledSample[]>();
  for (const s of samples) {
    const list = byPerson.get(s.personId) ?? [];
    list.push(s);
    byPerson.set(s.personId, list);
  }
  const skipped: RunData["skipped"] = [];
  const people = [...byPerson.keys()].filter((p): p is string => p !== null).sort();
  const classes: ClassInfo[] = [{ personId: null, name: "unknown" }];
  for (const p of people) {
    const n = byPerson.get(p)?.length ?? 0;
    if (n < o.minPerPerson) skipped.push({ personId: p, crops: n });
    else classes.push({ personId: p, name: names.get(p) ?? p });
  }
  const train: RunData["train"] = [];
  const val: RunData["val"] = [];
  for (const [cls, c] of classes.entries()) {
    const list = [...(byPerson.get(c.personId) ?? [])].sort((a, b) => idFraction(a.id) - idFraction(b.id));
    if (list.length === 0) continue;
    let nVal = list.filter((s) => idFraction(s.id) < o.valShare).length;
    if (list.length >= 2) nVal = Math.min(list.length - 1, Math.max(1, nVal));
    else nVal = 0;
    for (const [i, s] of list.entries()) {
      if (i < nVal) val.push({ cls, sample: s.sample, id: s.id });
      else train.push({ cls, sample: s.sample });
    }
  }
  return { classes, train, val, skipped };
}

/**
 * Shuffled batches of augmented windows (random offset within the sample, random mirror). Classes are balanced by
 * repeating the crops of small classes up to `balanceTo` of the largest class's count.
 */
export function batchesFor(
  train: RunData["train"],
  batchSize: number,
  seed: number,
  balanceTo = 0.5,
): (epoch: number) => Iterable<{ x: Float32Array; y: Int32Array }> {
  const counts = new Map<number, number>();
  for (const t of train) counts.set(t.cls, (counts.get(t.cls) ?? 0) + 1);
  const largest = Math.max(0, ...counts.values());
  return function* (epoch: number) {
    const rand = seededRandom(seed * 1000 + epoch);
    const order: number[] = [];
    for (const [i, t] of train.entries()) {
      const n = counts.get(t.cls) ?? 1;
      const repeats = Math.max(1, Math.round((largest * balanceTo) / n));
      for (let r = 0; r < repeats; r++) order.push(i);
    }
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    const px = NET_SIZE * NET_SIZE;
    const span = SAMPLE_SIZE - WINDOW;
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const x = new Float32Array(idx.length * px);
      const y = new Int32Array(idx.length);
      for (const [k, i] of idx.entries()) {
        const t = train[i] as RunData["train"][number];
        const ox = Math.floor(rand() * (span + 1));
        const oy = Math.floor(rand() * (span + 1));
        sampleWindow(t.sample, ox, oy, rand() < 0.5, x, k * px);
        y[k] = t.cls;
      }
      yield { x, y };
    }
  };
}

/** Centre windows of samples, ready for the network. */
export function centreInputs(samples: readonly Uint8Array[]): Float32Array {
  const px = NET_SIZE * NET_SIZE;
  const x = new Float32Array(samples.length * px);
  for (const [k, s] of samples.entries()) sampleWindow(s, undefined, undefined, false, x, k * px);
  return x;
}
