import type { CameraDirectory } from "../cameras.ts";
import type { Bus, Feed } from "@persona/bus";
import type { Logger } from "@persona/runtime";
import type { DocumentStore } from "@persona/store";
import type { Server } from "socket.io";
import { MessageTypes } from "../messageTypes.ts";
import type { ReadModels } from "../projections/readModels.ts";
import { VISITORS_PROJECTION, currentVisitor } from "../projections/visitors.ts";
import { presenceItems } from "../views/presence.ts";
import { visitorOf } from "../views/visitors.ts";

/**
 * Live push, per replica: one bus follow (new messages only) per stream the console follows, each emitting to every
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

export class LivePush {
  private readonly feeds: { stream: string; messages: Feed; loop: Promise<void>; alive: boolean }[] = [];
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
      const messages = await bus.follow({ stream, from: "new", buffer: 512 });
      const feed = { stream, messages, loop: Promise.resolve(), alive: true };
      feed.loop = (async () => {
        for await (const m of messages) {
          const env = m.env;
          if (env === null) continue;
          if (MessageTypes.visitor.has(env.type) && "visitorId" in env.data) {
            const removed = "absorbed" in env.data && Array.isArray(env.data.absorbed) ? env.data.absorbed : [];
            this.visitorChanged(env.data.visitorId, m.seq, removed);
            continue;
          }
          if (!MessageTypes.pushed.has(env.type)) continue;
          this.io.to(LIVE_ROOM).emit(env.type, env);
          this.emitted++;
          if (stream === "SIGHTINGS" && "cameraId" in env.data && typeof env.data.cameraId === "string") {
            this.presenceChanged(env.data.cameraId, m.seq);
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
