// End-to-end test of the admin UI: a real `seatline serve` on a fresh SQLite file, seeded
// with the CLI, driven in Debian's headless Chromium. It walks the seed document: sign in,
// provision 5, hit the seat limit, assign a member, give it Contact Center and a device
// until it is ready, bulk-upload a file with one bad row, fix it and apply, see the new
// extensions, sign out (a copied session cookie is then refused, also by a second
// `seatline serve` on the same database); and checks that a member sees only its own seat.
//
// Environment: SEATLINE_BIN (the built binary, default ../../target/debug/seatline),
// SCREENSHOTS (where each page's screenshot goes, default ../../target/screenshots),
// CHROMIUM (default /usr/bin/chromium).

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const bin = process.env.SEATLINE_BIN ?? join(root, "target", "debug", "seatline");
const shots = process.env.SCREENSHOTS ?? join(root, "target", "screenshots");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PASSWORD = "demo-password-2026";

const work = mkdtempSync(join(tmpdir(), "seatline-e2e-"));
const env = { ...process.env, SEATLINE_DATABASE_URL: `sqlite:${join(work, "e2e.db")}` };
delete env.SEATLINE_LISTEN;

function cli(args, input) {
  return execFileSync(bin, args, { env, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

function seed() {
  const org = JSON.parse(
    cli(["--json", "org", "create", "--name", "Acme Support", "--owner-email", "owner@acme.test", "--owner-name", "Olive Owner"]),
  ).id;
  const quantities = { phone_system: 8, license_center: 3, device_web_rtc: 3, device_mobile_app: 5, license_number: 2 };
  for (const [code, q] of Object.entries(quantities)) cli(["license", "set", "--org", org, code, String(q)]);
  // Prices for the Usage page's cost and waste.
  for (const [code, price] of [["phone_system", "12.50"], ["license_center", "30"], ["device_web_rtc", "4"]]) {
    cli(["lifecycle", "set", "--org", org, code, "--unit-price", price, "--currency", "EUR"]);
  }
  cli(["number", "add", "--org", org, "+6531230001", "+6531230002"]);
  for (const [email, name] of [["alice@acme.test", "Alice Tan"], ["bob@acme.test", "Bob Lim"], ["carol@acme.test", "Carol Ng"]]) {
    cli(["member", "add", "--org", org, email, "--name", name]);
  }
  cli(["member", "add", "--org", org, "sam@acme.test", "--name", "Sam Scoped", "--role", "admin"]);
  for (const who of ["owner@acme.test", "alice@acme.test", "sam@acme.test"]) {
    cli(["member", "password", "--org", org, who], `${PASSWORD}\n`);
  }
  return org;
}

/** Start `seatline serve` on a free port; resolves with its base URL once it listens. */
function serve() {
  const child = spawn(bin, ["serve", "--listen", "127.0.0.1:0", "--session-key", "e2e-session-key-0123456789abcdef"], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((ok, fail) => {
    let err = "";
    const timer = setTimeout(() => fail(new Error(`seatline serve did not start:\n${err}`)), 30000);
    child.stderr.on("data", (d) => {
      err += d;
      const m = err.match(/Admin UI: (http:\/\/[^\s]+)\/ui\//);
      if (m) {
        clearTimeout(timer);
        ok({ child, base: m[1] });
      }
    });
    child.on("exit", (code) => fail(new Error(`seatline serve exited with ${code}:\n${err}`)));
  });
}

const steps = [];
/** Script errors the pages raised; every step must end with none. */
const pageErrors = [];
async function step(name, fn) {
  process.stdout.write(`  ${name} ... `);
  await fn();
  assert.deepEqual(pageErrors, [], "script errors on the pages");
  steps.push(name);
  console.log("ok");
}

/** Screenshot a page, and check that every control on it has a label. */
async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
      .filter((e) => e.labels.length === 0 && !e.getAttribute("aria-label"))
      .map((e) => e.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unlabelled, [], `controls without a label on ${page.url()}`);
}

/** Wide tables scroll inside their card; the page itself never scrolls sideways. */
async function noSidewaysScroll(page) {
  const wide = await page.evaluate(() => {
    const w = window.innerWidth;
    return [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > w + 1 && !e.closest(".table-wrap"))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)}px)`);
  });
  assert.deepEqual(wide, [], `elements wider than the ${page.viewportSize().width}px screen on ${page.url()}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${page.url()} scrolls sideways by ${overflow}px`);
}

/** The table row of the plan or member list that contains `text`. */
function row(page, table, text) {
  return page.locator(`${table} tbody tr`, { hasText: text });
}

const BAD_FILE = [
  "Ext key,Number,User,Addon license,Addon license",
  "3001,+6531230001,bob@acme.test,license_number,device_mobile_app",
  "3002,,carol@acme.test,device_fax,license_center",
  "",
].join("\r\n");
const GOOD_FILE = BAD_FILE.replace("device_fax", "device_web_rtc");

async function main() {
  mkdirSync(shots, { recursive: true });
  const org = seed();
  const { child, base } = await serve();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    page.on("dialog", (d) => d.accept());

    await step("sign in", async () => {
      await page.goto(`${base}/ui/`);
      assert.match(page.url(), /\/ui\/sign-in$/);
      await page.getByLabel("Email").fill("owner@acme.test");
      await page.getByLabel("Password").fill("wrong password!");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator("#signin-error").waitFor();
      await shot(page, "01-sign-in-error");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(/\/ui\/licenses$/);
      await page.getByRole("heading", { name: "Licenses" }).waitFor();
      await shot(page, "02-licenses-empty");
    });

    await step("provision 5 extensions, the start checked as you type", async () => {
      await page.getByRole("link", { name: "Provision", exact: true }).click();
      const submit = page.locator("#provision-submit");
      await page.getByLabel("Number of users").fill("5");
      await page.getByLabel("Start from extension").fill("01");
      assert.equal(await submit.isDisabled(), true, "disabled while the start is invalid");
      await page.locator("#start-error", { hasText: "3 to 5 digits" }).waitFor();
      await shot(page, "03-provision-invalid-start");
      await page.getByLabel("Start from extension").fill("1001");
      // The preview is the server's answer: enabled once it has checked the keys.
      await page.locator("#provision-preview", { hasText: "Creates extensions 1001–1005." }).waitFor();
      assert.equal(await submit.isDisabled(), false);
      await shot(page, "04-provision-form");
      await submit.click();
      await page.locator(".flash", { hasText: "Provisioned 5 extensions: 1001–1005." }).waitFor();
      await shot(page, "05-licenses-provisioned");
    });

    await step("a taken start is found before submit, with the next free one offered", async () => {
      await page.goto(`${base}/ui/provision`);
      await page.getByLabel("Number of users").fill("2");
      await page.getByLabel("Start from extension").fill("1004");
      await page.locator("#start-error", { hasText: "are taken" }).waitFor();
      assert.equal(await page.locator("#provision-submit").isDisabled(), true);
      assert.equal(await page.locator("#provision-preview").innerText(), "");
      await shot(page, "06-provision-taken");
      await page.locator("#use-next-free").click();
      assert.equal(await page.getByLabel("Start from extension").inputValue(), "1006");
      await page.locator("#provision-preview", { hasText: "Creates extensions 1006–1007." }).waitFor();
    });

    await step("a refused submit shows its error and no stale preview", async () => {
      await page.goto(`${base}/ui/provision?count=2&start=1004`);
      await page.locator("#provision-form").evaluate((f) => f.submit());
      await page.locator("#start-error", { hasText: "are taken" }).waitFor();
      assert.equal(await page.locator("#provision-preview").innerText(), "", "no preview under the error");
      await page.locator("#use-next-free").click();
      assert.equal(await page.getByLabel("Start from extension").inputValue(), "1006");
      await shot(page, "06b-provision-refused");
    });

    await step("hit the seat limit and see the error", async () => {
      await page.goto(`${base}/ui/provision`);
      await page.getByLabel("Number of users").fill("5");
      await page.getByLabel("Start from extension").fill("2001");
      // The page knows 3 are left, so the button is disabled as you type; without the
      // script the server says the same. Submit the form as a browser without JS would.
      assert.equal(await page.locator("#provision-submit").isDisabled(), true);
      await page.locator("#count-error", { hasText: "Only 3" }).waitFor();
      await page.locator("#provision-form").evaluate((f) => f.submit());
      await page.locator("#count-error", { hasText: "5 phone_system seats needed but 3 available" }).waitFor();
      await shot(page, "07-provision-seat-limit");
    });

    await step("assign a member", async () => {
      await page.goto(`${base}/ui/licenses`);
      await page.getByRole("link", { name: "Assign", exact: true }).first().click();
      await page.getByLabel("User").selectOption({ label: "Alice Tan (alice@acme.test)" });
      await page.getByLabel("Extension").selectOption("1001");
      await shot(page, "08-assign-form");
      await page.getByRole("button", { name: "Assign" }).click();
      await page.waitForURL(/\/ui\/extensions\/1001$/);
      await page.locator(".flash", { hasText: "Assigned extension 1001 to alice@acme.test." }).waitFor();
      await page.locator("#member-card .badge", { hasText: "Not ready" }).waitFor();
    });

    await step("add-ons and a number saved together make it Contact Center ready", async () => {
      await page.getByLabel("Contact Center").check();
      await page.getByLabel("Web Phone").check();
      // Choosing a number raises the Number add-on it needs.
      await page.getByLabel("Attach a number from the inventory").selectOption("+6531230002");
      assert.equal(await page.getByLabel("Number", { exact: true }).inputValue(), "1");
      await shot(page, "09a-extension-form");
      await page.getByRole("button", { name: "Save add-ons and numbers" }).click();
      await page.locator(".flash", { hasText: "Saved the add-ons and numbers of extension 1001." }).waitFor();
      await page.locator("#member-card .badge", { hasText: /^Ready$/ }).waitFor();
      assert.equal(await page.locator("#num-0").isChecked(), true);
      await shot(page, "09-extension-ready");
      await page.getByRole("link", { name: "Members", exact: true }).click();
      const alice = row(page, "#member-list", "alice@acme.test");
      await alice.locator(".badge", { hasText: /^Ready$/ }).waitFor();
      assert.match(await alice.innerText(), /Agent/);
      const first = await page.locator("#member-list tbody tr").first().getAttribute("data-email");
      assert.equal(first, "owner@acme.test", "the owner is listed first");
      await shot(page, "10-members");
    });

    await step("bulk upload with one bad row shows that row's error", async () => {
      await page.getByRole("link", { name: "Bulk Assignment", exact: true }).click();
      const download = page.waitForEvent("download");
      await page.locator("#sample-link").click();
      assert.match((await download).suggestedFilename(), /sample\.csv$/);
      await shot(page, "11-bulk");
      await page.getByLabel("Bulk file").setInputFiles({ name: "new-agents.csv", mimeType: "text/csv", buffer: Buffer.from(BAD_FILE) });
      await page.getByRole("button", { name: "Upload and check" }).click();
      await page.waitForURL(/\/ui\/bulk\/plans\/plan_/);
      const bad = row(page, "#plan-table", "3002");
      await bad.locator(".errors", { hasText: "device_fax" }).waitFor();
      assert.match(await bad.getAttribute("class"), /row-bad/);
      assert.match(await bad.innerText(), /Addon license/);
      assert.doesNotMatch((await row(page, "#plan-table", "3001").getAttribute("class")) ?? "", /row-bad/);
      assert.equal(await page.locator("#apply-submit").isDisabled(), true, "Apply disabled for a plan with errors");
      await shot(page, "12-bulk-plan-errors");
    });

    await step("fix the file, apply, see the new extensions", async () => {
      await page.getByLabel("Upload the corrected file").setInputFiles({ name: "new-agents.csv", mimeType: "text/csv", buffer: Buffer.from(GOOD_FILE) });
      await page.getByRole("button", { name: "Upload and check" }).click();
      await page.locator("#plan-summary .badge", { hasText: "Ready to apply" }).waitFor();
      assert.equal(await page.locator("tr.row-bad").count(), 0);
      await shot(page, "13-bulk-plan-ready");
      await page.getByRole("button", { name: "Apply plan" }).click();
      await page.locator(".flash", { hasText: "Applied the plan: 2 extensions created." }).waitFor();
      await shot(page, "14-bulk-applied");
      await page.getByRole("link", { name: "See them on Licenses" }).click();
      for (const key of ["3001", "3002"]) {
        await page.locator("#extension-list a.key", { hasText: key }).waitFor();
      }
      assert.match(await row(page, "#extension-list", "3001").innerText(), /bob@acme\.test[\s\S]*\+6531230001/);
      await shot(page, "15-licenses-after-bulk");
      await page.getByLabel("Search extensions").fill("carol");
      await page.getByRole("button", { name: "Search" }).click();
      await page.locator("#extension-list a.key", { hasText: "3002" }).waitFor();
      assert.equal(await page.locator("#extension-list tbody tr").count(), 1);
    });

    await step("a plan with header, seat and user errors, its error list as CSV", async () => {
      await page.goto(`${base}/ui/bulk`);
      const file = ["Ext key,Number,User,Addon license,Colour", "5001,,dan@acme.test,license_center,", "5002,,,,", ""].join("\r\n");
      await page.getByLabel("Bulk file").setInputFiles({ name: "typos.csv", mimeType: "text/csv", buffer: Buffer.from(file) });
      await page.getByRole("button", { name: "Upload and check" }).click();
      await page.waitForURL(/\/ui\/bulk\/plans\/plan_/);
      await page.locator("#file-errors", { hasText: "Header (row 1)" }).waitFor();
      const typed = row(page, "#plan-table", "5001");
      await typed.locator(".typed", { hasText: "dan@acme.test" }).waitFor();
      assert.doesNotMatch(await typed.innerText(), /Unassigned/);
      const rows = await page.locator("#plan-table tbody tr").evaluateAll((trs) => trs.map((t) => t.dataset.row));
      assert.deepEqual(rows, ["2", "3"], "rows in file order");
      const download = page.waitForEvent("download");
      await page.locator("#errors-csv").click();
      assert.match((await download).suggestedFilename(), /errors\.csv$/);
      await shot(page, "15b-bulk-plan-file-errors");
    });

    await step("export from the Licenses page", async () => {
      await page.goto(`${base}/ui/licenses`);
      const download = page.waitForEvent("download");
      await page.locator("#export-csv").click();
      assert.match((await download).suggestedFilename(), /\.csv$/);
    });

    await step("audit, newest first, filtered by action", async () => {
      await page.getByRole("link", { name: "Audit", exact: true }).click();
      await page.getByLabel("Action").selectOption("extension.addons");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.locator("#audit-list tbody tr", { hasText: "extension 1001" }).first().waitFor();
      await page.locator("#audit-list tbody tr", { hasText: "Add-ons changed" }).first().waitFor();
      await page.getByLabel("Action").selectOption("");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.locator("#audit-list time", { hasText: / UTC$/ }).first().waitFor();
      // Each change reads on one line.
      const wrapped = await page.locator("#audit-list .change").evaluateAll((cs) =>
        cs.filter((c) => c.offsetHeight > 2 * parseFloat(getComputedStyle(c).fontSize)).length,
      );
      assert.equal(wrapped, 0, "audit changes wrap");
      await shot(page, "16-audit");
    });

    await step("members: add, search, disable, delete after confirming", async () => {
      await page.goto(`${base}/ui/members`);
      await page.getByLabel("Email", { exact: true }).fill("dave@acme.test");
      await page.getByLabel("Name", { exact: true }).fill("Dave Ho");
      await page.getByRole("button", { name: "Add member" }).click();
      await page.locator(".flash", { hasText: "Added dave@acme.test as member." }).waitFor();
      await page.getByLabel("Search members").fill("dave");
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await page.waitForURL(/\/ui\/members\?q=dave$/);
      assert.equal(await page.locator("#member-list tbody tr").count(), 1);
      await page.getByRole("link", { name: "Manage dave@acme.test" }).click();
      await page.getByRole("heading", { name: "Dave Ho" }).waitFor();
      await shot(page, "18a-member-page");
      await page.getByRole("link", { name: "Disable…" }).click();
      await page.getByRole("heading", { name: "Disable dave@acme.test?" }).waitFor();
      await shot(page, "18d-disable-member-confirm");
      await page.getByRole("button", { name: "Disable member" }).click();
      await page.locator(".flash", { hasText: "dave@acme.test is now disabled." }).waitFor();
      await page.getByRole("link", { name: "Delete…" }).click();
      await page.getByRole("heading", { name: "Delete dave@acme.test?" }).waitFor();
      await shot(page, "18c-delete-member-confirm");
      await page.getByRole("button", { name: "Delete member" }).click();
      await page.locator(".flash", { hasText: "Deleted dave@acme.test." }).waitFor();
      assert.equal(await page.locator('#member-list tr[data-email="dave@acme.test"]').count(), 0);
    });

    await step("a reset link lets a member set a password once", async () => {
      await page.goto(`${base}/ui/members?q=carol`);
      await page.getByRole("link", { name: "Manage carol@acme.test" }).click();
      await page.getByRole("button", { name: "Reset password…" }).click();
      const link = (await page.getByLabel("Reset link").inputValue()).trim();
      assert.match(link, /\/ui\/reset\/[0-9a-f]{64}$/);
      await shot(page, "18e-reset-link");
      const visitor = await browser.newContext({ viewport: { width: 390, height: 844 } });
      const v = await visitor.newPage();
      v.on("pageerror", (e) => pageErrors.push(`${v.url()}: ${e.message}`));
      await v.goto(link);
      await v.getByRole("heading", { name: "Set a new password" }).waitFor();
      await shot(v, "18f-reset-form-phone");
      await noSidewaysScroll(v);
      await v.getByLabel("New password").fill("carol-new-password");
      await v.getByRole("button", { name: "Set password" }).click();
      await v.locator(".flash", { hasText: "Your new password is set." }).waitFor();
      await v.getByLabel("Email").fill("carol@acme.test");
      await v.getByLabel("Password").fill("carol-new-password");
      await v.getByRole("button", { name: "Sign in" }).click();
      await v.waitForURL(/\/ui\/me$/);
      const seat = await v.locator("main").innerText();
      assert.ok(!(seat.includes("Not ready") && seat.includes("You can take")), seat);
      await shot(v, "18g-member-seat-phone");
      const again = await v.goto(link);
      assert.equal(again.status(), 404, "a reset link works once");
      await visitor.close();
    });

    await step("the icon and the sign-in paths people guess", async () => {
      const icon = await page.request.get(`${base}/favicon.ico`);
      assert.equal(icon.status(), 200);
      const anon = await browser.newContext();
      const p = await anon.newPage();
      for (const path of ["/login", "/ui/login", "/ui/signin", "/admin"]) {
        await p.goto(`${base}${path}`);
        assert.match(p.url(), /\/ui\/sign-in$/, path);
      }
      await anon.close();
    });

    await step("phone width", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${base}/ui/licenses`);
      await shot(page, "17-licenses-phone");
      await noSidewaysScroll(page);
      await page.goto(`${base}/ui/members`);
      await shot(page, "18-members-phone");
      await noSidewaysScroll(page);
      await page.goto(`${base}/ui/extensions/1001`);
      await shot(page, "18b-extension-phone");
      await noSidewaysScroll(page);
      await page.goto(`${base}/ui/audit`);
      await shot(page, "18h-audit-phone");
      await noSidewaysScroll(page);
      await page.goto(`${base}/ui/members?q=alice`);
      await page.getByRole("link", { name: "Manage alice@acme.test" }).click();
      await shot(page, "18i-member-page-phone");
      await noSidewaysScroll(page);
      await page.goto(`${base}/ui/provision?count=1&start=1004`);
      await page.locator("#start-error", { hasText: "is taken" }).waitFor();
      await shot(page, "18j-provision-phone");
      await noSidewaysScroll(page);
      await page.setViewportSize({ width: 1280, height: 860 });
    });

    await step("usage: cost and waste per license with a chart, findings filtered by kind", async () => {
      await page.goto(`${base}/ui/licenses`);
      await page.getByRole("link", { name: "Usage", exact: true }).click();
      await page.getByRole("heading", { name: "Usage", exact: true }).waitFor();
      assert.match(await page.locator("#total-cost").innerText(), /\d+\.\d\d EUR/);
      assert.match(await page.locator("#total-waste").innerText(), /\d+\.\d\d EUR/);
      assert.ok((await page.locator("#usage-chart rect.waste").count()) > 0, "the chart shows waste");
      assert.ok((await page.locator("#findings-table tbody tr[data-kind=extension_unassigned]").count()) > 0);
      await shot(page, "19-usage");
      await page.getByLabel("Show").selectOption("extension_unassigned");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.waitForURL(/kind=extension_unassigned/);
      const kinds = await page.locator("#findings-table tbody tr").evaluateAll((trs) => [...new Set(trs.map((t) => t.dataset.kind))]);
      assert.deepEqual(kinds, ["extension_unassigned"]);
      await shot(page, "19b-usage-filtered");
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, "19c-usage-phone");
      await noSidewaysScroll(page);
      await page.setViewportSize({ width: 1280, height: 860 });
    });

    await step("review a cleanup plan on the plan page and apply it", async () => {
      // The filtered page offers the filtered kind only.
      await page.getByRole("button", { name: "Review cleanup plan" }).click();
      await page.waitForURL(/\/ui\/bulk\/plans\/plan_/);
      await page.getByRole("heading", { name: /Cleanup plan: \d+ rows?/ }).waitFor();
      const actions = await page.locator("#plan-table tbody tr").evaluateAll((trs) => [...new Set(trs.map((t) => t.dataset.action))]);
      assert.deepEqual(actions, ["deprovision"]);
      await page.locator("#seats-freed").waitFor();
      await shot(page, "20-cleanup-plan");
      await page.getByRole("button", { name: "Apply cleanup plan" }).click();
      await page.locator(".flash", { hasText: /Applied the cleanup plan: \d+ seats? freed\./ }).waitFor();
      await shot(page, "21-cleanup-applied");
      await page.getByRole("link", { name: "See the usage now" }).click();
      await page.getByRole("heading", { name: "Usage", exact: true }).waitFor();
      assert.equal(await page.locator("#findings-table tbody tr[data-kind=extension_unassigned]").count(), 0);
      await shot(page, "22-usage-after-cleanup");
    });

    await step("the navigation is one row at 1280 px, settings in one menu", async () => {
      await page.goto(`${base}/ui/licenses`);
      const nav = page.locator("nav.mainnav");
      const links = await nav.locator("a:visible, summary").evaluateAll((els) =>
        els.map((e) => Math.round(e.getBoundingClientRect().top)),
      );
      assert.ok(Math.max(...links) - Math.min(...links) < 8, `every entry on one line: tops ${links}`);
      assert.equal(await page.getByRole("link", { name: "Webhooks", exact: true }).count(), 0, "closed menu");
      await page.locator("details.navmenu summary").click();
      await page.getByRole("link", { name: "Integration tokens", exact: true }).waitFor();
      await shot(page, "26-settings-menu");
      await page.keyboard.press("Escape");
      assert.equal(await page.locator("details.navmenu").getAttribute("open"), null, "Escape closes it");
    });

    await step("integration tokens: create one, shown once, then revoke it", async () => {
      await page.locator("details.navmenu summary").click();
      await page.getByRole("link", { name: "Integration tokens", exact: true }).click();
      await page.getByRole("heading", { name: "Integration tokens", level: 1 }).waitFor();
      await page.getByLabel("Name").fill("PBX");
      await page.getByRole("button", { name: "Create token" }).click();
      const secret = (await page.locator("#integration-token-secret").innerText()).trim();
      assert.match(secret, /^stli_[0-9a-f]{64}$/);
      await shot(page, "27-integration-token-created");
      // The token reads the API; the list never shows it again.
      const me = await page.request.get(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
      assert.equal(me.status(), 200);
      assert.equal((await me.json()).kind, "integration");
      await page.goto(`${base}/ui/integration-tokens`);
      assert.equal(await page.locator("#integration-token-secret").count(), 0);
      assert.ok(!(await page.content()).includes(secret), "shown once");
      await page.getByRole("button", { name: "Revoke PBX" }).click();
      await page.locator(".flash", { hasText: "is revoked" }).waitFor();
      await row(page, "#integration-token-list", "PBX").locator(".badge", { hasText: "Revoked" }).waitFor();
      const after = await page.request.get(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
      assert.equal(after.status(), 401);
      await shot(page, "28-integration-token-revoked");
    });

    await step("webhooks: add an endpoint, edit it, rotate its secret, delete it after confirming", async () => {
      await page.locator("details.navmenu summary").click();
      await page.getByRole("link", { name: "Webhooks", exact: true }).click();
      await page.getByLabel("URL").fill("https://93.184.216.34/hook");
      await page.getByRole("button", { name: "Add endpoint" }).click();
      await page.locator("#new-secret").waitFor();
      await page.getByRole("link", { name: "https://93.184.216.34/hook" }).click();
      await page.getByLabel("URL").fill("https://93.184.216.35/pbx");
      await page.getByLabel("Event types").fill("member.*");
      await page.getByLabel("Description").fill("The PBX");
      await page.getByRole("button", { name: "Save" }).click();
      await page.locator(".flash", { hasText: "Saved https://93.184.216.35/pbx." }).waitFor();
      assert.equal(await page.getByLabel("Event types").inputValue(), "member.*");
      await shot(page, "29-webhook-edited");
      await page.getByRole("button", { name: "Rotate secret" }).click();
      const secret = (await page.locator("#rotated-secret").innerText()).trim();
      assert.match(secret, /^whsec_/);
      await page.locator("#webhook-secret", { hasText: "Previous secret signs until" }).waitFor();
      await shot(page, "30-webhook-rotated");
      await page.getByRole("link", { name: "Delete…" }).click();
      await page.getByRole("heading", { name: "Delete https://93.184.216.35/pbx?" }).waitFor();
      await shot(page, "31-webhook-delete-confirm");
      await page.getByRole("button", { name: "Delete endpoint" }).click();
      await page.locator(".flash", { hasText: "Deleted https://93.184.216.35/pbx." }).waitFor();
      await page.getByText("No endpoints yet.").waitFor();
    });

    await step("sign out, after which a copy of the session cookie is refused by every process", async () => {
      // A second `seatline serve` on the same database and session key, as in a deployment
      // of several processes: the copied cookie works there until the sign-out.
      const second = await serve();
      try {
        const session = (await context.cookies()).find((c) => c.name === "seatline_session");
        assert.ok(session, "a session cookie while signed in");
        const copyFor = async (url) => {
          const thief = await browser.newContext();
          await thief.addCookies([{ name: session.name, value: session.value, url }]);
          return thief;
        };
        const licensesWith = async (thief, url) => {
          const p = await thief.newPage();
          await p.goto(`${url}/ui/licenses`);
          const at = new URL(p.url()).pathname;
          await p.close();
          return at;
        };
        const here = await copyFor(base);
        const there = await copyFor(second.base);
        assert.equal(await licensesWith(here, base), "/ui/licenses");
        assert.equal(await licensesWith(there, second.base), "/ui/licenses");

        await page.goto(`${base}/ui/licenses`);
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.locator(".flash", { hasText: "You are signed out." }).waitFor();
        await page.goto(`${base}/ui/licenses`);
        assert.match(page.url(), /\/ui\/sign-in$/);
        await shot(page, "19-signed-out");

        assert.equal(await licensesWith(here, base), "/ui/sign-in");
        assert.equal(await licensesWith(there, second.base), "/ui/sign-in");
        await here.close();
        await there.close();
      } finally {
        second.child.kill("SIGINT");
      }
    });

    await step("a member signs in with the keyboard alone and sees only its own seat", async () => {
      // The previous step's browser contexts took the window's focus, and Chromium applies
      // autofocus only in a focused page: without this the keys went nowhere, now and then.
      await page.bringToFront();
      await page.goto(`${base}/ui/sign-in`);
      await page.locator("#email:focus").waitFor(); // autofocus: the email field has focus
      await page.keyboard.type("alice@acme.test");
      await page.keyboard.press("Tab");
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/ui\/me$/);
      await page.locator("#my-cc .badge", { hasText: /^Ready$/ }).waitFor();
      assert.doesNotMatch(await page.locator("#my-cc").innerText(), /Not ready/);
      const mine = await page.locator("#my-extension").innerText();
      for (const text of ["1001", "Contact Center", "Web Phone"]) assert.ok(mine.includes(text), `${text} in ${mine}`);
      assert.equal(await page.getByRole("link", { name: "Licenses", exact: true }).count(), 0);
      await shot(page, "20-member-seat");
      const res = await page.goto(`${base}/ui/members`);
      assert.equal(res.status(), 403);
    });

    await step("without JavaScript: sign in, provision, manage add-ons", async () => {
      const plain = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 860 } });
      const p = await plain.newPage();
      await p.goto(`${base}/ui/sign-in`);
      await p.getByLabel("Email").fill("owner@acme.test");
      await p.getByLabel("Password").fill(PASSWORD);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.waitForURL(/\/ui\/licenses$/);
      await p.goto(`${base}/ui/provision`);
      await p.getByLabel("Number of users").fill("1");
      await p.getByLabel("Start from extension").fill("4001");
      await p.getByRole("button", { name: "Provision" }).click();
      await p.locator(".flash", { hasText: "Provisioned 1 extension: 4001." }).waitFor();
      await p.goto(`${base}/ui/extensions/4001`);
      await p.getByLabel("Mobile").fill("2");
      await p.getByRole("button", { name: "Save add-ons and numbers" }).click();
      await p.locator(".flash", { hasText: "Saved the add-ons and numbers of extension 4001." }).waitFor();
      await shot(p, "21-no-javascript-extension");
      await plain.close();
    });

    await step("the owner makes teams and limits an admin to one; that admin sees only its team", async () => {
      const own = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      const o = await own.newPage();
      o.on("pageerror", (e) => pageErrors.push(`${o.url()}: ${e.message}`));
      await o.goto(`${base}/ui/sign-in`);
      await o.getByLabel("Email").fill("owner@acme.test");
      await o.getByLabel("Password").fill(PASSWORD);
      await o.getByRole("button", { name: "Sign in" }).click();
      await o.waitForURL(/\/ui\/licenses$/);
      await o.getByRole("link", { name: "Teams", exact: true }).click();
      for (const [team, who] of [["Support", "alice@acme.test"], ["Sales", "bob@acme.test"]]) {
        await o.getByLabel("New team name").fill(team);
        await o.getByRole("button", { name: "Create team" }).click();
        await o.locator(".flash", { hasText: `Created team ${team}.` }).waitFor();
        const card = o.locator(`section[data-team="${team}"]`);
        await card.locator("summary").click();
        await card.getByLabel("Members (one email or id per line)").fill(who);
        await card.getByRole("button", { name: "Save members" }).click();
        await o.locator(".flash", { hasText: `${team} has 1 member.` }).waitFor();
      }
      await shot(o, "22-teams");
      await o.goto(`${base}/ui/members`);
      await o.getByRole("link", { name: "Manage sam@acme.test" }).click();
      await o.locator("#member-scope").waitFor();
      await o.getByLabel("Specific teams:").check();
      await o.getByLabel("Support").check();
      await o.getByRole("button", { name: "Save scope" }).click();
      await o.locator(".flash", { hasText: "The admin is now limited to 1 team." }).waitFor();
      await shot(o, "23-admin-scope");
      await own.close();

      const scoped = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      const p = await scoped.newPage();
      p.on("pageerror", (e) => pageErrors.push(`${p.url()}: ${e.message}`));
      await p.goto(`${base}/ui/sign-in`);
      await p.getByLabel("Email").fill("sam@acme.test");
      await p.getByLabel("Password").fill(PASSWORD);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.waitForURL(/\/ui\/licenses$/);
      assert.equal(await p.getByRole("link", { name: "Webhooks", exact: true }).count(), 0);
      await p.getByRole("link", { name: "Teams", exact: true }).click();
      await p.locator("#scoped-note").waitFor();
      const teams = await p.locator("section[data-team]").evaluateAll((s) => s.map((e) => e.dataset.team));
      assert.deepEqual(teams, ["Support"]);
      assert.equal(await p.getByRole("button", { name: "Create team" }).count(), 0);
      await shot(p, "24-scoped-admin-teams");
      await p.goto(`${base}/ui/members`);
      const emails = await p.locator("#member-list tr[data-email]").evaluateAll((r) => r.map((e) => e.dataset.email));
      assert.ok(emails.includes("alice@acme.test"), `alice in ${emails}`);
      for (const hidden of ["bob@acme.test", "carol@acme.test", "owner@acme.test"]) {
        assert.ok(!emails.includes(hidden), `${hidden} hidden from ${emails}`);
      }
      await shot(p, "25-scoped-admin-members");
      const res = await p.goto(`${base}/ui/webhooks`);
      assert.equal(res.status(), 403);
      await scoped.close();
    });
  } finally {
    await browser.close();
    child.kill("SIGINT");
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`browser test passed: ${steps.length} steps, organization ${org}; screenshots in ${shots}`);
}

main().catch((e) => {
  console.log("FAILED");
  console.error(e);
  process.exit(1);
});
