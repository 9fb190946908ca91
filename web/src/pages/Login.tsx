import { type FormEvent, useEffect, useRef, useState } from "react";
import { ApiError, errorText, post } from "../api.ts";
import type { Me, User } from "../api.gen.ts";

export function Login({ onLoggedIn, notice }: { onLoggedIn: (u: User, csrf: string) => void; notice?: string }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const userRef = useRef<HTMLInputElement>(null);
  useEffect(() => userRef.current?.focus(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await post<Me>("/api/v1/auth/login", { username, password });
      onLoggedIn(r.user, r.csrfToken);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "Wrong username or password."
          : err instanceof ApiError && err.status === 429
            ? `Too many failed attempts: ${err.message}`
            : errorText(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form onSubmit={submit} className="card login-card" data-testid="login-form" aria-labelledby="login-title">
        <h1 id="login-title">Persona-ID</h1>
        <p className="muted">Sign in to the console</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            ref={userRef}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            data-testid="login-username"
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="login-password"
          />
        </label>
        {error && (
          <div className="error" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
