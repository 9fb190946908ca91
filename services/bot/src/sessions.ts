import { type Bus, type ConsumerLoop, type Handler, isWrongRevision, ok, retry } from "@persona/bus";
import { type ConsumerDecl, type DataOf, consumerDecl } from "@persona/contracts";
import type { LibraryFollower } from "@persona/library";
import type { Logger } from "@persona/runtime";
import {
  type SessionState,
  type SessionsEvent,
  addDays,
  emptySessions,
  evolve,
  localDateOf,
  localToInstant,
} from "@persona/sessions";
import type { Telegram } from "telegraf";
import type { ChatRegistry } from "./chats.ts";
import { telegramErrorCode } from "./util.ts";

/**
 * Sessions in Telegram (#17): when an occurrence ends (`OccurrenceEnded` on SESSIONS, the durable `bot-sessions`, new
 * ones only) its absentees go to the session's owner; an optional daily digest lists yesterday's occurrences with
 * their counts. Who the owner is in Telegram: `ChatRegistry.ownerChats` (chats linked to the owner with /link, else
 * the chats subscribed to alerts).
 */

export const BOT_SESSIONS_CONSUMER: ConsumerDecl = consumerDecl("bot-sessions");

/** Telegram refuses longer messages (4096); names beyond this many are counted, not listed. */
const MAX_NAMES = 100;

type Ended = DataOf<"OccurrenceEnded">;

/** A session as its own subject folds it now (name, owner, time zone), or null when it has none. */
export async function readSession(bus: Bus, sessionId: string): Promise<SessionState | null> {
  const state = emptySessions();
  await bus.replay({ stream: "SESSIONS", filter: `sessions.session.${sessionId}` }, (m) => {
    const t = m.env?.type;
    if (t === "SessionScheduled" || t === "SessionChanged" || t === "SessionCancelled") {
      evolve(state, m.env as unknown as SessionsEvent);
    }
  });
  return state.sessions.get(sessionId) ?? null;
}

const time = (at: number, timeZone: string) =>
  new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(at));

