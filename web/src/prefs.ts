/** Per-browser preferences (localStorage): alert sound, greeting playback. */
import { useEffect, useState } from "react";

export interface Prefs {
  alertSound: boolean;
  greetings: boolean;
}

const KEY = "persona.prefs";
const DEFAULTS: Prefs = { alertSound: true, greetings: false };
const listeners = new Set<(p: Prefs) => void>();

export function readPrefs(): Prefs {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? { ...DEFAULTS, ...(JSON.parse(raw) as Partial<Prefs>) } : DEFAULTS;
  } catch {
    return DEFAULTS;
  }
}

export function writePrefs(patch: Partial<Prefs>): Prefs {
  const next = { ...readPrefs(), ...patch };
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // private mode: the preference lasts for this page only
  }
  for (const l of listeners) l(next);
  return next;
}

export function usePrefs(): [Prefs, (patch: Partial<Prefs>) => void] {
  const [prefs, setPrefs] = useState(readPrefs);
  useEffect(() => {
    listeners.add(setPrefs);
    return () => {
      listeners.delete(setPrefs);
    };
  }, []);
  return [prefs, (patch) => setPrefs(writePrefs(patch))];
}
