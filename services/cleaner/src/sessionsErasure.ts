import { type Bus, WrongLastSequenceError } from "@persona/bus";
import type { AnyEnvelope, EnvelopeOf, Roster } from "@persona/contracts";
import { addCount, type RemovedCounts } from "./retentionPolicy.ts";

/**
 * A person's traces in SESSIONS (issue #17), erased as far as an append-only stream allows:
 *
 * - their corrections and exam verdicts (`sessions.attendance.*`, each names one person) are deleted;
 * - their negatives (`sessions.negative.<personId>.*`) are purged by subject;
 * - group memberships: a `GroupMembersChanged` that names only them is deleted; one that names others too stays (the
 *   others' history needs it), and when what stays still leaves them a member, a `GroupMembersChanged` removing them
 *   is appended (as the sessions writer appends: expected last subject sequence, re-read on a conflict);
 * - a live session whose roster names them directly gets a `SessionChanged` without them (unless that would leave the
 *   roster empty: then the roster keeps the bare id, which the library no longer resolves);
 * - `OccurrenceStarted.roster` and `OccurrenceEnded.absent` are records of everyone in the occurrence: they keep the
 *   bare id (no name, no face; the library's events of the person are gone).
 *
 * Idempotent: a second erasure deletes and appends nothing.
 */

const ATTEMPTS = 5;

interface SubjectMessage {
  seq: number;
  env: AnyEnvelope | null;
}

/** Messages of SESSIONS on `filter`, grouped by subject, in stream order. */
async function bySubject(bus: Bus, filter: string): Promise<Map<string, SubjectMessage[]>> {
  const out = new Map<string, SubjectMessage[]>();
  await bus.replay({ stream: "SESSIONS", filter }, (m) => {
    const list = out.get(m.subject) ?? [];
    list.push({ seq: m.seq, env: m.env });
    out.set(m.subject, list);
  });
  return out;
}

async function deleteSeqs(bus: Bus, seqs: number[]): Promise<number> {
  let n = 0;
  for (const seq of seqs) if (await bus.jsm.streams.deleteMessage("SESSIONS", seq, true).catch(() => false)) n++;
  return n;
}

type MembersChanged = EnvelopeOf<"GroupMembersChanged">;
const membersChanged = (env: AnyEnvelope | null): MembersChanged | null => (env?.type === "GroupMembersChanged" ? env : null);

/** True when the membership change names the person and no one else. */
function onlyThem(e: MembersChanged, pid: string): boolean {
  const named = new Set([...e.data.added, ...e.data.removed]);
  return named.size === 1 && named.has(pid);
}

export interface GroupPlan {
  /** Messages to delete (they name only the person). */
  delete: number[];
  /** Append a removal of the person (what stays still makes them a member). */
  appendRemoval: boolean;
  /** The guard for the append: the last sequence that stays on the subject (0: none). */
  lastSeq: number;
}

/**
 * What erasing the person does to one group's subject (pure): delete what names only them, keep what names others,
 * and end with them not a member. A removal of only them that comes after every kept mention of them is kept rather
 * than deleted and appended again, so a second erasure changes nothing.
 */
export function planGroup(messages: readonly SubjectMessage[], pid: string): GroupPlan {
  let exists = false;
  let member = false;
  let lastKept = 0;
  let lastKeptMention = 0;
  const candidates: { seq: number; removal: boolean }[] = [];
  for (const m of messages) {
    const e = membersChanged(m.env);
    if (e !== null && onlyThem(e, pid)) {
      candidates.push({ seq: m.seq, removal: e.data.removed.includes(pid) && !e.data.added.includes(pid) });
      continue;
    }
    lastKept = m.seq;
    if (m.env?.type === "GroupCreated") exists = true;
    else if (m.env?.type === "GroupDeleted") exists = false;
    else if (e !== null) {
      if (e.data.added.includes(pid) || e.data.removed.includes(pid)) lastKeptMention = m.seq;
      if (e.data.removed.includes(pid)) member = false;
      if (e.data.added.includes(pid)) member = true;
    }
  }
  if (!exists || !member) return { delete: candidates.map((c) => c.seq), appendRemoval: false, lastSeq: lastKept };
  const keep = candidates.findLast((c) => c.removal && c.seq > lastKeptMention);
  if (keep !== undefined) {
    return { delete: candidates.filter((c) => c !== keep).map((c) => c.seq), appendRemoval: false, lastSeq: lastKept };
  }
  return { delete: candidates.map((c) => c.seq), appendRemoval: true, lastSeq: lastKept };
}

