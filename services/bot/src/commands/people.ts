import { peopleText } from "../people.ts";
import type { CommandHandler } from "./types.ts";

/** /people: everyone in the library. */
export const people: CommandHandler = ({ chatId }, d) => d.say(chatId, peopleText(d.library.state));
