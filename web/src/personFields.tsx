/** The inputs of the forms that name a face: a new person's name and description, or someone enrolled found by name. */
import { useState } from "react";
import type { Person } from "./api.gen.ts";
import { usePersonSearch } from "./ui.tsx";

export interface NameAndDescription {
  name: string;
  description: string;
}

export const NO_NAME: NameAndDescription = { name: "", description: "" };

/** The body fields of a new or edited person: both trimmed. */
export const trimmed = (v: NameAndDescription): NameAndDescription => ({
  name: v.name.trim(),
  description: v.description.trim(),
});

/**
 * Name (required) and position or description, within the portal's limits; with `testId`, the inputs' test ids are
 * `${testId}-name` and `${testId}-description`.
 */
export function NameFields({
  value,
  onChange,
  testId,
}: {
  value: NameAndDescription;
  onChange: (v: NameAndDescription) => void;
  testId?: string;
}) {
  return (
    <>
      <label>
        Name
        <input
          required
          maxLength={200}
          value={value.name}
          onChange={(e) => onChange({ ...value, name: e.target.value })}
          data-testid={testId && `${testId}-name`}
        />
      </label>
      <label>
        Position or description
        <input
          maxLength={1000}
          value={value.description}
          onChange={(e) => onChange({ ...value, description: e.target.value })}
          data-testid={testId && `${testId}-description`}
        />
      </label>
    </>
  );
}

/** The state of a PersonPicker: what is typed, the matches (searched while `active`), who is chosen ("" for nobody). */
export interface PersonPick {
  query: string;
  setQuery: (query: string) => void;
  matches: Person[];
  personId: string;
  setPersonId: (personId: string) => void;
}

export function usePersonPick(active: boolean): PersonPick {
  const [query, setQuery] = useState("");
  const [personId, setPersonId] = useState("");
  const matches = usePersonSearch(active, query);
  return { query, setQuery, matches, personId, setPersonId };
}

/** Someone enrolled: a search by name and the matches to choose from. */
export function PersonPicker({ pick }: { pick: PersonPick }) {
  return (
    <>
      <label>
        Find the person
        <input type="search" value={pick.query} onChange={(e) => pick.setQuery(e.target.value)} />
      </label>
      <label>
        Person
        <select required value={pick.personId} onChange={(e) => pick.setPersonId(e.target.value)}>
          <option value="">Choose…</option>
          {pick.matches.map((p) => (
            <option key={p.personId} value={p.personId}>
              {p.name}
              {p.description ? ` - ${p.description}` : ""}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}