async function eraseFromGroups(bus: Bus, pid: string, by: string, removed: RemovedCounts): Promise<void> {
  for (const [subject, first] of await bySubject(bus, "sessions.group.>")) {
    let messages = first;
    for (let attempt = 1; ; attempt++) {
      const plan = planGroup(messages, pid);
      addCount(removed, "sessionMessages", await deleteSeqs(bus, plan.delete));
      if (!plan.appendRemoval) break;
      const groupId = subject.slice("sessions.group.".length);
      try {
        await bus.publish(bus.envelope("GroupMembersChanged", { groupId, added: [], removed: [pid], by }), {
          expectLastSubjectSeq: plan.lastSeq,
        });
        addCount(removed, "groupMemberships", 1);
        break;
      } catch (err) {
        if (!(err instanceof WrongLastSequenceError) || attempt >= ATTEMPTS) throw err;
        messages = (await bySubject(bus, subject)).get(subject) ?? [];
      }
    }
  }
}

/** A session's roster and whether the series is live, folded from its subject. */
function sessionRoster(messages: readonly SubjectMessage[]): { roster: Roster | null; live: boolean; lastSeq: number } {
  let roster: Roster | null = null;
  let live = false;
  let lastSeq = 0;
  for (const m of messages) {
    lastSeq = m.seq;
    const e = m.env;
    if (e?.type === "SessionScheduled") {
      roster = e.data.roster;
      live = true;
    } else if (e?.type === "SessionChanged" && e.data.roster !== undefined) roster = e.data.roster;
    else if (e?.type === "SessionCancelled" && e.data.date === undefined) live = false;
  }
  return { roster, live, lastSeq };
}

async function eraseFromRosters(bus: Bus, pid: string, by: string, removed: RemovedCounts): Promise<void> {
  for (const [subject, first] of await bySubject(bus, "sessions.session.>")) {
    let messages = first;
    for (let attempt = 1; ; attempt++) {
      const s = sessionRoster(messages);
      if (s.roster === null || !s.live || !s.roster.people.includes(pid)) break;
      const roster = { groups: s.roster.groups, people: s.roster.people.filter((p) => p !== pid) };
      if (roster.groups.length === 0 && roster.people.length === 0) break;
      const sessionId = subject.slice("sessions.session.".length);
      try {
        await bus.publish(bus.envelope("SessionChanged", { sessionId, roster, by }), { expectLastSubjectSeq: s.lastSeq });
        addCount(removed, "sessionRosters", 1);
        break;
      } catch (err) {
        if (!(err instanceof WrongLastSequenceError) || attempt >= ATTEMPTS) throw err;
        messages = (await bySubject(bus, subject)).get(subject) ?? [];
      }
    }
  }
}

/** Erases the person's traces in SESSIONS (see the top of this file); counts go to `removed`. */
export async function eraseFromSessions(bus: Bus, pid: string, requestedBy: string, removed: RemovedCounts): Promise<void> {
  const by = requestedBy.slice(0, 200) || "cleaner";
  // corrections and exam verdicts about them
  const seqs: number[] = [];
  await bus.replay({ stream: "SESSIONS", filter: "sessions.attendance.>" }, (m) => {
    const e = m.env;
    if ((e?.type === "AttendanceCorrected" || e?.type === "ExamCheckRecorded") && e.data.personId === pid) seqs.push(m.seq);
  });
  addCount(removed, "sessionCorrections", await deleteSeqs(bus, seqs));
  // negatives for self-learning: their own subject
  addCount(
    removed,
    "sessionNegatives",
    (await bus.jsm.streams.purge("SESSIONS", { filter: `sessions.negative.${pid}.>` })).purged,
  );
  await eraseFromGroups(bus, pid, by, removed);
  await eraseFromRosters(bus, pid, by, removed);
}
