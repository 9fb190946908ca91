/**
 * The score-normalisation cohort of the LFW evaluations: faces of people who are never evaluated.
 *
 * A deployment would take its cohort from the unknown faces its cameras see (people who are not enrolled). On LFW
 * the cohort is drawn from the View 1 DevTrain people with fewer than `minImages` images (never enrolled): a seeded
 * half of those people, and a seeded sample of `size` of their images. These people are disjoint from the DevTest
 * people, and they are removed from the non-mated probes of every protocol (`withoutPeople`), so no evaluated face
 * is ever in the cohort. Tuning (DevTrain) and reporting (DevTest, all LFW) use the same cohort.
 */
import { seededRandom } from "@persona/runtime";
import type { IdentificationProtocol, LfwPerson } from "./lfw.ts";

export interface LfwCohortOptions {
  /** Cohort images (a seeded sample of the chosen people's images; all of them if fewer). Default 1000. */
  size?: number;
  /** Seed of the choice of people and images. Default 1. */
  seed?: number;
  /** `ScoreCohort` options: k as a fraction of the cohort (default 0.01) and the fewest usable faces (default 500). */
  topFraction?: number;
  minSize?: number;
}

export interface CohortChoice {
  /** The people whose images may be in the cohort (removed from every evaluated protocol). */
  readonly people: ReadonlySet<string>;
  /** The cohort images: person and 1-based image index. */
  readonly images: readonly { readonly personId: string; readonly index: number }[];
}

function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Half (rounded down) of the never-enrolled people (fewer than `minImages` images) of `people`, chosen with `seed`,
 * and a sample of `size` of their images (sorted by person and index).
 */
export function chooseCohort(people: readonly LfwPerson[], minImages: number, size: number, seed: number): CohortChoice {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`cohort size must be a positive integer, got ${size}`);
  const rand = seededRandom(seed);
  const candidates = people.filter((p) => p.count < minImages);
  const chosen = shuffled(candidates, rand).slice(0, Math.floor(candidates.length / 2));
  const all = chosen.flatMap((p) => Array.from({ length: p.count }, (_, i) => ({ personId: p.name, index: i + 1 })));
  const images = shuffled(all, rand)
    .slice(0, size)
    .sort((a, b) => (a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : a.index - b.index));
  return { people: new Set(chosen.map((p) => p.name)), images };
}

/** The protocol without any image of `people` (they must not be enrolled). */
export function withoutPeople(protocol: IdentificationProtocol, people: ReadonlySet<string>): IdentificationProtocol {
  for (const p of protocol.gallery.keys()) {
    if (people.has(p)) throw new RangeError(`cohort person ${p} is enrolled in ${protocol.name}`);
  }
  return {
    name: `${protocol.name}-nocohort`,
    gallery: protocol.gallery,
    probes: protocol.probes.filter((x) => !people.has(x.personId)),
    impostors: protocol.impostors.filter((x) => !people.has(x.personId)),
  };
}
