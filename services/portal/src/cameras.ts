import type { ConsumerMessages } from "@nats-io/jetstream";
import { DeliverPolicy } from "@nats-io/jetstream";
import type { Bus } from "@persona/bus";
import { type CameraRole, type EnvelopeOf, Messages } from "@persona/contracts";

/**
 * The cameras this replica knows, from the last CameraStatusChanged of each camera on SYSTEM (an ordered consumer,
 * last per subject, then new ones). In memory: any replica rebuilds it from the stream at start.
 */

export interface CameraView {
  cameraId: string;
  status: string;
  role: CameraRole | null;
  lastChangeAt: string;
  message: string;
}

export class CameraDirectory {
  readonly cameras = new Map<string, CameraView>();
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  async start(bus: Bus): Promise<void> {
    const consumer = await bus.js.consumers.get("SYSTEM", {
      filter_subjects: Messages.CameraStatusChanged.filter,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    this.messages = await consumer.consume();
    const messages = this.messages;
    this.loop = (async () => {
      for await (const m of messages) {
        try {
          const env = Messages.CameraStatusChanged.envelope.safeParse(JSON.parse(new TextDecoder().decode(m.data)));
          if (env.success) this.apply(env.data);
        } catch {
          // not JSON: ignored
        }
      }
    })();
  }

  apply(env: EnvelopeOf<"CameraStatusChanged">): void {
    const d = env.data;
    const prev = this.cameras.get(d.cameraId);
    if (prev && prev.lastChangeAt > env.occurredAt) return;
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
    await this.messages?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
  }
}
