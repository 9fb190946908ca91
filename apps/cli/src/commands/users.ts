import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { SessionStore, UserError, Users } from "@persona/service-portal";
import { type DocumentStore, UserRole } from "@persona/store";
import { openCliStore } from "../client/connect.ts";
import { CliError, UsageError } from "../errors.ts";
import { type Output, stdio } from "../output.ts";
import { pad } from "../library/people.ts";

export interface UsersArgs {
  sub: string | undefined;
  positionals: string[];
  role?: string;
  passwordFile?: string;
  json: boolean;
  yes?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Reads the password when no file is given (default: stdin). */
  readPassword?: (prompt: string) => Promise<string>;
}

export async function usersCommand(args: UsersArgs, out: Output = stdio()): Promise<number> {
  const name = () => {
    if (args.positionals.length !== 1) throw new UsageError(`usage: persona users ${args.sub} NAME`);
    return args.positionals[0] as string;
  };
  switch (args.sub) {
    case "add": {
      const username = name();
      const role = UserRole.safeParse(args.role);
      if (!role.success) throw new UsageError("users add needs --role admin|operator|viewer");
      const password = await passwordOf(args, `password for ${username}: `);
      return withStore(args, async (store) => {
        const u = await (await Users.open(store)).add(username, role.data, password);
        out.stdout(
          args.json
            ? `${JSON.stringify({ version: 1, added: { username: u.username, role: u.role } })}\n`
            : `added ${u.username} (${u.role})\n`,
        );
        return 0;
      });
    }
    case "list": {
      if (args.positionals.length > 0) throw new UsageError("users list takes no arguments");
      return withStore(args, async (store) => {
        const users = await (await Users.open(store)).list();
        const rows = users.map((u) => ({ username: u.username, role: u.role, createdAt: u.createdAt }));
        if (args.json) out.stdout(`${JSON.stringify({ version: 1, count: rows.length, users: rows }, null, 2)}\n`);
        else if (rows.length === 0) out.stdout("no users (persona users add NAME --role admin)\n");
        else {
          const w = Math.max(8, ...rows.map((r) => r.username.length));
          out.stdout(`${pad("USERNAME", w)}  ${pad("ROLE", 8)}  CREATED\n`);
          for (const r of rows) out.stdout(`${pad(r.username, w)}  ${pad(r.role, 8)}  ${r.createdAt}\n`);
        }
        return 0;
      });
    }
    case "remove": {
      const username = name();
      if (args.yes !== true && !(await out.confirm(`Remove console user ${username}?`))) {
        out.stdout("not removed\n");
        return 1;
      }
      return withStore(args, async (store) => {
        const u = await (await Users.open(store)).remove(username);
        await (await SessionStore.open(store, 0)).deleteUser(u.id);
        out.stdout(args.json ? `${JSON.stringify({ version: 1, removed: u.username })}\n` : `removed ${u.username}\n`);
        return 0;
      });
    }
    case "passwd": {
      const username = name();
      const password = await passwordOf(args, `new password for ${username}: `);
      return withStore(args, async (store) => {
        const u = await (await Users.open(store)).update(username, { password });
        await (await SessionStore.open(store, 0)).deleteUser(u.id);
        out.stdout(
          args.json ? `${JSON.stringify({ version: 1, changed: u.username })}\n` : `password of ${u.username} changed\n`,
        );
        return 0;
      });
    }
    default:
      throw new UsageError(
        args.sub === undefined
          ? "persona users: say add, list, remove or passwd"
          : `persona users: unknown subcommand ${JSON.stringify(args.sub)} (add, list, remove, passwd)`,
      );
  }
}

async function withStore(args: UsersArgs, f: (store: DocumentStore) => Promise<number>): Promise<number> {
  const store = await openCliStore(args.env);
  try {
    return await f(store);
  } catch (err) {
    if (err instanceof UserError) throw new CliError(err.message, 1, { cause: err });
    throw err;
  } finally {
    await store.close();
  }
}

async function passwordOf(args: UsersArgs, prompt: string): Promise<string> {
  let text: string;
  if (args.passwordFile !== undefined) {
    try {
      text = await readFile(args.passwordFile, "utf8");
    } catch (err) {
      throw new CliError(`cannot read ${args.passwordFile}: ${(err as Error).message}`, 1, { cause: err });
    }
  } else {
    text = await (args.readPassword ?? readStdinPassword)(prompt);
  }
  const password = text.split(/\r?\n/)[0] ?? "";
  if (password.length === 0) throw new CliError("no password given (stdin or --password-file)");
  return password;
}

/** The first line of stdin; on a terminal, asked for on stderr without echo. */
async function readStdinPassword(prompt: string): Promise<string> {
  const tty = process.stdin.isTTY === true;
  if (tty) process.stderr.write(prompt);
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  const rl = createInterface({ input: process.stdin, output: tty ? muted : undefined, terminal: tty });
  try {
    return await new Promise<string>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
    });
  } finally {
    rl.close();
    if (tty) process.stderr.write("\n");
  }
}
