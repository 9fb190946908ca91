/**
 * API keys (admin, on the Users page): create one with a role and an optional expiry (the key is shown once, with a
 * copy button), the list (prefix, role, created, expires, last used, by whom) and revoke.
 */
import { type FormEvent, useState } from "react";
import { del, errorText, get, post } from "../api.ts";
import type { ApiKey, CreatedApiKey, GetApiKeysResponse, Role } from "../api.gen.ts";
import { ROLES } from "../roles.ts";
import {
  ACTIONS_COLUMN,
  Empty,
  ErrorBox,
  FormError,
  Loading,
  ListTable,
  Options,
  formatDateTime,
  useAction,
  useLoad,
} from "../ui.tsx";

const EXPIRY_DAYS = [
  { label: "30 days", value: 30 },
  { label: "90 days", value: 90 },
  { label: "1 year", value: 365 },
  { label: "never", value: 0 },
];

/** The role of a new user or API key. */
export function RoleField({ value, onChange, testId }: { value: Role; onChange: (role: Role) => void; testId?: string }) {
  return (
    <label>
      Role
      <select value={value} onChange={(e) => onChange(e.target.value as Role)} data-testid={testId}>
        {ROLES.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
    </label>
  );
}

function NewKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied("copied");
    } catch {
      setCopied("the browser refused: select the key and copy it");
    }
  };
  return (
    <div className="card" role="status" data-testid="api-key-created">
      <p>
        <strong>Copy the key now: it is shown this once.</strong> The portal keeps only its hash and cannot show it again; whoever
        holds it acts as <em>{created.apiKey.role}</em>.
      </p>
      <p>
        <code data-testid="api-key-secret" style={{ wordBreak: "break-all" }}>
          {created.key}
        </code>
      </p>
      <button type="button" onClick={() => void copy()} data-testid="api-key-copy">
        Copy
      </button>{" "}
      <button type="button" onClick={onDone}>
        Done
      </button>
      {copied && <span className="muted small"> {copied}</span>}
    </div>
  );
}

function KeyRow({ k, onChanged }: { k: ApiKey; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const expired = k.expiresAt !== null && Date.parse(k.expiresAt) <= Date.now();
  const state = k.revokedAt ? `revoked ${formatDateTime(k.revokedAt)} by ${k.revokedBy ?? "?"}` : expired ? "expired" : "active";
  const revoke = async () => {
    if (!window.confirm(`Revoke the API key ${k.name} (${k.prefix}…)? Scripts using it stop working.`)) return;
    setError(null);
    try {
      await del(`/api/v1/api-keys/${encodeURIComponent(k.id)}`);
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <tr data-testid="api-key-row" data-prefix={k.prefix}>
      <th scope="row">{k.name}</th>
      <td>
        <code>{k.prefix}…</code>
      </td>
      <td>{k.role}</td>
      <td>
        {formatDateTime(k.createdAt)} by {k.createdBy}
      </td>
      <td>{k.expiresAt ? formatDateTime(k.expiresAt) : "never"}</td>
      <td>{k.lastUsedAt ? formatDateTime(k.lastUsedAt) : "never"}</td>
      <td data-testid="api-key-state">{state}</td>
      <td>
        {!k.revokedAt && (
          <button type="button" className="danger" onClick={() => void revoke()}>
            Revoke
          </button>
        )}
        {error && (
          <span className="error" role="alert">
            {error}
          </span>
        )}
      </td>
    </tr>
  );
}

export function ApiKeys() {
  const { data, error, reload } = useLoad(() => get<GetApiKeysResponse>("/api/v1/api-keys"), []);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [days, setDays] = useState(90);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const adding = useAction(reload);
  const create = (e: FormEvent) => {
    e.preventDefault();
    void adding.run(async () => {
      const expiresAt = days > 0 ? new Date(Date.now() + days * 86_400_000).toISOString() : null;
      setCreated(await post<CreatedApiKey>("/api/v1/api-keys", { name: name.trim(), role, expiresAt }));
      setName("");
    });
  };
  return (
    <section aria-labelledby="api-keys-title" data-testid="api-keys">
      <h2 id="api-keys-title">API keys</h2>
      <p className="muted small">
        For scripts: send <code>Authorization: Bearer &lt;key&gt;</code> to any <code>/api/v1</code> route; the key acts with its
        role. Every request made with a key is recorded.
      </p>
      {created && <NewKey created={created} onDone={() => setCreated(null)} />}
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && (
        <ListTable
          columns={["Name", "Key", "Role", "Created", "Expires", "Last used", "State", ACTIONS_COLUMN]}
          rows={data.items}
          empty={<Empty>No API keys.</Empty>}
          testId="api-key-list"
          row={(k) => <KeyRow key={k.id} k={k} onChanged={reload} />}
        />
      )}
      <form className="card narrow" onSubmit={create} aria-label="Create an API key">
        <h3>Create an API key</h3>
        <label>
          Name
          <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="nightly export" />
        </label>
        <RoleField value={role} onChange={setRole} testId="api-key-role" />
        <label>
          Expires after
          <select value={days} onChange={(e) => setDays(Number(e.target.value))} data-testid="api-key-expiry">
            <Options items={EXPIRY_DAYS} />
          </select>
        </label>
        <button type="submit" className="primary">
          Create key
        </button>
        <FormError error={adding.error} />
      </form>
    </section>
  );
}
