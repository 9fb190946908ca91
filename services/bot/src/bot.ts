import type { Bus, ConsumerLoop, ServiceName } from "@persona/bus";
import { AnyEnvelopeSchema } from "@persona/contracts";
import {
  EnrollmentWatcher,
  LibraryFollower,
  VisitorFollower,
  type VisitorState,
  openVisitors,
  personIdForVisitor,
  survivorOf,
} from "@persona/library";
import type { Logger } from "@persona/runtime";
import { BotChatsRepository, type DocumentStore } from "@persona/store";
import { type Context, Telegraf } from "telegraf";
import type { Message, Update } from "telegraf/types";
import { type AdminPassword, LoginLimiter, type LoginLimitOptions } from "./access.ts";
import { ALERT_CALLBACK, findAlert, startAlertDelivery } from "./alerts.ts";
import { ChatRegistry } from "./chats.ts";
import { DUPLICATE_CALLBACK, Enroller } from "./enroll.ts";
import { importText, runImport } from "./importFolder.ts";
import { imageBytes } from "./media.ts";
import { type Command, type MediaMessage, chunks, commandOf, parseCaption } from "./parse.ts";
import { PendingState } from "./pending.ts";
import { lookupPerson, noneText, peopleText, personDetailText, personLine, searchPeople, severalText } from "./people.ts";
import { QuietPeriod } from "./quiet.ts";
import { AlbumCollector, ChatQueue, Tasks } from "./serial.ts";
import { gatherStatus } from "./status.ts";
import {
  VISITORS_WITH_PHOTO,
  VISITOR_CALLBACK,
  actorOf,
  decidedText,
  findVisitor,
  lookupProblemText,
  namingProgress,
  olderVisitorsText,
  parseNaming,
  shortId,
  splitVisitorArgs,
  visitorCaption,
  visitorKeyboard,
  visitorsHeader,
} from "./visitors.ts";

/**
 * The Telegram bot: long polling through telegraf against TELEGRAM_API_ROOT. Every update goes through one gate:
 * a chat that has not logged in gets a refusal and nothing else (only /login and /start are answered, with how
 * to log in); nothing it sends is downloaded, stored or published.
 */

export const ERASE_PHRASE = "ERASE EVERYTHING";

export const REFUSAL = "⛔ Not allowed: this chat has not logged in. Send /login <password> in a private chat with the bot.";

export const START_TEXT =
  "Persona-ID bot. Only chats that have logged in can use it: send /login <password> in a private chat with the bot " +
  "(the message with the password is deleted at once). Ask the administrator for the password.";

export const HELP_TEXT = [
  "Send a photo with the person's name as its caption (a description on a second line) to enroll them; an album of several photos of the same person adds them all.",
  "/people — everyone in the library",
  "/find <name> — people whose name contains the text",
  "/remove <name or id> — remove a person (asks first)",
  "/visitors — open visitors: recurring unknown faces, with their photo and Name / Ignore buttons",
  "/name_visitor <id> <name> — enroll a visitor's faces as a new person",
  "/name_visitor <id> =<name or id> — add a visitor's faces to someone in the library",
  "/ignore_visitor <id> [reason] — stop reviewing a visitor",
  "/status — services, cameras, consumer lag",
  "/subscribe, /unsubscribe — alerts on unknown faces in this chat",
  "/reset — read the import folder again (keeps everyone else; asks first)",
  `/clear — erase all people and their data (asks for the phrase ${ERASE_PHRASE})`,
  "/logout — end this chat's login",
].join("\n");

/** The command menu Telegram clients show. */
const MENU = [
  { command: "people", description: "everyone in the library" },
  { command: "find", description: "find a person by name" },
  { command: "remove", description: "remove a person (asks first)" },
  { command: "visitors", description: "recurring unknown faces to name or ignore" },
  { command: "name_visitor", description: "<id> <name>: enroll a visitor" },
  { command: "ignore_visitor", description: "<id> [reason]: ignore a visitor" },
  { command: "status", description: "services, cameras, consumer lag" },
  { command: "subscribe", description: "alerts in this chat" },
  { command: "unsubscribe", description: "no more alerts here" },
  { command: "reset", description: "read the import folder again" },
  { command: "clear", description: "erase everyone (asks for a phrase)" },
  { command: "logout", description: "end this chat's login" },
  { command: "help", description: "how to use the bot" },
];

