import { randomUUID } from "node:crypto";
import { type DocumentStore, StoreConflictError, type UserDoc, type UserRole, UsersRepository } from "@persona/store";
import { hashPassword, passwordProblem } from "./passwords.ts";

/** Console users: create, list, change password or role, remove. Shared by the portal and `persona users`. */

export class UserError extends Error {
  override name = "UserError";
  constructor(
    readonly code: "exists" | "not-found" | "bad-password" | "bad-username" | "last-admin",
    message: string,
  ) {
    super(message);
  }
}

export const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;

export interface PublicUser {
  username: string;
  role: UserRole;
  createdAt: string;
}

export const publicUser = (u: UserDoc): PublicUser => ({ username: u.username, role: u.role, createdAt: u.createdAt });

export class Users {
  private constructor(readonly repo: UsersRepository) {}

  static async open(store: DocumentStore): Promise<Users> {
    return new Users(await UsersRepository.open(store));
  }

  async list(): Promise<UserDoc[]> {
    return this.repo.list();
  }

  async find(username: string): Promise<UserDoc | undefined> {
    return this.repo.findByUsername(username);
  }

  async add(username: string, role: UserRole, password: string): Promise<UserDoc> {
    if (!USERNAME.test(username)) throw new UserError("bad-username", "a username is 1-64 letters, digits, '.', '_', '@' or '-'");
    const problem = passwordProblem(password);
    if (problem) throw new UserError("bad-password", problem);
    if (await this.repo.findByUsername(username)) throw new UserError("exists", `user ${username} exists`);
    try {
      return await this.repo.put({
        id: randomUUID(),
        username,
        passwordHash: await hashPassword(password),
        role,
        createdAt: new Date(),
      });
    } catch (err) {
      if (err instanceof StoreConflictError) throw new UserError("exists", `user ${username} exists`);
      throw err;
    }
  }

  private async existing(username: string): Promise<UserDoc> {
    const u = await this.repo.findByUsername(username);
    if (!u) throw new UserError("not-found", `no user ${username}`);
    return u;
  }

  private async keepAnAdmin(u: UserDoc, nextRole: UserRole | null): Promise<void> {
    if (u.role !== "admin" || nextRole === "admin") return;
    const admins = (await this.repo.list()).filter((x) => x.role === "admin");
    if (admins.length <= 1) throw new UserError("last-admin", "the last admin cannot be removed or demoted");
  }

  async update(username: string, change: { role?: UserRole; password?: string }): Promise<UserDoc> {
    const u = await this.existing(username);
    if (change.role !== undefined) await this.keepAnAdmin(u, change.role);
    let passwordHash = u.passwordHash;
    if (change.password !== undefined) {
      const problem = passwordProblem(change.password);
      if (problem) throw new UserError("bad-password", problem);
      passwordHash = await hashPassword(change.password);
    }
    const { usernameKey: _k, ...rest } = u;
    return this.repo.put({ ...rest, role: change.role ?? u.role, passwordHash, failedLogins: 0, lockedUntil: null });
  }

  async remove(username: string): Promise<UserDoc> {
    const u = await this.existing(username);
    await this.keepAnAdmin(u, null);
    await this.repo.delete(u.id);
    return u;
  }

  /** The first admin from the environment, only when no user exists at all. Returns true when created. */
  async ensureFirstAdmin(admin: { username: string; password: string } | undefined): Promise<boolean> {
    if (!admin || (await this.repo.count()) > 0) return false;
    await this.add(admin.username, "admin", admin.password);
    return true;
  }
}
