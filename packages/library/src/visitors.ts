import { createHash } from "node:crypto";
import type { EnvelopeOf } from "@persona/contracts";
import { type FollowerLog, StreamFold } from "./streamFold.ts";

/**
 * Unknown visitors as the trainer publishes them (services/trainer/src/visitors): a pure fold (`applyVisitorEvent`)
 * of VisitorClustered / VisitorUpdated / VisitorNamed / VisitorIgnored into visitors with a status, and a follower
 * that replays `sightings.visitors.>` on SIGHTINGS from the start and then follows it live. No I/O in the fold.
 *
 * Merges: a summary lists the visitors its cluster absorbed; those disappear (`absorbedInto` remembers where they
 * went) and an operator's decision about an absorbed visitor carries over to the survivor when the survivor has
 * none, as the trainer's book does.
 */

export type VisitorEvent = EnvelopeOf<"VisitorClustered" | "VisitorUpdated" | "VisitorNamed" | "VisitorIgnored">;

export const VISITOR_EVENT_TYPES = [
  "VisitorClustered",
  "VisitorUpdated",
  "VisitorNamed",
  "VisitorIgnored",
] as const satisfies readonly VisitorEvent["type"][];

/** Every visitor event's subject on SIGHTINGS. */
export const VISITOR_SUBJECTS = "sightings.visitors.>";

export type VisitorSummaryData = EnvelopeOf<"VisitorClustered">["data"];
export type VisitorCrop = VisitorSummaryData["bestCrops"][number];

export type VisitorDecision =
  | {
      kind: "named";
      personId: string;
      existing: boolean;
      name: string;
      by: string;
      at: string;
      /** The visitor the decision was made about, when it was inherited in a merge; else null. */
      inheritedFrom: string | null;
    }
  | { kind: "ignored"; by: string; reason: string; at: string; inheritedFrom: string | null };

export type VisitorStatus = "open" | "named" | "ignored";

/**
 * A visitor: its last published summary (the best faces by quality, best first; `absorbed` every visitor merged into
 * this one, over all its summaries) with its status and decision.
 */
export interface VisitorState extends VisitorSummaryData {
  status: VisitorStatus;
  decision: VisitorDecision | null;
  /** When the trainer first published it, and last published it. */
  clusteredAt: string;
  updatedAt: string;
}

export interface VisitorsState {
  /** Current visitors (absorbed ones are gone), by id. */
  visitors: Map<string, VisitorState>;
  /** An absorbed visitor -> the visitor that holds its faces now. */
  absorbedInto: Map<string, string>;
  /** Operators' decisions by visitor id (also about visitors not, or no longer, listed). */
  decisions: Map<string, VisitorDecision>;
  /** Last applied SIGHTINGS stream sequence. */
  seq: number;
}

export type VisitorChange =
  | { kind: "visitor-upserted"; visitorId: string; removed: string[] }
  | { kind: "visitor-decided"; visitorId: string; decision: VisitorDecision }
  | { kind: "none" };

export function emptyVisitors(): VisitorsState {
  return { visitors: new Map(), absorbedInto: new Map(), decisions: new Map(), seq: 0 };
}

const statusOf = (d: VisitorDecision | null): VisitorStatus => (d === null ? "open" : d.kind);

/**
 * Applies one visitor event in place and says what changed. With `seq`, an event at or below the last applied
 * sequence changes nothing (a replay).
 */
