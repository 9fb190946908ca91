import type { ConsumerMessages, JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { AnyEnvelopeSchema } from "@persona/contracts";
import {
  LIBRARY_EVENT_TYPES,
  type LibraryEvent,
  type LibraryState,
  decodeEmbedding,
  emptyLibrary,
  evolve,
} from "@persona/library";
import type { Logger } from "@persona/runtime";
import { Gallery } from "@persona/vision";

const LIBRARY_TYPES = new Set<string>(LIBRARY_EVENT_TYPES);

/**
 * The recognizer's in-memory gallery: built by replaying the LIBRARY stream from its start with an ordered
 * consumer and kept current from it. No database on the hot path. Only templates made by `model` are searched.
 */
export class LibraryGallery {
  readonly library: LibraryState = emptyLibrary();
  readonly gallery: Gallery;
  private messages: ConsumerMessages | undefined;
  private caughtUpAt = 0;
  private targetSeq = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly seqWaiters: { seq: number; resolve: () => void }[] = [];
  private skippedOtherModel = 0;

  constructor(
    private readonly model: string,
    dims: number,
    private readonly log: Logger,
  ) {
    this.gallery = new Gallery({ dims });
  }

  get ready(): boolean {
    return this.library.seq >= this.targetSeq && this.caughtUpAt > 0;
  }

  get stats() {
    return {
      people: this.library.people.size,
      templates: this.gallery.size,
      seq: this.library.seq,
      skippedOtherModel: this.skippedOtherModel,
    };
  }

  /** Starts following; resolves once everything published before the call has been applied. */
  async start(js: JetStreamClient, jsm: JetStreamManager): Promise<void> {
    const info = await jsm.streams.info("LIBRARY");
    this.targetSeq = info.state.messages > 0 ? info.state.last_seq : 0;
    const consumer = await js.consumers.get("LIBRARY");
    this.messages = await consumer.consume();
    const caughtUp = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.checkCaughtUp();
    void (async () => {
      for await (const m of this.messages as ConsumerMessages) {
        try {
          const parsed = AnyEnvelopeSchema.safeParse(m.json());
          if (parsed.success && LIBRARY_TYPES.has(parsed.data.type)) this.apply(parsed.data as LibraryEvent, m.seq);
          else {
            this.library.seq = Math.max(this.library.seq, m.seq);
            this.log.warn({ seq: m.seq, subject: m.subject }, "ignoring a LIBRARY message that is not a library event");
          }
        } catch (err) {
          this.library.seq = Math.max(this.library.seq, m.seq);
          this.log.error({ err, seq: m.seq }, "cannot apply LIBRARY message; skipped");
        }
        this.checkCaughtUp();
      }
    })();
    await caughtUp;
    this.log.info(this.stats, "gallery replayed from the library stream");
  }

  private checkCaughtUp(): void {
    for (let i = this.seqWaiters.length - 1; i >= 0; i--) {
      const w = this.seqWaiters[i];
      if (w && this.library.seq >= w.seq) {
        this.seqWaiters.splice(i, 1);
        w.resolve();
      }
    }
    if (this.library.seq >= this.targetSeq) {
      if (this.caughtUpAt === 0) this.caughtUpAt = Date.now();
      for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Applies one library event to the library state and the searchable gallery. */
  apply(event: LibraryEvent, seq?: number): void {
    const change = evolve(this.library, event, seq);
    switch (change.kind) {
      case "template-added": {
        const t = this.library.people.get(change.personId)?.templates.get(change.templateId);
        if (!t) return;
        if (t.model !== this.model) {
          this.skippedOtherModel++;
          return;
        }
        this.gallery.add(change.personId, decodeEmbedding(t.embeddingBase64, t.dims), change.templateId);
        return;
      }
      case "template-removed":
        this.gallery.removeTemplate(change.templateId);
        return;
      case "person-removed":
        this.gallery.removePerson(change.personId);
        return;
      case "person-upserted":
      case "none":
        return;
      default: {
        const never: never = change;
        throw new Error(`unhandled change ${JSON.stringify(never)}`);
      }
    }
  }

  /** Resolves when the gallery has applied at least `seq` (used after publishing library events). */
  async waitForSeq(seq: number, timeoutMs = 10_000): Promise<void> {
    if (this.library.seq >= seq) return;
    let timer: NodeJS.Timeout | undefined;
    const reached = new Promise<void>((resolve) => this.seqWaiters.push({ seq, resolve }));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`gallery did not reach library seq ${seq} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([reached, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  nameOf(personId: string): string {
    return this.library.people.get(personId)?.name ?? personId;
  }

  async stop(): Promise<void> {
    await this.messages?.close();
  }
}
