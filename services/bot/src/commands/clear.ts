import { AnyEnvelopeSchema } from "@persona/contracts";
import type { HandlerDeps } from "../deps.ts";
import type { TextAnswer } from "../handlers/types.ts";
import { safeJson } from "../util.ts";
import type { CommandHandler } from "./types.ts";

/** What /clear asks for; anything else cancels. */
export const ERASE_PHRASE = "ERASE EVERYTHING";

/** /clear: asks for the phrase in the next message. */
export const clear: CommandHandler = async ({ chatId }, d) => {
  d.pending.ask(chatId, { kind: "erase-phrase" }, d.now());
  return d.say(
    chatId,
    `This erases all ${d.library.state.people.size} people with their photos, templates, crops and sightings. It cannot be undone.\nTo go on, send exactly: ${ERASE_PHRASE}\nAnything else cancels.`,
  );
};

/** The message after /clear: the phrase erases everyone (in the background), anything else cancels. */
export async function answerErasePhrase({ chatId, text }: TextAnswer, d: HandlerDeps): Promise<void> {
  if (text.trim() !== ERASE_PHRASE) return d.say(chatId, "Not erased: the phrase did not match.");
  d.background(chatId, () => eraseEverything(chatId, d));
}

/**
 * RemovePerson { erase: true } for everyone, then waits up to eraseTimeoutMs for the cleaner's audit records
 * (PersonErased, caused by each request) and reports how many it confirmed.
 */
async function eraseEverything(chatId: number, d: HandlerDeps): Promise<void> {
  const { bus } = d;
  const people = [...d.library.state.people.values()];
  if (people.length === 0) return d.say(chatId, "The library is already empty.");
  // listen before asking
  const audits = bus.nc.subscribe("system.erasure.*");
  const asked = new Map<string, string>();
  const confirmed = new Set<string>();
  const timer = setTimeout(() => audits.unsubscribe(), d.options.eraseTimeoutMs);
  const listening = (async () => {
    for await (const m of audits) {
      const parsed = AnyEnvelopeSchema.safeParse(safeJson(m.data));
      if (parsed.success && parsed.data.type === "PersonErased" && parsed.data.causationId !== null) {
        if (asked.has(parsed.data.causationId)) confirmed.add(parsed.data.causationId);
        if (confirmed.size === people.length) break;
      }
    }
  })();
  try {
    for (const p of people) {
      const command = bus.envelope("RemovePerson", {
        personId: p.personId,
        reason: "erase everything, requested in Telegram",
        requestedBy: `telegram:${chatId}`,
        erase: true,
      });
      asked.set(command.id, p.name);
      await bus.publish(command);
    }
    d.log.warn({ chatId, people: people.length }, "erasure of everyone requested from Telegram");
    await d.say(chatId, `Erasure requested for ${people.length} people; waiting for the cleaner to confirm…`);
    await listening;
  } finally {
    clearTimeout(timer);
    audits.unsubscribe();
  }
  const missing = [...asked].filter(([id]) => !confirmed.has(id)).map(([, name]) => name);
  await d.say(
    chatId,
    missing.length === 0
      ? `🗑 Erased ${people.length} people with their photos, templates, crops, sightings and alerts (the cleaner confirmed each).`
      : `Erased ${confirmed.size} of ${people.length} people. Not confirmed within ${Math.round(d.options.eraseTimeoutMs / 1000)} s: ${missing.join(", ")} — is the cleaner running? The requests stay queued.`,
  );
}
