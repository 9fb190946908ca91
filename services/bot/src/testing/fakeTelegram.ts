import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the Telegram Bot API (the true edge of the bot): long polling from a queue the test feeds,
 * the send / edit / delete / answer methods the bot uses, getFile and the file download path. It records every call
 * (method, parameters, uploaded files) and every download, so a test can assert exactly what the bot did.
 */

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  /** Files uploaded with the call (sendPhoto), by field name. */
  files: Record<string, Buffer>;
  /** The chat the call addressed, when it names one. */
  chatId: number | null;
  at: number;
}

export interface FakeFile {
  fileId: string;
  bytes: Buffer | null;
  /** What getFile reports (Telegram reports the size before any download). */
  size: number;
}

type Update = Record<string, unknown> & { update_id: number };

export class FakeTelegram {
  readonly calls: RecordedCall[] = [];
  readonly downloads: string[] = [];
  private readonly updates: Update[] = [];
  private readonly files = new Map<string, FakeFile>();
  private readonly pollers = new Set<() => void>();
  private readonly callWaiters = new Set<() => void>();
  private nextUpdateId = 1;
  private nextMessageId = 1000;
  private nextFile = 1;
  private server!: Server;
  private port = 0;

  private constructor(readonly token: string) {}

  static async start(token = "123456:TEST-token"): Promise<FakeTelegram> {
    const t = new FakeTelegram(token);
    t.server = createServer((req, res) => void t.handle(req, res));
    await new Promise<void>((resolve) => t.server.listen(0, "127.0.0.1", resolve));
    t.port = (t.server.address() as AddressInfo).port;
    return t;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const w of this.pollers) w();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------ what the test sends

  /** Queues an update for the bot's next getUpdates. */
  push(update: Record<string, unknown>): number {
    const id = this.nextUpdateId++;
    this.updates.push({ ...update, update_id: id });
    for (const w of this.pollers) w();
    return id;
  }

  /** A file the bot can fetch with getFile and download (bytes null: getFile works, the download is a 404). */
  addFile(bytes: Buffer | null, size = bytes?.length ?? 0): FakeFile {
    const f: FakeFile = { fileId: `file-${this.nextFile++}`, bytes, size };
    this.files.set(f.fileId, f);
    return f;
  }

  private messageBase(chatId: number) {
    return {
      message_id: this.nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat:
        chatId > 0
          ? { id: chatId, type: "private", first_name: `User${chatId}` }
          : { id: chatId, type: "group", title: "A group" },
      from: { id: Math.abs(chatId), is_bot: false, first_name: `User${chatId}` },
    };
  }

  text(chatId: number, text: string): { updateId: number; messageId: number } {
    const m = this.messageBase(chatId);
    const cmd = /^\/\w+/.exec(text);
    const entities = cmd ? [{ type: "bot_command", offset: 0, length: cmd[0].length }] : undefined;
    return { updateId: this.push({ message: { ...m, text, ...(entities ? { entities } : {}) } }), messageId: m.message_id };
  }

  photo(
    chatId: number,
    bytes: Buffer | null,
    options: { caption?: string; mediaGroupId?: string; size?: number } = {},
  ): { updateId: number; messageId: number; file: FakeFile } {
    const m = this.messageBase(chatId);
    const file = this.addFile(bytes, options.size ?? bytes?.length ?? 0);
    const small = this.addFile(bytes === null ? null : bytes.subarray(0, 10), 10);
    const photo = [
      { file_id: small.fileId, file_unique_id: `u-${small.fileId}`, width: 90, height: 90, file_size: small.size },
      { file_id: file.fileId, file_unique_id: `u-${file.fileId}`, width: 800, height: 800, file_size: file.size },
    ];
    const message = {
      ...m,
      photo,
      ...(options.caption === undefined ? {} : { caption: options.caption }),
      ...(options.mediaGroupId === undefined ? {} : { media_group_id: options.mediaGroupId }),
    };
    return { updateId: this.push({ message }), messageId: m.message_id, file };
  }

  document(
    chatId: number,
    bytes: Buffer | null,
    options: { caption?: string; mimeType: string; fileName: string; size?: number },
  ): { updateId: number; messageId: number; file: FakeFile } {
    const m = this.messageBase(chatId);
    const file = this.addFile(bytes, options.size ?? bytes?.length ?? 0);
    const document = {
      file_id: file.fileId,
      file_unique_id: `u-${file.fileId}`,
      file_name: options.fileName,
      mime_type: options.mimeType,
      file_size: file.size,
    };
    const message = { ...m, document, ...(options.caption === undefined ? {} : { caption: options.caption }) };
    return { updateId: this.push({ message }), messageId: m.message_id, file };
  }

  sticker(chatId: number): number {
    return this.push({
      message: {
        ...this.messageBase(chatId),
        sticker: { file_id: "sticker", file_unique_id: "s", width: 1, height: 1, type: "regular" },
      },
    });
  }

  callback(chatId: number, data: string, messageId = 1): { updateId: number; queryId: string } {
    const queryId = `cbq-${this.nextUpdateId}`;
    const message = { ...this.messageBase(chatId), message_id: messageId, text: "an earlier message" };
    return {
      updateId: this.push({
        callback_query: { id: queryId, from: message.from, chat_instance: "ci", message, data },
      }),
      queryId,
    };
  }

  // ------------------------------------------------------------------ what the test checks

  callsTo(chatId: number): RecordedCall[] {
    return this.calls.filter((c) => c.chatId === chatId);
  }

