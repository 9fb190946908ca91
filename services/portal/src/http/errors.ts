import { LibraryBusyError } from "@persona/library";
import type { NextFunction, Request, Response } from "express";
import { z } from "zod";

/** An error with its HTTP status and the contract's `{ error: { code, message, details? } }` body. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const badRequest = (message: string, details?: unknown) => new ApiError(400, "validation", message, details);
export const notFound = (what: string) => new ApiError(404, "not-found", `${what} not found`);
export const forbidden = (message = "your role may not do this") => new ApiError(403, "forbidden", message);
export const unavailable = (message: string) => new ApiError(503, "unavailable", message);

export function sendError(res: Response, err: ApiError): void {
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  const body: { error: { code: string; message: string; details?: unknown } } = {
    error: { code: err.code, message: err.message },
  };
  if (err.details !== undefined) body.error.details = err.details;
  res.status(err.status).json(body);
}

/** The last express error handler: ApiErrors as they are, body-parser and multer errors mapped, the rest 500. */
export function errorHandler(log: { error: (o: object, m: string) => void }) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (err instanceof ApiError) return sendError(res, err);
    // another writer held the person for the whole wait: a conflict the client can retry, not a server failure
    if (err instanceof LibraryBusyError) return sendError(res, new ApiError(409, "busy", `${err.message}; try again`));
    const e = err as { type?: string; status?: number; code?: string; message?: string; name?: string };
    if (e.type === "entity.too.large") return sendError(res, new ApiError(413, "too-large", "request body too large"));
    if (e.type === "entity.parse.failed") return sendError(res, badRequest("the body is not valid JSON"));
    if (e.name === "MulterError") {
      const status = e.code === "LIMIT_FILE_SIZE" ? 413 : 400;
      return sendError(res, new ApiError(status, status === 413 ? "too-large" : "validation", `upload: ${e.message}`));
    }
    // a multipart body busboy cannot read (no boundary, cut short, a malformed part header)
    if (/^(Multipart: |Unexpected end of form|Malformed part header|Part terminated early)/.test(e.message ?? "")) {
      return sendError(res, badRequest(`upload: ${e.message}`));
    }
    // any other client error keeps its own status: a path that is not valid %-encoding (400), an unknown charset
    // (415), ... never a 500
    const status = typeof e.status === "number" ? e.status : (e as { statusCode?: number }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      const code = status === 415 ? "unsupported-media-type" : status === 413 ? "too-large" : "bad-request";
      const message = err instanceof URIError ? "the path is not valid %-encoding" : (e.message ?? "bad request");
      return sendError(res, new ApiError(status, code, message));
    }
    log.error({ err }, "request failed");
    sendError(res, new ApiError(500, "internal", "internal error"));
  };
}