export interface BotOptions {
  token: string;
  apiRoot: string;
  maxPhotoBytes: number;
  enrollTimeoutMs: number;
  downloadTimeoutMs: number;
  albumWaitMs: number;
  alertQuietMs: number;
  login: LoginLimitOptions;
  /** 0: a login does not expire. */
  sessionMs: number;
  confirmTtlMs: number;
  importDir: string | null;
  importTimeoutMs: number;
  natsUrl: string;
  healthPorts: Record<ServiceName, number>;
  healthHost: string;
  timeZone?: string;
  /** How long /clear waits for the cleaner's confirmations. */
  eraseTimeoutMs: number;
  /** Wait before polling again after Telegram could not be reached. */
  retryMs: number;
  /** How long to wait for the trainer to enroll a named visitor before saying it did not (default 30 s). */
  visitorTimeoutMs?: number;
}

export interface BotDeps {
  bus: Bus;
  store: DocumentStore;
  log: Logger;
  now: () => number;
  password: AdminPassword;
  options: BotOptions;
}

export interface RunningBot {
  library: LibraryFollower;
  /** The visitors the trainer published, with the operators' decisions. */
  visitors: VisitorFollower;
  /** null until getMe answered; then the bot's username. */
  readonly username: string | null;
  /** Why polling stopped, if it did. */
  readonly failure: string | null;
  alerts: ConsumerLoop;
  stop(): Promise<void>;
}

type AnyMessage = Message &
  Partial<Message.TextMessage & Message.PhotoMessage & Message.DocumentMessage & Message.CaptionableMessage>;

