/** Users (admin): list, add, change role, reset password, delete; and the API keys. */
import { type FormEvent, useState } from "react";
import { del, errorText, get, patch, post } from "../api.ts";
import type { GetUsersResponse, Role, User } from "../api.gen.ts";
import { useCan, useSession } from "../session.tsx";
import { ApiKeys, RoleField } from "./ApiKeys.tsx";
import { ROLES } from "../roles.ts";
import { ACTIONS_COLUMN, Empty, ErrorBox, FormError, Loading, ListTable, useAction, useLoad } from "../ui.tsx";

function UserRow({ u, me, onChanged }: { u: User; me: string; onChanged: () => void }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const run = async (f: () => Promise<unknown>, done: string) => {
    setError(null);
    setNote(null);
    try {
      await f();
      setNote(done);
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const path = `/api/v1/users/${encodeURIComponent(u.username)}`;
  return (
    <tr data-testid="user-row" data-username={u.username}>
      <th scope="row">{u.username}</th>
      <td>
        <label className="inline">
          <span className="sr-only">Role of {u.username}</span>
          <select
            value={u.role}
            disabled={u.username === me}
            onChange={(e) => void run(() => patch(path, { role: e.target.value }), "role changed")}
          >
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
      </td>
      <td>
        <form
          className="inline"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => patch(path, { password }), "password changed").then(() => setPassword(""));
          }}
        >
          <label className="inline">
            <span className="sr-only">New password for {u.username}</span>
            <input
              type="password"
              autoComplete="new-password"
              minLength={8}
              required
              placeholder="new password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <button type="submit">Set</button>
        </form>
      </td>
      <td>
        <button
          type="button"
          className="danger"
          disabled={u.username === me}
          onClick={() => window.confirm(`Delete user ${u.username}?`) && void run(() => del(path), "deleted")}
        >
          Delete
        </button>
        {note && (
          <span className="ok small" role="status">
            {" "}
            {note}
          </span>
        )}
        {error && (
          <span className="error small" role="alert">
            {" "}
            {error}
          </span>
        )}
      </td>
    </tr>
  );
}

export function Users() {
  const isAdmin = useCan("admin");
  const { user } = useSession();
  const { data, error, reload } = useLoad(
    () => (isAdmin ? get<GetUsersResponse>("/api/v1/users") : Promise.resolve<GetUsersResponse>({ items: [] })),
    [isAdmin],
  );
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const adding = useAction(reload);

  if (!isAdmin) return <p>Only admins manage users.</p>;
  const add = (e: FormEvent) => {
    e.preventDefault();
    void adding.run(async () => {
      await post("/api/v1/users", { username: username.trim(), password, role });
      setUsername("");
      setPassword("");
    });
  };
  return (
    <section>
      <h1>Users</h1>
      <ErrorBox error={error} />
      {!data && !error && <Loading />}
      {data && (
        <ListTable
          columns={["User", "Role", "Password", ACTIONS_COLUMN]}
          rows={data.items}
          empty={<Empty>No users.</Empty>}
          testId="users"
          row={(u) => <UserRow key={u.username} u={u} me={user.username} onChanged={reload} />}
        />
      )}
      <form className="card narrow" onSubmit={add} aria-labelledby="add-user-title" data-testid="add-user">
        <h2 id="add-user-title">Add a user</h2>
        <label>
          Username
          <input required autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label>
          Password (at least 8 characters)
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <RoleField value={role} onChange={setRole} />
        <button type="submit" className="primary">
          Add user
        </button>
        <FormError error={adding.error} />
      </form>
      <ApiKeys />
    </section>
  );
}
