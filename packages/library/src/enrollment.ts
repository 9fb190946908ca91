import { randomUUID } from "node:crypto";
import type { Bus, Feed } from "@persona/bus";
import type { AnyEnvelope, BlobRef, DataOf } from "@persona/contracts";

/**
 * The client side of enrollment. The protocol:
 *
 * 1. the photos (and sound) are in the `photos` / `sounds` Object Store buckets under `<personId>/<sha256>.<ext>`;
 * 2. the client publishes `EnrollPerson` on `commands.enroll-person`;
 * 3. the recognizer answers on LIBRARY with events whose `causationId` is the command envelope's id: for a new
 *    person `PersonEnrolled` (only when at least one photo is accepted), then per photo `FaceTemplateAdded`
 *    (origin "enrollment", origin.photo = that BlobRef) or `EnrollmentRejected` (reason + a message naming the photo).
 *
 * The watcher is one bus follow of `library.>` (new messages only) created before anything is published, so no
 * answer can be missed; requests are matched by causation id and are done when every photo has an outcome.
 */

export type EnrollRequest = Omit<DataOf<"EnrollPerson">, "requestId"> & { requestId?: string };

/** Which face of a photo the recognizer took (absent from recognizers older than the field). */
export type TakenFace = NonNullable<Extract<DataOf<"FaceTemplateAdded">["origin"], { kind: "enrollment" }>["face"]>;

export type PhotoResult =
  | { photo: BlobRef; outcome: "added"; templateId: string; face: TakenFace | null }
  | { photo: BlobRef; outcome: "rejected"; reason: { code: string; message: string } };

export interface EnrollmentResult {
  requestId: string;
  commandId: string;
  personId: string;
  /** A new person was created (PersonEnrolled seen). */
  enrolled: boolean;
  photos: PhotoResult[];
}

/** No answer to every photo in time. `exitCode` 1 for the CLI. */
export class EnrollmentTimeoutError extends Error {
  override name = "EnrollmentTimeoutError";
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly partial: EnrollmentResult,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EnrollOptions {
  /** How long to wait for every photo's outcome (ms). Default 60000. */
  timeoutMs?: number;
}

interface Pending {
  /** The request's photos, each once. */
  photos: BlobRef[];
  result: EnrollmentResult;
  outcomes: Map<string, PhotoResult>;
  done: (r: EnrollmentResult) => void;
}

export class EnrollmentWatcher {
  private readonly pending = new Map<string, Pending>();
  private readonly loop: Promise<void>;

  private constructor(
    private readonly bus: Bus,
    private readonly feed: Feed,
  ) {
    this.loop = this.run();
  }

  /** Starts watching LIBRARY for answers (new ones only). Call before publishing anything. */
  static async start(bus: Bus): Promise<EnrollmentWatcher> {
    return new EnrollmentWatcher(bus, await bus.follow({ stream: "LIBRARY", filter: "library.>", from: "new" }));
  }

  private async run(): Promise<void> {
    for await (const d of this.feed) {
      const env = d.env;
      if (env === null || env.causationId === null) continue;
      const p = this.pending.get(env.causationId);
      if (p !== undefined) this.apply(p, env);
    }
  }

