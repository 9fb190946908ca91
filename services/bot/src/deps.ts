import type { Bus, ServiceName } from "@persona/bus";
import { EnrollmentWatcher, LibraryFollower, LibraryWriter, VisitorFollower } from "@persona/library";
import type { Logger } from "@persona/runtime";
import { BotChatsRepository, type DocumentStore } from "@persona/store";
import type { Telegram } from "telegraf";
import type { Message } from "telegraf/types";
import { type AdminPassword, LoginLimiter, type LoginLimitOptions } from "./access.ts";
import { ChatRegistry } from "./chats.ts";
import { Enroller } from "./enroll.ts";
import { enrollPhotos } from "./handlers/media.ts";
import { LibraryWaits } from "./libraryWaits.ts";
import { chunks } from "./parse.ts";
import { PendingState } from "./pending.ts";
import { AlbumCollector, ChatQueue, Tasks } from "./serial.ts";
import { redact } from "./util.ts";

/**
 * What the bot is started with (BotOptions, BotDeps) and what every handler is given (HandlerDeps): the state the
 * handlers share (library, visitors, chats, questions, background tasks...) and the helpers to answer a chat.
 */

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
  /** The daily sessions digest's local time "HH:MM" (in timeZone); null or unset: no digest. */
  digestAt?: string | null;
  /** How long /clear waits for the cleaner's confirmations. */
  eraseTimeoutMs: number;
  /** Wait before polling again after Telegram could not be reached. */
  retryMs: number;
  /** How long to wait for the trainer to enroll a named visitor before saying it did not (default 30 s). */
  visitorTimeoutMs?: number;
}

/** What startBot is given. */
export interface BotDeps {
  bus: Bus;
  store: DocumentStore;
  log: Logger;
  now: () => number;
  password: AdminPassword;
  options: BotOptions;
}

/** A message of any kind, with the optional parts the handlers look at. */
export type AnyMessage = Message &
  Partial<Message.TextMessage & Message.PhotoMessage & Message.DocumentMessage & Message.CaptionableMessage>;

/** Everything a command or handler may use, made once by startBot. */
export interface HandlerDeps {
  bus: Bus;
  log: Logger;
  now: () => number;
  password: AdminPassword;
  options: BotOptions;
  telegram: Telegram;
  /** The library, followed in memory (LIBRARY). */
  library: LibraryFollower;
  /** Appends library changes (the one writer of LIBRARY). */
  writer: LibraryWriter;
  libraryWaits: LibraryWaits;
  /** The visitors the trainer published, with the operators' decisions. */
  visitors: VisitorFollower;
  watcher: EnrollmentWatcher;
  /** Admin chats and alert subscriptions. */
  chats: ChatRegistry;
  limiter: LoginLimiter;
  /** Confirmations behind buttons and each chat's open question. */
  pending: PendingState;
  /** One chat's updates in order. */
  queue: ChatQueue;
  tasks: Tasks;
  enroller: Enroller;
  albums: AlbumCollector<AnyMessage>;
  /** The /help text (made from the command table). */
  help: string;
  /** Sends a text, split into Telegram-sized messages. */
  say(chatId: number, text: string, extra?: Parameters<Telegram["sendMessage"]>[2]): Promise<void>;
  /** Runs work for a chat that is still logged in; a failure is logged and answered in the chat. */
  guarded(chatId: number, work: () => Promise<unknown>): Promise<void>;
  /** `guarded` as a tracked background task: it holds up neither the chat nor the polling. */
  background(chatId: number, work: () => Promise<unknown>): void;
}

export async function createDeps(b: BotDeps, telegram: Telegram, help: string): Promise<HandlerDeps> {
  const { bus, log, options: o } = b;
  const libraryWaits = new LibraryWaits();
  const library = new LibraryFollower(log.child({ part: "library" }), () => libraryWaits.check());
  await library.start(bus.js, bus.jsm);
  const visitors = new VisitorFollower(log.child({ part: "visitors" }));
  await visitors.start(bus.js, bus.jsm);
  const watcher = await EnrollmentWatcher.start(bus);
  const chats = new ChatRegistry(await BotChatsRepository.open(b.store), o.sessionMs);
  const tasks = new Tasks((err) => log.error({ err }, "background work of the bot failed"));
  const enroller = new Enroller(bus, watcher, () => library.state, telegram, log.child({ part: "enroll" }), {
    maxPhotoBytes: o.maxPhotoBytes,
    enrollTimeoutMs: o.enrollTimeoutMs,
    downloadTimeoutMs: o.downloadTimeoutMs,
  });
  const d: HandlerDeps = {
    bus,
    log,
    now: b.now,
    password: b.password,
    options: o,
    telegram,
    library,
    writer: new LibraryWriter({ bus }),
    libraryWaits,
    visitors,
    watcher,
    chats,
    tasks,
    enroller,
    help,
    limiter: new LoginLimiter(o.login),
    pending: new PendingState(o.confirmTtlMs),
    queue: new ChatQueue(),
    albums: new AlbumCollector<AnyMessage>(o.albumWaitMs, (key, messages) =>
      enrollPhotos(d, Number(key.split("/")[0]), messages),
    ),
    async say(chatId, text, extra = {}) {
      for (const part of chunks(text)) await telegram.sendMessage(chatId, part, extra);
    },
    async guarded(chatId, work) {
      if (!(await chats.isAdmin(chatId, b.now()))) return;
      try {
        await work();
      } catch (err) {
        const safe = redact(err, o.token);
        log.error({ err: safe, chatId }, "a request from Telegram failed");
        await d.say(chatId, `Something went wrong: ${safe.message}`).catch(() => undefined);
      }
    },
    background: (chatId, work) => tasks.spawn(() => d.guarded(chatId, work)),
  };
  return d;
}
