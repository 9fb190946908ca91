import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { Gallery } from "@persona/vision";
import {
  type FollowerLog,
  type LibraryChange,
  LibraryFollower,
  type LibraryState,
  type TemplateState,
  decodeEmbedding,
} from "@persona/library";

/** Logs of the gallery (a pino Logger fits). */
export interface GalleryLog extends FollowerLog {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

/** A probe's best person and its lead over the best other person (the shape @persona/recognition's votes take). */
export interface GalleryMatch {
  personId: string;
  name: string;
  similarity: number;
  /** similarity - the best other person's (similarity + 1 when nobody else is enrolled). */
  margin: number;
}

/** What a gallery does with the library's changes to the templates made by one model. */
export interface TemplateSink {
  add(personId: string, templateId: string, embedding: Float32Array, template: TemplateState): void;
  removeTemplate(templateId: string): void;
  removePerson(personId: string): void;
  /** A template made by another model was added: not kept. */
  skipped?(template: TemplateState): void;
}

/**
 * A LibraryFollower's change handler keeping `sink` to the templates made by `model`: templates added (decoded) and
 * removed, people removed; the other changes (a person's name, ...) leave a gallery as it is.
 */
export function templatesOf(model: string, sink: TemplateSink): (change: LibraryChange, state: LibraryState) => void {
  return (change, state) => {
    switch (change.kind) {
      case "template-added": {
        const t = state.people.get(change.personId)?.templates.get(change.templateId);
        if (!t) return;
        if (t.model !== model) return sink.skipped?.(t);
        return sink.add(change.personId, change.templateId, decodeEmbedding(t.embeddingBase64, t.dims), t);
      }
      case "template-removed":
        return sink.removeTemplate(change.templateId);
      case "person-removed":
        return sink.removePerson(change.personId);
      case "person-upserted":
      case "none":
        return;
      default: {
        const never: never = change;
        throw new Error(`unhandled change ${JSON.stringify(never)}`);
      }
    }
  };
}

/**
 * The recognizers' in-memory gallery: the library followed from the LIBRARY stream, its templates made by `model`
 * kept searchable. No database on the hot path. A subpath export (`@persona/recognition/gallery`) because it follows
 * NATS (@persona/library) where the policies are pure: the recognizer holds one, and the portal's search by photo one
 * once asked.
 */
export class LibraryGallery {
  readonly gallery: Gallery;
  private readonly follower: LibraryFollower;
  private skippedOtherModel = 0;

  constructor(
    private readonly model: string,
    dims: number,
    private readonly log: GalleryLog,
  ) {
    this.gallery = new Gallery({ dims });
    this.follower = new LibraryFollower(
      log,
      templatesOf(model, {
        add: (personId, templateId, embedding) => this.gallery.add(personId, embedding, templateId),
        removeTemplate: (templateId) => this.gallery.removeTemplate(templateId),
        removePerson: (personId) => this.gallery.removePerson(personId),
        skipped: () => {
          this.skippedOtherModel++;
        },
      }),
    );
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

  waitForSeq(seq: number, timeoutMs?: number): Promise<void> {
    return this.follower.waitForSeq(seq, timeoutMs);
  }

  /** The best person for a probe (a shot, a track's fused embedding, a searched photo's face), whatever the thresholds. */
  bestMatch(probe: Float32Array): GalleryMatch | null {
    const f = this.gallery.decide(probe, { threshold: -2, minMargin: 0 });
    const b = f.kind === "known" ? f : f.best ? { ...f.best, margin: f.margin ?? 0 } : null;
    return b ? { personId: b.personId, name: this.nameOf(b.personId), similarity: b.similarity, margin: b.margin } : null;
  }

  nameOf(personId: string): string {
    return this.library.people.get(personId)?.name ?? personId;
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }
}