  private apply(p: Pending, env: AnyEnvelope): void {
    const open = () => p.photos.filter((ph) => !p.outcomes.has(ph.sha256));
    switch (env.type) {
      case "PersonEnrolled":
        p.result.enrolled = true;
        break;
      case "FaceTemplateAdded": {
        const origin = env.data.origin;
        if (origin.kind !== "enrollment") break;
        const photo = open().find((ph) => ph.sha256 === origin.photo.sha256 || ph.key === origin.photo.key);
        if (photo !== undefined) {
          p.outcomes.set(photo.sha256, {
            photo,
            outcome: "added",
            templateId: env.data.templateId,
            face: origin.face ?? null,
          });
        }
        break;
      }
      case "EnrollmentRejected": {
        const reason = { code: env.data.reason, message: env.data.message };
        const sha = shaNamedIn(env.data.message);
        const named = open().find((ph) => ph.sha256 === sha || env.data.message.includes(ph.key));
        if (named !== undefined) {
          p.outcomes.set(named.sha256, { photo: named, outcome: "rejected", reason });
        } else if (env.data.reason === "invalid-request" || env.data.reason === "unknown-person") {
          // the whole request was refused
          for (const ph of open()) p.outcomes.set(ph.sha256, { photo: ph, outcome: "rejected", reason });
        } else {
          // a rejection that names no photo we know: it is about one of those still open, in order
          const first = open()[0];
          if (first !== undefined) p.outcomes.set(first.sha256, { photo: first, outcome: "rejected", reason });
        }
        break;
      }
      default:
        return;
    }
    if (open().length === 0) {
      p.result.photos = p.photos.map((ph) => p.outcomes.get(ph.sha256) as PhotoResult);
      p.done(p.result);
    }
  }

  /**
   * Publishes one EnrollPerson and waits for every photo's outcome. On timeout the command is withdrawn from the
   * COMMANDS queue when no recognizer has taken it yet (so it does not run later, unseen), and an
   * EnrollmentTimeoutError says whether any recognizer is pulling requests at all.
   */
  async enroll(request: EnrollRequest, options: EnrollOptions = {}): Promise<EnrollmentResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const requestId = request.requestId ?? randomUUID();
    const env = this.bus.envelope("EnrollPerson", { ...request, requestId });
    const photos = dedupePhotos(env.data.photos);
    let resolveDone!: (r: EnrollmentResult) => void;
    const finished = new Promise<EnrollmentResult>((r) => {
      resolveDone = r;
    });
    const p: Pending = {
      photos,
      result: { requestId, commandId: env.id, personId: env.data.personId, enrolled: false, photos: [] },
      outcomes: new Map(),
      done: resolveDone,
    };
    this.pending.set(env.id, p);
    let timer: NodeJS.Timeout | undefined;
    try {
      const ack = await this.bus.publish(env);
      const timedOut = new Promise<"timeout">((r) => {
        timer = setTimeout(() => r("timeout"), timeoutMs);
      });
      const first = await Promise.race([finished, timedOut]);
      if (first !== "timeout") return first;
      const withdrawn = await this.bus.jsm.streams.deleteMessage("COMMANDS", ack.seq, false).catch(() => false);
      const pulling = await this.recognizersPulling();
      const partial: EnrollmentResult = { ...p.result, photos: [...p.outcomes.values()] };
      throw new EnrollmentTimeoutError(
        `no answer to the enrollment of ${request.name} within ${timeoutMs / 1000} s: is the recognizer running?` +
          (pulling === 0 ? " (no recognizer is pulling enrollment requests now)" : "") +
          (withdrawn ? " The request was withdrawn." : " The request may still be handled later."),
        partial,
      );
    } finally {
      clearTimeout(timer);
      this.pending.delete(env.id);
    }
  }

  /** Pull requests waiting on the recognizers' enrollment consumer (0: no recognizer is listening); null if unknown. */
  async recognizersPulling(): Promise<number | null> {
    try {
      return (await this.bus.jsm.consumers.info("COMMANDS", "enrollment")).num_waiting;
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    await this.feed.close();
    await this.loop.catch(() => undefined);
  }
}

function dedupePhotos(photos: BlobRef[]): BlobRef[] {
  const seen = new Set<string>();
  return photos.filter((p) => !seen.has(p.sha256) && seen.add(p.sha256) !== undefined);
}

const SHA256 = /\b[0-9a-f]{64}\b/g;

/** The sha256 a rejection message names, when it names exactly one. */
export function shaNamedIn(message: string): string | null {
  const shas = new Set(message.match(SHA256) ?? []);
  return shas.size === 1 ? ([...shas][0] as string) : null;
}
