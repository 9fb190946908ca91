/**
 * Labeled Faces in the Wild: protocol files and layout.
 *
 * Layout (see the data set's README.txt / SOURCE.md): `<dir>/<Name>/<Name>_<NNNN>.jpg` (250x250, deep-funneled),
 * with the protocol files at `<dir>/`:
 * - `pairs.txt` (View 2): first line `10<TAB>300`, then per fold 300 matched lines `name<TAB>i<TAB>j` and 300
 *   mismatched lines `name1<TAB>i<TAB>name2<TAB>j`;
 * - `pairsDevTrain.txt` / `pairsDevTest.txt` (View 1): first line `N`, then N matched and N mismatched lines;
 * - `lfw-names.txt`: `name<TAB>count` for every person; `peopleDevTrain.txt` / `peopleDevTest.txt`: `N`, then
 *   `name<TAB>count` lines.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PairsFileError, errorMessage } from "./errors.ts";
import { assertFilesExist, type PairSpec } from "./pairs-file.ts";

/** Path of image `index` (1-based) of `name`. */
export function lfwImagePath(dir: string, name: string, index: number): string {
  return join(dir, name, `${name}_${String(index).padStart(4, "0")}.jpg`);
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (cause) {
    throw new PairsFileError("io", file, `cannot read: ${errorMessage(cause)}`, { cause });
  }
}

function dataLines(text: string): { text: string; line: number }[] {
  return text
    .split(/\r?\n/)
    .map((t, i) => ({ text: t.trim(), line: i + 1 }))
    .filter((l) => l.text !== "");
}

function positiveInt(s: string | undefined, file: string, line: number, what: string): number {
  if (s === undefined || !/^\d+$/.test(s) || Number(s) < 1)
    throw new PairsFileError("bad_row", file, `${what} must be a positive integer, got "${s ?? ""}"`, { line });
  return Number(s);
}

/**
 * Parses LFW's pairs format (pairs.txt with a `folds<TAB>n` header, or the View 1 files with an `n` header).
 * Pairs get their fold id (0-based; 0 for the View 1 files). Paths are resolved under `imagesDir`.
 */
export function parseLfwPairs(text: string, file: string, imagesDir: string): PairSpec[] {
  const lines = dataLines(text);
  const head = lines[0];
  if (!head) throw new PairsFileError("empty", file, "empty pairs file");
  const hf = head.text.split(/\s+/);
  let folds: number;
  let perFold: number;
  if (hf.length === 2) {
    folds = positiveInt(hf[0], file, head.line, "fold count");
    perFold = positiveInt(hf[1], file, head.line, "pairs per fold");
  } else if (hf.length === 1) {
    folds = 1;
    perFold = positiveInt(hf[0], file, head.line, "pair count");
  } else {
    throw new PairsFileError("bad_columns", file, `header must be "folds<TAB>pairs" or "pairs", got "${head.text}"`, {
      line: head.line,
    });
  }
  const body = lines.slice(1);
  if (body.length !== folds * perFold * 2) {
    throw new PairsFileError(
      "bad_row",
      file,
      `header promises ${folds} x (${perFold} matched + ${perFold} mismatched) = ${folds * perFold * 2} pairs, found ${body.length} lines`,
    );
  }
  const out: PairSpec[] = [];
  body.forEach((l, k) => {
    const fold = Math.floor(k / (2 * perFold));
    const matched = k % (2 * perFold) < perFold;
    const f = l.text.split(/\t| +/);
    if (matched) {
      if (f.length !== 3)
        throw new PairsFileError("bad_row", file, `matched pair needs "name i j", got "${l.text}"`, { line: l.line });
      const name = f[0] as string;
      out.push({
        img1: lfwImagePath(imagesDir, name, positiveInt(f[1], file, l.line, "image index")),
        img2: lfwImagePath(imagesDir, name, positiveInt(f[2], file, l.line, "image index")),
        same: true,
        fold,
        line: l.line,
      });
    } else {
      if (f.length !== 4)
        throw new PairsFileError("bad_row", file, `mismatched pair needs "name1 i name2 j", got "${l.text}"`, { line: l.line });
      out.push({
        img1: lfwImagePath(imagesDir, f[0] as string, positiveInt(f[1], file, l.line, "image index")),
        img2: lfwImagePath(imagesDir, f[2] as string, positiveInt(f[3], file, l.line, "image index")),
        same: false,
        fold,
        line: l.line,
      });
    }
  });
  return out;
}

