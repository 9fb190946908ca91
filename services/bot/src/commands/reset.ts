import { type ConfirmReply, yesNo } from "../buttons.ts";
import type { HandlerDeps } from "../deps.ts";
import { importText, runImport } from "../importFolder.ts";
import type { CommandHandler } from "./types.ts";

/** /reset: asks with Yes/No buttons, then runs `persona import $PERSONA_IMPORT_DIR` against the bot's NATS. */
export const reset: CommandHandler = async ({ chatId }, d) => {
  if (d.options.importDir === null) return d.say(chatId, "No import folder is configured (PERSONA_IMPORT_DIR).");
  const token = d.pending.confirm(chatId, { kind: "reset" }, d.now());
  return d.say(
    chatId,
    `Read the import folder again? People from its folders are brought back to what the folders say; everyone else is kept.`,
    { reply_markup: yesNo(token) },
  );
};

/** The answer to /reset's question: the import runs in the background and reports when it is done. */
export async function confirmReset(r: ConfirmReply, d: HandlerDeps): Promise<void> {
  if (!r.yes) return r.edit("The import folder was not read.");
  await r.edit("Reading the import folder again…");
  const { importDir, natsUrl, importTimeoutMs } = d.options;
  const dir = importDir as string;
  d.background(r.chatId, async () => d.say(r.chatId, importText(dir, await runImport(dir, natsUrl, importTimeoutMs))));
}
