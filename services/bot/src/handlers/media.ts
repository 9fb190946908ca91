import type { AnyMessage, HandlerDeps } from "../deps.ts";
import type { MediaMessage } from "../parse.ts";

/**
 * A photo or a document from a logged-in chat enrolls the person its caption names (it also ends the chat's open
 * question). The photos of an album are collected first (AlbumCollector) and enrolled together.
 */
export async function onMedia(d: HandlerDeps, chatId: number, msg: AnyMessage): Promise<void> {
  d.pending.takeQuestion(chatId, d.now());
  if (msg.media_group_id) d.albums.add(`${chatId}/${msg.media_group_id}`, msg);
  else enrollPhotos(d, chatId, [msg]);
}

/** One EnrollPerson for the photos of one message or album, in the background (the login is checked again). */
export function enrollPhotos(d: HandlerDeps, chatId: number, messages: (MediaMessage & { caption?: string })[]): void {
  d.background(chatId, () => d.enroller.fromMessages(chatId, messages));
}
