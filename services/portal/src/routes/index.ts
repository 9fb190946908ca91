import express, { type Router } from "express";
import multer from "multer";
import type { PortalContext } from "../context.ts";
import { Api, type ApiDeps } from "../http/api.ts";
import { ApiError, errorHandler, sendError } from "../http/errors.ts";
import { LIVE_EVENTS, components } from "../http/schemas.ts";
import { alertRoutes } from "./alerts.ts";
import { apiKeyRoutes } from "./apiKeys.ts";
import { attendanceRoutes } from "./attendance.ts";
import { authRoutes } from "./auth.ts";
import { cameraAdminRoutes, cameraRoutes } from "./cameras.ts";
import { thresholdRoutes } from "./thresholds.ts";
import { groupRoutes } from "./groups.ts";
import { identifyRoutes } from "./identify.ts";
import { MAX_PHOTO_BYTES, MAX_PHOTOS } from "./enroll.ts";
import { mediaRoutes } from "./media.ts";
import { peopleRoutes } from "./people.ts";
import { presenceRoutes } from "./presence.ts";
import { ruleRoutes } from "./rules.ts";
import { sessionReportRoutes } from "./sessionReports.ts";
import { sessionRoutes } from "./sessions.ts";
import { sightingRoutes } from "./sightings.ts";
import { systemRoutes } from "./system.ts";
import { unknownRoutes } from "./unknowns.ts";
import { userRoutes } from "./users.ts";
import { visitorRoutes } from "./visitors.ts";

/** Every resource's routes, in the order the OpenAPI document lists them. */
export function registerRoutes(api: Api, c: PortalContext): void {
  authRoutes(api, c);
  peopleRoutes(api, c);
  unknownRoutes(api, c);
  visitorRoutes(api, c);
  identifyRoutes(api, c);
  sightingRoutes(api, c);
  presenceRoutes(api, c);
  alertRoutes(api, c);
  ruleRoutes(api, c);
  cameraRoutes(api, c);
  cameraAdminRoutes(api, c);
  thresholdRoutes(api, c);
  attendanceRoutes(api, c);
  groupRoutes(api, c);
  sessionRoutes(api, c);
  sessionReportRoutes(api, c);
  systemRoutes(api, c);
  userRoutes(api, c);
  apiKeyRoutes(api, c);
  mediaRoutes(api, c);
}

/** The OpenAPI document of `api`'s routes, with the named schemas and the socket.io events (GET /openapi.json). */
export function openapiDocument(api: Api): Record<string, unknown> {
  return api.openapi({ title: "Persona-ID portal API", version: "1" }, { components, live: LIVE_EVENTS });
}

/**
 * The portal's OpenAPI document without a running portal (scripts/gen-web-types.ts): the routes are registered
 * with a context no handler ever runs against (registering only declares them; any use of it throws).
 */
export function portalOpenApi(): Record<string, unknown> {
  const unused = new Proxy({} as PortalContext, {
    get(_t, key) {
      throw new Error(`portalOpenApi: route registration used the context (${String(key)}); it must only declare routes`);
    },
  });
  const api = new Api();
  registerRoutes(api, unused);
  return openapiDocument(api);
}

/**
 * The router the portal mounts at /api/v1: every route (registered above), GET /openapi.json, no caching, JSON bodies
 * up to 256 kB, multipart uploads for the routes that take files, and JSON answers for unknown routes and errors.
 */
export function apiRouter(c: PortalContext, session: ApiDeps["session"]): { api: Api; router: Router } {
  const api = new Api();
  registerRoutes(api, c);

  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_PHOTO_BYTES, files: MAX_PHOTOS + 1, fields: 20, fieldSize: 64 * 1024 },
  });

  const router = express.Router();
  // API answers are per user and change: no browser or proxy keeps them (a shared machine's back button, a cache)
  router.use((_req, res, next) => {
    res.set("Cache-Control", "no-store");
    next();
  });
  router.use(express.json({ limit: "256kb" }));
  const openapi = openapiDocument(api);
  router.get("/openapi.json", (_req, res) => {
    res.json(openapi);
  });
  api.mount(router, {
    session,
    upload: (files) => upload.fields(files.map((f) => ({ name: f.name, maxCount: f.maxCount }))),
    log: c.log,
  });
  router.use((_req, res) => sendError(res, new ApiError(404, "not-found", "no such API route")));
  router.use(errorHandler(c.log));
  return { api, router };
}
