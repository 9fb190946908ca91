import { START_TEXT } from "../texts.ts";
import { ERASE_PHRASE, clear } from "./clear.ts";
import { find } from "./find.ts";
import { group, groupAdd, groupRemove, groups } from "./groups.ts";
import { help } from "./help.ts";
import { ignoreVisitorCommand } from "./ignoreVisitor.ts";
import { link, unlink } from "./link.ts";
import { login } from "./login.ts";
import { logout } from "./logout.ts";
import { nameVisitorCommand } from "./nameVisitor.ts";
import { people } from "./people.ts";
import { remove } from "./remove.ts";
import { reset } from "./reset.ts";
import { status } from "./status.ts";
import { subscribe, unsubscribe } from "./subscribe.ts";
import type { CommandSpec } from "./types.ts";
import { visitors } from "./visitors.ts";

/**
 * Every command: who may run it, its line in Telegram's command menu and in /help (both made from this table, in
 * its order), and its handler. The gate (gate.ts) checks `access` before any handler runs.
 */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  people: { access: "admin", menu: "everyone in the library", help: ["/people — everyone in the library"], handler: people },
  find: {
    access: "admin",
    menu: "find a person by name",
    help: ["/find <name> — people whose name contains the text"],
    handler: find,
  },
  remove: {
    access: "admin",
    menu: "remove a person (asks first)",
    help: ["/remove <name or id> — remove a person (asks first)"],
    handler: remove,
  },
  visitors: {
    access: "admin",
    menu: "recurring unknown faces to name or ignore",
    help: ["/visitors — open visitors: recurring unknown faces, with their photo and Name / Ignore buttons"],
    handler: visitors,
  },
  name_visitor: {
    access: "admin",
    menu: "<id> <name>: enroll a visitor",
    help: [
      "/name_visitor <id> <name> — enroll a visitor's faces as a new person",
      "/name_visitor <id> =<name or id> — add a visitor's faces to someone in the library",
    ],
    handler: nameVisitorCommand,
  },
  ignore_visitor: {
    access: "admin",
    menu: "<id> [reason]: ignore a visitor",
    help: ["/ignore_visitor <id> [reason] — stop reviewing a visitor"],
    handler: ignoreVisitorCommand,
  },
  groups: {
    access: "admin",
    menu: "groups (courses, staff, guests)",
    help: ["/groups — the groups and their sizes"],
    handler: groups,
  },
  group: {
    access: "admin",
    menu: "<group>: its members",
    help: [
      "/group <group> — its members",
      "/group_add <group> = <person> — add someone (creates the group when new)",
      "/group_remove <group> = <person> — take someone out",
    ],
    handler: group,
  },
  group_add: { access: "admin", menu: "<group> = <person>: add to a group", handler: groupAdd },
  group_remove: { access: "admin", menu: "<group> = <person>: take out of a group", handler: groupRemove },
  status: {
    access: "admin",
    menu: "services, cameras, consumer lag",
    help: ["/status — services, cameras, consumer lag"],
    handler: status,
  },
  subscribe: {
    access: "admin",
    menu: "alerts in this chat",
    help: ["/subscribe, /unsubscribe — alerts on unknown faces in this chat"],
    handler: subscribe,
  },
  unsubscribe: { access: "admin", menu: "no more alerts here", handler: unsubscribe },
  link: {
    access: "admin",
    menu: "<username>: sessions of a console user here",
    help: [
      "/link <console username> — the absentees and digests of the sessions that user owns come to this chat; /link alone shows the link",
      "/unlink — no longer",
    ],
    handler: link,
  },
  unlink: { access: "admin", menu: "no more sessions of a console user here", handler: unlink },
  reset: {
    access: "admin",
    menu: "read the import folder again",
    help: ["/reset — read the import folder again (keeps everyone else; asks first)"],
    handler: reset,
  },
  clear: {
    access: "admin",
    menu: "erase everyone (asks for a phrase)",
    help: [`/clear — erase all people and their data (asks for the phrase ${ERASE_PHRASE})`],
    handler: clear,
  },
  logout: { access: "admin", menu: "end this chat's login", help: ["/logout — end this chat's login"], handler: logout },
  help: { access: "admin", guestText: START_TEXT, menu: "how to use the bot", handler: help },
  start: { access: "admin", guestText: START_TEXT, handler: help },
  login: { access: "anyone", handler: login },
};

/** The command of that name (never one of Object's own properties: "/constructor" is unknown). */
export function commandSpec(name: string): CommandSpec | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

export const HELP_TEXT = [
  "Send a photo with the person's name as its caption (a description on a second line) to enroll them; an album of several photos of the same person adds them all.",
  ...Object.values(COMMANDS).flatMap((c) => c.help ?? []),
].join("\n");

/** The command menu Telegram clients show. */
export const MENU = Object.entries(COMMANDS).flatMap(([command, c]) => (c.menu ? [{ command, description: c.menu }] : []));