export async function startBot(d: BotDeps): Promise<RunningBot> {
  const { bus, log, options: o } = d;
  /** Waits for the library to reach a condition (a named visitor's person and templates); null: the bot stopped. */
  const libraryWaits = new Set<{ check: () => void; cancel: () => void }>();
  const library = new LibraryFollower(log.child({ part: "library" }), () => {
    for (const w of [...libraryWaits]) w.check();
  });
  await library.start(bus.js, bus.jsm);
  const untilLibrary = (pred: () => boolean, timeoutMs: number) =>
    new Promise<boolean | null>((resolve) => {
      if (pred()) return resolve(true);
      const w = {
        check: () => {
          if (pred()) finish(true);
        },
        cancel: () => finish(null),
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      function finish(v: boolean | null) {
        clearTimeout(timer);
        libraryWaits.delete(w);
        resolve(v);
      }
      libraryWaits.add(w);
    });
  const visitors = new VisitorFollower(log.child({ part: "visitors" }));
  await visitors.start(bus.js, bus.jsm);
  const visitorTimeoutMs = o.visitorTimeoutMs ?? 30_000;
  const watcher = await EnrollmentWatcher.start(bus);
  const chats = new ChatRegistry(await BotChatsRepository.open(d.store), o.sessionMs);
  const limiter = new LoginLimiter(o.login);
  const pending = new PendingState(o.confirmTtlMs);
  const queue = new ChatQueue();
  const tasks = new Tasks((err) => log.error({ err }, "background work of the bot failed"));

  const bot = new Telegraf(o.token, { telegram: { apiRoot: o.apiRoot }, handlerTimeout: 60_000 });
  const tg = bot.telegram;
  const enroller = new Enroller(bus, watcher, () => library.state, tg, log.child({ part: "enroll" }), {
    maxPhotoBytes: o.maxPhotoBytes,
    enrollTimeoutMs: o.enrollTimeoutMs,
    downloadTimeoutMs: o.downloadTimeoutMs,
  });
  const albums = new AlbumCollector<AnyMessage>(o.albumWaitMs, (key, messages) => {
    const chatId = Number(key.split("/")[0]);
    tasks.spawn(() => guarded(chatId, () => enroller.fromMessages(chatId, messages)));
  });

  const say = async (chatId: number, text: string, extra: Parameters<typeof tg.sendMessage>[2] = {}) => {
    for (const part of chunks(text)) await tg.sendMessage(chatId, part, extra);
  };
  /** Background work answers in the chat when it fails, and re-checks the login before it starts. */
  const guarded = async (chatId: number, work: () => Promise<unknown>) => {
    if (!(await chats.isAdmin(chatId, d.now()))) return;
    try {
      await work();
    } catch (err) {
      const safe = redact(err, o.token);
      log.error({ err: safe, chatId }, "a request from Telegram failed");
      await say(chatId, `Something went wrong: ${safe.message}`).catch(() => undefined);
    }
  };

  // ------------------------------------------------------------------ the gate

  const onUpdate = async (ctx: Context<Update>) => {
    const chat = ctx.chat;
    if (!chat) return; // inline queries, polls...: nothing was sent in a chat, nothing is answered
    if ("my_chat_member" in ctx.update || "chat_member" in ctx.update || "chat_join_request" in ctx.update) return;
    await queue.run(chat.id, () => handle(ctx, chat.id, chat.type));
  };

  const handle = async (ctx: Context<Update>, chatId: number, chatType: string) => {
    const msg = ("message" in ctx.update ? ctx.update.message : undefined) as AnyMessage | undefined;
    const cmd = commandOf(msg?.text, ctx.botInfo?.username);
    const actor = actorOf(ctx.from, chatId);
    if (msg && cmd?.name === "login") return login(chatId, chatType, cmd.args, msg.message_id);
    const admin = await chats.isAdmin(chatId, d.now());
    if (!admin) {
      if ("callback_query" in ctx.update) {
        await ctx.answerCbQuery(REFUSAL, { show_alert: true });
        return;
      }
      await say(chatId, cmd?.name === "start" || cmd?.name === "help" ? START_TEXT : REFUSAL);
      return;
    }
    if ("callback_query" in ctx.update) return onCallback(ctx, chatId, actor);
    if (!msg) return; // an edited message, a channel post...: not a request
    if (cmd) {
      pending.takeQuestion(chatId, d.now()); // a command ends any open question
      return onCommand(chatId, cmd, actor);
    }
    if (msg.photo || msg.document) {
      pending.takeQuestion(chatId, d.now());
      if (msg.media_group_id) albums.add(`${chatId}/${msg.media_group_id}`, msg);
      else tasks.spawn(() => guarded(chatId, () => enroller.fromMessages(chatId, [msg as MediaMessage & { caption?: string }])));
      return;
    }
    if (msg.text !== undefined) return onText(chatId, msg.text, actor);
    await say(chatId, "I understand photos (with a name as caption) and commands. /help lists them.");
  };

  const login = async (chatId: number, chatType: string, password: string, messageId: number) => {
    // the password must not stay in the chat, whatever happens next
    if (password)
      await tg
        .deleteMessage(chatId, messageId)
        .catch((err: Error) => log.warn({ chatId, err: err.message }, "cannot delete the /login message"));
    if (chatType !== "private") {
      await say(chatId, "⛔ Log in only in a private chat with the bot, never in a group.");
      return;
    }
    const now = d.now();
    const gate = limiter.check(chatId, now);
    if (!gate.allowed) {
      await say(chatId, `⛔ Too many wrong passwords. Try again in ${Math.ceil(gate.retryAfterMs / 60_000)} min.`);
      return;
    }
    if (!password) {
      await say(chatId, "Send /login <password> (the message is deleted at once).");
      return;
    }
    if (await d.password.verify(password)) {
      limiter.succeeded(chatId);
      await chats.login(chatId, now);
      log.info({ chatId }, "chat logged in");
      await say(chatId, `✅ Logged in. This chat can now use the bot.\n\n${HELP_TEXT}`);
      return;
    }
    const after = limiter.failed(chatId, now);
    log.warn({ chatId, locked: !after.allowed }, "wrong bot password");
    await say(
      chatId,
      after.allowed
        ? `⛔ Wrong password. ${limiter.remaining(chatId, now)} attempt(s) left before a lockout.`
        : `⛔ Wrong password. Too many attempts: this chat is locked out for ${Math.ceil(after.retryAfterMs / 60_000)} min.`,
    );
  };

  // ------------------------------------------------------------------ admin chats

  const onCommand = async (chatId: number, cmd: Command, actor: string) => {
    const state = library.state;
    switch (cmd.name) {
      case "start":
      case "help":
        return say(chatId, HELP_TEXT);
      case "logout":
        pending.forget(chatId);
        await chats.logout(chatId);
        log.info({ chatId }, "chat logged out");
        return say(chatId, "Logged out. This chat no longer receives alerts; /login to come back.");
      case "people":
        return say(chatId, peopleText(state));
      case "find": {
        if (!cmd.args) return say(chatId, "Usage: /find <name>");
        const exact = lookupPerson(state, cmd.args);
        if (exact.kind === "one") return say(chatId, personDetailText(exact.person));
        const found = exact.kind === "several" ? exact.people : searchPeople(state, cmd.args);
        if (found.length === 0) return say(chatId, `Nobody matches "${cmd.args}".`);
        return say(chatId, `${found.length} match(es):\n${found.slice(0, 50).map(personLine).join("\n")}`);
      }
      case "remove": {
        if (!cmd.args) return say(chatId, "Usage: /remove <name or id>");
        const found = lookupPerson(state, cmd.args);
        if (found.kind === "several") return say(chatId, severalText(cmd.args, found.people));
        if (found.kind === "none") return say(chatId, noneText(cmd.args, found.near));
        const p = found.person;
        const token = pending.confirm(chatId, { kind: "remove", personId: p.personId, name: p.name }, d.now());
        return say(chatId, `Remove ${p.name} (id ${p.personId}, ${p.templates.size} template(s)) from the library?`, {
          reply_markup: yesNo(token),
        });
      }
      case "visitors":
        tasks.spawn(() => guarded(chatId, () => sendVisitors(chatId)));
        return;
      case "name_visitor": {
        const usage =
          "Usage: /name_visitor <id> <name> (a new person) or /name_visitor <id> =<name or id> (add the faces to someone in the library). /visitors shows the ids.";
        const { prefix, rest } = splitVisitorArgs(cmd.args);
        if (!prefix) return say(chatId, usage);
        const found = findVisitor(visitors.state, prefix);
        if (found.kind !== "one") return say(chatId, lookupProblemText(prefix, found, o.timeZone));
        if (!rest) return say(chatId, usage);
        return nameVisitor(chatId, actor, found.visitor, rest);
      }
      case "ignore_visitor": {
        const { prefix, rest } = splitVisitorArgs(cmd.args);
        if (!prefix) return say(chatId, "Usage: /ignore_visitor <id> [reason]. /visitors shows the ids.");
        const found = findVisitor(visitors.state, prefix);
        if (found.kind !== "one") return say(chatId, lookupProblemText(prefix, found, o.timeZone));
        return say(chatId, await ignoreVisitor(actor, found.visitor, rest));
      }
      case "status":
        tasks.spawn(() => guarded(chatId, async () => say(chatId, await gatherStatus(bus, o.healthPorts, o.healthHost))));
        return;
      case "subscribe":
        await chats.setSubscribed(chatId, true);
        return say(chatId, "🔔 This chat now receives alerts.");
      case "unsubscribe":
        await chats.setSubscribed(chatId, false);
        return say(chatId, "🔕 This chat no longer receives alerts.");
      case "reset": {
        if (o.importDir === null) return say(chatId, "No import folder is configured (PERSONA_IMPORT_DIR).");
        const token = pending.confirm(chatId, { kind: "reset" }, d.now());
        return say(
          chatId,
          `Read the import folder again? People from its folders are brought back to what the folders say; everyone else is kept.`,
          { reply_markup: yesNo(token) },
        );
      }
      case "clear":
        pending.ask(chatId, { kind: "erase-phrase" }, d.now());
        return say(
          chatId,
          `This erases all ${state.people.size} people with their photos, templates, crops and sightings. It cannot be undone.\nTo go on, send exactly: ${ERASE_PHRASE}\nAnything else cancels.`,
        );
      default:
        return say(chatId, `Unknown command /${cmd.name}.\n\n${HELP_TEXT}`);
    }
  };

  const onText = async (chatId: number, text: string, actor: string) => {
    const q = pending.takeQuestion(chatId, d.now());
    if (q?.kind === "visitor-name") {
      const v = visitors.state.visitors.get(q.visitorId);
      if (!v) return say(chatId, goneText(q.visitorId));
      return nameVisitor(chatId, actor, v, text);
    }
    if (q?.kind === "erase-phrase") {
      if (text.trim() !== ERASE_PHRASE) return say(chatId, "Not erased: the phrase did not match.");
      tasks.spawn(() => guarded(chatId, () => eraseEverything(chatId)));
      return;
    }
    if (q?.kind === "enroll-name") {
      const caption = parseCaption(text);
      if (!caption.ok) {
        pending.ask(chatId, q, d.now());
        return say(chatId, caption.error.replace("Send the photo with", "Send"));
      }
      tasks.spawn(() => guarded(chatId, () => enrollFromAlert(chatId, q.alertId, caption)));
      return;
    }
    await say(chatId, "Send a photo with the person's name as its caption to enroll them. /help lists the commands.");
  };

  const onCallback = async (ctx: Context<Update>, chatId: number, actor: string) => {
    const q = ctx.callbackQuery;
    const data = q && "data" in q ? q.data : "";
    const messageId = q?.message?.message_id;
    const conf = /^c:([yn]):([0-9a-f]{12})$/.exec(data);
    if (conf) {
      const c = pending.takeConfirmation(conf[2] as string, chatId, d.now());
      if (!c) {
        await ctx.answerCbQuery("This question has expired; ask again.");
        return;
      }
      await ctx.answerCbQuery();
      const yes = conf[1] === "y";
      const edit = (text: string) =>
        messageId === undefined
          ? say(chatId, text)
          : tg.editMessageText(chatId, messageId, undefined, text).then(() => undefined);
      if (c.kind === "remove") {
        if (!yes) return edit(`Kept ${c.name}.`);
        if (!library.state.people.has(c.personId)) return edit(`${c.name} is no longer in the library.`);
        await bus.publish(
          bus.envelope("PersonRemoved", { personId: c.personId, reason: "removed in Telegram", by: `telegram:${chatId}` }),
        );
        log.info({ chatId, personId: c.personId }, "person removed from Telegram");
        return edit(`Removed ${c.name} (id ${c.personId}).`);
      }
      if (!yes) return edit("The import folder was not read.");
      await edit("Reading the import folder again…");
      const dir = o.importDir as string;
      tasks.spawn(() =>
        guarded(chatId, async () => say(chatId, importText(dir, await runImport(dir, o.natsUrl, o.importTimeoutMs)))),
      );
      return;
    }
    const dup = DUPLICATE_CALLBACK.exec(data);
    if (dup) {
      if (messageId !== undefined)
        await tg.editMessageReplyMarkup(chatId, messageId, undefined, undefined).catch(() => undefined);
      const token = dup[1] as string;
      await ctx.answerCbQuery();
      await guarded(chatId, async () => {
        if (!(await enroller.insist(chatId, token))) await say(chatId, "This offer has expired; send the photo again.");
      });
      return;
    }
    const alert = ALERT_CALLBACK.exec(data);
    if (alert) {
      const alertId = alert[2] as string;
      const env = await findAlert(bus, alertId);
      if (!env) {
        await ctx.answerCbQuery("This alert is no longer stored.");
        return;
      }
      if (alert[1] === "i") {
        await bus.publish(bus.envelope("AlertAcknowledged", { alertId, by: `telegram:${chatId}`, note: "ignored in Telegram" }));
        await ctx.answerCbQuery("Ignored");
        if (messageId !== undefined)
          await tg.editMessageReplyMarkup(chatId, messageId, undefined, undefined).catch(() => undefined);
        return;
      }
      if (!env.data.crop) {
        await ctx.answerCbQuery("This alert has no face to enroll.");
        return;
      }
      pending.ask(chatId, { kind: "enroll-name", alertId }, d.now());
      await ctx.answerCbQuery();
      await say(chatId, "Who is it? Send the name (and a description on a second line).");
      return;
    }
    const vis = VISITOR_CALLBACK.exec(data);
    if (vis) {
      const visitorId = vis[2] as string;
      const v = visitors.state.visitors.get(visitorId);
      if (!v) {
        await ctx.answerCbQuery(goneText(visitorId), { show_alert: true });
        return;
      }
      const refused = decidedText(v, vis[1] === "n" ? "name" : "ignore", o.timeZone);
      if (refused) {
        await ctx.answerCbQuery(refused.slice(0, 200), { show_alert: true });
        if (messageId !== undefined)
          await tg.editMessageReplyMarkup(chatId, messageId, undefined, undefined).catch(() => undefined);
        return;
      }
      if (vis[1] === "i") {
        const text = await ignoreVisitor(actor, v, "");
        await ctx.answerCbQuery("Ignored");
        if (messageId !== undefined)
          await tg.editMessageReplyMarkup(chatId, messageId, undefined, undefined).catch(() => undefined);
        return say(chatId, text);
      }
      pending.ask(chatId, { kind: "visitor-name", visitorId }, d.now());
      await ctx.answerCbQuery();
      return say(
        chatId,
        `Who is visitor ${shortId(visitorId)}? Send the name of a new person, or =<name or id> to add the faces to someone in the library.`,
      );
    }
    await ctx.answerCbQuery("Unknown button.");
  };

  // ------------------------------------------------------------------ visitors

  /** A visitor that is no longer listed: merged into another one, or unknown. */
  const goneText = (visitorId: string) => {
    const into = survivorOf(visitors.state, visitorId);
    return into
      ? `Visitor ${shortId(visitorId)} was merged into visitor ${shortId(into.visitorId)} (the same face); use ${shortId(into.visitorId)}.`
      : `Visitor ${shortId(visitorId)} is no longer listed.`;
  };

  const sendVisitors = async (chatId: number) => {
    const open = openVisitors(visitors.state);
    await say(chatId, visitorsHeader(visitors.state, open));
    for (const v of open.slice(0, VISITORS_WITH_PHOTO)) {
      const caption = visitorCaption(v, o.timeZone);
      const reply_markup = visitorKeyboard(v);
      const best = v.bestCrops[0];
      const photo = best
        ? await imageBytes(bus, best.crop).catch((err: Error) => {
            log.warn({ visitorId: v.visitorId, err: err.message }, "visitor crop unavailable; sending the text");
            return null;
          })
        : null;
      if (photo) await tg.sendPhoto(chatId, { source: photo, filename: "visitor.jpg" }, { caption, reply_markup });
      else await say(chatId, `${caption}\n(no photo: the face is no longer stored)`, { reply_markup });
    }
    const older = olderVisitorsText(open, o.timeZone);
    if (older) await say(chatId, older);
  };

  /** Publishes VisitorNamed (a new person or more faces of an existing one), then waits for the trainer's answer. */
  const nameVisitor = async (chatId: number, actor: string, v: VisitorState, text: string) => {
    const id = shortId(v.visitorId);
    const refused = decidedText(v, "name", o.timeZone);
    if (refused) return say(chatId, refused);
    const target = parseNaming(text);
    if (!target.ok) return say(chatId, `${target.error} Send /name_visitor ${id} <name>, or /name_visitor ${id} =<name or id>.`);
    let personId: string;
    let name: string;
    const existing = target.kind === "existing";
    if (target.kind === "existing") {
      const found = lookupPerson(library.state, target.query);
      if (found.kind === "several")
        return say(chatId, `${severalText(target.query, found.people)}\nSend /name_visitor ${id} =<id> with one of these ids.`);
      if (found.kind === "none") return say(chatId, noneText(target.query, found.near));
      personId = found.person.personId;
      name = found.person.name;
    } else {
      const same = lookupPerson(library.state, target.name);
      if (same.kind !== "none") {
        const people = same.kind === "one" ? [same.person] : same.people;
        return say(
          chatId,
          `${people.length === 1 ? "Someone is" : `${people.length} people are`} already named "${target.name}":\n${people.map(personLine).join("\n")}\nTo add the visitor's faces to them: /name_visitor ${id} =${people[0]?.personId}. For another person, use a name that tells them apart.`,
        );
      }
      personId = personIdForVisitor(v.visitorId);
      name = target.name;
    }
    const wasIgnored = v.decision?.kind === "ignored" ? ` (it had been ignored by ${v.decision.by})` : "";
    const ack = await bus.publish(bus.envelope("VisitorNamed", { visitorId: v.visitorId, personId, existing, name, by: actor }));
    await visitors.waitForSeq(ack.seq).catch(() => undefined);
    log.info({ chatId, visitorId: v.visitorId, personId, existing }, "visitor named from Telegram");
    const bestIds = v.bestCrops.map((b) => b.detectionId);
    const faces = bestIds.length > 0 ? `its ${bestIds.length} best face${bestIds.length === 1 ? "" : "s"}` : "its faces";
    await say(
      chatId,
      existing
        ? `📝 Visitor ${id}${wasIgnored}: adding ${faces} to ${name} (id ${personId}). Waiting for the trainer…`
        : `📝 Visitor ${id}${wasIgnored}: enrolling ${faces} as a new person, ${name} (id ${personId}). Waiting for the trainer…`,
    );
    tasks.spawn(() =>
      guarded(chatId, async () => {
        const reached = await untilLibrary(() => namingProgress(library.state, personId, actor, bestIds).done, visitorTimeoutMs);
        if (reached === null) return; // the bot is stopping
        const p = namingProgress(library.state, personId, actor, bestIds);
        const secs = Math.round(visitorTimeoutMs / 1000);
        if (p.done) {
          const n = p.added;
          return say(
            chatId,
            existing
              ? `✅ ${n} template${n === 1 ? "" : "s"} from visitor ${id} added to ${p.person?.name ?? name} (id ${personId}), who now has ${p.person?.templates.size ?? n}.`
              : `✅ ${p.person?.name ?? name} is in the library (id ${personId}) with ${n} template${n === 1 ? "" : "s"} from visitor ${id}'s faces.`,
          );
        }
        if (p.added > 0)
          return say(
            chatId,
            `⚠️ After ${secs} s, ${p.added} of visitor ${id}'s ${p.expected} faces are templates of ${p.person?.name ?? name} (id ${personId}); the trainer may still be working on the rest.`,
          );
        return say(
          chatId,
          `⌛ The trainer has not enrolled visitor ${id} as ${name} within ${secs} s — is the trainer running? The naming is recorded; the trainer acts on it when it runs.`,
        );
      }),
    );
  };

  /** Publishes VisitorIgnored; returns the answer for the chat. */
  const ignoreVisitor = async (actor: string, v: VisitorState, reason: string): Promise<string> => {
    const id = shortId(v.visitorId);
    const refused = decidedText(v, "ignore", o.timeZone);
    if (refused) return refused;
    if ([...reason].length > 1000) return "The reason is longer than 1000 characters.";
    const ack = await bus.publish(
      bus.envelope("VisitorIgnored", { visitorId: v.visitorId, by: actor, reason: reason || "ignored in Telegram" }),
    );
    await visitors.waitForSeq(ack.seq).catch(() => undefined);
    log.info({ visitorId: v.visitorId, by: actor }, "visitor ignored from Telegram");
    return `🙈 Visitor ${id} ignored${reason ? ` (${reason})` : ""}: it leaves the open visitors. /name_visitor ${id} <name> still names it.`;
  };

  const enrollFromAlert = async (chatId: number, alertId: string, caption: ReturnType<typeof parseCaption>) => {
    const env = await findAlert(bus, alertId);
    if (!env?.data.crop) return say(chatId, "This alert is no longer stored.");
    const bytes = await imageBytes(bus, env.data.crop);
    const result = await enroller.fromImage(chatId, caption, "the alert's face", bytes);
    if (result?.personId && result.photos.some((p) => p.outcome === "added")) {
      await bus.publish(
        bus.envelope("AlertResolved", {
          alertId,
          by: `telegram:${chatId}`,
          note: `enrolled as ${result.name} (${result.personId})`,
        }),
      );
    }
  };

  const eraseEverything = async (chatId: number) => {
    const people = [...library.state.people.values()];
    if (people.length === 0) return say(chatId, "The library is already empty.");
    // the cleaner's audit records (PersonErased, caused by each request) confirm the erasures; listen before asking
    const audits = bus.nc.subscribe("system.erasure.*");
    const asked = new Map<string, string>();
    const confirmed = new Set<string>();
    const timer = setTimeout(() => audits.unsubscribe(), o.eraseTimeoutMs);
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
      log.warn({ chatId, people: people.length }, "erasure of everyone requested from Telegram");
      await say(chatId, `Erasure requested for ${people.length} people; waiting for the cleaner to confirm…`);
      await listening;
    } finally {
      clearTimeout(timer);
      audits.unsubscribe();
    }
    const missing = [...asked].filter(([id]) => !confirmed.has(id)).map(([, name]) => name);
    await say(
      chatId,
      missing.length === 0
        ? `🗑 Erased ${people.length} people with their photos, templates, crops, sightings and alerts (the cleaner confirmed each).`
        : `Erased ${confirmed.size} of ${people.length} people. Not confirmed within ${Math.round(o.eraseTimeoutMs / 1000)} s: ${missing.join(", ")} — is the cleaner running? The requests stay queued.`,
    );
  };

  // ------------------------------------------------------------------ start

  bot.use(onUpdate);
  bot.catch((err, ctx) => {
    log.error({ err: redact(err, o.token), updateId: ctx.update.update_id }, "handling a Telegram update failed");
  });

  let username: string | null = null;
  let failure: string | null = null;
  let stopping = false;
  let wakeRetry: () => void = () => undefined;
  let onFirstLaunch: () => void = () => undefined;
  const firstLaunch = new Promise<void>((resolve) => {
    onFirstLaunch = resolve;
  });
  // polling, started again after a network failure (telegraf gives up on getMe errors); a wrong token stops it
  const polling = (async () => {
    while (!stopping) {
      try {
        await bot.launch({ allowedUpdates: ["message", "callback_query"] }, () => {
          username = bot.botInfo?.username ?? null;
          failure = null;
          onFirstLaunch();
          void tg.setMyCommands(MENU).catch((err: Error) => log.warn({ err: err.message }, "cannot set the command menu"));
        });
      } catch (err) {
        failure = redact(err, o.token).message;
        const code = (err as { code?: unknown }).code ?? (err as { response?: { error_code?: unknown } }).response?.error_code;
        log.error({ err: failure }, "Telegram polling stopped");
        onFirstLaunch();
        if (code === 401 || code === 404) return;
      }
      if (!stopping) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, o.retryMs);
          wakeRetry = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
  })();
  let startTimer: NodeJS.Timeout | undefined;
  await Promise.race([firstLaunch, new Promise((r) => (startTimer = setTimeout(r, 10_000)))]);
  clearTimeout(startTimer);

  const alerts = await startAlertDelivery({
    bus,
    telegram: tg,
    chats,
    quiet: new QuietPeriod(o.alertQuietMs),
    now: d.now,
    log: log.child({ part: "alerts" }),
    timeZone: o.timeZone,
  });

  return {
    library,
    visitors,
    alerts,
    get username() {
      return username;
    },
    get failure() {
      return failure;
    },
    async stop() {
      stopping = true;
      wakeRetry();
      try {
        bot.stop("service stopping");
      } catch {
        // polling is not running
      }
      await polling;
      albums.flushAll();
      for (const w of [...libraryWaits]) w.cancel();
      await tasks.idle();
      await alerts.stop();
      await watcher.close();
      await library.stop();
      await visitors.stop();
    },
  };
}

function yesNo(token: string) {
  return {
    inline_keyboard: [
      [
        { text: "Yes", callback_data: `c:y:${token}` },
        { text: "No", callback_data: `c:n:${token}` },
      ],
    ],
  };
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
}

/** An error without the bot token (telegraf's own messages may carry the API URL). */
function redact(err: unknown, token: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (token && e.message.includes(token)) return new Error(e.message.split(token).join("[token]"));
  return e;
}
