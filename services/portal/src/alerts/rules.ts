import { CameraRole, Severity } from "@persona/contracts";
import { z } from "zod";

/**
 * Alert rules, pure: which sightings raise an alert, how severe, and de-duplicated per visit. The portal runs
 * them in one consumer of the sightings and publishes AlertRaised; rules are edited by admins and validated here.
 *
 * Ignored visitors: an unknown face the consumer recognised as a visitor an operator ignored (its `ignoredVisitor`,
 * see ignoredVisitors.ts) marks its track; an ignored visitor's track raises no "unknown-at-perimeter" alert (nor at
 * its unknown TrackConcluded) and no "after-hours" alert for its unknown faces. A track later recognised as a person
 * is judged as that person (watchlist, after hours) as before.
 */

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time as HH:MM (24 h)");

/** When a camera is "open": days of the week (0 = Sunday) and a time window, in a fixed UTC offset. */
export const Schedule = z.strictObject({
  days: z.array(z.number().int().min(0).max(6)).min(1).default([1, 2, 3, 4, 5]),
  from: HHMM,
  to: HHMM,
  /** Minutes east of UTC (e.g. 180 for UTC+3). */
  utcOffsetMinutes: z.number().int().min(-720).max(840).default(0),
});
export type Schedule = z.infer<typeof Schedule>;

export const CameraRules = z.strictObject({
  role: CameraRole,
  schedule: Schedule.optional(),
});

const RuleBase = {
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, "lower-case letters, digits and '-'"),
  severity: Severity,
  /** Cameras the rule applies to (ids); empty = every camera. */
  cameras: z.array(z.string()).default([]),
  /** Roles the rule applies to; empty = every role. */
  roles: z.array(CameraRole).default([]),
  /** A second alert for the same visit (track) or person is suppressed within this window. */
  dedupeMinutes: z
    .number()
    .min(0)
    .max(24 * 60)
    .default(10),
  enabled: z.boolean().default(true),
};

export const Rule = z.discriminatedUnion("kind", [
  z.strictObject({
    ...RuleBase,
    kind: z.literal("unknown-at-perimeter"),
    /** Unknown shots of one track, with no recognition, before the alert. */
    minUnknownShots: z.number().int().min(1).max(50).default(2),
  }),
  z.strictObject({ ...RuleBase, kind: z.literal("watchlisted") }),
  z.strictObject({ ...RuleBase, kind: z.literal("after-hours") }),
]);
export type Rule = z.infer<typeof Rule>;

export const AlertRules = z
  .strictObject({
    cameras: z.record(z.string(), CameraRules).default({}),
    rules: z.array(Rule).default([]),
  })
  .superRefine((v, ctx) => {
    const ids = new Set<string>();
    for (const [i, r] of v.rules.entries()) {
      if (ids.has(r.id)) ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `duplicate rule id ${r.id}` });
      ids.add(r.id);
      if (r.kind === "after-hours") {
        const scheduled = Object.entries(v.cameras).filter(([id, c]) => c.schedule && applies(r, id, c.role));
        if (scheduled.length === 0) {
          ctx.addIssue({
            code: "custom",
            path: ["rules", i],
            message: "an after-hours rule needs at least one matching camera with a schedule",
          });
        }
      }
    }
  });
export type AlertRules = z.infer<typeof AlertRules>;

/** Sensible defaults: unknown faces at perimeter cameras, watchlisted people anywhere. */
export const DEFAULT_RULES: AlertRules = AlertRules.parse({
  rules: [
    { id: "unknown-perimeter", kind: "unknown-at-perimeter", severity: "medium", roles: ["perimeter"], minUnknownShots: 2 },
    { id: "watchlist", kind: "watchlisted", severity: "high" },
  ],
});

function applies(r: Rule, cameraId: string, role: CameraRole | undefined): boolean {
  if (!r.enabled) return false;
  if (r.cameras.length > 0 && !r.cameras.includes(cameraId)) return false;
  if (r.roles.length > 0 && (role === undefined || !r.roles.includes(role))) return false;
  return true;
}

/** True when `at` lies outside the schedule (a window may cross midnight). */
export function outsideSchedule(s: Schedule, at: number): boolean {
  const local = new Date(at + s.utcOffsetMinutes * 60_000);
  const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
  const [fh, fm] = s.from.split(":").map(Number) as [number, number];
  const [th, tm] = s.to.split(":").map(Number) as [number, number];
  const from = fh * 60 + fm;
  const to = th * 60 + tm;
  const inWindow = from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
  // for a window crossing midnight, the early-morning part belongs to the previous day's schedule
  const day = from > to && minutes < to ? (local.getUTCDay() + 6) % 7 : local.getUTCDay();
  return !(inWindow && s.days.includes(day));
}

export type Sighting =
  | {
      kind: "recognized";
      cameraId: string;
      trackId: string;
      personId: string;
      personName: string;
      decision: "confirmed" | "probable";
      at: number;
      sightingId: string;
    }
  | {
      kind: "unknown";
      cameraId: string;
      trackId: string;
      at: number;
      sightingId: string;
      /** The ignored visitor this face was recognised as (see ignoredVisitors.ts), or null. */
      ignoredVisitor?: string | null;
    }
  | { kind: "concluded"; cameraId: string; trackId: string; outcome: "recognized" | "unknown" | "undecided"; at: number };