/** Reads an LFW pairs file from `dir` (e.g. "pairs.txt") and checks that every image exists. */
export async function readLfwPairs(dir: string, name = "pairs.txt"): Promise<PairSpec[]> {
  const file = join(dir, name);
  const pairs = parseLfwPairs(await readText(file), file, dir);
  await assertFilesExist(
    file,
    pairs.flatMap((p) => [
      { path: p.img1, line: p.line },
      { path: p.img2, line: p.line },
    ]),
  );
  return pairs;
}

export interface LfwPerson {
  readonly name: string;
  readonly count: number;
}

/** Parses `lfw-names.txt` (`name<TAB>count` per line) or a people file (`N` header then such lines). */
export function parseLfwPeople(text: string, file: string): LfwPerson[] {
  const out: LfwPerson[] = [];
  for (const l of dataLines(text)) {
    const f = l.text.split(/\t| +/);
    if (f.length === 1) continue; // count headers of people files
    if (f.length !== 2) throw new PairsFileError("bad_row", file, `expected "name<TAB>count", got "${l.text}"`, { line: l.line });
    out.push({ name: f[0] as string, count: positiveInt(f[1], file, l.line, "image count") });
  }
  if (out.length === 0) throw new PairsFileError("empty", file, "no people listed");
  return out;
}

export type LfwPeopleSet = "all" | "devTrain" | "devTest";

const PEOPLE_FILES: Record<LfwPeopleSet, string> = {
  all: "lfw-names.txt",
  devTrain: "peopleDevTrain.txt",
  devTest: "peopleDevTest.txt",
};

export async function readLfwPeople(dir: string, set: LfwPeopleSet = "all"): Promise<LfwPerson[]> {
  const file = join(dir, PEOPLE_FILES[set]);
  return parseLfwPeople(await readText(file), file);
}

/** Every image of the data set (13,233 for LFW), person by person. */
export async function lfwAllImages(dir: string): Promise<string[]> {
  const people = await readLfwPeople(dir, "all");
  return people.flatMap((p) => Array.from({ length: p.count }, (_, i) => lfwImagePath(dir, p.name, i + 1)));
}

/** An open-set identification protocol: one or more gallery images per person, mated probes, non-mated probes. */
export interface IdentificationProtocol {
  readonly name: string;
  /** person id -> gallery image paths */
  readonly gallery: ReadonlyMap<string, readonly string[]>;
  /** Probes of enrolled people. */
  readonly probes: readonly { readonly personId: string; readonly path: string }[];
  /** Probes of people who are not enrolled (their id is kept for reference). */
  readonly impostors: readonly { readonly personId: string; readonly path: string }[];
}

export interface LfwIdentificationOptions {
  /** Which people: the whole data set (default) or a View 1 split (to tune on DevTrain, check on DevTest). */
  people?: LfwPeopleSet;
  /** People with at least this many images are enrolled. Default 5. */
  minImages?: number;
  /** Gallery images per enrolled person (their first ones by index). Default 1. */
  galleryImages?: number;
}

/**
 * The LFW open-set protocol used here: people with >= `minImages` images are enrolled with their first
 * `galleryImages` image(s) (by index, e.g. `_0001`); their other images are mated probes; every image of the other
 * people (fewer images) is a non-mated probe (impostor). With all of LFW: 423 people enrolled, 4,746 probes... see
 * the report for the exact counts.
 */
export async function buildLfwIdentification(
  dir: string,
  options: LfwIdentificationOptions = {},
): Promise<IdentificationProtocol> {
  const set = options.people ?? "all";
  const minImages = options.minImages ?? 5;
  const g = options.galleryImages ?? 1;
  if (!(Number.isInteger(g) && g >= 1 && g < minImages))
    throw new RangeError(`galleryImages must be an integer in [1, minImages), got ${g}`);
  const people = await readLfwPeople(dir, set);
  const gallery = new Map<string, string[]>();
  const probes: { personId: string; path: string }[] = [];
  const impostors: { personId: string; path: string }[] = [];
  for (const p of people) {
    const paths = Array.from({ length: p.count }, (_, i) => lfwImagePath(dir, p.name, i + 1));
    if (p.count >= minImages) {
      gallery.set(p.name, paths.slice(0, g));
      for (const path of paths.slice(g)) probes.push({ personId: p.name, path });
    } else {
      for (const path of paths) impostors.push({ personId: p.name, path });
    }
  }
  const file = join(dir, PEOPLE_FILES[set]);
  await assertFilesExist(file, [...[...gallery.values()].flat().map((path) => ({ path })), ...probes, ...impostors]);
  return { name: `lfw-${set}-min${minImages}-g${g}`, gallery, probes, impostors };
}
