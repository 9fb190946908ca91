import type { Role } from "./api.gen.ts";

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** The roles, least first. */
export const ROLES: Role[] = ["viewer", "operator", "admin"];

/** True when `role` may do what `min` may (viewer < operator < admin); false when nobody is logged in. */
export function roleAtLeast(role: Role | undefined, min: Role): boolean {
  return role !== undefined && rank[role] >= rank[min];
}
