import { type Bus, type Feed, WrongLastSequenceError } from "@persona/bus";
import { type AnyEnvelope, type DataOf, causedBy, uuidFrom } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import {
  type AttendanceState,
  type ExamAlert,
  type Negative,
  type Occurrence,
  type OverlapFlag,
  type ProjectionEffect,
  attendanceView,
  fixOccurrence,
  occurrencesBetween,
  resolveRoster,
} from "@persona/sessions";
import { type Applied, type FoldStream, SESSIONS_FILTERS, SessionsFold, foldReads, observationOf } from "./fold.ts";
import { cropLocator } from "../projections/sightings.ts";

/**
 * The sessions consumer of one portal replica, outside the recognition path: it folds SESSIONS, the library's person
 * events and the recognitions of SIGHTINGS into a `SessionsFold` held in memory, rebuilt from the streams at every
 * start (LIBRARY, then SESSIONS, then SIGHTINGS, each to its last message, then followed live), one message at a time.
 *
 * - Occurrences: before a sighting opens an occurrence whose start is not recorded, and at every occurrence's start
 *   on the clock (`tick`), it appends OccurrenceStarted with the roster resolved then, to an empty subject only
 *   (expected last subject sequence 0: one replica wins, the others take the winner's); at the end, OccurrenceEnded
 *   with the counts. A rebuild reads the record, so the occurrence expects the same people.
 * - Effects: exam alerts and two-room flags become AlertRaised (ids derived from the occurrence, kind and track or
 *   person, so every replica raises the same alert once); negatives (reject-recognition, and its undo) become
 *   RecognitionRejected on SESSIONS. Effects found while rebuilding are published after it, only those not already
 *   on the streams and, for alerts, only those within `lookbackMs` of the clock.
 * - Time: `clock()` (injected; epoch ms) decides phases and ticks; sightings carry their own frame times.
 */

export interface SessionsConsumerOptions {
  bus: Bus;
  log: Logger;
  clock?: () => number;
  /** How often the clock is looked at for occurrences starting and ending (ms; 0: only when `tick()` is called). */
  tickMs?: number;
  /** How far back a start or end is still recorded, and an effect found by a rebuild still published (ms, 2 days). */
  lookbackMs?: number;
  earlyMinutes?: number;
}

type Listener = (occurrenceIds: string[]) => void;

const DEFAULT_LOOKBACK_MS = 2 * 24 * 3600_000;

