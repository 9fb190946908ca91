/** Who is logged in, and what their role may do (the portal enforces the same; the console only hides). */
import { createContext, useContext } from "react";
import type { Role, User } from "./api.gen.ts";
import { roleAtLeast } from "./roles.ts";

export { roleAtLeast };

export interface Session {
  user: User;
  logout(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a logged-in console");
  return s;
}

/** True when the logged-in user's role is at least `min`. */
export function useCan(min: Role): boolean {
  return roleAtLeast(useSession().user.role, min);
}
