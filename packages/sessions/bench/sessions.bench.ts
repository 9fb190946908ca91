/**
 * One week of a 300-person course (10 groups of 30), 40 sessions a week on 10 cameras, replayed through the sessions
 * projection: the time per observation (routing by camera and hour, then the fold of each occurrence it belongs to)
 * and the time to rebuild every projection from the full event list.
 *
 *   node --import tsx packages/sessions/bench/sessions.bench.ts [--json]
 */
import {
  type Observation,
  type PeopleFact,
  type SessionsEvent,
  applyEvent,
  attendanceView,
  createProjection,
  ingest,
  localToInstant,
  sessionsEvent,
} from "../src/index.ts";

const STUDENTS = 300;
const GROUPS = 10;
const CAMERAS = 10;
const ZONE = "Europe/Moscow";
const WEEK = ["2025-09-01", "2025-09-02", "2025-09-03", "2025-09-04", "2025-09-05"];
const SLOTS: [string, string][] = [
  ["09:00", "10:30"],
  ["10:40", "12:10"],
  ["13:00", "14:30"],
  ["14:40", "16:10"],
];
const MINUTE = 60_000;

/** A small deterministic PRNG (mulberry32), so every run replays the same week. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(17);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
const between = (lo: number, hi: number) => lo + random() * (hi - lo);

export type Item = { at: number; event: SessionsEvent | PeopleFact } | { at: number; observation: Observation };

function definitions(): (SessionsEvent | PeopleFact)[] {
  const out: (SessionsEvent | PeopleFact)[] = [];
  const student = (i: number) => `st-${String(i).padStart(3, "0")}`;
  for (let i = 0; i < STUDENTS; i++) out.push({ type: "PersonEnrolled", data: { personId: student(i), name: `Студент ${i}` } });
  for (let g = 0; g < GROUPS; g++) {
    out.push(sessionsEvent("GroupCreated", { groupId: `g${g}`, name: `Группа ${g}`, kind: "course", by: "bench" }));
    const added = Array.from({ length: STUDENTS / GROUPS }, (_, k) => student(g * (STUDENTS / GROUPS) + k));
    out.push(sessionsEvent("GroupMembersChanged", { groupId: `g${g}`, added, removed: [], by: "bench" }));
  }
  let n = 0;
  for (const [d, date] of WEEK.entries()) {
    for (const [s, [start, end]] of SLOTS.entries()) {
      for (const parallel of [0, 1]) {
        const first = (d * 3 + s * 2 + parallel * 5) % GROUPS;
        const cam = (d + s * 2 + parallel * 5) % CAMERAS;
        out.push(
          sessionsEvent("SessionScheduled", {
            sessionId: `course-${n}`,
            name: `Course session ${n}`,
            kind: n % 20 === 7 ? "exam" : "class",
            cameras: n % 4 === 0 ? [`cam${cam}`, `cam${(cam + 1) % CAMERAS}`] : [`cam${cam}`],
            timeZone: ZONE,
            start,
            end,
            firstDate: date,
            recurrence: { kind: "weekly", days: [new Date(`${date}T12:00:00Z`).getUTCDay()], until: "2025-12-31" },
            exceptions: [],
            roster: { groups: [`g${first}`, `g${(first + 1) % GROUPS}`, `g${(first + 2) % GROUPS}`], people: [] },
            graceMinutes: 10,
            owner: "teacher",
          }),
        );
        n++;
      }
    }
  }
  return out;
}

/** The sightings of one occurrence: most of the roster, several tracks each, some late, some probable, some unknown. */
function sightings(sessionId: string, cameras: string[], roster: string[], startAt: number, endAt: number): Item[] {
  const out: Item[] = [];
  let track = 0;
  const at = (t: number, o: Omit<Observation, "at">) => out.push({ at: t, observation: { ...o, at: t } });
  for (const personId of roster) {
    if (random() < 0.1) continue; // absent
    const late = random() < 0.1;
    let t = late ? startAt + between(11, 40) * MINUTE : startAt + between(-15, 9) * MINUTE;
    const tracks = 2 + Math.floor(random() * 3);
    for (let k = 0; k < tracks && t < endAt; k++) {
      const trackId = `${sessionId}-t${track++}`;
      const cameraId = pick(cameras);
      const probableOnly = random() < 0.03;
      const score = between(0.45, 0.95);
      at(t, { trackId, cameraId, personId, decision: "probable", score: score - 0.1, crop: `${trackId}/1` });
      for (const [shot, after] of [
        [2, 20_000],
        [3, 60_000],
      ] as const) {
        at(t + after, {
          trackId,
          cameraId,
          personId,
          decision: probableOnly ? "probable" : "confirmed",
          score,
          crop: `${trackId}/${shot}`,
        });
      }
      t += between(5, 30) * MINUTE;
    }
  }
  for (let u = 0; u < 5; u++) {
    const trackId = `${sessionId}-u${u}`;
    const t = between(startAt - 10 * MINUTE, endAt);
    at(t, { trackId, cameraId: pick(cameras), personId: null, decision: "unknown", score: 0.3, crop: null });
    at(t + 30_000, { trackId, cameraId: pick(cameras), personId: null, decision: "unknown", score: 0.32, crop: null });
  }
  return out;
}

