import type { Bus } from "@persona/bus";
import { type SessionsEvent, type SessionsState, defaultGroupId, evolve, normalizeName } from "@persona/sessions";
import { SessionsWriter, replayGroups } from "@persona/sessions/writer";

/**
 * Joining the groups an import folder names (#17) through `@persona/sessions/writer`, as the portal and the bot write
 * groups: create-group for a name no group has (id `g-<sha256 of the name>` as rosters create them), then
 * change-members, each read fresh from the group's subject and appended with its expected last sequence. Group names
 * are looked up ignoring case, spaces and Unicode form.
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

export class GroupJoiner {
  /** One join at a time: people imported concurrently may name the same new group. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly bus: Bus,
    /** The groups as SESSIONS holds them (kept up to date with what this joiner appends). */
    private readonly state: SessionsState,
  ) {}

  static async open(bus: Bus): Promise<GroupJoiner> {
    return new GroupJoiner(bus, await replayGroups(bus));
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
    const { groupId, exists } = this.groupIdOf(name);
    // the writer reads the group's subject fresh and appends with its last sequence (retrying when another came first)
    const followed = () => {
      this.state.people.set(personId, personName);
      return this.state;
    };
    const writer = new SessionsWriter(this.bus, followed);
    let created = false;
    if (!exists) {
      const made = await writer.execute({ kind: "create-group", groupId, name: name.normalize("NFC"), by });
      if ("rejection" in made) {
        // created meanwhile by another writer under the same id: join it
        if (made.rejection.code !== "group-exists") return { name, groupId, outcome: "failed", reason: made.rejection.message };
      } else {
        for (const w of made.events) evolve(this.state, w.env as unknown as SessionsEvent);
        created = true;
      }
    }
    const joined = await writer.execute({ kind: "change-members", groupId, add: [personId], remove: [], by });
    if ("rejection" in joined) return { name, groupId, outcome: "failed", reason: joined.rejection.message };
    for (const w of joined.events) evolve(this.state, w.env as unknown as SessionsEvent);
    return { name, groupId, outcome: created ? "created" : joined.events.length > 0 ? "joined" : "member", reason: null };
  }
}
