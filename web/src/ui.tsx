/** Small shared pieces: error and empty states, times, a loading hook, the people cache. */
import { type ReactNode, useCallback, useEffect, useState } from "react";
import { errorText, get, qs } from "./api.ts";
import type { GetPeoplePersonIdResponse, GetPeopleResponse, Person } from "./api.gen.ts";
import { useLive } from "./live.tsx";

export { formatDuration } from "./format.ts";

export function ErrorBox({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null;
  return (
    <div className="error" role="alert" data-testid={testId ?? "error"}>
      {errorText(error)}
    </div>
  );
}

export function Empty({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <p className="empty" data-testid={testId ?? "empty"}>
      {children}
    </p>
  );
}

/** An action's error beside its buttons (a table cell, a card), in the page's words. */
export function InlineError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="bad small" role="alert">
      {error}
    </p>
  );
}

/**
 * One button's request at a time: `run(f)` marks busy, clears the last error, awaits `f` and then `onDone`; a failure
 * becomes `error` (the portal's message) instead of an unhandled rejection.
 */
export function useAction(onDone?: () => void): {
  busy: boolean;
  error: string | null;
  run: (f: () => Promise<unknown>) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (f: () => Promise<unknown>) => {
      setBusy(true);
      setError(null);
      try {
        await f();
        onDone?.();
      } catch (err) {
        setError(errorText(err));
      } finally {
        setBusy(false);
      }
    },
    [onDone],
  );
  return { busy, error, run };
}

export function Loading() {
  return (
    <p className="loading" aria-live="polite">
      Loading…
    </p>
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/**
 * Loads `fn()` now, again when `deps` change and once after every socket reconnection (live generation).
 * Returns the data, the error and a reload function.
 */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; reload: () => void } {
  const { generation } = useLive();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names the dependencies of fn
  useEffect(() => {
    let live = true;
    fn().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [...deps, generation, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

// ---------------------------------------------------------------- people cache (for names and enrolled photos)

const people = new Map<string, Promise<Person | null>>();
const peopleListeners = new Set<() => void>();

export function invalidatePerson(personId?: string): void {
  if (personId) people.delete(personId);
  else people.clear();
  for (const l of peopleListeners) l();
}

function loadPerson(personId: string): Promise<Person | null> {
  let p = people.get(personId);
  if (!p) {
    p = get<Pick<GetPeoplePersonIdResponse, "person">>(`/api/v1/people/${encodeURIComponent(personId)}`).then(
      (r) => r.person,
      () => {
        people.delete(personId);
        return null;
      },
    );
    people.set(personId, p);
  }
  return p;
}

/** The person (cached; refetched after PersonUpdated/Enrolled/Removed), or null/undefined while unknown. */
export function usePerson(personId: string | null | undefined): Person | null | undefined {
  const [person, setPerson] = useState<Person | null | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    peopleListeners.add(l);
    return () => {
      peopleListeners.delete(l);
    };
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick re-reads the cache after an invalidation
  useEffect(() => {
    if (!personId) {
      setPerson(null);
      return;
    }
    let live = true;
    void loadPerson(personId).then((p) => live && setPerson(p));
    return () => {
      live = false;
    };
  }, [personId, tick]);
  return person;
}

/** People whose name contains `query` (the people API's search), refreshed 200 ms after typing stops, while `active`. */
export function usePersonSearch(active: boolean, query: string): Person[] {
  const [matches, setMatches] = useState<Person[]>([]);
  useEffect(() => {
    if (!active) return;
    let live = true;
    const t = setTimeout(() => {
      get<GetPeopleResponse>(`/api/v1/people${qs({ q: query.trim(), limit: 20 })}`).then(
        (r) => live && setMatches(r.items),
        () => undefined,
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [active, query]);
  return matches;
}