/** The week: the definitions (people, groups, sessions) and the sightings and corrections in time order. */
export function week() {
  const defs = definitions();
  const items: Item[] = [];
  const groups = new Map<string, string[]>();
  for (const e of defs) if (e.type === "GroupMembersChanged") groups.set(e.data.groupId, e.data.added);
  for (const e of defs) {
    if (e.type !== "SessionScheduled") continue;
    const d = e.data;
    const startAt = localToInstant(d.firstDate, d.start, ZONE).at;
    const endAt = localToInstant(d.firstDate, d.end, ZONE).at;
    const roster = d.roster.groups.flatMap((g) => groups.get(g) ?? []);
    items.push(...sightings(d.sessionId, d.cameras, roster, startAt, endAt));
    const [excused, wrong] = [pick(roster), items.at(-20)];
    const correction = (personId: string, action: "excuse" | "reject-recognition", trackId?: string) =>
      sessionsEvent("AttendanceCorrected", {
        sessionId: d.sessionId,
        date: d.firstDate,
        personId,
        action,
        ...(trackId ? { trackId } : {}),
        by: "teacher",
        at: new Date(endAt - MINUTE).toISOString(),
      });
    items.push({ at: endAt - MINUTE, event: correction(excused, "excuse") });
    if (wrong && "observation" in wrong && wrong.observation.personId) {
      items.push({
        at: endAt - MINUTE,
        event: correction(wrong.observation.personId, "reject-recognition", wrong.observation.trackId),
      });
    }
  }
  // hallway traffic between sessions and at cameras no session uses then: routed to nothing
  const day0 = localToInstant(WEEK[0] as string, "07:00", ZONE).at;
  for (let i = 0; i < 8000; i++) {
    const t = day0 + Math.floor(between(0, 5)) * 24 * 60 * MINUTE + between(0, 14 * 60) * MINUTE;
    items.push({
      at: t,
      observation: {
        trackId: `hall-${i}`,
        cameraId: `cam${i % CAMERAS}`,
        at: t,
        personId: `st-${String(i % STUDENTS).padStart(3, "0")}`,
        decision: "confirmed",
        score: 0.8,
      },
    });
  }
  items.sort((a, b) => a.at - b.at);
  return { defs, items };
}

function replay(defs: (SessionsEvent | PeopleFact)[], items: Item[], timings: number[] | null) {
  const p = createProjection();
  for (const e of defs) applyEvent(p, e);
  let effects = 0;
  for (const item of items) {
    if ("event" in item) {
      effects += applyEvent(p, item.event).length;
      continue;
    }
    if (timings === null) effects += ingest(p, item.observation).length;
    else {
      const t0 = process.hrtime.bigint();
      effects += ingest(p, item.observation).length;
      timings.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  return { p, effects };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

function main() {
  const { defs, items } = week();
  const observations = items.filter((i) => "observation" in i).length;
  replay(defs, items, null); // warm-up: JIT and Intl formatters
  const timings: number[] = [];
  const { p, effects } = replay(defs, items, timings);
  timings.sort((a, b) => a - b);
  const mean = timings.reduce((s, x) => s + x, 0) / timings.length;
  const rebuilds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    replay(defs, items, null);
    rebuilds.push(performance.now() - t0);
  }
  rebuilds.sort((a, b) => a - b);
  const end = Date.parse("2025-09-06T00:00:00Z");
  const t0 = performance.now();
  const views = Object.values(p.occurrences).map((s) => attendanceView(s, end));
  const viewsMs = performance.now() - t0;
  const totals = { present: 0, late: 0, absent: 0, excused: 0, unexpected: 0, probableOnly: 0, unknownTracks: 0 };
  for (const v of views) {
    totals.present += v.present.length;
    totals.late += v.late.length;
    totals.absent += v.absent.length;
    totals.excused += v.excused.length;
    totals.unexpected += v.unexpected.length;
    totals.probableOnly += v.probableOnly.length;
    totals.unknownTracks += v.unknownTracks.count;
  }
  const result = {
    students: STUDENTS,
    sessions: defs.filter((e) => e.type === "SessionScheduled").length,
    cameras: CAMERAS,
    occurrences: views.length,
    events: defs.length + items.length,
    observations,
    effects,
    perObservationUs: {
      mean: +mean.toFixed(2),
      p50: +quantile(timings, 0.5).toFixed(2),
      p99: +quantile(timings, 0.99).toFixed(2),
      max: +(timings.at(-1) ?? 0).toFixed(0),
    },
    rebuildMs: { median: +(rebuilds[2] ?? 0).toFixed(1), min: +(rebuilds[0] ?? 0).toFixed(1) },
    allViewsMs: +viewsMs.toFixed(1),
    totals,
  };
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    `sessions bench: ${result.students} students, ${result.sessions} sessions/week on ${result.cameras} cameras, ${result.occurrences} occurrences`,
  );
  console.log(`  ${result.observations} observations (${result.events} events in all), ${result.effects} effects`);
  const u = result.perObservationUs;
  console.log(`  per observation (route + fold): mean ${u.mean} µs, p50 ${u.p50} µs, p99 ${u.p99} µs, max ${u.max} µs`);
  console.log(
    `  rebuild of every projection from the events: ${result.rebuildMs.median} ms (median of 5; min ${result.rebuildMs.min} ms)`,
  );
  console.log(`  every occurrence's view: ${result.allViewsMs} ms`);
  console.log(`  totals: ${JSON.stringify(totals)}`);
}

// run when executed, not when the portal's consumer bench imports the week
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) main();
