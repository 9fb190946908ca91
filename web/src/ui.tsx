/**
 * Small shared pieces: error and empty states, table headers, tabs, a pager, times, the loading, action and upload
 * hooks, the people cache.
 */
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
export function InlineError({ error, className = "bad small" }: { error: string | null; className?: string }) {
  if (!error) return null;
  return (
    <p className={className} role="alert">
      {error}
    </p>
  );
}

/** A form's error under its buttons, in the portal's words. */
export const FormError = ({ error }: { error: string | null }) => <InlineError error={error} className="error" />;

/** The frame of a bar chart: an SVG image `width` by `height`, its description for screen readers. */
export function ChartFrame({
  width,
  height,
  label,
  testId,
  children,
}: {
  width: number;
  height: number;
  label: string;
  testId: string;
  children: ReactNode;
}) {
  return (
    <svg className="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} data-testid={testId}>
      {children}
    </svg>
  );
}

/** A select's options: each value with its label. */
export function Options<V extends string | number>({ items }: { items: { value: V; label: string }[] }) {
  return items.map((o) => (
    <option key={o.value} value={o.value}>
      {o.label}
    </option>
  ));
}

/** A form's submit button (disabled while `busy`) beside Cancel. */
export function SubmitCancel({
  label,
  busy,
  testId,
  onCancel,
}: {
  label: string;
  busy: boolean;
  testId: string;
  onCancel: () => void;
}) {
  return (
    <div className="row">
      <button type="submit" className="primary" disabled={busy} data-testid={testId}>
        {label}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** A column of TableHead: its heading (or the heading with a tooltip); `false` leaves it out (a column for a role). */
export type Column = string | { label: ReactNode; title?: string } | false;

/** The heading of a row of buttons: read by screen readers, not shown. */
export const ACTIONS_COLUMN: Column = { label: <span className="sr-only">Actions</span> };

/** A table's header row, one `<th scope="col">` per column. */
export function TableHead({ columns }: { columns: Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) =>
          c === false ? null : typeof c === "string" ? (
            <th key={c} scope="col">
              {c}
            </th>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: a table's columns are fixed
            <th key={i} scope="col" title={c.title}>
              {c.label}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

/** A table of `rows` under `columns`, a `<tr>` each from `row` (keyed by it); `empty` in its place when there are none. */
export function ListTable<T>({
  columns,
  rows,
  row,
  empty,
  testId,
}: {
  columns: Column[];
  rows: T[];
  row: (item: T) => ReactNode;
  empty: ReactNode;
  testId: string;
}) {
  if (rows.length === 0) return empty;
  return (
    <table data-testid={testId}>
      <TableHead columns={columns} />
      <tbody>{rows.map((r) => row(r))}</tbody>
    </table>
  );
}

/** The last cell of a row with buttons, for the roles that may use them (`shown`), with the last action's error. */
export function ActionsCell({ shown, error, children }: { shown: boolean; error: string | null; children: ReactNode }) {
  if (!shown) return null;
  return (
    <td>
      {children}
      <InlineError error={error} />
    </td>
  );
}

/** Toggle buttons choosing one of `tabs` (a list's status filter); each button's test id is `${testId}-${value}`. */
export function Tabs<T extends string>({
  label,
  tabs,
  value,
  onChange,
  testId,
}: {
  label: string;
  tabs: { status: T; label: string }[];
  value: T;
  onChange: (v: T) => void;
  testId: string;
}) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: a labelled group of toggle buttons
    <div className="tabs" role="group" aria-label={label}>
      {tabs.map((t) => (
        <button
          key={t.status}
          type="button"
          aria-pressed={value === t.status}
          onClick={() => onChange(t.status)}
          data-testid={`${testId}-${t.status}`}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** Previous / "1-24 of 80" / Next over a list loaded `page` items at a time; nothing when one page holds them all. */
export function Pager({
  offset,
  total,
  page,
  onChange,
}: {
  offset: number;
  total: number;
  page: number;
  onChange: (offset: number) => void;
}) {
  if (total <= page) return null;
  return (
    <div className="pager">
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - page))}>
        Previous
      </button>
      <span>
        {offset + 1}-{Math.min(offset + page, total)} of {total}
      </span>
      <button type="button" disabled={offset + page >= total} onClick={() => onChange(offset + page)}>
        Next
      </button>
    </div>
  );
}

/**
 * One button's request at a time: `run(f)` marks busy, clears the last error, awaits `f` and then `onDone`; a failure
 * becomes `error` (the portal's message, or what `describe` makes of it) instead of an unhandled rejection. `setError`
 * shows an error found before any request (a form's own check).
 */
export function useAction(
  onDone?: () => void,
  describe: (err: unknown) => string = errorText,
): {
  busy: boolean;
  error: string | null;
  setError: (error: string | null) => void;
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
        setError(describe(err));
      } finally {
        setBusy(false);
      }
    },
    [onDone, describe],
  );
  return { busy, error, setError, run };
}

/** useAction for an upload: `send(f)` hands `f` the progress callback; `progress` is 0..1 while it runs, else null. */
export function useUpload(): {
  progress: number | null;
  error: string | null;
  setError: (error: string | null) => void;
  send: (f: (onProgress: (fraction: number) => void) => Promise<unknown>) => Promise<void>;
} {
  const [progress, setProgress] = useState<number | null>(null);
  const { error, setError, run } = useAction();
  const send = useCallback(
    (f: (onProgress: (fraction: number) => void) => Promise<unknown>) =>
      run(async () => {
        setProgress(0);
        try {
          await f(setProgress);
        } finally {
          setProgress(null);
        }
      }),
    [run],
  );
  return { progress, error, setError, send };
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
