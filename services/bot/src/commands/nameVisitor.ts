import { type LibraryState, type VisitorState, personIdForVisitor } from "@persona/library";
import type { HandlerDeps } from "../deps.ts";
import type { TextAnswer } from "../handlers/types.ts";
import type { Question } from "../pending.ts";
import { lookupPerson, noneText, personLine, severalText } from "../people.ts";
import { type NamingTarget, decidedText, goneText, namingProgress, parseNaming, shortId } from "../visitors.ts";
import type { CommandHandler } from "./types.ts";
import { visitorOfArgs } from "./visitors.ts";

const USAGE =
  "Usage: /name_visitor <id> <name> (a new person) or /name_visitor <id> =<name or id> (add the faces to someone in the library). /visitors shows the ids.";

/** /name_visitor <id> <name> (a new person) or /name_visitor <id> =<name or id> (more faces of someone). */
export const nameVisitorCommand: CommandHandler = async ({ chatId, actor, args }, d) => {
  const found = await visitorOfArgs(chatId, args, USAGE, d);
  if (!found) return;
  if (!found.rest) return d.say(chatId, USAGE);
  return nameVisitor(chatId, actor, found.visitor, found.rest, d);
};

/** The message after the Name button of a visitor: the name. */
export async function answerVisitorName(
  q: Extract<Question, { kind: "visitor-name" }>,
  { chatId, text, actor }: TextAnswer,
  d: HandlerDeps,
): Promise<void> {
  const v = d.visitors.state.visitors.get(q.visitorId);
  if (!v) return d.say(chatId, goneText(d.visitors.state, q.visitorId));
  return nameVisitor(chatId, actor, v, text, d);
}

interface Naming {
  personId: string;
  name: string;
  existing: boolean;
}

/** Publishes VisitorNamed (a new person or more faces of an existing one), then waits for the trainer's answer. */
async function nameVisitor(chatId: number, actor: string, v: VisitorState, text: string, d: HandlerDeps): Promise<void> {
  const id = shortId(v.visitorId);
  const refused = decidedText(v, "name", d.options.timeZone);
  if (refused) return d.say(chatId, refused);
  const target = parseNaming(text);
  if (!target.ok) return d.say(chatId, `${target.error} Send /name_visitor ${id} <name>, or /name_visitor ${id} =<name or id>.`);
  const naming = namingPerson(v, target, d.library.state);
  if (typeof naming === "string") return d.say(chatId, naming);
  const { personId, name, existing } = naming;
  const wasIgnored = v.decision?.kind === "ignored" ? ` (it had been ignored by ${v.decision.by})` : "";
  const ack = await d.bus.publish(
    d.bus.envelope("VisitorNamed", { visitorId: v.visitorId, personId, existing, name, by: actor }),
  );
  await d.visitors.waitForSeq(ack.seq).catch(() => undefined);
  d.log.info({ chatId, visitorId: v.visitorId, personId, existing }, "visitor named from Telegram");
  const bestIds = v.bestCrops.map((b) => b.detectionId);
  const faces = bestIds.length > 0 ? `its ${bestIds.length} best face${bestIds.length === 1 ? "" : "s"}` : "its faces";
  await d.say(
    chatId,
    existing
      ? `📝 Visitor ${id}${wasIgnored}: adding ${faces} to ${name} (id ${personId}). Waiting for the trainer…`
      : `📝 Visitor ${id}${wasIgnored}: enrolling ${faces} as a new person, ${name} (id ${personId}). Waiting for the trainer…`,
  );
  d.background(chatId, () => reportNaming(chatId, actor, id, naming, bestIds, d));
}

/**
 * Who the visitor's faces go to: someone in the library (found as /find does), or a new person with the id derived
 * from the visitor's (so naming it twice cannot make two people) whose name nobody has yet. A string: why not.
 */
function namingPerson(v: VisitorState, target: Extract<NamingTarget, { ok: true }>, library: LibraryState): Naming | string {
  const id = shortId(v.visitorId);
  if (target.kind === "existing") {
    const found = lookupPerson(library, target.query);
    if (found.kind === "several")
      return `${severalText(target.query, found.people)}\nSend /name_visitor ${id} =<id> with one of these ids.`;
    if (found.kind === "none") return noneText(target.query, found.near);
    return { personId: found.person.personId, name: found.person.name, existing: true };
  }
  const same = lookupPerson(library, target.name);
  if (same.kind !== "none") {
    const people = same.kind === "one" ? [same.person] : same.people;
    return `${people.length === 1 ? "Someone is" : `${people.length} people are`} already named "${target.name}":\n${people.map(personLine).join("\n")}\nTo add the visitor's faces to them: /name_visitor ${id} =${people[0]?.personId}. For another person, use a name that tells them apart.`;
  }
  return { personId: personIdForVisitor(v.visitorId), name: target.name, existing: false };
}

/** Waits (visitorTimeoutMs) for the trainer's templates of the visitor's best faces, then says how far it got. */
async function reportNaming(chatId: number, actor: string, id: string, n: Naming, bestIds: string[], d: HandlerDeps) {
  const { personId, name, existing } = n;
  const timeoutMs = d.options.visitorTimeoutMs ?? 30_000;
  const progress = () => namingProgress(d.library.state, personId, actor, bestIds);
  const reached = await d.libraryWaits.until(() => progress().done, timeoutMs);
  if (reached === null) return; // the bot is stopping
  const p = progress();
  const secs = Math.round(timeoutMs / 1000);
  if (p.done) {
    const k = p.added;
    return d.say(
      chatId,
      existing
        ? `✅ ${k} template${k === 1 ? "" : "s"} from visitor ${id} added to ${p.person?.name ?? name} (id ${personId}), who now has ${p.person?.templates.size ?? k}.`
        : `✅ ${p.person?.name ?? name} is in the library (id ${personId}) with ${k} template${k === 1 ? "" : "s"} from visitor ${id}'s faces.`,
    );
  }
  if (p.added > 0)
    return d.say(
      chatId,
      `⚠️ After ${secs} s, ${p.added} of visitor ${id}'s ${p.expected} faces are templates of ${p.person?.name ?? name} (id ${personId}); the trainer may still be working on the rest.`,
    );
  return d.say(
    chatId,
    `⌛ The trainer has not enrolled visitor ${id} as ${name} within ${secs} s — is the trainer running? The naming is recorded; the trainer acts on it when it runs.`,
  );
}
