/** The Visitors page's list, pure: REST pages and pushed `visitor` changes as one list, most recently seen first. */
import type { LiveVisitor, Visitor, VisitorStatus } from "./api.gen.ts";

/** Most recently seen first; ties by id (the portal's order). */
export function sortVisitors(list: Visitor[]): Visitor[] {
  return [...list].sort((a, b) =>
    a.lastSeen === b.lastSeen ? (a.visitorId < b.visitorId ? -1 : 1) : a.lastSeen < b.lastSeen ? 1 : -1,
  );
}

/**
 * The list after a push, showing visitors of `status`: absorbed visitors go, a visitor whose status is no longer
 * `status` goes, one that has it is added or replaced. Also says how the total changed.
 */
export function applyVisitorPush(list: Visitor[], push: LiveVisitor, status: VisitorStatus): { list: Visitor[]; delta: number } {
  const gone = new Set([...push.removed, push.visitorId]);
  const kept = list.filter((v) => !gone.has(v.visitorId));
  const next = push.visitor && push.visitor.status === status ? sortVisitors([push.visitor, ...kept]) : kept;
  return { list: next, delta: next.length - list.length };
}