export interface AlertDecision {
  ruleId: string;
  kind: Rule["kind"];
  severity: Severity;
  message: string;
  cameraId: string;
  trackId: string;
  personId: string | null;
  sightingId: string | null;
}

export interface TrackState {
  unknown: number;
  recognized: boolean;
  lastAt: number;
  /** The ignored visitor one of the track's unknown faces was recognised as: its unknown faces raise nothing. */
  ignoredVisitor?: string | null;
}

export interface RulesState {
  /** cameraId/trackId -> unknown shots, whether the track was recognized, and whether it is an ignored visitor. */
  tracks: Map<string, TrackState>;
  /** dedupe key -> last alert time. */
  raised: Map<string, number>;
}

export function newRulesState(): RulesState {
  return { tracks: new Map(), raised: new Map() };
}

export type WatchlistLookup = (personId: string) => { reason: string } | null;

/** Evaluates one sighting against the rules; returns the alerts to raise (already de-duplicated). */
export function evaluate(rules: AlertRules, s: RulesState, sighting: Sighting, watchlist: WatchlistLookup): AlertDecision[] {
  const key = `${sighting.cameraId}/${sighting.trackId}`;
  const role = rules.cameras[sighting.cameraId]?.role;
  const track: TrackState = s.tracks.get(key) ?? { unknown: 0, recognized: false, lastAt: sighting.at, ignoredVisitor: null };
  track.lastAt = sighting.at;
  s.tracks.set(key, track);
  const out: AlertDecision[] = [];
  const raise = (r: Rule, dedupeKey: string, d: Omit<AlertDecision, "ruleId" | "kind" | "severity">) => {
    const k = `${r.id}|${dedupeKey}`;
    const last = s.raised.get(k);
    if (last !== undefined && sighting.at - last < r.dedupeMinutes * 60_000) return;
    s.raised.set(k, sighting.at);
    out.push({ ruleId: r.id, kind: r.kind, severity: r.severity, ...d });
  };

  if (sighting.kind === "recognized" && sighting.decision === "confirmed") track.recognized = true;
  if (sighting.kind === "unknown") {
    track.unknown++;
    if (sighting.ignoredVisitor) track.ignoredVisitor = sighting.ignoredVisitor;
  }
  // an operator ignored this visitor: their unknown faces raise no alert, for the rest of the track
  const ignored = Boolean(track.ignoredVisitor);

  for (const r of rules.rules) {
    if (!applies(r, sighting.cameraId, role)) continue;
    switch (r.kind) {
      case "unknown-at-perimeter": {
        const enough =
          !ignored &&
          ((sighting.kind === "unknown" && !track.recognized && track.unknown >= r.minUnknownShots) ||
            (sighting.kind === "concluded" && sighting.outcome === "unknown"));
        if (enough) {
          raise(r, key, {
            message: `unknown person at camera ${sighting.cameraId}`,
            cameraId: sighting.cameraId,
            trackId: sighting.trackId,
            personId: null,
            sightingId: "sightingId" in sighting ? sighting.sightingId : null,
          });
        }
        break;
      }
      case "watchlisted": {
        if (sighting.kind !== "recognized" || sighting.decision !== "confirmed") break;
        const w = watchlist(sighting.personId);
        if (!w) break;
        raise(r, `person/${sighting.personId}`, {
          message: `watchlisted person ${sighting.personName} at camera ${sighting.cameraId}: ${w.reason}`,
          cameraId: sighting.cameraId,
          trackId: sighting.trackId,
          personId: sighting.personId,
          sightingId: sighting.sightingId,
        });
        break;
      }
      case "after-hours": {
        const schedule = rules.cameras[sighting.cameraId]?.schedule;
        if (!schedule || sighting.kind === "concluded" || !outsideSchedule(schedule, sighting.at)) break;
        if (sighting.kind === "recognized" && sighting.decision !== "confirmed") break;
        if (sighting.kind === "unknown" && ignored) break;
        const who = sighting.kind === "recognized" ? sighting.personName : "an unknown person";
        raise(r, key, {
          message: `${who} at camera ${sighting.cameraId} after hours`,
          cameraId: sighting.cameraId,
          trackId: sighting.trackId,
          personId: sighting.kind === "recognized" ? sighting.personId : null,
          sightingId: sighting.sightingId,
        });
        break;
      }
      default: {
        const never: never = r;
        throw new Error(`unhandled rule ${JSON.stringify(never)}`);
      }
    }
  }
  if (sighting.kind === "concluded") s.tracks.delete(key);
  return out;
}

/** Forgets tracks and dedupe entries older than `maxAgeMs` (tracks whose end was never seen). */
export function pruneRulesState(s: RulesState, now: number, maxAgeMs: number): void {
  for (const [k, t] of s.tracks) if (now - t.lastAt > maxAgeMs) s.tracks.delete(k);
  for (const [k, at] of s.raised) if (now - at > maxAgeMs) s.raised.delete(k);
}