  /** Waits for a recorded call (from index `from` on) matching `pred`. */
  async waitForCall(
    pred: (c: RecordedCall) => boolean,
    options: { timeoutMs?: number; from?: number } = {},
  ): Promise<RecordedCall> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.slice(options.from ?? 0).find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        const recent = this.calls.slice(-8).map((c) => `${c.method} ${JSON.stringify(c.params).slice(0, 160)}`);
        throw new Error(`timed out after ${timeoutMs} ms waiting for a Telegram call; last calls:\n  ${recent.join("\n  ")}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, 200));
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.callWaiters.add(done);
      });
    }
  }

  /** Waits until the bot has fetched every queued update and asked again (it is idle or busy on detached work). */
  async drained(timeoutMs = 10_000): Promise<void> {
    const last = this.nextUpdateId - 1;
    await this.waitForCall((c) => c.method === "getUpdates" && Number(c.params.offset ?? 0) > last, { timeoutMs });
  }

  // ------------------------------------------------------------------ the HTTP side

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const body = await readBody(req);
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch) {
      if (fileMatch[1] !== this.token) return json(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
      const path = decodeURIComponent(fileMatch[2] as string);
      this.downloads.push(path);
      const f = this.files.get(path.replace(/^files\//, ""));
      if (!f?.bytes) return json(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": f.bytes.length }).end(f.bytes);
      return;
    }
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    if (!m) return json(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    if (m[1] !== this.token) return json(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const method = m[2] as string;
    const { params, files } = await parseParams(req.headers["content-type"] ?? "", body, url);
    const chat = params.chat_id;
    const call: RecordedCall = {
      method,
      params,
      files,
      chatId: chat === undefined ? null : Number(chat),
      at: Date.now(),
    };
    if (method !== "getUpdates") this.record(call);
    switch (method) {
      case "getMe":
        return ok(res, { id: 42, is_bot: true, first_name: "Persona", username: "persona_test_bot" });
      case "deleteWebhook":
      case "setMyCommands":
      case "deleteMessage":
      case "answerCallbackQuery":
        return ok(res, true);
      case "getUpdates":
        return this.getUpdates(call, req, res);
      case "sendMessage":
      case "sendPhoto": {
        const message: Record<string, unknown> = {
          message_id: this.nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chat), type: "private" },
        };
        if (method === "sendMessage") message.text = params.text;
        else message.photo = [{ file_id: "sent", file_unique_id: "sent", width: 1, height: 1 }];
        if (params.caption !== undefined) message.caption = params.caption;
        return ok(res, message);
      }
      case "editMessageText":
      case "editMessageCaption":
      case "editMessageReplyMarkup":
        return ok(res, { message_id: Number(params.message_id), date: 0, chat: { id: Number(chat), type: "private" } });
      case "getFile": {
        const f = this.files.get(String(params.file_id));
        if (!f) return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: invalid file_id" });
        if (f.size > 20 * 1024 * 1024)
          return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: file is too big" });
        return ok(res, { file_id: f.fileId, file_unique_id: `u-${f.fileId}`, file_size: f.size, file_path: `files/${f.fileId}` });
      }
      default:
        return json(res, 404, { ok: false, error_code: 404, description: `Not Found: method ${method} is not faked` });
    }
  }

  private record(call: RecordedCall): void {
    this.calls.push(call);
    for (const w of [...this.callWaiters]) {
      this.callWaiters.delete(w);
      w();
    }
  }

  private getUpdates(call: RecordedCall, req: IncomingMessage, res: ServerResponse): void {
    const offset = Number(call.params.offset ?? 0);
    const limit = Number(call.params.limit ?? 100);
    const timeoutS = Number(call.params.timeout ?? 0);
    // updates below the offset are confirmed: forget them
    while (this.updates.length > 0 && (this.updates[0] as Update).update_id < offset) this.updates.shift();
    this.record(call);
    const answer = () => {
      const batch = this.updates.filter((u) => u.update_id >= offset).slice(0, limit);
      ok(res, batch);
    };
    if (this.updates.some((u) => u.update_id >= offset) || timeoutS === 0) {
      answer();
      return;
    }
    const timer = setTimeout(wake, Math.min(timeoutS, 50) * 1000);
    const pollers = this.pollers;
    function wake() {
      clearTimeout(timer);
      pollers.delete(wake);
      if (!res.writableEnded && !res.destroyed) answer();
    }
    pollers.add(wake);
    req.on("close", () => {
      clearTimeout(timer);
      pollers.delete(wake);
    });
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function parseParams(
  contentType: string,
  body: Buffer,
  url: URL,
): Promise<{ params: Record<string, unknown>; files: Record<string, Buffer> }> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const files: Record<string, Buffer> = {};
  if (contentType.startsWith("application/json") && body.length > 0) {
    Object.assign(params, JSON.parse(body.toString("utf8")) as Record<string, unknown>);
  } else if (contentType.startsWith("multipart/form-data")) {
    const form = await new Response(body, { headers: { "content-type": contentType } }).formData();
    for (const [k, v] of form.entries()) {
      if (typeof v === "string") {
        // telegraf sends objects (reply_markup, ...) as JSON text
        params[k] = /^[[{]/.test(v) ? safeJson(v) : v;
      } else {
        files[k] = Buffer.from(await v.arrayBuffer());
      }
    }
  } else if (contentType.startsWith("application/x-www-form-urlencoded")) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString("utf8"))));
  }
  return { params, files };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function ok(res: ServerResponse, result: unknown): void {
  json(res, 200, { ok: true, result });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
