/**
 * The portal's HTTP API (services/portal/API.md): typed wrappers over fetch, the CSRF header on every state-changing
 * request, the contract's error body turned into an ApiError, and uploads through XMLHttpRequest for progress. The
 * shapes of the answers and pushes are generated from the portal's OpenAPI document: `api.gen.ts`.
 */

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}
/** Called when a request answers 401 (the session ended): the app shows the login page. */
export function setUnauthorizedHandler(f: (() => void) | null): void {
  onUnauthorized = f;
}

const unsafe = (method: string) => !["GET", "HEAD", "OPTIONS"].includes(method);

function toApiError(status: number, body: unknown, statusText: string): ApiError {
  const e = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
  return new ApiError(status, e?.code ?? `http-${status}`, e?.message ?? (statusText || `HTTP ${status}`), e?.details, body);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (unsafe(method) && csrfToken) headers["x-csrf-token"] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith("/api/v1/auth/")) onUnauthorized?.();
    throw toApiError(res.status, parsed, res.statusText);
  }
  return parsed as T;
}

export const get = <T>(path: string) => request<T>("GET", path);
export const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {});
export const patch = <T>(path: string, body: unknown) => request<T>("PATCH", path, body);
export const put = <T>(path: string, body: unknown) => request<T>("PUT", path, body);
export const del = (path: string) => request<void>("DELETE", path);

/** A query string from the defined values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}

export interface UploadResult<T> {
  status: number;
  body: T;
}

/**
 * A multipart upload with progress (0..1). Resolves for 2xx and for 422 (enrollment rejected: the body says why per
 * photo); rejects with an ApiError otherwise.
 */
export function upload<T>(
  method: "POST" | "PUT",
  path: string,
  form: FormData,
  onProgress?: (fraction: number) => void,
): Promise<UploadResult<T>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.withCredentials = true;
    xhr.setRequestHeader("accept", "application/json");
    if (csrfToken) xhr.setRequestHeader("x-csrf-token", csrfToken);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "the upload failed: no answer from the portal"));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if ((xhr.status >= 200 && xhr.status < 300) || xhr.status === 422) resolve({ status: xhr.status, body: body as T });
      else {
        if (xhr.status === 401) onUnauthorized?.();
        reject(toApiError(xhr.status, body, xhr.statusText));
      }
    };
    xhr.send(form);
  });
}

/** Media URLs: only stored objects by key; every key segment is encoded. */
const mediaUrl = (kind: "photos" | "sounds" | "crops", key: string) =>
  `/api/v1/media/${kind}/${key.split("/").map(encodeURIComponent).join("/")}`;
export const photoUrl = (key: string) => mediaUrl("photos", key);
export const soundUrl = (key: string) => mediaUrl("sounds", key);
export const cropUrl = (key: string) => mediaUrl("crops", key);

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const d = err.details as { issues?: unknown } | unknown[] | undefined;
    const list = Array.isArray(d)
      ? d
      : Array.isArray((d as { issues?: unknown })?.issues)
        ? (d as { issues: unknown[] }).issues
        : null;
    // the portal's message may already list the issues (several lines); otherwise list them here
    if (list && !err.message.includes("\n")) {
      const issues = (list as { path?: (string | number)[]; message?: string }[])
        .slice(0, 8)
        .map((i) => `${(i.path ?? []).join(".") || "(root)"}: ${i.message ?? "invalid"}`);
      return `${err.message}\n${issues.join("\n")}`;
    }
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
