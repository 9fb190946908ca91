import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { START_TEXT } from "../texts.ts";
import { COMMANDS, HELP_TEXT, MENU, commandSpec } from "./index.ts";

describe("the command table", () => {
  test("/help lists the commands as before the table", () => {
    assert.equal(
      HELP_TEXT,
      [
        "Send a photo with the person's name as its caption (a description on a second line) to enroll them; an album of several photos of the same person adds them all.",
        "/people — everyone in the library",
        "/find <name> — people whose name contains the text",
        "/remove <name or id> — remove a person (asks first)",
        "/visitors — open visitors: recurring unknown faces, with their photo and Name / Ignore buttons",
        "/name_visitor <id> <name> — enroll a visitor's faces as a new person",
        "/name_visitor <id> =<name or id> — add a visitor's faces to someone in the library",
        "/ignore_visitor <id> [reason] — stop reviewing a visitor",
        "/groups — the groups and their sizes",
        "/group <group> — its members",
        "/group_add <group> = <person> — add someone (creates the group when new)",
        "/group_remove <group> = <person> — take someone out",
        "/status — services, cameras, consumer lag",
        "/subscribe, /unsubscribe — alerts on unknown faces in this chat",
        "/link <console username> — the absentees and digests of the sessions that user owns come to this chat; /link alone shows the link",
        "/unlink — no longer",
        "/reset — read the import folder again (keeps everyone else; asks first)",
        "/clear — erase all people and their data (asks for the phrase ERASE EVERYTHING)",
        "/logout — end this chat's login",
      ].join("\n"),
    );
  });

  test("the command menu is the same as before the table", () => {
    assert.deepEqual(MENU, [
      { command: "people", description: "everyone in the library" },
      { command: "find", description: "find a person by name" },
      { command: "remove", description: "remove a person (asks first)" },
      { command: "visitors", description: "recurring unknown faces to name or ignore" },
      { command: "name_visitor", description: "<id> <name>: enroll a visitor" },
      { command: "ignore_visitor", description: "<id> [reason]: ignore a visitor" },
      { command: "groups", description: "groups (courses, staff, guests)" },
      { command: "group", description: "<group>: its members" },
      { command: "group_add", description: "<group> = <person>: add to a group" },
      { command: "group_remove", description: "<group> = <person>: take out of a group" },
      { command: "status", description: "services, cameras, consumer lag" },
      { command: "subscribe", description: "alerts in this chat" },
      { command: "unsubscribe", description: "no more alerts here" },
      { command: "link", description: "<username>: sessions of a console user here" },
      { command: "unlink", description: "no more sessions of a console user here" },
      { command: "reset", description: "read the import folder again" },
      { command: "clear", description: "erase everyone (asks for a phrase)" },
      { command: "logout", description: "end this chat's login" },
      { command: "help", description: "how to use the bot" },
    ]);
  });

  test("only /login runs for a chat that has not logged in; /start and /help tell it how to log in", () => {
    const open = Object.entries(COMMANDS).filter(([, c]) => c.access === "anyone");
    assert.deepEqual(
      open.map(([name]) => name),
      ["login"],
    );
    const guest = Object.entries(COMMANDS).filter(([, c]) => c.guestText !== undefined);
    assert.deepEqual(
      guest.map(([name, c]) => [name, c.guestText]),
      [
        ["help", START_TEXT],
        ["start", START_TEXT],
      ],
    );
  });

  test("a name is looked up among the commands only, never Object's own properties", () => {
    assert.equal(commandSpec("people"), COMMANDS.people);
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
      assert.equal(commandSpec(name), undefined, name);
    }
  });
});
