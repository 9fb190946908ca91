/**
 * `persona eval selflearn`: a replay benchmark of self-learning on a folder-per-person dataset (LFW by default).
 *
 * People with at least `minImages` images are enrolled from one photo each; the rest of their photos, and the photos
 * of impostors (people with fewer images, never enrolled), are streamed in a seeded random order as camera tracks of
 * `shotsPerTrack` shots. Every shot goes through the recognizer's own per-track vote (@persona/recognition, with its
 * configured thresholds) against a gallery; confirmed shots are offered to the trainer's growth policy (which may add
 * templates to that gallery), unknown shots to the trainer's visitor clustering. The same stream runs twice, with
 * self-learning off and on, and reports recall and false accepts over time, templates added to a wrong person,
 * the purity of the unknown clusters, and (when the trainer's classifier exists) the fast path's share, speed-up
 * and agreement.
 *
 * Embeddings are computed once per image (detection + alignment as the services align, ALIGN_LANDMARKS + the
 * recognizer's embedder in its default mode: one crop, no flip) and cached on disk by image sha256
 * (`extractEmbeddings`), so reruns take seconds.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { seededRandom } from "@persona/runtime";
import { DEFAULT_EMBEDDER_MODEL, type RgbImage, alignFace, assessQuality, decodeImage, embedderSpec } from "@persona/vision";
import {
  CLUSTER_DEFAULTS,
  type ClusterOptions,
  GROWTH_DEFAULTS,
  type GrowthOptions,
  type GrowthRejection,
  GrowthGallery,
  IncrementalClusters,
  type Match,
  type ShotOutcome,
  type TrackDecision,
  type TrackVoteState,
  VOTE_DEFAULTS,
  type VoteOptions,
  type VoteSettings,
  addShot,
  checkGrowthOptions,
  clusterPurity,
  decideGrowth,
  decideTrack,
  newTrackState,
  voteOptions,
} from "@persona/recognition";
import { DEFAULT_CACHE_DIR, sha256Hex } from "./cache.ts";
import { EvaluationError } from "./errors.ts";
import { type ExtractRun, type ImageEmbedding, type Progress, extractEmbeddings } from "./extract.ts";
import { listPersonFolders } from "./folders.ts";

export interface SelfLearnOptions {
  dataDir: string;
  /** People with at least this many usable images are enrolled (one photo) and streamed. Default 10. */
  minImages?: number;
  /** At most this many enrolled people (a seeded sample). Default all. */
  maxPeople?: number;
  /** Impostors: a seeded sample of this many people with 2 .. minImages-1 images. Default 400. */
  impostorPeople?: number;
  /** At most this many tracks in the stream (after shuffling). Default all. */
  limit?: number;
  /**
   * Shots (photos of the same person) per track. Default 2: a pass confirmed by two agreeing shots, below the
   * recognizer's track fusion (3 shots), so the numbers measure the gallery rather than the fusion.
   */
  shotsPerTrack?: number;
  seed?: number;
  /** Points of the over-time curves. Default 10 (every 10% of the stream). */
  buckets?: number;
  growth?: Partial<GrowthOptions>;
  cluster?: Partial<ClusterOptions>;
  /** Distinct tracks a cluster needs to count as a visitor. Default 2. */
  minVisits?: number;
  /**
   * The recognizers' settings: their model (RECOGNIZER_MODEL), alignment (ALIGN_LANDMARKS) and vote (RECOGNIZER_FLIP,
   * the thresholds). Default the recognizers' defaults (`VOTE_DEFAULTS`, the model's tuned thresholds).
   */
  recognizer?: RecognizerOptions;
  cacheDir?: string | null;
  workers?: number;
  /** Run the fast-path measurement when the trainer's classifier is available. Default true. */
  fastPath?: boolean;
  /**
   * Loads the trainer's classifier (a module with `measureFastPath`, @persona/service-trainer/classifier), given by
   * the caller (the CLI): a library does not import a service. Without it the fast path is not measured.
   */
  loadFastPath?: () => Promise<Record<string, unknown>>;
  /** People and crops given to the fast-path measurement. Default 20 people. */
  fastPathPeople?: number;
  onProgress?: (p: Progress | { phase: string; done: number; total: number }) => void;
  /** Minutes between consecutive tracks of the stream (its clock, for the growth rate limit). Default 5. */
  trackIntervalMinutes?: number;
  /** Tuning: more self-learning replays of the same stream, each with these growth options over the others. */
  growthVariants?: Partial<GrowthOptions>[];
}

