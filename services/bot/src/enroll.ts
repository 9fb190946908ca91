import { randomBytes } from "node:crypto";
import type { Bus } from "@persona/bus";
import type { BlobRef } from "@persona/contracts";
import { EnrollmentTimeoutError, type EnrollmentWatcher, type LibraryState, type PhotoResult } from "@persona/library";
import type { Logger } from "@persona/runtime";
import type { Telegram } from "telegraf";
import { MediaError, downloadCapped, imageBytes, storePhoto } from "./media.ts";
import { type CaptionResult, type MediaMessage, chooseFile, parseCaption } from "./parse.ts";
import { lookupPerson, severalText } from "./people.ts";

/**
 * Enrollment from a chat: a photo (or an album of photos, or an alert's face) with a name. Files are checked before
 * any download (type, size), downloaded with a cap, stored in the `photos` bucket and sent to the recognizer with
 * EnrollPerson through the shared EnrollmentWatcher; the chat gets one answer per photo: the face the recognizer
 * found (its aligned crop) or the reason it refused the photo.
 */

export interface EnrollerOptions {
  maxPhotoBytes: number;
  enrollTimeoutMs: number;
  downloadTimeoutMs: number;
}

export interface Candidate {
  label: string;
  bytes: Buffer;
}

export type PhotoOutcome =
  | { label: string; outcome: "added"; templateId: string; crop: Buffer | null; quality: number | null }
  | { label: string; outcome: "refused"; code: string; message: string };

export interface EnrollSummary {
  personId: string | null;
  name: string;
  created: boolean;
  photos: PhotoOutcome[];
}

const REASONS: Record<string, string> = {
  "no-face": "no face was found in the photo",
  "several-faces": "the photo shows several faces; send a photo of one person",
  "low-quality": "the face is too small, blurred or turned away",
  duplicate: "this photo is already enrolled for this person",
  "duplicate-of": "this face is already someone else's in the library",
  "bad-image": "the image cannot be read",
  "invalid-request": "the request was invalid",
  "unknown-person": "this person is no longer in the library",
  "not-an-image": "it is not an image",
  "too-large": "the file is too large",
  "download-failed": "the file could not be downloaded from Telegram",
  "same-photo": "the same photo was sent twice",
  timeout: "the recognizer did not answer",
};

export function reasonText(code: string, message: string): string {
  const base = REASONS[code] ?? code;
  // the recognizer's message starts with the object key; keep only what it says about the face
  const detail = message.replace(/^[^\s:]+\/[0-9a-f]{64}\.\w+:\s*/, "");
  if (code === "duplicate-of") {
    // "duplicate-of p-… (Name): …": say whose it is
    const who = /^duplicate-of (\S+) \(([^)]*)\)/.exec(detail);
    return who ? `${base}: ${who[2]} (${who[1]})` : base;
  }
  return code === "low-quality" && detail ? `${base} (${detail})` : base;
}

export function newPersonId(): string {
  return `p-${randomBytes(10).toString("hex")}`;
}

export class Enroller {
  /** Photos refused as another person's, kept a while so the chat can insist ("Enroll anyway"). */
  readonly #duplicates = new Map<
    string,
    { chatId: number; caption: Extract<CaptionResult, { ok: true }>; candidates: Candidate[]; until: number }
  >();

  constructor(
    private readonly bus: Bus,
    private readonly watcher: EnrollmentWatcher,
    private readonly library: () => LibraryState,
    private readonly telegram: Telegram,
    private readonly log: Logger,
    private readonly options: EnrollerOptions,
  ) {}

  /** A photo message or an album: the caption (on any of them) names the person. Answers in the chat. */
  async fromMessages(chatId: number, messages: (MediaMessage & { caption?: string })[]): Promise<EnrollSummary | null> {
    const caption = parseCaption(messages.find((m) => m.caption !== undefined && m.caption.trim() !== "")?.caption);
    if (!caption.ok) {
      await this.say(chatId, caption.error);
      return null;
    }
    const refused: PhotoOutcome[] = [];
    const candidates: Candidate[] = [];
    for (const [i, m] of messages.entries()) {
      const label = messages.length > 1 ? `photo ${i + 1}` : "the photo";
      const choice = chooseFile(m, this.options.maxPhotoBytes);
      if (!choice.ok) {
        refused.push({ label, outcome: "refused", code: choice.reason, message: choice.message });
        continue;
      }
      try {
        const link = await this.telegram.getFileLink(choice.fileId);
        candidates.push({ label, bytes: await downloadCapped(link, this.options.maxPhotoBytes, this.options.downloadTimeoutMs) });
      } catch (err) {
        const code = err instanceof MediaError ? err.reason : "download-failed";
        const message = err instanceof MediaError ? err.message : "Telegram did not give the file";
        if (!(err instanceof MediaError))
          this.log.warn({ chatId, err: (err as Error).message.replace(/bot\d+:[^/\s]+/g, "bot[redacted]") }, "getFile failed");
        refused.push({ label, outcome: "refused", code, message });
      }
    }
    return this.enroll(chatId, caption, candidates, refused);
  }

