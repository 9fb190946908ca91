import type { Bus, Feed } from "@persona/bus";
import type { AnyEnvelope, EnvelopeOf } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import { AlertsRepository, type DocumentStore } from "@persona/store";
import type { Server } from "socket.io";
import { ALERTS_PROJECTION } from "../alerts/projection.ts";
import type { CameraDirectory } from "../cameras.ts";
import { LIVE_EVENTS, type LiveEventName, type LivePayload } from "../http/schemas.ts";
import type { ReadModels } from "../projections/readModels.ts";
import { VISITORS_PROJECTION, currentVisitor } from "../projections/visitors.ts";
import { alertOf } from "../views/alerts.ts";
import { attendanceRowsOf } from "../views/attendance.ts";
import { cameraStatusOf, greetingOf } from "../views/cameras.ts";
import { personOf } from "../views/people.ts";
import { presenceItems } from "../views/presence.ts";
import { liveSightingOf, sightingOfEvent, sightingsOf } from "../views/sightings.ts";
import { visitorOf } from "../views/visitors.ts";
import type { SessionsConsumer } from "../sessions/consumer.ts";
import { occurrenceViewOf } from "../sessions/views.ts";

/**
 * Live push, per replica: one bus follow (new messages only) per stream the console follows, each emitting to every
 * authenticated socket (room "live") in stream order. What is pushed is never an envelope: each event is a view the
 * REST API also answers (`LIVE_EVENTS` in http/schemas.ts, `x-live-events` of the OpenAPI document), validated
 * against its schema before it is emitted (so nothing else, an embedding or an inline crop, can go out). An ordered
 * consumer has no server-side state to share, so every replica pushes every event to its own clients.
 *
 * - `sighting` (FaceRecognized, UnknownFaceSeen): the sighting as GET /sightings lists it, once the sightings
 *   projection holds it (its `cropKey` then resolves under /media/crops);
 *   and again for each shot of a track once the sightings projection applied its TrackConcluded (`concluded` set);
 * - `presence` = `{ cameraId, items }` follows sightings: once the presence projection has applied the event (its
 *   checkpoint reaches the event's sequence; the projection may run on another replica), the camera's presence is
 *   read and emitted (debounced per camera, so a burst costs one read);
 * - `attendance` (TrackConcluded of a recognized person): the person's attendance rows around the track's days, once
 *   the attendance projection applied it;
 * - `visitor` = `{ visitorId, visitor, removed }` follows the visitor events (VisitorClustered/Updated/Named/Ignored):
 *   once the visitors projection has applied the event, the visitor as GET /visitors/:id shows it (for an absorbed
 *   visitor: its survivor; null when unknown), and `removed` = the visitors a merge absorbed; in stream order;
 * - `alert` = `{ change, alert }` (AlertRaised/Acknowledged/Resolved): the alert as GET /alerts shows it, once the
 *   alerts projection applied the change;
 * - `person` = `{ personId, change, person }` (PersonEnrolled/Updated/Removed): the person as GET /people/:id shows
 *   it (null once removed), once the people projection applied the change;
 * - `camera` (CameraStatusChanged): the camera's status, role and time of the change;
 * - `greeting` (GreetingPlayed): who was greeted where, and the sound's media key;
 * - `session` = `{ occurrenceId, view }`: an occurrence's view as GET /sessions/{id}/occurrences/{date} answers it,
 *   when this replica's sessions consumer applied something that touches it (debounced per occurrence: a burst of
 *   sightings costs one view).
 *
 * A push that waits for a projection waits at most 5 s; a projection that stays behind longer (stopped everywhere)
 * is not waited for again until it catches up, so the pushes go on (a little ahead of the read models) meanwhile.
 */

