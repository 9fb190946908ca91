import { answerErasePhrase } from "../commands/clear.ts";
import { answerVisitorName } from "../commands/nameVisitor.ts";
import type { HandlerDeps } from "../deps.ts";
import type { Question } from "../pending.ts";
import { answerEnrollName } from "./alertButtons.ts";
import type { TextAnswer } from "./types.ts";

type QuestionHandler<Q extends Question> = (q: Q, answer: TextAnswer, d: HandlerDeps) => Promise<void>;

/** Who answers the message after each kind of question (asked by /clear and the alert and visitor buttons). */
const QUESTIONS: { [K in Question["kind"]]: QuestionHandler<Extract<Question, { kind: K }>> } = {
  "erase-phrase": (_q, answer, d) => answerErasePhrase(answer, d),
  "enroll-name": answerEnrollName,
  "visitor-name": answerVisitorName,
};

/** A text (not a command) from a logged-in chat: the answer to its open question, if it has one. */
export async function onText(d: HandlerDeps, chatId: number, text: string, actor: string): Promise<void> {
  const q = d.pending.takeQuestion(chatId, d.now());
  if (q) return (QUESTIONS[q.kind] as QuestionHandler<Question>)(q, { chatId, text, actor }, d);
  await d.say(chatId, "Send a photo with the person's name as its caption to enroll them. /help lists the commands.");
}
