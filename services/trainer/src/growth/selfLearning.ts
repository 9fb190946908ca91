/**
 * Starts gallery growth and the visitor book in the active trainer only: both run while this instance holds the
 * `trainer-self-learning` lease (KV `leases`), and stop when it is lost, so two trainers never both publish.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type Bus, Lease } from "@persona/bus";
import type { Logger, ReadinessCheck } from "@persona/runtime";
import { Embedder, embedderSpec, templateModelName } from "@persona/vision";
import { VisitorService } from "../visitors/service.ts";
import type { VisitorOptions } from "../visitors/book.ts";
import type { GrowthOptions } from "@persona/recognition";
import { GalleryGrowth } from "./service.ts";

export interface SelfLearningSettings {
  growth: GrowthOptions | null;
  visitors: VisitorOptions | null;
  model: string;
  flip: boolean;
  dataDir: string;
  leaseTtlSeconds: number;
  holder?: string;
}

export class SelfLearning {
  private lease: Lease | undefined;
  private embedder: Embedder | undefined;
  growth: GalleryGrowth | undefined;
  visitors: VisitorService | undefined;
  private state = "waiting for the lease";
  private transition: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly s: SelfLearningSettings,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (!this.s.growth && !this.s.visitors) {
      this.state = "disabled (GROWTH_ENABLED and VISITORS_ENABLED are false)";
      return;
    }
    this.lease = new Lease(await this.bus.kv("leases"), {
      key: "trainer-self-learning",
      holder: this.s.holder ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      ttlMs: this.s.leaseTtlSeconds * 1000,
      onChange: (held, detail) => {
        this.transition = this.transition.then(() => (held ? this.lead(detail) : this.follow(detail)));
      },
    });
    this.lease.start();
  }

  get checks(): ReadinessCheck[] {
    return [
      {
        name: "self-learning",
        check: () => ({
          ok: true,
          detail: JSON.stringify({
            state: this.state,
            growth: this.growth?.stats ?? null,
            visitors: this.visitors?.stats ?? null,
          }),
        }),
      },
    ];
  }

  private async lead(detail: string): Promise<void> {
    this.log.info({ detail }, "self-learning lease held: growing galleries and clustering unknowns");
    try {
      if (this.s.growth) {
        this.embedder ??= await Embedder.create({ model: embedderSpec(this.s.model), flip: this.s.flip });
        this.growth = new GalleryGrowth({
          bus: this.bus,
          embedder: this.embedder,
          options: this.s.growth,
          log: this.log.child({ part: "growth" }),
          loadStored: async (bucket, key) => (await (await this.bus.objectStore(bucket)).getBlob(key)) ?? null,
        });
        await this.growth.start();
      }
      if (this.s.visitors) {
        const spec = embedderSpec(this.s.model);
        this.visitors = new VisitorService({
          bus: this.bus,
          model: templateModelName({ spec, flip: this.s.flip }),
          dims: spec.dims,
          options: this.s.visitors,
          dataDir: this.s.dataDir,
          log: this.log.child({ part: "visitors" }),
        });
        await this.visitors.start();
      }
      this.state = "active";
    } catch (err) {
      this.state = `failed to start: ${(err as Error).message}`;
      this.log.error({ err }, "self-learning could not start");
    }
  }

  private async follow(detail: string): Promise<void> {
    this.state = `waiting for the lease (${detail})`;
    await this.growth?.stop();
    await this.visitors?.stop();
    this.growth = undefined;
    this.visitors = undefined;
  }

  async stop(): Promise<void> {
    await this.transition;
    await this.lease?.stop();
    await this.follow("stopping");
    await this.embedder?.dispose();
  }
}
