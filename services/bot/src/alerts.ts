import { type Bus, type ConsumerLoop, type Handler, ok, retry } from "@persona/bus";
import { AnyEnvelopeSchema, type ConsumerDecl, type EnvelopeOf, consumerDecl } from "@persona/contracts";
import type { Logger } from "@persona/runtime";
import type { Telegram } from "telegraf";
import type { ChatRegistry } from "./chats.ts";
import { imageBytes } from "./media.ts";
import type { QuietPeriod } from "./quiet.ts";
import { telegramErrorCode } from "./util.ts";

/**
 * Alerts to subscribed admin chats: the face crop, the camera, the time, and the buttons "Enroll as ..." (for an
 * unknown face) and "Ignore". The portal's rules raise one alert per unknown visit; the quiet period per camera
 * holds back a burst on top of that.
 */

export const BOT_ALERTS_CONSUMER: ConsumerDecl = consumerDecl("bot-alerts");

/** Callback data of the alert buttons: "al:e:<alertId>" (enroll) and "al:i:<alertId>" (ignore); under 64 bytes. */
export const ALERT_CALLBACK = /^al:([ei]):([0-9a-f-]{36})$/;

export interface AlertDeliveryDeps {
  bus: Bus;
  telegram: Telegram;
  chats: ChatRegistry;
  quiet: QuietPeriod;
  now: () => number;
  log: Logger;
  timeZone?: string;
}

export function alertCaption(env: EnvelopeOf<"AlertRaised">, timeZone?: string): string {
  const a = env.data;
  const when = formatTime(env.occurredAt, timeZone);
  const icon = a.severity === "critical" || a.severity === "high" ? "🚨" : "⚠️";
  return [
    `${icon} ${a.message}`,
    `camera: ${a.cameraId ?? "-"}`,
    `time: ${when}`,
    `alert: ${a.kind}, ${a.severity}${a.personId ? `, person ${a.personId}` : ""}`,
  ].join("\n");
}

/** "2 Mar 2026, 10:00:05 UTC" in the given zone (the host's by default). */
export function formatTime(iso: string, timeZone?: string): string {
  try {
    return new Intl.DateTimeFormat("en-GB", {
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZone,
      timeZoneName: "short",
    }).format(new Date(iso));
  } catch {
    return iso;
  }
}

export function alertKeyboard(env: EnvelopeOf<"AlertRaised">) {
  const a = env.data;
  const row = [];
  if (a.personId === null && a.crop !== null) row.push({ text: "Enroll as …", callback_data: `al:e:${a.alertId}` });
  row.push({ text: "Ignore", callback_data: `al:i:${a.alertId}` });
  return { inline_keyboard: [row] };
}

/** Telegram errors that will not heal by sending again (the chat blocked the bot, does not exist, ...). */
function permanent(err: unknown): boolean {
  const code = telegramErrorCode(err);
  return code === 400 || code === 403;
}

export async function startAlertDelivery(d: AlertDeliveryDeps): Promise<ConsumerLoop> {
  /** Alerts let through the quiet period (so a redelivery is not held back by its own first attempt). */
  const admitted = new Set<string>();
  /** Chats an alert reached (a redelivery does not send it twice). */
  const delivered = new Map<string, Set<number>>();
  const remember = <T>(m: Set<T> | Map<T, unknown>, cap: number) => {
    if (m.size > cap) for (const k of [...m.keys()].slice(0, m.size - cap)) m.delete(k);
  };

  const raised: Handler<"AlertRaised"> = async (env, ctx) => {
    const a = env.data;
    if (!admitted.has(a.alertId)) {
      if (!d.quiet.admit(a.cameraId, a.kind, d.now())) {
        ctx.log.info({ alertId: a.alertId, cameraId: a.cameraId }, "alert held back by the quiet period");
        return ok();
      }
      admitted.add(a.alertId);
      remember(admitted, 5000);
    }
    const chats = await d.chats.alertChats(d.now());
    if (chats.length === 0) return ok();
    let crop: Buffer | null = null;
    if (a.crop) {
      crop = await imageBytes(d.bus, a.crop).catch((err: Error) => {
        ctx.log.warn({ alertId: a.alertId, err: err.message }, "alert crop unavailable; sending the text");
        return null;
      });
    }
    const caption = alertCaption(env, d.timeZone);
    const reply_markup = alertKeyboard(env);
    const done = delivered.get(a.alertId) ?? new Set<number>();
    delivered.set(a.alertId, done);
    remember(delivered, 5000);
    let failures = 0;
    for (const chatId of chats) {
      if (done.has(chatId)) continue;
      try {
        if (crop) await d.telegram.sendPhoto(chatId, { source: crop, filename: "face.jpg" }, { caption, reply_markup });
        else await d.telegram.sendMessage(chatId, caption, { reply_markup });
        done.add(chatId);
      } catch (err) {
        ctx.log.warn({ alertId: a.alertId, chatId, err: (err as Error).message }, "alert not delivered to a chat");
        if (permanent(err)) done.add(chatId);
        else failures++;
      }
    }
    return failures > 0 ? retry(`${failures} chat(s) not reached`, 5000) : ok();
  };

  return d.bus.consume({ consumer: BOT_ALERTS_CONSUMER, concurrency: 1, handlers: { AlertRaised: raised } });
}

/** The AlertRaised of an alert id, read back from the ALERTS stream (the buttons carry only the id). */
export async function findAlert(bus: Bus, alertId: string): Promise<EnvelopeOf<"AlertRaised"> | null> {
  if (!/^[0-9a-f-]{36}$/.test(alertId)) return null;
  const m = await bus.jsm.streams.getMessage("ALERTS", { last_by_subj: `alerts.${alertId}.raised` }).catch(() => null);
  if (!m) return null;
  const parsed = AnyEnvelopeSchema.safeParse(m.json());
  return parsed.success && parsed.data.type === "AlertRaised" ? parsed.data : null;
}
