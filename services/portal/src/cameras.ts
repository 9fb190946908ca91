import type { Bus, Feed } from "@persona/bus";
import { type CameraRole, type EnvelopeOf, Messages, isTrialCamera } from "@persona/contracts";

/**
 * The cameras this replica knows, from the last CameraStatusChanged of each camera on SYSTEM (a bus follow,
 * last per subject, then new ones). In memory: any replica rebuilds it from the stream at start.
 */

export interface CameraView {
  cameraId: string;
  status: string;
  role: CameraRole | null;
  lastChangeAt: string;
  message: string;
}

/** The statuses after which a trial camera runs no more. */
const TRIAL_GONE: ReadonlySet<string> = new Set(["ended", "stopped", "failed"]);

export class CameraDirectory {
  readonly cameras = new Map<string, CameraView>();
  private feed: Feed | undefined;
  private loop: Promise<void> | undefined;

  async start(bus: Bus): Promise<void> {
    const feed = await bus.follow({
      stream: "SYSTEM",
      filter: Messages.CameraStatusChanged.filter,
      from: "last-per-subject",
    });
    this.feed = feed;
    this.loop = (async () => {
      for await (const d of feed) if (d.env?.type === "CameraStatusChanged") this.apply(d.env);
    })();
  }

  apply(env: EnvelopeOf<"CameraStatusChanged">): void {
    const d = env.data;
    const prev = this.cameras.get(d.cameraId);
    if (prev && prev.lastChangeAt > env.occurredAt) return;
    // a trial camera (persona watch) is listed while it runs and forgotten once it ends (its last status says so,
    // which a replica starting later reads as well)
    if (isTrialCamera(d.cameraId) && TRIAL_GONE.has(d.status)) {
      this.cameras.delete(d.cameraId);
      return;
    }
    this.cameras.set(d.cameraId, {
      cameraId: d.cameraId,
      status: d.status,
      role: d.role,
      lastChangeAt: new Date(env.occurredAt).toISOString(),
      message: d.message,
    });
  }

  roleOf(cameraId: string): CameraRole | undefined {
    return this.cameras.get(cameraId)?.role ?? undefined;
  }

  async stop(): Promise<void> {
    await this.feed?.close();
    await this.loop?.catch(() => undefined);
  }
}
