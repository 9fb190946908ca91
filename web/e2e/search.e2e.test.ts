/**
 * Search by photo in Debian's Chromium (real nats-server, store, recognizer and portal; harness.ts): an operator
 * enrolls Colin Powell by upload, then searches another photo of him on the Search page and sees his face boxed and
 * named with him first among the matches, and the faces behind him boxed as unknown. Screenshot: search.png.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { ADMIN, System, go, lfw, login, shot, skipReason } from "./harness.ts";

const skip = skipReason();
if (skip) console.log(`# search.e2e skipped: ${skip}`);

describe("search by photo in the console", { skip }, () => {
  let sys: System;
  let page: Page;

  before(async () => {
    sys = await System.start([]);
    ({ page } = await sys.newPage());
  });
  after(async () => {
    await sys?.stop();
  });

  test("upload a photo: the face boxed, named, with the enrolled person as the best match", async () => {
    await login(page, ADMIN.username, ADMIN.password);
    await go(page, "people");
    await page.getByTestId("enroll-name").fill("Colin Powell");
    await page.getByTestId("enroll-photos").setInputFiles([lfw("Colin_Powell", 1), lfw("Colin_Powell", 2)]);
    await page.getByTestId("enroll-submit").click();
    await page.getByTestId("enroll-outcome").waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId("enroll-outcome").getAttribute("data-enrolled"), "true");

    await go(page, "search");
    await page.getByTestId("search-file").setInputFiles(lfw("Colin_Powell", 10));
    await page.getByTestId("search-submit").click();
    await page.getByTestId("search-result").waitFor({ timeout: 60_000 });
    // Colin_Powell_0010: him and two people behind him
    assert.equal(await page.getByTestId("search-box").count(), 3);
    const named = page
      .getByTestId("search-face")
      .filter({ has: page.getByTestId("search-decision").filter({ hasText: "named" }) });
    assert.equal(await named.count(), 1);
    assert.equal(await named.getByTestId("search-person").textContent(), "Colin Powell");
    assert.match((await named.getByTestId("search-matches").locator("li").first().textContent()) ?? "", /^Colin Powell/);
    const unknown = page.getByTestId("search-decision").filter({ hasText: "unknown" });
    assert.equal(await unknown.count(), 2);
    // the boxes are drawn over the loaded photo
    const img = page.getByTestId("search-photo").locator("img");
    assert.ok(await img.evaluate((el) => (el as HTMLImageElement).naturalWidth === 250));
    await shot(page, "search");
  });

  test("a file that is not an image: the portal's reason shown", async () => {
    await page
      .getByTestId("search-file")
      .setInputFiles({ name: "notes.jpg", mimeType: "image/jpeg", buffer: Buffer.from("not a photo") });
    await page.getByTestId("search-submit").click();
    await page.getByTestId("search-error").filter({ hasText: "not a JPEG, PNG, WebP or BMP image" }).waitFor();
  });
});