export class SessionsConsumer {
  readonly fold: SessionsFold;
  readonly clock: () => number;
  private readonly feeds: { feed: Feed; loop: Promise<void> }[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private replaying = true;
  private readonly deferred: { effect: ProjectionEffect; applied: Applied }[] = [];
  private readonly waiters: { stream: FoldStream; seq: number; resolve: () => void }[] = [];
  private readonly listeners: Listener[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failed: string | null = null;
  /** Messages applied (all streams) and the last rebuild's duration. */
  applied = 0;
  rebuildMs = 0;
  /** Time spent applying live messages (fold, records, effects), ms. */
  liveMs = 0;

  constructor(private readonly o: SessionsConsumerOptions) {
    this.fold = new SessionsFold(o.earlyMinutes === undefined ? {} : { earlyMinutes: o.earlyMinutes });
    this.clock = o.clock ?? Date.now;
  }

  /** Rebuilds from the streams, publishes what the rebuild found missing, then follows them live and ticks. */
  async start(): Promise<void> {
    const started = performance.now();
    const last: Record<FoldStream, number> = { LIBRARY: 0, SESSIONS: 0, SIGHTINGS: 0 };
    for (const stream of ["LIBRARY", "SESSIONS", "SIGHTINGS"] as const) {
      const r = await this.o.bus.replay({ stream, filter: SESSIONS_FILTERS[stream] }, (d) =>
        this.handle(stream, foldReads(stream, d.subject) ? d.env : null, d.seq),
      );
      last[stream] = r.last;
    }
    this.rebuildMs = performance.now() - started;
    this.replaying = false;
    await this.publishDeferred();
    for (const stream of ["LIBRARY", "SESSIONS", "SIGHTINGS"] as const) {
      const feed = await this.o.bus.follow({
        stream,
        filter: SESSIONS_FILTERS[stream],
        from: { seq: last[stream] + 1 },
      });
      const loop = (async () => {
        for await (const d of feed) {
          await this.serial(async () => {
            const t0 = performance.now();
            await this.handle(stream, foldReads(stream, d.subject) ? d.env : null, d.seq);
            this.liveMs += performance.now() - t0;
          });
        }
      })()
        .catch((err) => {
          this.failed = `${stream}: ${(err as Error).message}`;
          this.o.log.error({ err, stream }, "sessions feed failed");
        })
        .finally(() => {
          if (!this.stopped) this.failed ??= `${stream} feed ended`;
        });
      this.feeds.push({ feed, loop });
    }
    await this.tick();
    if ((this.o.tickMs ?? 15_000) > 0) {
      this.timer = setInterval(
        () => void this.tick().catch((err) => this.o.log.warn({ err }, "sessions tick failed")),
        this.o.tickMs ?? 15_000,
      );
      this.timer.unref();
    }
    this.o.log.info(
      {
        rebuildMs: Math.round(this.rebuildMs),
        applied: this.applied,
        occurrences: Object.keys(this.fold.projection.occurrences).length,
      },
      "sessions projection rebuilt",
    );
  }

  /** Runs `f` after everything queued before it: the fold sees one message (or one tick) at a time. */
  serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Calls `listener` with the occurrences each applied message may have changed (the live push). */
  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Resolves once the fold has applied `seq` of `stream` (after a write, so the answer shows it). */
  async waitFor(stream: FoldStream, seq: number, timeoutMs = 10_000): Promise<boolean> {
    if (this.fold.seq[stream] >= seq) return true;
    let timer: NodeJS.Timeout | undefined;
    const reached = new Promise<boolean>((resolve) => this.waiters.push({ stream, seq, resolve: () => resolve(true) }));
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([reached, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  health(): { ok: boolean; detail: string } {
    if (this.failed !== null) return { ok: false, detail: `sessions consumer stopped: ${this.failed}` };
    const s = this.fold.seq;
    return { ok: !this.replaying, detail: `sessions at SESSIONS ${s.SESSIONS}, SIGHTINGS ${s.SIGHTINGS}, LIBRARY ${s.LIBRARY}` };
  }

  private async handle(stream: FoldStream, env: AnyEnvelope | null, seq: number): Promise<void> {
    try {
      if (env !== null && (env.type === "FaceRecognized" || env.type === "UnknownFaceSeen" || env.type === "TrackConcluded")) {
        const o = observationOf(env, seq);
        if (o !== null) for (const occ of this.fold.unrecorded(o)) await this.recordStart(occ, null);
      }
      const applied = this.fold.apply(stream, env, seq);
      this.applied++;
      for (const effect of applied.effects) {
        if (this.replaying) this.deferred.push({ effect, applied });
        else await this.publishEffect(effect, applied);
      }
      if (applied.touched.length > 0 && !this.replaying) for (const l of this.listeners) l(applied.touched);
    } catch (err) {
      // one bad message must not stop the sessions: it is logged and the fold moves past it
      this.fold.seq[stream] = Math.max(this.fold.seq[stream], seq);
      this.o.log.error({ err, stream, seq, type: env?.type }, "sessions: cannot apply a message; skipped");
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w && w.stream === stream && this.fold.seq[stream] >= w.seq) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /**
   * Looks at the clock: records the start of every occurrence (within the lookback) that has started and the end of
   * every one that has ended. Tests call it after moving their clock.
   */
  tick(): Promise<void> {
    return this.serial(async () => {
      const now = this.clock();
      const from = now - (this.o.lookbackMs ?? DEFAULT_LOOKBACK_MS);
      const p = this.fold.projection;
      for (const s of p.sessions.sessions.values()) {
        for (const occ of occurrencesBetween(s, from, now + 1)) {
          if (occ.startAt <= now && !this.fold.started.has(occ.occurrenceId)) await this.recordStart(occ, now);
          if (occ.endAt <= now && !this.fold.ended.has(occ.occurrenceId)) await this.recordEnd(occ);
        }
      }
    });
  }

  /** Appends OccurrenceStarted once per occurrence (the first replica's stands) and fixes the fold with it. */
  private async recordStart(occ: Occurrence, now: number | null): Promise<void> {
    const p = this.fold.projection;
    const session = p.sessions.sessions.get(occ.sessionId);
    const { occurrenceId: _, ...record } = occ;
    const data: DataOf<"OccurrenceStarted"> = {
      ...record,
      roster: session ? resolveRoster(p.sessions, session.roster) : [],
      openedAt: new Date(now ?? this.clock()).toISOString(),
    };
    const env = this.o.bus.envelope("OccurrenceStarted", data, { id: uuidFrom(`occurrence-started|${occ.occurrenceId}`) });
    let stored = data;
    try {
      const ack = await this.o.bus.publish(env, { expectLastSubjectSeq: 0 });
      if (ack.duplicate) stored = (await this.storedStart(occ)) ?? data;
    } catch (err) {
      if (!(err instanceof WrongLastSequenceError)) throw err;
      stored = (await this.storedStart(occ)) ?? data;
    }
    fixOccurrence(p, stored);
    this.fold.started.add(occ.occurrenceId);
  }

  private async storedStart(occ: Occurrence): Promise<DataOf<"OccurrenceStarted"> | null> {
    const env = await this.o.bus.last("OccurrenceStarted", `sessions.occurrence.${occ.sessionId}.${occ.date}.started`);
    return env?.data ?? null;
  }

  /** Appends OccurrenceEnded once per occurrence with its counts at the end. */
  private async recordEnd(occ: Occurrence): Promise<void> {
    if (!this.fold.started.has(occ.occurrenceId)) await this.recordStart(occ, occ.startAt);
    const state = this.fold.projection.occurrences[occ.occurrenceId] as AttendanceState | undefined;
    if (state === undefined) return;
    const v = attendanceView(state, state.occurrence.endAt);
    const data: DataOf<"OccurrenceEnded"> = {
      sessionId: occ.sessionId,
      date: occ.date,
      endAt: state.occurrence.endAt,
      counts: {
        expected: v.expected.length,
        present: v.present.length,
        late: v.late.length,
        absent: v.absent.length,
        excused: v.excused.length,
        unexpected: v.unexpected.length,
        probableOnly: v.probableOnly.length,
        unknownTracks: v.unknownTracks.count,
      },
      absent: v.absent.map((r) => r.personId),
    };
    const env = this.o.bus.envelope("OccurrenceEnded", data, { id: uuidFrom(`occurrence-ended|${occ.occurrenceId}`) });
    try {
      await this.o.bus.publish(env, { expectLastSubjectSeq: 0 });
    } catch (err) {
      if (!(err instanceof WrongLastSequenceError)) throw err;
    }
    this.fold.ended.add(occ.occurrenceId);
  }

  /** The effects a rebuild found: those not on the streams yet (alerts: within the lookback). */
  private async publishDeferred(): Promise<void> {
    const horizon = this.clock() - (this.o.lookbackMs ?? DEFAULT_LOOKBACK_MS);
    for (const { effect, applied } of this.deferred.splice(0)) {
      try {
        if (effect.kind === "negative" || effect.kind === "negative-withdrawn") {
          const env = this.negativeEnvelope(effect.occurrenceId, effect.negative, effect.kind === "negative");
          if (!this.fold.negatives.has(env.id)) await this.o.bus.publish(env);
          continue;
        }
        const alert = this.alertEnvelope(effect, applied);
        if (alert === null || Date.parse(alert.occurredAt) < horizon) continue;
        const existing = await this.o.bus.last("AlertRaised", `alerts.${alert.data.alertId}.raised`);
        if (existing === null) await this.o.bus.publish(alert);
      } catch (err) {
        this.o.log.warn({ err, effect: effect.kind }, "sessions: an effect found by the rebuild was not published");
      }
    }
  }

  private async publishEffect(effect: ProjectionEffect, applied: Applied): Promise<void> {
    if (effect.kind === "negative" || effect.kind === "negative-withdrawn") {
      await this.o.bus.publish(this.negativeEnvelope(effect.occurrenceId, effect.negative, effect.kind === "negative"));
      return;
    }
    const alert = this.alertEnvelope(effect, applied);
    if (alert === null) return;
    await this.o.bus.publish(alert);
    this.o.log.info({ alertId: alert.data.alertId, rule: alert.data.rule, personId: alert.data.personId }, "exam alert raised");
  }

  private negativeEnvelope(occurrenceId: string, n: Negative, rejected: boolean) {
    const [sessionId, date] = occurrenceId.split("@") as [string, string];
    const state = this.fold.projection.occurrences[occurrenceId];
    const cameraId = state?.people[n.personId]?.[n.trackId]?.cameraId ?? null;
    const data: DataOf<"RecognitionRejected"> = {
      personId: n.personId,
      trackId: n.trackId,
      cameraId,
      sessionId,
      date,
      by: n.by,
      at: new Date(n.at).toISOString(),
      rejected,
    };
    return this.o.bus.envelope("RecognitionRejected", data, {
      id: uuidFrom(`negative|${occurrenceId}|${n.personId}|${n.trackId}|${n.at}|${rejected}`),
    });
  }

  /** An exam alert or a two-room flag as AlertRaised (null for the effects that raise none). */
  private alertEnvelope(effect: ProjectionEffect, applied: Applied) {
    const sighting = applied.sighting;
    const meta = (key: string) => ({
      id: uuidFrom(`alert-raised|${key}`),
      occurredAt: new Date(this.alertTime(effect)).toISOString(),
      ...(sighting ? causedBy(sighting, this.o.bus.service) : {}),
    });
    const crop = sighting && sighting.type !== "TrackConcluded" ? sighting.data.crop : null;
    const sightingId = sighting && sighting.type !== "TrackConcluded" ? sighting.data.detectionId : null;
    if (effect.kind === "alert") {
      const a: ExamAlert = effect.alert;
      const key = `session-alert|${a.occurrenceId}|${a.kind}|${a.kind === "unknown-face" ? a.trackId : a.personId}`;
      const who = a.personId === null ? "an unknown face" : `${this.fold.nameOf(a.personId) ?? a.personId} (not on the roster)`;
      return this.o.bus.envelope(
        "AlertRaised",
        {
          alertId: uuidFrom(key),
          rule: `exam-${a.kind}`,
          kind: "exam",
          severity: "high",
          message: `exam ${a.occurrenceId}: ${who} at camera ${a.cameraId}`,
          cameraId: a.cameraId,
          personId: a.personId,
          trackId: a.trackId,
          sightingId,
          crop,
        },
        meta(key),
      );
    }
    if (effect.kind === "overlap") {
      const f: OverlapFlag = effect.flag;
      const [x, y] = f.sightings;
      const key = `session-overlap|${f.personId}|${x.occurrenceId}|${y.occurrenceId}`;
      const name = this.fold.nameOf(f.personId) ?? f.personId;
      return this.o.bus.envelope(
        "AlertRaised",
        {
          alertId: uuidFrom(key),
          rule: "exam-two-rooms",
          kind: "exam",
          severity: "high",
          message: `${name} seen in two exams at once: ${x.occurrenceId} (camera ${x.cameraId}) and ${y.occurrenceId} (camera ${y.cameraId})`,
          cameraId: y.cameraId,
          personId: f.personId,
          trackId: y.trackId,
          sightingId,
          crop,
        },
        meta(key),
      );
    }
    return null;
  }

  private alertTime(effect: ProjectionEffect): number {
    if (effect.kind === "alert") return effect.alert.at;
    if (effect.kind === "overlap") return Math.max(effect.flag.sightings[0].at, effect.flag.sightings[1].at);
    return this.clock();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const f of this.feeds) await f.feed.close().catch(() => undefined);
    for (const f of this.feeds) await f.loop;
    await this.queue;
  }
}

/**
 * The sessions fold of the streams as they are now, read only (LIBRARY, then SESSIONS, then SIGHTINGS): what
 * `persona report` reports on. Nothing is published: an occurrence whose start was never recorded expects the
 * roster resolved from the final groups. `crops`, when given, gets each recognition's and unknown face's crop locator
 * by detection id (a MediaStore's `cropOf`: how `persona report --pdf` reads the crops without the read models).
 */
export async function replaySessionsFold(
  bus: Bus,
  options: { earlyMinutes?: number; crops?: Map<string, string> } = {},
): Promise<SessionsFold> {
  const fold = new SessionsFold(options);
  const { crops } = options;
  for (const stream of ["LIBRARY", "SESSIONS", "SIGHTINGS"] as const) {
    await bus.replay({ stream, filter: SESSIONS_FILTERS[stream] }, (d) => {
      const env = foldReads(stream, d.subject) ? d.env : null;
      fold.apply(stream, env, d.seq);
      if (crops && (env?.type === "FaceRecognized" || env?.type === "UnknownFaceSeen"))
        crops.set(env.data.detectionId, cropLocator(env.data.crop, d.seq));
    });
  }
  return fold;
}
