import { type VisitorState, openVisitors } from "@persona/library";
import type { HandlerDeps } from "../deps.ts";
import { imageBytes } from "../media.ts";
import {
  VISITORS_WITH_PHOTO,
  findVisitor,
  lookupProblemText,
  olderVisitorsText,
  splitVisitorArgs,
  visitorCaption,
  visitorKeyboard,
  visitorsHeader,
} from "../visitors.ts";
import type { CommandHandler } from "./types.ts";

/** /visitors: the open visitors, most recent first (in the background: it reads the faces from the Object Store). */
export const visitors: CommandHandler = async ({ chatId }, d) => {
  d.background(chatId, () => sendVisitors(chatId, d));
};

/** The header, the most recent open visitors each as its best face with the Name / Ignore buttons, the rest as text. */
async function sendVisitors(chatId: number, d: HandlerDeps): Promise<void> {
  const { timeZone } = d.options;
  const state = d.visitors.state;
  const open = openVisitors(state);
  await d.say(chatId, visitorsHeader(state, open));
  for (const v of open.slice(0, VISITORS_WITH_PHOTO)) {
    const caption = visitorCaption(v, timeZone);
    const reply_markup = visitorKeyboard(v);
    const best = v.bestCrops[0];
    const photo = best
      ? await imageBytes(d.bus, best.crop).catch((err: Error) => {
          d.log.warn({ visitorId: v.visitorId, err: err.message }, "visitor crop unavailable; sending the text");
          return null;
        })
      : null;
    if (photo) await d.telegram.sendPhoto(chatId, { source: photo, filename: "visitor.jpg" }, { caption, reply_markup });
    else await d.say(chatId, `${caption}\n(no photo: the face is no longer stored)`, { reply_markup });
  }
  const older = olderVisitorsText(open, timeZone);
  if (older) await d.say(chatId, older);
}

/**
 * The visitor the first word of /name_visitor's or /ignore_visitor's arguments names (the start of its id), and the
 * rest of the arguments; null when there is none, after answering with the usage or what is wrong with the id.
 */
export async function visitorOfArgs(
  chatId: number,
  args: string,
  usage: string,
  d: HandlerDeps,
): Promise<{ visitor: VisitorState; rest: string } | null> {
  const { prefix, rest } = splitVisitorArgs(args);
  if (!prefix) {
    await d.say(chatId, usage);
    return null;
  }
  const found = findVisitor(d.visitors.state, prefix);
  if (found.kind !== "one") {
    await d.say(chatId, lookupProblemText(prefix, found, d.options.timeZone));
    return null;
  }
  return { visitor: found.visitor, rest };
}