  /** Enrolls the face of an alert as a new person (or more photos of the person of that name). */
  async fromImage(chatId: number, caption: CaptionResult, label: string, bytes: Buffer): Promise<EnrollSummary | null> {
    if (!caption.ok) {
      await this.say(chatId, caption.error);
      return null;
    }
    return this.enroll(chatId, caption, [{ label, bytes }], []);
  }

  /**
   * The chat pressed "Enroll anyway" under photos refused as another person's: enrolls them with allowDuplicate.
   * Only the chat that sent them, within DUPLICATE_TTL_MS; false when the offer is gone.
   */
  async insist(chatId: number, token: string, now = Date.now()): Promise<boolean> {
    const d = this.#duplicates.get(token);
    if (!d || d.chatId !== chatId || d.until < now) return false;
    this.#duplicates.delete(token);
    await this.enroll(chatId, d.caption, d.candidates, [], true);
    return true;
  }

  private async enroll(
    chatId: number,
    caption: Extract<CaptionResult, { ok: true }>,
    candidates: Candidate[],
    refused: PhotoOutcome[],
    allowDuplicate = false,
  ): Promise<EnrollSummary | null> {
    const found = lookupPerson(this.library(), caption.name);
    if (found.kind === "several") {
      await this.say(
        chatId,
        `${severalText(caption.name, found.people)}\nPut the id as the caption to add photos to one of them.`,
      );
      return null;
    }
    const person = found.kind === "one" ? found.person : null;
    const personId = person?.personId ?? newPersonId();
    const name = person?.name ?? caption.name;
    const outcomes: PhotoOutcome[] = [...refused];
    const refs: { label: string; ref: BlobRef }[] = [];
    for (const c of candidates) {
      try {
        const ref = await storePhoto(this.bus, personId, c.bytes, c.label);
        if (refs.some((r) => r.ref.sha256 === ref.sha256)) {
          outcomes.push({ label: c.label, outcome: "refused", code: "same-photo", message: "the same photo was sent twice" });
        } else refs.push({ label: c.label, ref });
      } catch (err) {
        if (!(err instanceof MediaError)) throw err;
        outcomes.push({ label: c.label, outcome: "refused", code: err.reason, message: err.message });
      }
    }
    let created = false;
    if (refs.length > 0) {
      try {
        const result = await this.watcher.enroll(
          {
            personId,
            existing: person !== null,
            name,
            description: person ? person.description : caption.description,
            photos: refs.map((r) => r.ref),
            sound: person?.sound ?? null,
            source: "bot",
            importKey: person?.importKey ?? null,
            requestedBy: `telegram:${chatId}`,
            ...(allowDuplicate ? { allowDuplicate: true } : {}),
          },
          { timeoutMs: this.options.enrollTimeoutMs },
        );
        created = result.enrolled;
        outcomes.push(...(await this.describe(personId, refs, result.photos)));
      } catch (err) {
        if (!(err instanceof EnrollmentTimeoutError)) throw err;
        outcomes.push(...(await this.describe(personId, refs, err.partial.photos)));
        for (const r of refs) {
          if (!outcomes.some((o) => o.label === r.label))
            outcomes.push({ label: r.label, outcome: "refused", code: "timeout", message: err.message });
        }
      }
    }
    const summary: EnrollSummary = { personId: created || person ? personId : null, name, created, photos: outcomes };
    await this.report(chatId, summary, person !== null);
    const duplicates = candidates.filter((c) =>
      outcomes.some((o) => o.label === c.label && o.outcome === "refused" && o.code === "duplicate-of"),
    );
    if (duplicates.length > 0) await this.offerInsist(chatId, caption, duplicates);
    return summary;
  }

