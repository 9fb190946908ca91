import assert from "node:assert/strict";
import { test } from "node:test";
import { LibraryBusyError } from "@persona/library";
import type { NextFunction, Request, Response } from "express";
import { errorHandler } from "./errors.ts";

function fakeResponse() {
  const out = { status: 0, body: undefined as unknown };
  const res = {
    headersSent: false,
    status(code: number) {
      out.status = code;
      return res;
    },
    json(body: unknown) {
      out.body = body;
      return res;
    },
    setHeader() {},
  };
  return { res: res as unknown as Response, out };
}

test("a person held by another writer for the whole wait is a 409 the client can retry, not a 500", () => {
  const logged: object[] = [];
  const handle = errorHandler({ error: (o) => logged.push(o) });
  const { res, out } = fakeResponse();
  handle(
    new LibraryBusyError("person ann is being changed by another writer (lock still held)"),
    {} as Request,
    res,
    (() => {}) as NextFunction,
  );
  assert.equal(out.status, 409);
  assert.deepEqual(out.body, {
    error: { code: "busy", message: "person ann is being changed by another writer (lock still held); try again" },
  });
  assert.deepEqual(logged, [], "not logged as a failure");
  const other = fakeResponse();
  handle(new Error("boom"), {} as Request, other.res, (() => {}) as NextFunction);
  assert.equal(other.out.status, 500);
});
