/** Small helpers shared by the bot's modules. */

/** An error without the bot token (telegraf's own messages may carry the API URL). */
export function redact(err: unknown, token: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (token && e.message.includes(token)) return new Error(e.message.split(token).join("[token]"));
  return e;
}

/** The HTTP-like code of a Bot API error (telegraf puts it on the error or on its response), if any. */
export function telegramErrorCode(err: unknown): unknown {
  return (err as { code?: unknown }).code ?? (err as { response?: { error_code?: unknown } }).response?.error_code;
}

/** The JSON of a NATS message's payload; null when it is not JSON. */
export function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
}