export const LIVE_ROOM = "live";
const STREAMS = ["SIGHTINGS", "ALERTS", "SYSTEM", "LIBRARY"] as const;
const PROJECTION_WAIT_MS = 5000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A track's shots are looked for this far around its start and end (frame times and the camera's clock). */
const TRACK_SLACK_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LivePush {
  private readonly feeds: { stream: string; messages: Feed; loop: Promise<void>; alive: boolean }[] = [];
  private readonly presenceTimers = new Map<string, { seq: number; timer: NodeJS.Timeout | null; running: boolean }>();
  /** Per projection: the highest checkpoint read, and whether the last wait for it ran out. */
  private readonly checkpoints = new Map<string, { at: number; lagging: boolean }>();
  private alerts: AlertsRepository | undefined;
  private stopped = false;
  /** Visitor pushes, one after the other in stream order. */
  private visitorQueue: Promise<void> = Promise.resolve();
  /** Events emitted (all streams). */
  emitted = 0;

  constructor(
    private readonly io: Server,
    private readonly store: DocumentStore,
    private readonly models: ReadModels,
    private readonly log: Logger,
    private readonly cameras?: Pick<CameraDirectory, "cameras">,
  ) {}

  async start(bus: Bus): Promise<void> {
    this.alerts = await AlertsRepository.open(this.store);
    for (const stream of STREAMS) {
      const messages = await bus.follow({ stream, from: "new", buffer: 512 });
      const feed = { stream, messages, loop: Promise.resolve(), alive: true };
      feed.loop = (async () => {
        for await (const m of messages) {
          if (m.env === null) continue;
          try {
            await this.pushed(m.env, m.seq);
          } catch (err) {
            this.log.warn({ err, stream, type: m.env.type, seq: m.seq }, "push failed");
          }
        }
      })()
        .catch((err) => this.log.error({ err, stream }, "live feed failed"))
        .finally(() => {
          feed.alive = false;
          if (!this.stopped) this.log.error({ stream }, "live feed ended: this replica no longer pushes it (not ready)");
        });
      this.feeds.push(feed);
    }
  }

  /** The pushes of one event, in stream order (the feed waits for them). */
  private async pushed(env: AnyEnvelope, seq: number): Promise<void> {
    switch (env.type) {
      case "FaceRecognized":
      case "UnknownFaceSeen":
        await this.projected("sightings", seq);
        this.emit("sighting", await sightingOfEvent({ models: this.models }, env, seq));
        this.presenceChanged(env.data.cameraId, seq);
        return;
      case "TrackConcluded":
        await this.trackConcluded(env, seq);
        this.presenceChanged(env.data.cameraId, seq);
        if (env.data.outcome.kind === "recognized") await this.attendanceChanged(env, env.data.outcome.personId, seq);
        return;
      case "VisitorClustered":
      case "VisitorUpdated":
      case "VisitorNamed":
      case "VisitorIgnored":
        this.visitorChanged(env.data.visitorId, seq, "absorbed" in env.data ? env.data.absorbed : []);
        return;
      case "AlertRaised":
      case "AlertAcknowledged":
      case "AlertResolved": {
        await this.projected(ALERTS_PROJECTION, seq);
        const doc = await this.alerts?.get(env.data.alertId);
        if (!doc) return;
        const change = env.type === "AlertRaised" ? "raised" : env.type === "AlertAcknowledged" ? "acknowledged" : "resolved";
        this.emit("alert", { change, alert: alertOf(doc) });
        return;
      }
      case "PersonEnrolled":
      case "PersonUpdated":
      case "PersonRemoved": {
        await this.projected("people", seq);
        const p = await this.models.people.get(env.data.personId);
        const change = env.type === "PersonEnrolled" ? "enrolled" : env.type === "PersonUpdated" ? "updated" : "removed";
        const person = p && p.removedAt === null ? personOf(p) : null;
        this.emit("person", { personId: env.data.personId, change, person });
        return;
      }
      case "CameraStatusChanged":
        this.emit("camera", cameraStatusOf(env));
        return;
      case "GreetingPlayed":
        this.emit("greeting", greetingOf(env));
        return;
      default:
        return;
    }
  }

  /** Emits a payload to every console, as its schema has it (a payload that does not match is logged, not sent). */
  private emit<E extends LiveEventName>(event: E, payload: LivePayload<E>): void {
    const checked = LIVE_EVENTS[event].safeParse(payload);
    if (!checked.success) {
      this.log.error({ event, issues: checked.error.issues }, "live payload does not match its schema: not pushed");
      return;
    }
    this.io.to(LIVE_ROOM).emit(event, checked.data);
    this.emitted++;
  }

  /** Waits until `projection` has applied the event at `seq` (false when it did not within the wait, see above). */
  private async projected(projection: string, seq: number): Promise<boolean> {
    const p = this.checkpoints.get(projection) ?? { at: 0, lagging: false };
    this.checkpoints.set(projection, p);
    if (p.at >= seq) return true;
    const deadline = Date.now() + (p.lagging ? 0 : PROJECTION_WAIT_MS);
    for (;;) {
      p.at = Math.max(p.at, await this.store.checkpoint(projection));
      if (p.at >= seq) {
        p.lagging = false;
        return true;
      }
      if (this.stopped || Date.now() >= deadline) {
        if (!p.lagging) this.log.warn({ projection, seq, checkpoint: p.at }, "live push: projection behind, pushing without it");
        p.lagging = true;
        return false;
      }
      await sleep(10);
    }
  }

  /**
   * A recognized person's track concluded: their attendance rows from the day before its start to the day after its
   * end (UTC days, so every time zone's days of the track are among them).
   */
  /** The track's shots again, with its conclusion, once the sightings projection applied it (oldest first). */
  private async trackConcluded(env: EnvelopeOf<"TrackConcluded">, seq: number): Promise<void> {
    await this.projected("sightings", seq);
    const d = env.data;
    const docs = await this.models.sightings.list({
      cameraId: d.cameraId,
      from: new Date(Date.parse(d.startedAt) - TRACK_SLACK_MS).toISOString(),
      to: new Date(Date.parse(d.endedAt) + TRACK_SLACK_MS).toISOString(),
      limit: 1000,
    });
    const shots = docs.filter((s) => s.trackId === d.trackId).reverse();
    for (const s of await sightingsOf({ models: this.models }, shots)) this.emit("sighting", liveSightingOf(s));
  }

  private async attendanceChanged(env: EnvelopeOf<"TrackConcluded">, personId: string, seq: number): Promise<void> {
    await this.projected("attendance", seq);
    const day = (iso: string, shift: number) => new Date(Date.parse(iso) + shift).toISOString().slice(0, 10);
    const docs = await this.models.attendance.listByPerson(personId, {
      fromDay: day(env.data.startedAt, -DAY_MS),
      toDay: day(env.data.endedAt, DAY_MS),
    });
    this.emit("attendance", { personId, items: await attendanceRowsOf(this.models, docs) });
  }

  private visitorChanged(visitorId: string, seq: number, removed: string[]): void {
    this.visitorQueue = this.visitorQueue.then(async () => {
      try {
        const deadline = Date.now() + 10_000;
        while (!this.stopped && (await this.store.checkpoint(VISITORS_PROJECTION)) < seq && Date.now() < deadline) {
          await sleep(25);
        }
        if (this.stopped) return;
        // an absorbed visitor's decision is its survivor's: push the survivor
        const current = await currentVisitor(this.models, visitorId);
        const id = current?.id ?? visitorId;
        const gone = new Set([...removed, ...(id !== visitorId ? [visitorId] : [])]);
        gone.delete(id);
        this.emit("visitor", { visitorId: id, visitor: current ? visitorOf(current) : null, removed: [...gone] });
      } catch (err) {
        this.log.warn({ err, visitorId }, "visitor push failed");
      }
    });
  }

  private presenceChanged(cameraId: string, seq: number): void {
    const p = this.presenceTimers.get(cameraId) ?? { seq, timer: null, running: false };
    p.seq = Math.max(p.seq, seq);
    this.presenceTimers.set(cameraId, p);
    if (p.timer !== null || p.running) return;
    p.timer = setTimeout(() => void this.emitPresence(cameraId), 50);
  }

  private async emitPresence(cameraId: string): Promise<void> {
    const p = this.presenceTimers.get(cameraId);
    if (!p) return;
    p.timer = null;
    p.running = true;
    const seq = p.seq;
    try {
      const deadline = Date.now() + 10_000;
      while (!this.stopped && (await this.store.checkpoint("presence")) < seq && Date.now() < deadline) {
        await sleep(25);
      }
      if (this.stopped) return;
      this.emit("presence", { cameraId, items: await presenceItems(this.models, cameraId, this.cameras) });
    } catch (err) {
      this.log.warn({ err, cameraId }, "presence push failed");
    } finally {
      p.running = false;
      if (p.seq > seq && !this.stopped) p.timer = setTimeout(() => void this.emitPresence(cameraId), 50);
      else if (p.seq <= seq) this.presenceTimers.delete(cameraId);
    }
  }

  private readonly sessionTimers = new Map<string, NodeJS.Timeout>();

  /** Pushes `session` views of the occurrences the sessions consumer changes (at most one per occurrence per 250 ms). */
  followSessions(consumer: SessionsConsumer, debounceMs = 250): void {
    consumer.onChange((ids) => {
      for (const occurrenceId of ids) {
        if (this.stopped || this.sessionTimers.has(occurrenceId)) continue;
        const timer = setTimeout(() => {
          this.sessionTimers.delete(occurrenceId);
          const state = consumer.fold.projection.occurrences[occurrenceId];
          if (state === undefined || this.stopped) return;
          this.emit("session", { occurrenceId, view: occurrenceViewOf(consumer.fold, state, consumer.clock()) });
        }, debounceMs);
        this.sessionTimers.set(occurrenceId, timer);
      }
    });
  }

  /** Readiness: every feed still running. */
  health(): { ok: boolean; detail: string } {
    const dead = this.feeds.filter((f) => !f.alive).map((f) => f.stream);
    return dead.length === 0
      ? { ok: true, detail: `pushing ${this.feeds.map((f) => f.stream).join(", ")}; ${this.emitted} events` }
      : { ok: false, detail: `live feeds ended: ${dead.join(", ")}` };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.presenceTimers.values()) if (p.timer) clearTimeout(p.timer);
    for (const t of this.sessionTimers.values()) clearTimeout(t);
    for (const f of this.feeds) await f.messages.close().catch(() => undefined);
    for (const f of this.feeds) await f.loop;
    await this.visitorQueue;
  }
}