/** The recognizers' settings the replay runs with (unset: their defaults). */
export interface RecognizerOptions extends Partial<VoteSettings> {
  /** RECOGNIZER_MODEL; default the default embedder. */
  model?: string;
  /** ALIGN_LANDMARKS; default "auto" (as the recognizers and cameras). */
  alignLandmarks?: "auto" | "off";
}

interface Face {
  /** unique id of the shot */
  id: string;
  person: string;
  path: string;
  vector: Float32Array;
  quality: number;
  emb: ImageEmbedding;
}

interface Track {
  id: string;
  person: string;
  enrolled: boolean;
  faces: Face[];
  at: number;
}

export interface RunCurvePoint {
  /** Fraction of the stream processed at the end of this bucket. */
  upTo: number;
  enrolledTracks: number;
  recall: number;
  misidentified: number;
  impostorTracks: number;
  falseAcceptRate: number;
  templates: number;
}

export interface ModeReport {
  selfLearning: boolean;
  /** Tracks of enrolled people named correctly by the final track vote / all their tracks. */
  recall: number;
  /** Tracks of enrolled people named as someone else. */
  misidentified: number;
  /** Impostor tracks named as anyone / all impostor tracks. */
  falseAcceptRate: number;
  falseAccepts: number;
  /** Shots of enrolled people whose outcome was "confirmed" for the right person / all their shots. */
  confirmedShotRate: number;
  /** Shots of enrolled people that on their own vote for the right person (naming threshold and margin). */
  shotRecall: number;
  /** Impostor shots that on their own vote for someone. */
  shotFalseAcceptRate: number;
  curve: RunCurvePoint[];
  growth: {
    added: number;
    wrongPerson: number;
    retired: number;
    peopleGrown: number;
    rejected: Partial<Record<GrowthRejection, number>>;
  };
  clusters: ClusterReport;
  templatesAtEnd: number;
}

export interface ClusterReport {
  unknownFaces: number;
  clusteredFaces: number;
  clusters: number;
  visitors: number;
  /** Share of clustered faces carrying their cluster's majority identity (all clusters). */
  purity: number;
  /** The same over clusters whose majority is an impostor. */
  impostorPurity: number;
  impostorClusters: number;
  /** Impostor identities with at least one visitor / impostor identities with at least minVisits unknown tracks. */
  impostorsFound: number;
  impostorsRecurring: number;
  /** Visitors per found impostor identity (1 = no fragmentation). */
  fragmentation: number;
}

export interface FastPathReport {
  available: boolean;
  note: string;
  share?: number;
  speedup?: number;
  agreement?: number;
  [k: string]: unknown;
}

