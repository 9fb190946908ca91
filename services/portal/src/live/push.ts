import type { CameraDirectory } from "../cameras.ts";
import type { ConsumerMessages } from "@nats-io/jetstream";
import { DeliverPolicy } from "@nats-io/jetstream";
import type { Bus } from "@persona/bus";
import type { Logger } from "@persona/runtime";
import type { DocumentStore } from "@persona/store";
import type { Server } from "socket.io";
import { MessageTypes } from "../messageTypes.ts";
import type { ReadModels } from "../projections/readModels.ts";
import { VISITORS_PROJECTION, currentVisitor } from "../projections/visitors.ts";
import { visitorOf } from "../views/visitors.ts";

/**
 * Live push, per replica: one ordered consumer (deliver new) per stream the console follows, each emitting to every
 * authenticated socket (room "live") in stream order: event name = envelope type, payload = the whole envelope. An
 * ordered consumer has no server-side state to share, so every replica pushes every event to its own clients.
 *
 * `presence` = `{ cameraId, items }` follows sightings: once the presence projection has applied the event (its
 * checkpoint reaches the event's sequence; the projection may run on another replica), the camera's presence is read
 * and emitted (debounced per camera, so a burst costs one read).
 *
 * `visitor` = `{ visitorId, visitor, removed }` follows the visitor events (VisitorClustered/Updated/Named/Ignored):
 * once the visitors projection has applied the event, the visitor as GET /visitors/:id shows it (for an absorbed
 * visitor: its survivor; null when unknown), and `removed` = the visitors a merge absorbed; in stream order. The events
 * themselves are not pushed (they carry crops and embeddings).
 */

export const LIVE_ROOM = "live";
const STREAMS = ["SIGHTINGS", "ALERTS", "SYSTEM", "LIBRARY"] as const;

export interface PresenceItem {
  cameraId: string;
  personId: string | null;
  name: string | null;
  trackId: string;
  since: string;
  lastSeen: string;
}

/**
 * Who is in view now. A track whose camera changed status after its last sighting (stopped, reconnected, restarted)
 * is over even if its end never arrived (the camera was killed before it could say so): the camera ends every track
 * with the picture, so such an entry is a ghost and is left out.
 */
export async function presenceItems(
  models: ReadModels,
  cameraId?: string,
  cameras?: Pick<CameraDirectory, "cameras">,
): Promise<PresenceItem[]> {
  const docs = await models.presence.inView(cameraId === undefined ? {} : { cameraId });
  const names = new Map<string, string | null>();
  const out: PresenceItem[] = [];
  for (const d of docs) {
    const cam = cameras?.cameras.get(d.cameraId);
    if (cam && cam.lastChangeAt > new Date(d.lastSeenAt).toISOString()) continue;
    let name: string | null = null;
    if (d.personId !== null) {
      if (!names.has(d.personId)) names.set(d.personId, (await models.people.get(d.personId))?.name ?? null);
      name = names.get(d.personId) ?? null;
    }
    out.push({
      cameraId: d.cameraId,
      personId: d.personId,
      name,
      trackId: d.trackId,
      since: d.enteredAt,
      lastSeen: d.lastSeenAt,
    });
  }
  return out;
}

export class LivePush {
  private readonly feeds: { stream: string; messages: ConsumerMessages; loop: Promise<void>; alive: boolean }[] = [];
  private readonly presenceTimers = new Map<string, { seq: number; timer: NodeJS.Timeout | null; running: boolean }>();
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
    for (const stream of STREAMS) {
      const consumer = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.New });
      const messages = await consumer.consume({ max_messages: 512 });
      const feed = { stream, messages, loop: Promise.resolve(), alive: true };
      feed.loop = (async () => {
        for await (const m of messages) {
          let env: { type?: unknown; data?: { cameraId?: unknown; visitorId?: unknown; absorbed?: unknown } };
          try {
            env = JSON.parse(new TextDecoder().decode(m.data));
          } catch {
            continue;
          }
          if (stream === "SIGHTINGS" && typeof env.type === "string" && MessageTypes.visitor.has(env.type)) {
            if (typeof env.data?.visitorId === "string") {
              const removed = Array.isArray(env.data.absorbed) ? env.data.absorbed.filter((a) => typeof a === "string") : [];
              this.visitorChanged(env.data.visitorId, m.seq, removed);
            }
            continue;
          }
          if (typeof env.type !== "string" || !MessageTypes.pushed.has(env.type)) continue;
          this.io.to(LIVE_ROOM).emit(env.type, env);
          this.emitted++;
          if (stream === "SIGHTINGS" && typeof env.data?.cameraId === "string") this.presenceChanged(env.data.cameraId, m.seq);
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

  private visitorChanged(visitorId: string, seq: number, removed: string[]): void {
    this.visitorQueue = this.visitorQueue.then(async () => {
      try {
        const deadline = Date.now() + 10_000;
        while (!this.stopped && (await this.store.checkpoint(VISITORS_PROJECTION)) < seq && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 25));
        }
        if (this.stopped) return;
        // an absorbed visitor's decision is its survivor's: push the survivor
        const current = await currentVisitor(this.models, visitorId);
        const id = current?.id ?? visitorId;
        const gone = new Set([...removed, ...(id !== visitorId ? [visitorId] : [])]);
        gone.delete(id);
        this.io.to(LIVE_ROOM).emit("visitor", {
          visitorId: id,
          visitor: current ? visitorOf(current) : null,
          removed: [...gone],
        });
        this.emitted++;
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
        await new Promise((r) => setTimeout(r, 25));
      }
      if (this.stopped) return;
      this.io.to(LIVE_ROOM).emit("presence", { cameraId, items: await presenceItems(this.models, cameraId, this.cameras) });
    } catch (err) {
      this.log.warn({ err, cameraId }, "presence push failed");
    } finally {
      p.running = false;
      if (p.seq > seq && !this.stopped) p.timer = setTimeout(() => void this.emitPresence(cameraId), 50);
      else if (p.seq <= seq) this.presenceTimers.delete(cameraId);
    }
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
    for (const f of this.feeds) await f.messages.close().catch(() => undefined);
    for (const f of this.feeds) await f.loop;
    await this.visitorQueue;
  }
}
