import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Users, verifyPassword } from "@persona/service-portal";
import { openStore } from "@persona/store";
import { usersCommand } from "./commands/users.ts";
import { CliError, UsageError } from "./errors.ts";
import { capture } from "./testing/capture.ts";

describe("persona users (real SQLite store)", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "persona-users-"));
    env = { STORE_URL: `sqlite:${join(dir, "persona.db")}` };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const verify = async (username: string, password: string) => {
    const store = await openStore({ url: env.STORE_URL as string });
    try {
      const users = await Users.open(store);
      const u = await users.find(username);
      return u !== undefined && (await verifyPassword(password, u.passwordHash)) ? u.role : null;
    } finally {
      await store.close();
    }
  };

  test("add reads the password from stdin (first line) or a file; the store keeps only a scrypt hash", async () => {
    const o = capture();
    assert.equal(
      await usersCommand(
        { sub: "add", positionals: ["boss"], role: "admin", json: false, env, readPassword: async () => "boss-password-1\n" },
        o,
      ),
      0,
    );
    assert.match(o.out, /added boss \(admin\)/);
    assert.equal(await verify("boss", "boss-password-1"), "admin");
    const file = join(dir, "pw");
    writeFileSync(file, "viewer-password-1\n");
    assert.equal(
      await usersCommand({ sub: "add", positionals: ["vera"], role: "viewer", passwordFile: file, json: false, env }, capture()),
      0,
    );
    assert.equal(await verify("vera", "viewer-password-1"), "viewer");
    const store = await openStore({ url: env.STORE_URL as string });
    const raw = JSON.stringify(await (await store.collection({ name: "users" })).find({}));
    await store.close();
    assert.doesNotMatch(raw, /password-1/);
    assert.match(raw, /scrypt\$/);
  });

  test("list, passwd, remove; refusals: duplicate, weak password, unknown role, the last admin", async () => {
    const o = capture();
    assert.equal(await usersCommand({ sub: "list", positionals: [], json: true, env }, o), 0);
    assert.deepEqual(
      (JSON.parse(o.out) as { users: { username: string; role: string }[] }).users.map((u) => [u.username, u.role]),
      [
        ["boss", "admin"],
        ["vera", "viewer"],
      ],
    );
    await assert.rejects(
      usersCommand(
        { sub: "add", positionals: ["boss"], role: "admin", json: false, env, readPassword: async () => "another-pass-1" },
        capture(),
      ),
      CliError,
    );
    await assert.rejects(
      usersCommand(
        { sub: "add", positionals: ["weak"], role: "viewer", json: false, env, readPassword: async () => "short" },
        capture(),
      ),
      /at least 8/,
    );
    await assert.rejects(usersCommand({ sub: "add", positionals: ["x"], role: "root", json: false, env }, capture()), UsageError);
    assert.equal(
      await usersCommand(
        { sub: "passwd", positionals: ["vera"], json: false, env, readPassword: async () => "new-password-2" },
        capture(),
      ),
      0,
    );
    assert.equal(await verify("vera", "new-password-2"), "viewer");
    assert.equal(await verify("vera", "viewer-password-1"), null);
    await assert.rejects(
      usersCommand({ sub: "remove", positionals: ["boss"], yes: true, json: false, env }, capture()),
      /last admin/,
    );
    assert.equal(
      await usersCommand({ sub: "remove", positionals: ["vera"], yes: false, json: false, env }, capture()),
      1,
      "declined",
    );
    assert.equal(await usersCommand({ sub: "remove", positionals: ["vera"], yes: true, json: false, env }, capture()), 0);
    assert.equal(await verify("vera", "new-password-2"), null);
  });
});