export interface SelfLearnReport {
  kind: "selflearn";
  dataset: string;
  seed: number;
  model: string;
  vote: VoteOptions;
  growthOptions: GrowthOptions;
  clusterOptions: ClusterOptions;
  minVisits: number;
  enrolledPeople: number;
  impostorPeople: number;
  tracks: { total: number; enrolled: number; impostor: number; shotsPerTrack: number };
  faces: number;
  off: ModeReport;
  on: ModeReport;
  recallGain: number;
  falseAcceptChange: number;
  fastPath: FastPathReport;
  /** The `growthVariants` replays, when asked for. */
  variants?: { growth: GrowthOptions; on: ModeReport }[];
  timing: { extractSeconds: number; computedImages: number; cachedImages: number; replaySeconds: number; totalSeconds: number };
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

const QUALITY_CACHE_VERSION = 1;

/** Face quality scores (as the camera computes them) per image sha, cached as JSON beside the embeddings. */
async function qualities(
  embs: readonly ImageEmbedding[],
  cacheDir: string | null,
  onProgress: (done: number, total: number) => void,
): Promise<Map<string, number>> {
  const file = cacheDir ? join(cacheDir, "selflearn", `quality-v${QUALITY_CACHE_VERSION}.json`) : null;
  const cached: Record<string, number> = file && existsSync(file) ? JSON.parse(await readFile(file, "utf8")) : {};
  const out = new Map<string, number>();
  let computed = 0;
  let done = 0;
  for (const e of embs) {
    const key = `${e.sha256}:${e.face ? e.face.box.x.toFixed(1) : "none"}`;
    let q = cached[key];
    if (q === undefined) {
      q = 0;
      if (e.face) {
        try {
          q = assessQuality(await decodeImage(e.path), e.face).score;
        } catch {
          q = 0;
        }
      }
      cached[key] = q;
      computed++;
    }
    out.set(e.sha256, q);
    if (++done % 500 === 0) onProgress(done, embs.length);
  }
  if (file && computed > 0) {
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(file, JSON.stringify(cached));
  }
  return out;
}

interface ShotRecord {
  face: Face;
  track: Track;
  /** The embedding path's outcome for this shot. */
  personId: string | null;
  decision: "confirmed" | "probable" | "unknown";
  /** Person the track had been confirmed for before this shot arrived. */
  trackPersonId: string | null;
  /** Person the track's final vote named (filled when the track ends). */
  trackNamed: string | null;
  index: number;
}

interface ReplayResult {
  report: ModeReport;
  shots: ShotRecord[];
}

interface ReplayOptions {
  selfLearning: boolean;
  vote: VoteOptions;
  growth: GrowthOptions;
  cluster: ClusterOptions;
  minVisits: number;
  buckets: number;
  dims: number;
  impostors: ReadonlySet<string>;
}

/** Tracks of enrolled people (named right, named wrong) and of impostors (named at all). */
interface TrackCounts {
  eTracks: number;
  eHit: number;
  eWrong: number;
  iTracks: number;
  iFalse: number;
}

const noTracks = (): TrackCounts => ({ eTracks: 0, eHit: 0, eWrong: 0, iTracks: 0, iFalse: 0 });

/** What one replay builds up: the gallery, the unknown faces' clusters and the counts. */
interface ReplayState {
  g: GrowthGallery;
  match: (probe: ArrayLike<number>) => Match | null;
  clusters: IncrementalClusters;
  /** Person and track of each unknown face. */
  labelOf: Map<string, string>;
  trackOf: Map<string, string>;
  growth: {
    added: number;
    wrong: number;
    retired: number;
    grown: Set<string>;
    rejected: Partial<Record<GrowthRejection, number>>;
  };
  shots: ShotRecord[];
  shotCounts: { eShots: number; eConfirmed: number; eShotHits: number; iShots: number; iShotFalse: number };
  tracks: TrackCounts;
}

function replay(enrolled: ReadonlyMap<string, Face>, tracks: readonly Track[], o: ReplayOptions): ReplayResult {
  const r = startReplay(enrolled, o);
  const curve: RunCurvePoint[] = [];
  let bucket = noTracks();
  const perBucket = Math.max(1, Math.ceil(tracks.length / o.buckets));
  tracks.forEach((t, ti) => {
    const final = replayTrack(r, t, o);
    countTrack(r.tracks, t, final);
    countTrack(bucket, t, final);
    if ((ti + 1) % perBucket === 0 || ti === tracks.length - 1) {
      curve.push({
        upTo: (ti + 1) / tracks.length,
        enrolledTracks: bucket.eTracks,
        recall: bucket.eTracks ? bucket.eHit / bucket.eTracks : 0,
        misidentified: bucket.eWrong,
        impostorTracks: bucket.iTracks,
        falseAcceptRate: bucket.iTracks ? bucket.iFalse / bucket.iTracks : 0,
        templates: r.g.size,
      });
      bucket = noTracks();
    }
  });
  const { tracks: n, shotCounts: s, growth } = r;
  return {
    shots: r.shots,
    report: {
      selfLearning: o.selfLearning,
      recall: n.eTracks ? n.eHit / n.eTracks : 0,
      misidentified: n.eWrong,
      falseAcceptRate: n.iTracks ? n.iFalse / n.iTracks : 0,
      falseAccepts: n.iFalse,
      confirmedShotRate: s.eShots ? s.eConfirmed / s.eShots : 0,
      shotRecall: s.eShots ? s.eShotHits / s.eShots : 0,
      shotFalseAcceptRate: s.iShots ? s.iShotFalse / s.iShots : 0,
      curve,
      growth: {
        added: growth.added,
        wrongPerson: growth.wrong,
        retired: growth.retired,
        peopleGrown: growth.grown.size,
        rejected: growth.rejected,
      },
      clusters: clusterReport(r, o),
      templatesAtEnd: r.g.size,
    },
  };
}

/** A gallery of the enrollment photos, no unknown faces, every count at zero. */
function startReplay(enrolled: ReadonlyMap<string, Face>, o: ReplayOptions): ReplayState {
  const g = new GrowthGallery(o.dims);
  for (const [person, f] of enrolled) g.add(`enroll:${person}`, person, f.vector, { selfLearned: false, addedAt: 0 });
  const match = (probe: ArrayLike<number>): Match | null => {
    const d = g.gallery.decide(probe, { threshold: -2, minMargin: 0 });
    const b = d.kind === "known" ? d : d.best ? { ...d.best, margin: d.margin ?? 0 } : null;
    return b ? { personId: b.personId, name: b.personId, similarity: b.similarity, margin: b.margin } : null;
  };
  return {
    g,
    match,
    clusters: new IncrementalClusters(o.cluster),
    labelOf: new Map(),
    trackOf: new Map(),
    growth: { added: 0, wrong: 0, retired: 0, grown: new Set(), rejected: {} },
    shots: [],
    shotCounts: { eShots: 0, eConfirmed: 0, eShotHits: 0, iShots: 0, iShotFalse: 0 },
    tracks: noTracks(),
  };
}

/** Votes the track's shots one by one and returns its final decision, recorded on its shots. */
function replayTrack(r: ReplayState, t: Track, o: ReplayOptions): TrackDecision {
  const state = newTrackState("eval", t.id);
  for (const f of t.faces) replayShot(r, state, t, f, o);
  state.ended = { startedAt: "", endedAt: "", frames: t.faces.length, shots: t.faces.length, bestQuality: 1 };
  const final = decideTrack(state, o.vote);
  if (final.kind === "recognized") for (const s of r.shots.slice(r.shots.length - t.faces.length)) s.trackNamed = final.personId;
  return final;
}

/** One shot through the track's vote; a confirmed one is offered to growth, an unknown one to the clusters. */
function replayShot(r: ReplayState, state: TrackVoteState, t: Track, f: Face, o: ReplayOptions): void {
  const c = r.shotCounts;
  const before = decideTrack(state, o.vote);
  const best = r.match(f.vector);
  const votes = best !== null && best.similarity >= o.vote.nameThreshold && best.margin >= o.vote.minMargin;
  if (t.enrolled && votes && best.personId === t.person) c.eShotHits++;
  if (!t.enrolled) {
    c.iShots++;
    if (votes) c.iShotFalse++;
  }
  const outcome = addShot(state, f.id, { best, embedding: f.vector }, o.vote, r.match);
  const rec: ShotRecord = {
    face: f,
    track: t,
    personId: outcome.kind === "recognized" ? outcome.personId : null,
    decision: outcome.kind === "recognized" ? outcome.decision : "unknown",
    trackPersonId: before.kind === "recognized" ? before.personId : null,
    trackNamed: null,
    index: r.shots.length,
  };
  r.shots.push(rec);
  if (t.enrolled) {
    c.eShots++;
    if (rec.decision === "confirmed" && rec.personId === t.person) c.eConfirmed++;
  }
  if (outcome.kind === "recognized") {
    if (o.selfLearning && outcome.decision === "confirmed") offerGrowth(r, outcome, t, f, o.growth);
  } else {
    r.labelOf.set(f.id, f.person);
    r.trackOf.set(f.id, t.id);
    r.clusters.add({ id: f.id, embedding: f.vector, at: t.at });
  }
}

/** The trainer's growth policy on a confirmed shot: a template added (and others retired), or why not. */
function offerGrowth(
  r: ReplayState,
  outcome: Extract<ShotOutcome, { kind: "recognized" }>,
  t: Track,
  f: Face,
  options: GrowthOptions,
): void {
  const growth = r.growth;
  const d = decideGrowth(
    r.g,
    {
      personId: outcome.personId,
      decision: outcome.decision,
      votes: { agreeing: outcome.agreeing, total: outcome.total },
      quality: f.quality,
      at: t.at,
    },
    f.vector,
    options,
  );
  if (d.accept) {
    for (const id of d.retire) r.g.remove(id);
    growth.retired += d.retire.length;
    r.g.add(`grown:${f.id}`, d.personId, f.vector, { selfLearned: true, addedAt: t.at });
    growth.added++;
    growth.grown.add(d.personId);
    if (d.personId !== f.person) growth.wrong++;
  } else growth.rejected[d.reason] = (growth.rejected[d.reason] ?? 0) + 1;
}

function countTrack(n: TrackCounts, t: Track, final: TrackDecision): void {
  if (t.enrolled) {
    n.eTracks++;
    if (final.kind === "recognized") {
      if (final.personId === t.person) n.eHit++;
      else n.eWrong++;
    }
  } else {
    n.iTracks++;
    if (final.kind === "recognized") n.iFalse++;
  }
}

/** clusters -> visitors (a cluster seen on at least minVisits distinct tracks), and how pure they are */
function clusterReport(r: ReplayState, o: ReplayOptions): ClusterReport {
  const { labelOf, trackOf } = r;
  const all = r.clusters.clusters();
  const label = (id: string) => labelOf.get(id) as string;
  const visitors = new Map([...all].filter(([, m]) => new Set(m.map((id) => trackOf.get(id))).size >= o.minVisits));
  const p = clusterPurity(visitors, label);
  const impostorClusters = new Map(
    [...visitors].filter(([id]) => o.impostors.has(p.clusters.find((c) => c.id === id)?.label ?? "")),
  );
  const ip = clusterPurity(impostorClusters, label);
  const found = new Set(ip.clusters.map((c) => c.label));
  // impostor identities whose unknown faces came from at least minVisits tracks
  const tracksPerImpostor = new Map<string, Set<string>>();
  for (const [id, person] of labelOf)
    if (o.impostors.has(person)) {
      const s = tracksPerImpostor.get(person) ?? new Set();
      s.add(trackOf.get(id) as string);
      tracksPerImpostor.set(person, s);
    }
  const recurring = [...tracksPerImpostor.values()].filter((s) => s.size >= o.minVisits).length;
  return {
    unknownFaces: labelOf.size,
    clusteredFaces: p.clustered,
    clusters: all.size,
    visitors: visitors.size,
    purity: p.purity,
    impostorPurity: ip.purity,
    impostorClusters: impostorClusters.size,
    impostorsFound: found.size,
    impostorsRecurring: recurring,
    fragmentation: found.size ? impostorClusters.size / found.size : 0,
  };
}

async function alignedChip(e: ImageEmbedding, model: string): Promise<RgbImage> {
  const image = await decodeImage(e.path);
  if (!e.face) throw new EvaluationError("dataset", `${e.path}: no face to align`);
  return alignFace(image, e.face.keypoints, embedderSpec(model).template).chip;
}

/**
 * The fast-path hook: the trainer's classifier (services/trainer/src/classifier/index.ts, `measureFastPath`) trained
 * on what the trainer would have accumulated in the first half of the stream (enrollment photos, confirmed faces,
 * unknown faces) for a few people, measured on the second half against the embedding path's decisions.
 */
async function fastPath(
  o: { people: number; model: string; enabled: boolean; load: (() => Promise<Record<string, unknown>>) | undefined },
  enrolled: ReadonlyMap<string, Face>,
  shots: readonly ShotRecord[],
  log: (s: string) => void,
): Promise<FastPathReport> {
  if (!o.enabled) return { available: false, note: "fast path: not measured (--no-fast-path)" };
  if (!o.load) return { available: false, note: "fast path: not measured (classifier not available)" };
  let measure: ((input: unknown) => Promise<Record<string, unknown>>) | undefined;
  try {
    const mod = await o.load();
    if (typeof mod.measureFastPath === "function") measure = mod.measureFastPath as typeof measure;
  } catch (err) {
    return { available: false, note: `fast path: not measured (classifier cannot be loaded: ${(err as Error).message})` };
  }
  if (!measure) return { available: false, note: "fast path: not measured (classifier has no measureFastPath)" };
  // the people seen most (as at the paper's conference): the classifier is for the regulars
  const seen = new Map<string, number>();
  for (const s of shots) if (enrolled.has(s.face.person)) seen.set(s.face.person, (seen.get(s.face.person) ?? 0) + 1);
  const people = new Set(
    [...seen]
      .sort((a, b) => b[1] - a[1])
      .slice(0, o.people)
      .map(([p]) => p),
  );
  const half = Math.floor(shots.length / 2);
  const train: { face: Face; personId: string | null }[] = [];
  for (const p of people) train.push({ face: enrolled.get(p) as Face, personId: p });
  let unknowns = 0;
  const perPerson = new Map<string, number>();
  // what the trainer banks (at most 30 crops per person here, to keep the training to a few hundred crops): faces of tracks the embedding path confirmed (labelled with that person), unknown faces
  for (const s of shots.slice(0, half)) {
    if (s.trackNamed && people.has(s.trackNamed)) {
      const n = perPerson.get(s.trackNamed) ?? 0;
      if (n < 30) train.push({ face: s.face, personId: s.trackNamed });
      perPerson.set(s.trackNamed, n + 1);
    } else if (s.decision === "unknown" && !s.trackNamed && unknowns < 4 * people.size) {
      train.push({ face: s.face, personId: null });
      unknowns++;
    }
  }
  const later = shots.slice(half);
  const mine = later.filter((s) => people.has(s.face.person)).slice(0, 300);
  const strangers = later.filter((s) => !enrolled.has(s.face.person)).slice(0, Math.max(50, 400 - mine.length));
  const test = [...mine, ...strangers].sort((a, b) => a.index - b.index);
  log(`fast path: ${train.length} training crops, ${test.length} test crops`);
  const chip = (f: Face) => alignedChip(f.emb, o.model);
  const trainCrops = await Promise.all(train.map(async (t) => ({ chip: await chip(t.face), personId: t.personId })));
  const testCrops = await Promise.all(test.map(async (s) => ({ chip: await chip(s.face) })));
  // LFW tracks are short (a camera's are up to 20 shots): a face of a track the embedding path confirmed stands for
  // the later shots of such a track, which reach the cascade after the confirmation (and for which the recognizer
  // reports the track's person)
  const embeddingDecisions = test.map((s) => ({
    personId: s.trackNamed ?? (s.decision === "confirmed" || s.decision === "probable" ? s.personId : null),
    trackPersonId: s.trackPersonId ?? s.trackNamed,
  }));
  try {
    const r = await measure({ trainCrops, testCrops, embeddingDecisions });
    return { available: true, note: "fast path: measured with services/trainer/src/classifier measureFastPath", ...r };
  } catch (err) {
    return { available: false, note: `fast path: measurement failed: ${(err as Error).message}` };
  }
}

/** Runs the replay benchmark. */
export async function evalSelfLearn(opts: SelfLearnOptions): Promise<SelfLearnReport> {
  const t0 = performance.now();
  const s = selfLearnSettings(opts);
  const { seed, model, vote, growth, cluster, minVisits, buckets } = s;
  const progress = opts.onProgress ?? (() => {});
  const rand = seededRandom(seed);

  // 1. people
  const people = await choosePeople(opts, s.minImages, rand);
  const { byPerson, enrolledPeople, impostorPeople } = people;

  // 2. embeddings (cached)
  const paths = [...enrolledPeople, ...impostorPeople].flatMap((p) => byPerson.get(p) as string[]);
  const faces = await embedFaces(paths, opts, s, progress);

  // 3. enrollment (first usable photo) and the stream's tracks
  const { enrolled, stream } = enrollAndStream(people, faces, opts, s.shotsPerTrack, rand);
  const impostors = new Set(impostorPeople);

  // 4. replays
  const t1 = performance.now();
  const common = { vote, growth, cluster, minVisits, buckets, dims: s.spec.dims, impostors };
  const off = replay(enrolled, stream, { ...common, selfLearning: false });
  const on = replay(enrolled, stream, { ...common, selfLearning: true });
  const variants = (opts.growthVariants ?? []).map((v) => {
    const g = checkGrowthOptions({ ...growth, ...v });
    return { growth: g, on: replay(enrolled, stream, { ...common, growth: g, selfLearning: true }).report };
  });
  const replaySeconds = (performance.now() - t1) / 1000;

  // 5. fast path
  const fp = await fastPath(
    { people: opts.fastPathPeople ?? 20, model, enabled: opts.fastPath !== false, load: opts.loadFastPath },
    enrolled,
    on.shots,
    (phase) => progress({ phase, done: 0, total: 0 }),
  );
  const enrolledTracks = stream.filter((t) => t.enrolled).length;
  const { stats } = faces.run;
  return {
    kind: "selflearn",
    dataset: opts.dataDir,
    seed,
    model,
    vote,
    growthOptions: growth,
    clusterOptions: cluster,
    minVisits,
    enrolledPeople: enrolled.size,
    impostorPeople: impostorPeople.length,
    tracks: {
      total: stream.length,
      enrolled: enrolledTracks,
      impostor: stream.length - enrolledTracks,
      shotsPerTrack: s.shotsPerTrack,
    },
    faces: stream.reduce((n, t) => n + t.faces.length, 0),
    off: off.report,
    on: on.report,
    recallGain: on.report.recall - off.report.recall,
    falseAcceptChange: on.report.falseAcceptRate - off.report.falseAcceptRate,
    fastPath: fp,
    ...(variants.length > 0 ? { variants } : {}),
    timing: {
      extractSeconds: stats.seconds,
      computedImages: stats.computed,
      cachedImages: stats.fromCache,
      replaySeconds,
      totalSeconds: (performance.now() - t0) / 1000,
    },
  };
}

/** The options with their defaults (checked), and the recognizers' and trainer's settings for the model. */
function selfLearnSettings(opts: SelfLearnOptions) {
  const seed = opts.seed ?? 1;
  const minImages = opts.minImages ?? 10;
  const shotsPerTrack = opts.shotsPerTrack ?? 2;
  const buckets = opts.buckets ?? 10;
  const minVisits = opts.minVisits ?? 2;
  if (!Number.isInteger(minImages) || minImages < 2) throw new EvaluationError("options", "minImages must be an integer >= 2");
  if (!Number.isInteger(shotsPerTrack) || shotsPerTrack < 1)
    throw new EvaluationError("options", "shotsPerTrack must be a positive integer");
  const settings = opts.recognizer ?? {};
  const model = settings.model ?? DEFAULT_EMBEDDER_MODEL;
  const spec = embedderSpec(model);
  // the trainer's defaults for this model: similarities live on each model's own scale
  const own = spec.selfLearning;
  const growth = checkGrowthOptions({
    ...GROWTH_DEFAULTS,
    ...(own ? { minSimilarity: own.growthMinSimilarity, dedupeSimilarity: own.growthDedupeSimilarity } : {}),
    ...opts.growth,
  });
  const cluster: ClusterOptions = {
    ...CLUSTER_DEFAULTS,
    ...(own ? { maxDistance: own.visitorsMaxDistance } : {}),
    ...opts.cluster,
  };
  const vote = voteOptions(spec, { ...VOTE_DEFAULTS, ...settings });
  return { seed, minImages, shotsPerTrack, buckets, minVisits, settings, model, spec, growth, cluster, vote };
}

type SelfLearnSettings = ReturnType<typeof selfLearnSettings>;

interface People {
  /** Image paths of each person in the dataset. */
  byPerson: Map<string, string[]>;
  enrolledPeople: string[];
  impostorPeople: string[];
}

/** People with minImages or more images to enroll, people with fewer as impostors: seeded samples of each. */
async function choosePeople(opts: SelfLearnOptions, minImages: number, rand: () => number): Promise<People> {
  const images = await listPersonFolders(opts.dataDir);
  const byPerson = new Map<string, string[]>();
  for (const i of images) byPerson.set(i.personId, [...(byPerson.get(i.personId) ?? []), i.path]);
  let enrolledPeople = shuffle(
    [...byPerson].filter(([, ps]) => ps.length >= minImages).map(([p]) => p),
    rand,
  );
  if (opts.maxPeople !== undefined) enrolledPeople = enrolledPeople.slice(0, opts.maxPeople);
  if (enrolledPeople.length === 0)
    throw new EvaluationError("dataset", `no person in ${opts.dataDir} has ${minImages} or more images`);
  const impostorPeople = shuffle(
    [...byPerson].filter(([, ps]) => ps.length >= 2 && ps.length < minImages).map(([p]) => p),
    rand,
  ).slice(0, opts.impostorPeople ?? 400);
  return { byPerson, enrolledPeople, impostorPeople };
}

interface Faces {
  run: ExtractRun;
  /** The image's embedding when a face was detected in it. */
  usable: (path: string) => ImageEmbedding | null;
  /** The image as a shot of `person` (its embedding and quality), or null without a usable face. */
  face: (person: string, path: string, id: string) => Face | null;
}

/** Embeds every image as the services would (cached) and scores the faces' quality as the cameras do. */
async function embedFaces(
  paths: string[],
  opts: SelfLearnOptions,
  s: SelfLearnSettings,
  progress: NonNullable<SelfLearnOptions["onProgress"]>,
): Promise<Faces> {
  const { settings, spec } = s;
  const cacheDir = opts.cacheDir === undefined ? DEFAULT_CACHE_DIR : opts.cacheDir;
  const run = await extractEmbeddings(paths, {
    model: spec,
    ensemble: false,
    flip: settings.flip ?? VOTE_DEFAULTS.flip,
    // aligned as the cameras and recognizers align (ALIGN_LANDMARKS)
    landmarks: (settings.alignLandmarks ?? "auto") === "auto" && spec.template.landmarks68 !== undefined,
    cacheDir,
    onProgress: progress,
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
  });
  const usable = (p: string) => {
    const e = run.embeddings.get(p);
    return e?.status === "detected" && e.vector ? e : null;
  };
  const q = await qualities(
    [...run.embeddings.values()].filter((e) => e.status === "detected"),
    cacheDir,
    (done, total) => progress({ phase: "quality", done, total }),
  );
  const face = (person: string, path: string, id: string): Face | null => {
    const e = usable(path);
    return e ? { id, person, path, vector: e.vector as Float32Array, quality: q.get(e.sha256) ?? 0, emb: e } : null;
  };
  return { run, usable, face };
}

/**
 * Enrolls each person from their first usable photo and cuts everyone's other photos into tracks of shotsPerTrack
 * shots, shuffled into a stream that sees a track every trackIntervalMinutes.
 */
function enrollAndStream(
  people: People,
  faces: Faces,
  opts: SelfLearnOptions,
  shotsPerTrack: number,
  rand: () => number,
): { enrolled: Map<string, Face>; stream: Track[] } {
  const { byPerson, enrolledPeople, impostorPeople } = people;
  const { usable, face } = faces;
  const enrolled = new Map<string, Face>();
  const tracks: Track[] = [];
  const toTracks = (person: string, ps: string[], isEnrolled: boolean) => {
    const shots = shuffle(
      ps.map((p) => face(person, p, sha256Hex(`${person}/${p}`).slice(0, 16))).filter((f): f is Face => f !== null),
      rand,
    );
    for (let i = 0; i < shots.length; i += shotsPerTrack)
      tracks.push({
        id: `${person}#${i / shotsPerTrack}`,
        person,
        enrolled: isEnrolled,
        faces: shots.slice(i, i + shotsPerTrack),
        at: 0,
      });
  };
  for (const p of enrolledPeople) {
    const ps = byPerson.get(p) as string[];
    const first = ps.find((x) => usable(x));
    if (!first) continue;
    enrolled.set(p, face(p, first, `enroll:${p}`) as Face);
    toTracks(
      p,
      ps.filter((x) => x !== first),
      true,
    );
  }
  for (const p of impostorPeople) toTracks(p, byPerson.get(p) as string[], false);
  let stream = shuffle(tracks, rand);
  if (opts.limit !== undefined) stream = stream.slice(0, opts.limit);
  const start = Date.parse("2026-01-05T08:00:00Z");
  const interval = (opts.trackIntervalMinutes ?? 5) * 60_000;
  stream.forEach((t, i) => {
    t.at = start + i * interval;
  });
  return { enrolled, stream };
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

/** A human summary of the report. */
export function selfLearnSummary(r: SelfLearnReport): string {
  const lines = [
    `selflearn on ${r.dataset} (seed ${r.seed}, ${r.model}): ${r.enrolledPeople} enrolled from one photo each, ${r.impostorPeople} impostors never enrolled`,
    `stream: ${r.tracks.total} tracks (${r.tracks.enrolled} of enrolled people, ${r.tracks.impostor} of impostors), ${r.faces} faces, ${r.tracks.shotsPerTrack} shots per track`,
    "                     track recall  misidentified  track false accepts  shot recall  shot false accepts  templates",
  ];
  for (const m of [r.off, r.on])
    lines.push(
      `  self-learning ${m.selfLearning ? "on " : "off"}  ${pct(m.recall).padStart(12)}  ${String(m.misidentified).padStart(13)}  ${`${pct(m.falseAcceptRate)} (${m.falseAccepts})`.padStart(19)}  ${pct(m.shotRecall).padStart(11)}  ${pct(m.shotFalseAcceptRate).padStart(18)}  ${String(m.templatesAtEnd).padStart(9)}`,
    );
  lines.push(
    `  track recall gain ${pct(r.recallGain)}, false-accept change ${pct(r.falseAcceptChange)}; shot recall gain ${pct(r.on.shotRecall - r.off.shotRecall)}`,
  );
  lines.push("  over time (recall off -> on, false accepts off -> on, per tenth of the stream):");
  r.on.curve.forEach((p, i) => {
    const q = r.off.curve[i] as RunCurvePoint;
    lines.push(
      `    ${pct(p.upTo).padStart(7)}  recall ${pct(q.recall)} -> ${pct(p.recall)}  FAR ${pct(q.falseAcceptRate)} -> ${pct(p.falseAcceptRate)}  templates ${p.templates}`,
    );
  });
  const g = r.on.growth;
  lines.push(
    `growth: ${g.added} templates added to ${g.peopleGrown} people, ${g.wrongPerson} to a wrong person, ${g.retired} retired; rejected ${JSON.stringify(g.rejected)}`,
  );
  const c = r.on.clusters;
  lines.push(
    `unknowns: ${c.unknownFaces} unknown faces, ${c.visitors} visitors (${c.clusteredFaces} faces), purity ${pct(c.purity)}; impostor visitors ${c.impostorClusters}, purity ${pct(c.impostorPurity)}, ${c.impostorsFound}/${c.impostorsRecurring} recurring impostors found, ${c.fragmentation.toFixed(2)} visitors each`,
  );
  const f = r.fastPath;
  lines.push(
    f.available
      ? `fast path: share ${pct(Number(f.share))}, speed-up ${Number(f.speedup).toFixed(1)}x, agreement ${pct(Number(f.agreement))}`
      : f.note,
  );
  lines.push(
    `time: ${r.timing.totalSeconds.toFixed(1)} s (embedding ${r.timing.extractSeconds.toFixed(1)} s for ${r.timing.computedImages} new images, ${r.timing.cachedImages} cached; replays ${r.timing.replaySeconds.toFixed(1)} s)`,
  );
  return `${lines.join("\n")}\n`;
}
