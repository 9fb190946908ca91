import { type Bus, WrongLastSequenceError } from "@persona/bus";
import type { AnyEnvelope } from "@persona/contracts";
import {
  type SessionsEvent,
  type SessionsState,
  decide,
  defaultGroupId,
  emptySessions,
  evolve,
  normalizeName,
} from "@persona/sessions";

/**
 * Joining the groups an import folder names (#17), the way the portal's sessions writer appends: the group's subject
 * (`sessions.group.<groupId>`) read fresh, `decide` (create-group for a name no group has, id `g-<sha256 of the
 * name>` as rosters create them; then change-members), the events published with the subject's expected last
 * sequence, re-read and decided again when another writer came first. Group names are looked up ignoring case,
 * spaces and Unicode form.
 */

/** created: the group was created and the person joined it; joined: an existing group; member: already in it. */
export type GroupOutcome = "created" | "joined" | "member" | "failed";

export interface GroupJoin {
  /** The name as the folder wrote it. */
  name: string;
  groupId: string | null;
  outcome: GroupOutcome;
  /** Why it failed. */
  reason: string | null;
}

const ATTEMPTS = 5;

export class GroupJoiner {
  /** One join at a time: people imported concurrently may name the same new group. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly bus: Bus,
    /** The groups as SESSIONS holds them (kept up to date with what this joiner appends). */
    private readonly state: SessionsState,
  ) {}

  static async open(bus: Bus): Promise<GroupJoiner> {
    const state = emptySessions();
    await bus.replay({ stream: "SESSIONS", filter: "sessions.group.>" }, (m) => {
      if (m.env?.type.startsWith("Group")) evolve(state, m.env as unknown as SessionsEvent);
    });
    return new GroupJoiner(bus, state);
  }

  private groupIdOf(name: string): { groupId: string; exists: boolean } {
    const key = normalizeName(name);
    for (const g of this.state.groups.values()) if (normalizeName(g.name) === key) return { groupId: g.groupId, exists: true };
    return { groupId: defaultGroupId(name), exists: false };
  }

  /** What joining would do, against the groups as read (a dry run). */
  plan(personId: string | null, names: readonly string[]): GroupJoin[] {
    return names.map((name) => {
      const { groupId, exists } = this.groupIdOf(name);
      const member = exists && personId !== null && this.state.groups.get(groupId)?.members.has(personId) === true;
      return { name, groupId, outcome: !exists ? "created" : member ? "member" : "joined", reason: null };
    });
  }

  /** Joins the person (in the library as `personName`) to every named group, creating the missing ones. */
  join(personId: string, personName: string, names: readonly string[], by: string): Promise<GroupJoin[]> {
    const run = async () => {
      const out: GroupJoin[] = [];
      for (const name of names) {
        out.push(
          await this.joinOne(personId, personName, name, by).catch((err: Error) => ({
            name,
            groupId: null,
            outcome: "failed" as const,
            reason: err.message,
          })),
        );
      }
      return out;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async joinOne(personId: string, personName: string, name: string, by: string): Promise<GroupJoin> {
    for (let attempt = 1; ; attempt++) {
      const { groupId } = this.groupIdOf(name);
      const subject = `sessions.group.${groupId}`;
      // the followed state without this group, the group read fresh from its subject
      const state = emptySessions();
      for (const [id, g] of this.state.groups) if (id !== groupId) state.groups.set(id, g);
      state.people.set(personId, personName);
      let lastSeq = 0;
      await this.bus.replay({ stream: "SESSIONS", filter: subject }, (m) => {
        lastSeq = Math.max(lastSeq, m.seq);
        if (m.env?.type.startsWith("Group")) evolve(state, m.env as unknown as SessionsEvent);
      });
      const events: SessionsEvent[] = [];
      const created = !state.groups.has(groupId);
      if (created) {
        const d = decide({ kind: "create-group", groupId, name: name.normalize("NFC"), by }, state);
        if ("rejection" in d) return { name, groupId, outcome: "failed", reason: d.rejection.message };
        for (const e of d.events) evolve(state, e);
        events.push(...d.events);
      }
      const d = decide({ kind: "change-members", groupId, add: [personId], remove: [], by }, state);
      if ("rejection" in d) return { name, groupId, outcome: "failed", reason: d.rejection.message };
      events.push(...d.events);
      try {
        let expected = lastSeq;
        for (const e of events) {
          const env = this.bus.envelope(e.type, e.data as never) as AnyEnvelope;
          expected = (await this.bus.publish(env, { expectLastSubjectSeq: expected })).seq;
        }
      } catch (err) {
        if (err instanceof WrongLastSequenceError && attempt < ATTEMPTS) continue;
        throw err;
      }
      const g = state.groups.get(groupId);
      if (g) this.state.groups.set(groupId, g);
      return { name, groupId, outcome: created ? "created" : d.events.length > 0 ? "joined" : "member", reason: null };
    }
  }
}