export function applyVisitorEvent(state: VisitorsState, event: VisitorEvent, seq?: number): VisitorChange {
  if (seq !== undefined) {
    if (seq <= state.seq) return { kind: "none" };
    state.seq = seq;
  }
  switch (event.type) {
    case "VisitorClustered":
    case "VisitorUpdated": {
      const d = event.data;
      const id = d.visitorId;
      // a visitor that was absorbed and is published again is a visitor again (the newest summary is the truth)
      state.absorbedInto.delete(id);
      const removed: string[] = [];
      for (const gone of d.absorbed) {
        if (gone === id) continue;
        const known = state.absorbedInto.get(gone) === id;
        state.absorbedInto.set(gone, id);
        for (const [k, v] of state.absorbedInto) if (v === gone) state.absorbedInto.set(k, id);
        if (state.visitors.delete(gone)) removed.push(gone);
        // the absorbed visitor's decision carries over (once, when the merge is first seen) if the survivor has none
        const decided = state.decisions.get(gone);
        if (!known && decided && !state.decisions.has(id)) {
          state.decisions.set(id, { ...decided, inheritedFrom: decided.inheritedFrom ?? gone });
        }
      }
      const prev = state.visitors.get(id);
      const decision = state.decisions.get(id) ?? null;
      state.visitors.set(id, {
        visitorId: id,
        faces: d.faces,
        visits: d.visits,
        firstSeen: d.firstSeen,
        lastSeen: d.lastSeen,
        cameras: [...d.cameras],
        bestCrops: d.bestCrops,
        absorbed: [...new Set([...(prev?.absorbed ?? []), ...d.absorbed])].filter((a) => a !== id),
        status: statusOf(decision),
        decision,
        clusteredAt: prev?.clusteredAt ?? event.occurredAt,
        updatedAt: event.occurredAt,
      });
      return { kind: "visitor-upserted", visitorId: id, removed };
    }
    case "VisitorNamed":
    case "VisitorIgnored": {
      const d = event.data;
      const decision: VisitorDecision =
        event.type === "VisitorNamed"
          ? {
              kind: "named",
              personId: event.data.personId,
              existing: event.data.existing,
              name: event.data.name,
              by: d.by,
              at: event.occurredAt,
              inheritedFrom: null,
            }
          : { kind: "ignored", by: d.by, reason: event.data.reason, at: event.occurredAt, inheritedFrom: null };
      state.decisions.set(d.visitorId, decision);
      const v = state.visitors.get(d.visitorId);
      if (v) {
        v.decision = decision;
        v.status = statusOf(decision);
      }
      return { kind: "visitor-decided", visitorId: d.visitorId, decision };
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** Visitors sorted most recently seen first (ties: the id). */
export function sortVisitors(visitors: Iterable<VisitorState>): VisitorState[] {
  return [...visitors].sort((a, b) => {
    const t = Date.parse(b.lastSeen) - Date.parse(a.lastSeen);
    return t !== 0 ? t : a.visitorId < b.visitorId ? -1 : a.visitorId > b.visitorId ? 1 : 0;
  });
}

/** Visitors nobody named or ignored yet, most recently seen first. */
export function openVisitors(state: VisitorsState): VisitorState[] {
  return sortVisitors([...state.visitors.values()].filter((v) => v.status === "open"));
}

/** Where an absorbed visitor's faces are now (following merges), or null when it was not absorbed. */
export function survivorOf(state: VisitorsState, visitorId: string): VisitorState | null {
  let id = visitorId;
  for (let hops = 0; hops < 64; hops++) {
    const next = state.absorbedInto.get(id);
    if (next === undefined) break;
    id = next;
  }
  return id === visitorId ? null : (state.visitors.get(id) ?? null);
}

/**
 * The person id a visitor named as a new person gets: derived from the visitor id (a valid subject token, the
 * shape of every person id), so naming the same visitor twice cannot create two people.
 */
export function personIdForVisitor(visitorId: string): string {
  return `p-${createHash("sha256").update(`visitor:${visitorId}`).digest("hex").slice(0, 20)}`;
}

const VISITOR_TYPES = new Set<string>(VISITOR_EVENT_TYPES);

/**
 * Follows the visitor events on SIGHTINGS (`sightings.visitors.>`) from the start and folds them into a
 * VisitorsState, calling `onChange` for every change. `start` resolves once every visitor event published before it
 * has been applied.
 */
export class VisitorFollower extends StreamFold<VisitorsState> {
  constructor(log: FollowerLog, onChange: (change: VisitorChange, state: VisitorsState) => void = () => {}) {
    super({
      what: "visitors",
      stream: "SIGHTINGS",
      filter: VISITOR_SUBJECTS,
      types: VISITOR_TYPES,
      state: emptyVisitors(),
      apply: (state, env, seq) => onChange(applyVisitorEvent(state, env as VisitorEvent, seq), state),
      log,
    });
  }
}
