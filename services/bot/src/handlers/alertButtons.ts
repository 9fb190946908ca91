import { findAlert } from "../alerts.ts";
import { removeButtons } from "../buttons.ts";
import type { HandlerDeps } from "../deps.ts";
import { imageBytes } from "../media.ts";
import { parseCaption } from "../parse.ts";
import type { Question } from "../pending.ts";
import type { ButtonHandler, TextAnswer } from "./types.ts";

/** The buttons under an alert (ALERT_CALLBACK): Ignore (AlertAcknowledged) and Enroll as … (asks for the name). */
export const alertButton: ButtonHandler = async ({ ctx, chatId, messageId }, match, d) => {
  const alertId = match[2] as string;
  const env = await findAlert(d.bus, alertId);
  if (!env) {
    await ctx.answerCbQuery("This alert is no longer stored.");
    return;
  }
  if (match[1] === "i") {
    await d.bus.publish(d.bus.envelope("AlertAcknowledged", { alertId, by: `telegram:${chatId}`, note: "ignored in Telegram" }));
    await ctx.answerCbQuery("Ignored");
    await removeButtons(d, chatId, messageId);
    return;
  }
  if (!env.data.crop) {
    await ctx.answerCbQuery("This alert has no face to enroll.");
    return;
  }
  d.pending.ask(chatId, { kind: "enroll-name", alertId }, d.now());
  await ctx.answerCbQuery();
  await d.say(chatId, "Who is it? Send the name (and a description on a second line).");
};

/** The message after Enroll as …: the name (and description); a bad one asks again. */
export async function answerEnrollName(
  q: Extract<Question, { kind: "enroll-name" }>,
  { chatId, text }: TextAnswer,
  d: HandlerDeps,
): Promise<void> {
  const caption = parseCaption(text);
  if (!caption.ok) {
    d.pending.ask(chatId, q, d.now());
    return d.say(chatId, caption.error.replace("Send the photo with", "Send"));
  }
  d.background(chatId, () => enrollFromAlert(chatId, q.alertId, caption, d));
}

/** Enrolls the alert's face; when a template was added, the alert is resolved (AlertResolved). */
async function enrollFromAlert(
  chatId: number,
  alertId: string,
  caption: ReturnType<typeof parseCaption>,
  d: HandlerDeps,
): Promise<void> {
  const env = await findAlert(d.bus, alertId);
  if (!env?.data.crop) return d.say(chatId, "This alert is no longer stored.");
  const bytes = await imageBytes(d.bus, env.data.crop);
  const result = await d.enroller.fromImage(chatId, caption, "the alert's face", bytes);
  if (result?.personId && result.photos.some((p) => p.outcome === "added")) {
    await d.bus.publish(
      d.bus.envelope("AlertResolved", {
        alertId,
        by: `telegram:${chatId}`,
        note: `enrolled as ${result.name} (${result.personId})`,
      }),
    );
  }
}
