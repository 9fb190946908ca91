import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { type LibraryChange, LibraryFollower, type LibraryState, decodeEmbedding } from "@persona/library";
import type { Logger } from "@persona/runtime";
import { Gallery } from "@persona/vision";

/**
 * The recognizer's in-memory gallery: the library followed from the LIBRARY stream, its templates made by `model`
 * kept searchable. No database on the hot path.
 */
export class LibraryGallery {
  readonly gallery: Gallery;
  private readonly follower: LibraryFollower;
  private skippedOtherModel = 0;

  constructor(
    private readonly model: string,
    dims: number,
    private readonly log: Logger,
  ) {
    this.gallery = new Gallery({ dims });
    this.follower = new LibraryFollower(log, (change, state) => this.apply(change, state));
  }

  get library(): LibraryState {
    return this.follower.state;
  }

  get ready(): boolean {
    return this.follower.ready;
  }

  get stats() {
    return {
      people: this.library.people.size,
      templates: this.gallery.size,
      seq: this.library.seq,
      skippedOtherModel: this.skippedOtherModel,
    };
  }

  /** People with templates, none of them made by this recognizer's model: they cannot be recognised here. */
  peopleOnlyOtherModels(): { personId: string; name: string; models: string[] }[] {
    const out: { personId: string; name: string; models: string[] }[] = [];
    for (const p of this.library.people.values()) {
      const models = new Set([...p.templates.values()].map((t) => t.model));
      if (models.size > 0 && !models.has(this.model))
        out.push({ personId: p.personId, name: p.name, models: [...models].sort() });
    }
    return out;
  }

  async start(js: JetStreamClient, jsm: JetStreamManager): Promise<void> {
    await this.follower.start(js, jsm);
    this.log.info(this.stats, "gallery replayed from the library stream");
    const stranded = this.peopleOnlyOtherModels();
    if (stranded.length > 0) {
      this.log.warn(
        { model: this.model, people: stranded.length, examples: stranded.slice(0, 5) },
        `${stranded.length} enrolled people have templates of other models only and cannot be recognised by this ` +
          `recognizer (model ${this.model}): run \`persona people reembed --model ${this.model}\` to re-enroll their photos`,
      );
    }
  }

  private apply(change: LibraryChange, state: LibraryState): void {
    switch (change.kind) {
      case "template-added": {
        const t = state.people.get(change.personId)?.templates.get(change.templateId);
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

  waitForSeq(seq: number, timeoutMs?: number): Promise<void> {
    return this.follower.waitForSeq(seq, timeoutMs);
  }

  nameOf(personId: string): string {
    return this.library.people.get(personId)?.name ?? personId;
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }
}