  private async describe(
    personId: string,
    refs: { label: string; ref: BlobRef }[],
    results: PhotoResult[],
  ): Promise<PhotoOutcome[]> {
    const added = results.filter((r) => r.outcome === "added").map((r) => r.templateId);
    const crops = added.length > 0 ? await this.templateCrops(personId, new Set(added)) : new Map();
    const out: PhotoOutcome[] = [];
    for (const r of results) {
      const label = refs.find((x) => x.ref.sha256 === r.photo.sha256)?.label ?? r.photo.key;
      if (r.outcome === "added") {
        const c = crops.get(r.templateId);
        out.push({ label, outcome: "added", templateId: r.templateId, crop: c?.crop ?? null, quality: c?.quality ?? null });
      } else out.push({ label, outcome: "refused", code: r.reason.code, message: r.reason.message });
    }
    return out;
  }

  /** The aligned face crops the recognizer put on its FaceTemplateAdded answers, by template id. */
  private async templateCrops(
    personId: string,
    templateIds: Set<string>,
  ): Promise<Map<string, { crop: Buffer | null; quality: number }>> {
    const out = new Map<string, { crop: Buffer | null; quality: number }>();
    const subject = `library.${personId}.template-added`;
    // the crops only illustrate the answer: whatever could be read within 10 s is shown
    await this.bus
      .replay({ stream: "LIBRARY", filter: subject, timeoutMs: 10_000 }, async (d) => {
        if (d.env?.type !== "FaceTemplateAdded" || !templateIds.has(d.env.data.templateId)) return;
        const t = d.env.data;
        const crop = t.crop ? await imageBytes(this.bus, t.crop).catch(() => null) : null;
        out.set(t.templateId, { crop, quality: t.quality.score });
      })
      .catch((err: unknown) => this.log.warn({ err }, "cannot read the template crops; answering without them"));
    return out;
  }

  private async report(chatId: number, s: EnrollSummary, existing: boolean): Promise<void> {
    for (const p of s.photos) {
      if (p.outcome === "added") {
        const q = p.quality === null ? "" : `, quality ${p.quality.toFixed(2)}`;
        const text = `✅ ${cap(p.label)}: added to ${s.name}. This is the face I found${q}.`;
        if (p.crop) {
          await this.telegram.sendPhoto(chatId, { source: p.crop, filename: "face.jpg" }, { caption: text });
        } else await this.say(chatId, `✅ ${cap(p.label)}: added to ${s.name}${q}.`);
      } else {
        await this.say(chatId, `❌ ${cap(p.label)}: not added: ${reasonText(p.code, p.message)}.`);
      }
    }
    const added = s.photos.filter((p) => p.outcome === "added").length;
    const total = s.photos.length;
    const what =
      added === 0
        ? `${s.name} was not ${existing ? "changed" : "enrolled"}: no photo was accepted.`
        : s.created
          ? `${s.name} is enrolled (id ${s.personId}) with ${added} of ${total} photo${total === 1 ? "" : "s"}.`
          : `${added} of ${total} photo${total === 1 ? "" : "s"} added to ${s.name} (id ${s.personId}).`;
    await this.say(chatId, what);
  }

  private async offerInsist(
    chatId: number,
    caption: Extract<CaptionResult, { ok: true }>,
    candidates: Candidate[],
    now = Date.now(),
  ): Promise<void> {
    for (const [k, v] of this.#duplicates) if (v.until < now) this.#duplicates.delete(k);
    const token = randomBytes(8).toString("hex");
    this.#duplicates.set(token, { chatId, caption, candidates, until: now + DUPLICATE_TTL_MS });
    const n = candidates.length;
    await this.telegram.sendMessage(
      chatId,
      `${n === 1 ? "That photo is" : `${n} photos are`} someone else's in the library. Enroll ${n === 1 ? "it" : "them"} as ${caption.name} anyway only if this really is another person (a twin, say).`,
      { reply_markup: { inline_keyboard: [[{ text: "Enroll anyway", callback_data: `${DUPLICATE_CALLBACK_PREFIX}${token}` }]] } },
    );
  }

  private async say(chatId: number, text: string): Promise<void> {
    await this.telegram.sendMessage(chatId, text);
  }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** How long an "Enroll anyway" button works. */
const DUPLICATE_TTL_MS = 15 * 60_000;
/** Callback data of the button: the prefix and 16 hex digits. */
export const DUPLICATE_CALLBACK_PREFIX = "dup:";
export const DUPLICATE_CALLBACK = /^dup:([0-9a-f]{16})$/;
