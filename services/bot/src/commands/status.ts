import { gatherStatus } from "../status.ts";
import type { CommandHandler } from "./types.ts";

/** /status: each service's /readyz, the cameras, the durable consumers (in the background: it asks over HTTP). */
export const status: CommandHandler = async ({ chatId }, d) => {
  d.background(chatId, async () => d.say(chatId, await gatherStatus(d.bus, d.options.healthPorts, d.options.healthHost)));
};
