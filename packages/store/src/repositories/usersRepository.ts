import { z } from "zod";
import type { CollectionDef, DocumentStore } from "../types.ts";
import { EntityId, type Page, UtcTime, Repository, ValidatedCollection, foldKey } from "./common.ts";

export const UserRole = z.enum(["admin", "operator", "viewer"]);
export type UserRole = z.infer<typeof UserRole>;

/** Console users. Usernames are unique case-insensitively (through `usernameKey`). */
export const UserDoc = z.object({
  id: EntityId,
  username: z
    .string()
    .min(1)
    .max(64)
    .regex(/^\S(.*\S)?$/u, "no leading or trailing whitespace"),
  /** foldKey(username), derived by the repository; carries the unique index. */
  usernameKey: z.string().min(1),
  /** An encoded hash (e.g. scrypt with its parameters); never the password. */
  passwordHash: z.string().min(1).max(1024),
  role: UserRole,
  createdAt: UtcTime,
  failedLogins: z.number().int().min(0).default(0),
  lockedUntil: UtcTime.nullable().default(null),
});
export type UserDoc = z.infer<typeof UserDoc>;
export type UserInput = Omit<z.input<typeof UserDoc>, "usernameKey">;

export const USERS_COLLECTION: CollectionDef = {
  name: "users",
  indexes: [{ fields: ["usernameKey"], unique: true }],
};

export class UsersRepository extends Repository<typeof UserDoc, UserInput> {
  static async open(store: DocumentStore): Promise<UsersRepository> {
    return new UsersRepository(await ValidatedCollection.open(store, USERS_COLLECTION, UserDoc));
  }

  async get(id: string): Promise<UserDoc | undefined> {
    return this.docs.get(id);
  }

  async findByUsername(username: string): Promise<UserDoc | undefined> {
    const [user] = await this.docs.find({ usernameKey: foldKey(username) }, { limit: 1 });
    return user;
  }

  /** Throws StoreConflictError when another user has the same username (case-insensitively). */
  protected toStored(user: UserInput): z.input<typeof UserDoc> {
    return withUsernameKey(user);
  }

  async delete(id: string): Promise<boolean> {
    return this.docs.delete(id);
  }

  /** Sorted by username, case-insensitively. */
  async list(page: Page = {}): Promise<UserDoc[]> {
    return this.docs.find({}, { sort: { usernameKey: 1 }, limit: page.limit, skip: page.skip });
  }

  async count(): Promise<number> {
    return this.docs.count();
  }
}

function withUsernameKey(user: UserInput): z.input<typeof UserDoc> {
  return { ...user, usernameKey: typeof user.username === "string" ? foldKey(user.username) : "" };
}
