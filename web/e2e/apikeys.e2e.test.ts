/**
 * API keys in Debian's Chromium (real nats-server, store and portal; harness.ts): an admin creates an operator key on
 * the Users page, sees it once with the warning and a copy button, a script uses it (Bearer, no cookie), the admin
 * revokes it and the script gets 401. Screenshot: api-keys.png.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { ADMIN, System, go, login, shot, skipReason } from "./harness.ts";

const skip = skipReason();
if (skip) console.log(`# apikeys.e2e skipped: ${skip}`);

describe("API keys in the console", { skip }, () => {
  let sys: System;
  let page: Page;
  let context: BrowserContext;

  before(async () => {
    sys = await System.start([]);
    ({ page, context } = await sys.newPage());
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  });
  after(async () => {
    await sys?.stop();
  });

  const script = (key: string) =>
    fetch(`${sys.url}/api/v1/people`, { headers: { authorization: `Bearer ${key}` } }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { error?: { code: string } },
    }));

  test("create a key (shown once, copied), a script uses it, revoke it: the script is refused", async () => {
    await login(page, ADMIN.username, ADMIN.password);
    await go(page, "users");
    const section = page.getByTestId("api-keys");
    await section.getByText("No API keys.").waitFor();
    await section.getByLabel("Name").fill("nightly export");
    await page.getByTestId("api-key-role").selectOption("operator");
    await page.getByTestId("api-key-expiry").selectOption({ label: "30 days" });
    await section.getByRole("button", { name: "Create key" }).click();

    const created = page.getByTestId("api-key-created");
    await created.waitFor();
    assert.match((await created.textContent()) ?? "", /shown this once/);
    const key = ((await page.getByTestId("api-key-secret").textContent()) ?? "").trim();
    assert.match(key, /^pk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/);
    await page.getByTestId("api-key-copy").click();
    await created.getByText("copied").waitFor();
    assert.equal(await page.evaluate("navigator.clipboard.readText()"), key);

    const row = page.getByTestId("api-key-row");
    await row.waitFor();
    assert.equal(await row.count(), 1);
    const text = (await row.textContent()) ?? "";
    assert.match(text, /nightly export/);
    assert.match(text, /operator/);
    assert.match(text, /by admin/);
    assert.equal(await row.getByTestId("api-key-state").textContent(), "active");
    assert.ok(key.startsWith(`${await row.getAttribute("data-prefix")}_`));
    assert.ok(!text.includes(key.slice(12)), "the list shows the prefix only");
    await shot(page, "api-keys");

    assert.equal((await script(key)).status, 200);

    // the key is not shown again after a reload
    await page.reload();
    await page.getByTestId("api-key-row").waitFor();
    assert.equal(await page.getByTestId("api-key-created").count(), 0);
    assert.ok(!((await page.content()) ?? "").includes(key.slice(12)));

    page.once("dialog", (d) => void d.accept());
    await page.getByTestId("api-key-row").getByRole("button", { name: "Revoke" }).click();
    await page
      .getByTestId("api-key-state")
      .filter({ hasText: /^revoked .* by admin$/ })
      .waitFor();
    assert.equal(await page.getByTestId("api-key-row").getByRole("button", { name: "Revoke" }).count(), 0);

    const refused = await script(key);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error?.code, "api-key-revoked");
  });
});
