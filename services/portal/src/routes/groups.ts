import { randomUUID } from "node:crypto";
import { GroupKind } from "@persona/contracts";
import { type GroupState, planRoster } from "@persona/sessions";
import { z } from "zod";
import type { PortalContext } from "../context.ts";
import type { Api } from "../http/api.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { Id, RosterImport, SessionGroup, items } from "../http/schemas.ts";
import { byOf, runCommand } from "../sessions/http.ts";

const GroupParams = z.object({ groupId: Id });
const GroupName = z.string().trim().min(1).max(200);

/** A group as the API shows it: members who are in the library (by name), the live sessions that have it. */
function groupOf(c: PortalContext, g: GroupState): z.infer<typeof SessionGroup> {
  const fold = c.attendanceSessions.consumer.fold;
  const state = fold.projection.sessions;
  const members = [...g.members]
    .filter((p) => state.people.has(p))
    .map((personId) => ({ personId, name: fold.nameOf(personId) }))
    .sort((a, b) => (a.name ?? a.personId).localeCompare(b.name ?? b.personId));
  const sessions = [...state.sessions.values()]
    .filter((s) => !s.cancelled && s.roster.groups.includes(g.groupId))
    .map((s) => s.sessionId);
  return { groupId: g.groupId, name: g.name, kind: g.kind, members, sessions };
}

function groupNow(c: PortalContext, groupId: string) {
  const g = c.attendanceSessions.consumer.fold.projection.sessions.groups.get(groupId);
  if (!g) throw notFound(`group ${groupId}`);
  return groupOf(c, g);
}

/** Groups (courses, staff, guests): list, create, rename, delete, members, and CSV rosters. */
export function groupRoutes(api: Api, c: PortalContext): void {
  api.add({
    method: "get",
    path: "/groups",
    summary: "Groups with their members",
    tag: "groups",
    role: "viewer",
    responses: { 200: items(SessionGroup) },
    async handler() {
      const groups = [...c.attendanceSessions.consumer.fold.projection.sessions.groups.values()];
      return { status: 200, body: { items: groups.map((g) => groupOf(c, g)).sort((a, b) => a.name.localeCompare(b.name)) } };
    },
  });

  api.add({
    method: "post",
    path: "/groups",
    summary: "Create a group (a name no other group has, ignoring case and spaces)",
    tag: "groups",
    role: "operator",
    body: z.object({ groupId: Id.optional(), name: GroupName, kind: GroupKind.optional() }),
    responses: { 201: SessionGroup },
    async handler({ body, session }) {
      const groupId = body.groupId ?? `g-${randomUUID()}`;
      await runCommand(c, {
        kind: "create-group",
        groupId,
        name: body.name,
        by: byOf(session),
        ...(body.kind ? { groupKind: body.kind } : {}),
      });
      return { status: 201, body: groupNow(c, groupId) };
    },
  });

  api.add({
    method: "get",
    path: "/groups/:groupId",
    summary: "A group with its members",
    tag: "groups",
    role: "viewer",
    params: GroupParams,
    responses: { 200: SessionGroup },
    async handler({ params }) {
      return { status: 200, body: groupNow(c, params.groupId) };
    },
  });

  api.add({
    method: "patch",
    path: "/groups/:groupId",
    summary: "Rename a group",
    tag: "groups",
    role: "operator",
    params: GroupParams,
    body: z.object({ name: GroupName }),
    responses: { 200: SessionGroup },
    async handler({ params, body, session }) {
      await runCommand(c, { kind: "rename-group", groupId: params.groupId, name: body.name, by: byOf(session) });
      return { status: 200, body: groupNow(c, params.groupId) };
    },
  });

  api.add({
    method: "delete",
    path: "/groups/:groupId",
    summary: "Delete a group (not while a live session's roster names it: 409 group-in-use)",
    tag: "groups",
    role: "operator",
    params: GroupParams,
    responses: { 204: z.undefined() },
    async handler({ params, session }) {
      await runCommand(c, { kind: "delete-group", groupId: params.groupId, by: byOf(session) });
      return { status: 204 };
    },
  });

  api.add({
    method: "post",
    path: "/groups/:groupId/members",
    summary: "Add and remove members (people in the library, by id)",
    tag: "groups",
    role: "operator",
    params: GroupParams,
    body: z
      .object({ add: z.array(Id).max(10_000).default([]), remove: z.array(Id).max(10_000).default([]) })
      .refine((b) => b.add.length + b.remove.length > 0, "name people to add or remove"),
    responses: { 200: SessionGroup },
    async handler({ params, body, session }) {
      await runCommand(c, {
        kind: "change-members",
        groupId: params.groupId,
        add: body.add,
        remove: body.remove,
        by: byOf(session),
      });
      return { status: 200, body: groupNow(c, params.groupId) };
    },
  });

  rosterImportRoute(api, c);
}

/** POST /groups/import: a CSV roster planned all or nothing, with a dry run. */
function rosterImportRoute(api: Api, c: PortalContext): void {
  api.add({
    method: "post",
    path: "/groups/import",
    summary:
      "A CSV roster (person name or id, group name or id per line): a report line by line; all or nothing (any bad line: 400 with every error, nothing applied)",
    tag: "groups",
    role: "operator",
    body: z.object({
      csv: z.string().min(1).max(200_000),
      dryRun: z.boolean().default(false),
      /** Create the groups the file names that do not exist (otherwise an unknown group is an error). */
      createGroups: z.boolean().default(false),
      groupKind: GroupKind.optional(),
    }),
    responses: { 200: RosterImport },
    async handler({ body, session }) {
      const state = c.attendanceSessions.consumer.fold.projection.sessions;
      const plan = planRoster(body.csv, state, {
        by: byOf(session),
        createGroups: body.createGroups,
        ...(body.groupKind ? { groupKind: body.groupKind } : {}),
      });
      const report = { dryRun: body.dryRun, applied: false, ...plan.report };
      if (!plan.ok) {
        const lines = plan.report.errors.map((e) => `line ${e.line}: ${e.message}`).join("; ");
        throw new ApiError(
          400,
          "roster-invalid",
          `the roster has ${plan.report.errors.length} bad line(s), nothing applied: ${lines}`,
          report,
        );
      }
      if (body.dryRun) return { status: 200, body: report };
      for (const command of plan.commands) await runCommand(c, command);
      return { status: 200, body: { ...report, applied: true } };
    },
  });
}