/** "Lecture 1, Mon, 2 Mar 2026 10:00": the occurrence, in the session's zone. */
function occurrenceTitle(name: string, date: string, startAt: number | null, timeZone: string): string {
  const day = new Intl.DateTimeFormat("en-GB", {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(`${date}T12:00:00Z`));
  return `${name}, ${day}${startAt === null ? "" : ` ${time(startAt, timeZone)}`}`;
}

/** The counts in one line: "25 present, 2 late, 3 absent, 1 excused of 31 expected". */
export function countsLine(c: Ended["counts"]): string {
  const parts = [`${c.present} present`, `${c.late} late`, `${c.absent} absent`];
  if (c.excused > 0) parts.push(`${c.excused} excused`);
  let line = `${parts.join(", ")} of ${c.expected} expected`;
  if (c.unexpected > 0) line += `; ${c.unexpected} not on the roster`;
  return line;
}

/** The absentees message: the occurrence, its counts, and the absentees by name (sorted), or that none was absent. */
export function absenteesText(
  e: Ended,
  session: Pick<SessionState, "name" | "timeZone" | "start"> | null,
  nameOf: (personId: string) => string,
): string {
  const timeZone = session?.timeZone ?? "UTC";
  const startAt = session ? localToInstant(e.date, session.start, timeZone).at : null;
  const title = occurrenceTitle(session?.name ?? e.sessionId, e.date, startAt, timeZone);
  const head = [`📋 ${title} has ended: ${countsLine(e.counts)}.`];
  if (e.absent.length === 0) return [...head, "Nobody was absent."].join("\n");
  const names = e.absent.map(nameOf).sort((a, b) => a.localeCompare(b));
  const listed = names.slice(0, MAX_NAMES).map((n) => `• ${n}`);
  if (names.length > MAX_NAMES) listed.push(`… and ${names.length - MAX_NAMES} more`);
  return [...head, `Absent (${names.length}):`, ...listed].join("\n");
}

export interface SessionNoticeDeps {
  bus: Bus;
  telegram: Telegram;
  chats: ChatRegistry;
  library: LibraryFollower;
  now: () => number;
  log: Logger;
}

/** Telegram errors that will not heal by sending again (the chat blocked the bot, does not exist, ...). */
const permanent = (err: unknown) => {
  const code = telegramErrorCode(err);
  return code === 400 || code === 403;
};

/** Sends `text` to every chat not in `done`; returns how many failed for a reason that may heal. */
async function sendAll(d: SessionNoticeDeps, chats: number[], text: string, done: Set<number>): Promise<number> {
  let failures = 0;
  for (const chatId of chats) {
    if (done.has(chatId)) continue;
    try {
      await d.telegram.sendMessage(chatId, text);
      done.add(chatId);
    } catch (err) {
      d.log.warn({ chatId, err: (err as Error).message }, "session notice not delivered to a chat");
      if (permanent(err)) done.add(chatId);
      else failures++;
    }
  }
  return failures;
}

const personName = (library: LibraryFollower) => (personId: string) =>
  library.state.people.get(personId)?.name ?? `${personId} (no longer in the library)`;

/** Follows `OccurrenceEnded` and sends each occurrence's absentees to its owner's chats. */
export async function startAbsenteeDelivery(d: SessionNoticeDeps): Promise<ConsumerLoop> {
  /** Chats an occurrence's notice reached (a redelivery does not send it twice). */
  const delivered = new Map<string, Set<number>>();
  const ended: Handler<"OccurrenceEnded"> = async (env) => {
    const e = env.data;
    const session = await readSession(d.bus, e.sessionId);
    const chats = await d.chats.ownerChats(session?.owner ?? "", d.now());
    if (chats.length === 0) return ok();
    const key = `${e.sessionId}@${e.date}`;
    const done = delivered.get(key) ?? new Set<number>();
    delivered.set(key, done);
    if (delivered.size > 5000) delivered.delete(delivered.keys().next().value as string);
    const failures = await sendAll(d, chats, absenteesText(e, session, personName(d.library)), done);
    return failures > 0 ? retry(`${failures} chat(s) not reached`, 5000) : ok();
  };
  return d.bus.consume({ consumer: BOT_SESSIONS_CONSUMER, concurrency: 1, handlers: { OccurrenceEnded: ended } });
}

// ---------------------------------------------------------------- the daily digest

/** The next instant, after `now`, at which the local wall clock in `timeZone` reads `at` ("HH:MM"). */
export function nextDigestAt(now: number, at: string, timeZone: string): number {
  const today = localDateOf(now, timeZone);
  const t = localToInstant(today, at, timeZone).at;
  return t > now ? t : localToInstant(addDays(today, 1), at, timeZone).at;
}

/** The last instant, at or before `now`, at which the local wall clock in `timeZone` read `at` ("HH:MM"). */
export function lastDigestAt(now: number, at: string, timeZone: string): number {
  const today = localDateOf(now, timeZone);
  const t = localToInstant(today, at, timeZone).at;
  return t <= now ? t : localToInstant(addDays(today, -1), at, timeZone).at;
}

/** The day a digest sent at `sentAt` covers: the local day before, as a date and [from, to). */
export function digestDay(sentAt: number, timeZone: string): { date: string; from: number; to: number } {
  const today = localDateOf(sentAt, timeZone);
  const date = addDays(today, -1);
  return { date, from: localToInstant(date, "00:00", timeZone).at, to: localToInstant(today, "00:00", timeZone).at };
}

export interface DigestOptions {
  /** Local time "HH:MM" at which the digest is sent. */
  at: string;
  timeZone: string;
}

/**
 * The daily digest: at `at` local time, the occurrences that ended the day before (their `OccurrenceEnded` records),
 * each with its counts, one message per chat, to their owners' chats. `check()` sends it when its time has come:
 * the timer calls it, tests call it with an injected clock. The next time is counted from the start (a bot started
 * after today's time sends tomorrow's).
 */
export class DailyDigest {
  private next: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly d: SessionNoticeDeps,
    private readonly o: DigestOptions,
  ) {
    this.next = nextDigestAt(d.now(), o.at, o.timeZone);
  }

  get nextAt(): number {
    return this.next;
  }

  start(): void {
    const arm = () => {
      // at most a minute at a time: a clock that jumps is noticed within a minute
      const wait = Math.max(1000, Math.min(60_000, this.next - this.d.now()));
      this.timer = setTimeout(() => {
        this.running = this.check()
          .catch((err: Error) => this.d.log.warn({ err: err.message }, "daily digest failed"))
          .finally(arm);
      }, wait);
      this.timer.unref();
    };
    arm();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Sends the digest if its time has come; returns the chats it reached (empty when not due or nothing to say). */
  async check(): Promise<number[]> {
    const now = this.d.now();
    if (now < this.next) return [];
    // a timer that woke late (a suspended machine, a clock set forward) sends the latest digest due, once
    const sentAt = lastDigestAt(now, this.o.at, this.o.timeZone);
    this.next = nextDigestAt(now, this.o.at, this.o.timeZone);
    if (!(await this.claim(sentAt))) return [];
    return this.send(sentAt);
  }

  /**
   * One digest a day across bot replicas: the first to create the day's key in the KV `leases` bucket sends it, the
   * others skip (a key per day, a few hundred bytes a year). A KV that does not answer sends anyway: a digest twice
   * is better than none.
   */
  private async claim(sentAt: number): Promise<boolean> {
    const key = `bot-digest-${digestDay(sentAt, this.o.timeZone).date}`;
    try {
      await (await this.d.bus.kv("leases")).create(key, JSON.stringify({ at: new Date(this.d.now()).toISOString() }));
      return true;
    } catch (err) {
      if (isWrongRevision(err)) {
        this.d.log.info({ key }, "daily digest already sent by another bot replica");
        return false;
      }
      this.d.log.warn({ err: (err as Error).message }, "daily digest: the KV did not answer; sending anyway");
      return true;
    }
  }

  /** The digest of the day before `sentAt`, sent to every owner's chats; returns the chats reached. */
  async send(sentAt: number): Promise<number[]> {
    const day = digestDay(sentAt, this.o.timeZone);
    const ended: Ended[] = [];
    // every end record (a few thousand a year), chosen by the occurrence's end: a late record still counts
    await this.d.bus.replay({ stream: "SESSIONS", filter: "sessions.occurrence.*.*.ended" }, (m) => {
      if (m.env?.type === "OccurrenceEnded" && m.env.data.endAt >= day.from && m.env.data.endAt < day.to) {
        ended.push(m.env.data);
      }
    });
    const lines = new Map<number, { endAt: number; line: string }[]>();
    const sessions = new Map<string, SessionState | null>();
    for (const e of ended) {
      if (!sessions.has(e.sessionId)) sessions.set(e.sessionId, await readSession(this.d.bus, e.sessionId));
      const s = sessions.get(e.sessionId) ?? null;
      const startAt = s ? localToInstant(e.date, s.start, s.timeZone).at : null;
      const line = `• ${occurrenceTitle(s?.name ?? e.sessionId, e.date, startAt, s?.timeZone ?? "UTC")}: ${countsLine(e.counts)}`;
      for (const chatId of await this.d.chats.ownerChats(s?.owner ?? "", this.d.now())) {
        lines.set(chatId, [...(lines.get(chatId) ?? []), { endAt: e.endAt, line }]);
      }
    }
    const reached: number[] = [];
    for (const [chatId, list] of lines) {
      const n = list.length;
      const text = [
        `🗓 Sessions on ${day.date}: ${n} occurrence${n === 1 ? "" : "s"}`,
        ...list.sort((a, b) => a.endAt - b.endAt).map((l) => l.line),
      ].join("\n");
      const done = new Set<number>();
      await sendAll(this.d, [chatId], text.slice(0, 4000), done);
      if (done.has(chatId)) reached.push(chatId);
    }
    return reached;
  }
}
