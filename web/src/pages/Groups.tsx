/**
 * Groups (courses, staff, an event's guests): the list with members; operators create groups, add and remove people,
 * and import a CSV roster (name or person id, group per line) with a dry run first: every line's outcome, every bad
 * line's reason, and nothing applied while one line is bad.
 */
import { type FormEvent, useState } from "react";
import { ApiError, del, get, post } from "../api.ts";
import type { GetGroupsResponse, RosterImport, SessionGroup } from "../api.gen.ts";
import { useCan } from "../session.tsx";
import { Rates } from "./Rates.tsx";
import { Empty, ErrorBox, InlineError, Loading, useAction, useLoad, usePersonSearch } from "../ui.tsx";

const KINDS = ["course", "staff", "guests", "other"] as const;

function AddMember({ group, onChanged }: { group: SessionGroup; onChanged: () => void }) {
  const [query, setQuery] = useState("");
  const matches = usePersonSearch(query.trim().length > 0, query).filter(
    (p) => !group.members.some((m) => m.personId === p.personId),
  );
  const { error, run } = useAction(onChanged);
  const add = (personId: string) =>
    run(() => post(`/api/v1/groups/${encodeURIComponent(group.groupId)}/members`, { add: [personId] })).then(() => setQuery(""));
  return (
    <div>
      <label className="inline">
        Add a person
        <input
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="name"
          data-testid={`group-add-${group.groupId}`}
        />
      </label>
      {matches.length > 0 && (
        <ul className="plain">
          {matches.slice(0, 8).map((p) => (
            <li key={p.personId}>
              <button type="button" onClick={() => void add(p.personId)}>
                + {p.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      <InlineError error={error} />
    </div>
  );
}

function GroupCard({ group, operator, onChanged }: { group: SessionGroup; operator: boolean; onChanged: () => void }) {
  const { error, run } = useAction(onChanged);
  const id = encodeURIComponent(group.groupId);
  return (
    <section className="card" data-testid={`group-${group.groupId}`} aria-label={group.name}>
      <h2>
        {group.name} {group.kind && <span className="tag">{group.kind}</span>}
      </h2>
      <p className="muted small">
        {group.members.length} member(s)
        {group.sessions.length > 0 ? ` · on the roster of ${group.sessions.length} session(s)` : ""}
      </p>
      {group.members.length > 0 && (
        <ul className="plain" data-testid={`group-members-${group.groupId}`}>
          {group.members.map((m) => (
            <li key={m.personId}>
              {m.name ?? m.personId}
              {operator && (
                <button
                  type="button"
                  className="link small"
                  aria-label={`Remove ${m.name ?? m.personId} from ${group.name}`}
                  onClick={() => void run(() => post(`/api/v1/groups/${id}/members`, { remove: [m.personId] }))}
                >
                  remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {operator && (
        <>
          <AddMember group={group} onChanged={onChanged} />
          <button
            type="button"
            className="danger"
            disabled={group.sessions.length > 0}
            title={group.sessions.length > 0 ? "a session's roster names it" : undefined}
            onClick={() => window.confirm(`Delete group ${group.name}?`) && void run(() => del(`/api/v1/groups/${id}`))}
          >
            Delete group
          </button>
        </>
      )}
      <InlineError error={error} />
      <details>
        <summary>Attendance rates</summary>
        <Rates path={`/api/v1/groups/${id}/report`} />
      </details>
    </section>
  );
}

function NewGroup({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState<(typeof KINDS)[number]>("course");
  const { busy, error, run } = useAction(onCreated);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() => post("/api/v1/groups", { name: name.trim(), kind })).then(() => setName(""));
  };
  return (
    <form className="row wrap" onSubmit={submit} aria-label="New group">
      <label className="inline">
        New group
        <input value={name} onChange={(e) => setName(e.target.value)} required data-testid="group-name" />
      </label>
      <select value={kind} onChange={(e) => setKind(e.target.value as (typeof KINDS)[number])} aria-label="Kind">
        {KINDS.map((k) => (
          <option key={k}>{k}</option>
        ))}
      </select>
      <button type="submit" className="primary" disabled={busy} data-testid="group-create">
        Create
      </button>
      <InlineError error={error} />
    </form>
  );
}

function ImportReport({ report }: { report: RosterImport }) {
  const s = report.summary;
  return (
    <div data-testid="roster-report">
      <p>
        {report.applied ? "Applied" : report.dryRun ? "Dry run (nothing applied)" : "Not applied"}: {s.lines} line(s), {s.add} to
        add, {s.alreadyMember} already members, {s.duplicate} duplicate(s), {s.errors} error(s)
        {report.groupsCreated.length > 0 ? `, new groups: ${report.groupsCreated.map((g) => g.name).join(", ")}` : ""}.
      </p>
      {report.errors.length > 0 && (
        <ul className="bad small" data-testid="roster-errors">
          {report.errors.map((e) => (
            <li key={`${e.line}-${e.message}`}>
              line {e.line}: {e.message}
            </li>
          ))}
        </ul>
      )}
      {report.warnings.length > 0 && (
        <ul className="muted small">
          {report.warnings.map((w) => (
            <li key={`${w.line}-${w.message}`}>
              line {w.line}: {w.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function RosterImportCard({ onApplied }: { onApplied: () => void }) {
  const [csv, setCsv] = useState("");
  const [createGroups, setCreateGroups] = useState(false);
  const [report, setReport] = useState<RosterImport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const send = async (dryRun: boolean) => {
    setError(null);
    try {
      const r = await post<RosterImport>("/api/v1/groups/import", { csv, dryRun, createGroups });
      setReport(r);
      if (r.applied) onApplied();
    } catch (err) {
      // a bad roster answers 400 with the whole report: show its lines, not only the message
      if (err instanceof ApiError && err.details && typeof err.details === "object" && "summary" in err.details) {
        setReport(err.details as RosterImport);
      } else setError(err);
    }
  };
  const file = async (f: File | undefined) => f && setCsv(await f.text());
  return (
    <section className="card" aria-labelledby="roster-title">
      <h2 id="roster-title">Import a roster (CSV)</h2>
      <p className="muted small">
        One line per membership: <code>person name or id, group name or id</code> (a header line <code>person,group</code> is
        optional; <code>,</code> or <code>;</code>). Check it with a dry run: nothing is applied while one line is wrong.
      </p>
      <input
        type="file"
        accept=".csv,text/csv,text/plain"
        onChange={(e) => void file(e.target.files?.[0])}
        aria-label="CSV file"
      />
      <textarea rows={6} value={csv} onChange={(e) => setCsv(e.target.value)} aria-label="CSV roster" data-testid="roster-csv" />
      <label className="check">
        <input type="checkbox" checked={createGroups} onChange={(e) => setCreateGroups(e.target.checked)} /> create the groups the
        file names that do not exist yet
      </label>
      <div className="row">
        <button type="button" disabled={!csv.trim()} onClick={() => void send(true)} data-testid="roster-dry-run">
          Dry run
        </button>
        <button
          type="button"
          className="primary"
          disabled={!csv.trim() || !report || report.errors.length > 0 || !report.dryRun}
          onClick={() => void send(false)}
          data-testid="roster-apply"
        >
          Apply
        </button>
      </div>
      <ErrorBox error={error} />
      {report && <ImportReport report={report} />}
    </section>
  );
}

export function Groups() {
  const operator = useCan("operator");
  const { data, error, reload } = useLoad(() => get<GetGroupsResponse>("/api/v1/groups"), []);
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Groups</h1>
      <ErrorBox error={error} />
      {operator && <NewGroup onCreated={reload} />}
      {!data && !error && <Loading />}
      {data && data.items.length === 0 && (
        <Empty testId="groups-empty">No groups yet. {operator ? "Create one above or import a roster." : ""}</Empty>
      )}
      <div className="settings-grid">
        {data?.items.map((g) => (
          <GroupCard key={g.groupId} group={g} operator={operator} onChanged={reload} />
        ))}
        {operator && <RosterImportCard onApplied={reload} />}
      </div>
    </section>
  );
}
