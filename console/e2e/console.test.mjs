// Browser test of the OpenChime console: Debian's Chromium driven by
// playwright-core. Run by .ci/browser.sh against a freshly started server.
// Env: BASE (server URL), SHOTS (screenshot folder), CHROMIUM (executable),
// ADMIN_BASE and ADMIN_TOKEN (optional: a server whose console needs a token),
// RESULT (file the ids to verify through the Go SDK are written to).
import { chromium } from 'playwright-core';
import { writeFileSync, mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

const base = process.env.BASE;
const shots = process.env.SHOTS || 'screenshots';
mkdirSync(shots, { recursive: true });
const results = [];
const step = async (name, fn) => {
  try { await fn(); results.push([name, 'pass']); console.log(`ok   ${name}`); }
  catch (e) { results.push([name, 'FAIL']); console.log(`FAIL ${name}: ${e.message}`); }
};
// shot saves a screenshot for a person to look at; a failed capture (Chromium
// under load sometimes refuses one) is retried, then reported, but it is
// evidence, not an assertion.
const shot = async (page, path, opts = {}) => {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try { await page.screenshot({ path, ...opts }); return; }
    catch (e) {
      if (attempt === 3) { console.log(`warn screenshot ${path}: ${e.message}`); return; }
      await page.waitForTimeout(500);
    }
  }
};
const cp = async (path, body, baseURL = base, headers = {}) => {
  const r = await fetch(baseURL + path, { method: 'POST', body: JSON.stringify(body), headers });
  assert.equal(r.status, 201, `${path}: ${r.status}`);
  return r.json();
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  const { Account } = await cp('/_openchime/accounts', { Name: 'Browser LWA', AccountType: 'EnterpriseLWA' });
  const { Users } = await cp(`/_openchime/accounts/${Account.AccountId}/users`, { Users: [
    { PrimaryEmail: 'ana@example.com', UserRegistrationStatus: 'Suspended' },
    { PrimaryEmail: 'ben@example.com', UserRegistrationStatus: 'Suspended' },
    { PrimaryEmail: 'cy@example.com', UserRegistrationStatus: 'Suspended' },
    { PrimaryEmail: 'dee@example.com', UserRegistrationStatus: 'Suspended' },
  ] });
  const [ana, ben, cy, dee] = Users.map(u => u.UserId);

  for (const [label, width] of [['desktop', 1280], ['phone', 390]]) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await step(`home page at ${width}px`, async () => {
      await page.goto(base + '/_openchime/ui/');
      await page.getByRole('link', { name: Account.AwsAccountId }).click();
      await page.getByRole('link', { name: 'Browser LWA' }).click();
      await page.locator('#users').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `page overflows horizontally by ${overflow}px`);
      await shot(page, `${shots}/account-${label}.png`, { fullPage: true });
    });
    await page.close();
  }

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await step('find a user by email', async () => {
    await page.goto(`${base}/_openchime/ui/accounts/${Account.AccountId}`);
    await page.fill('input[name=email]', 'BEN@example.com');
    await page.click('#user-filter button');
    const rows = await page.locator('#users tbody tr').count();
    assert.equal(rows, 1);
    await page.getByText('ben@example.com').waitFor();
    await shot(page, `${shots}/search.png`, { fullPage: true });
  });
  await step('unsuspend three users, one unknown, from the page', async () => {
    await page.goto(`${base}/_openchime/ui/accounts/${Account.AccountId}`);
    await page.check(`input[name=user][value="${ana}"]`);
    await page.check(`input[name=user][value="${cy}"]`);
    await page.fill('textarea[name=ids]', 'no-such-user');
    await page.click('#unsuspend');
    await page.locator('#batch-result').waitFor();
    const errors = await page.locator('#user-errors tbody tr').allInnerTexts();
    assert.equal(errors.length, 1, `errors: ${errors}`);
    assert.match(errors[0], /no-such-user\s+NotFound/);
    await shot(page, `${shots}/unsuspend-result.png`, { fullPage: true });
  });
  await step('a form posted without its CSRF token is refused', async () => {
    const status = await page.evaluate(async (id) => {
      const r = await fetch(`/_openchime/ui/accounts/${id}/batch`, { method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'action=suspend&ids=x' });
      return r.status;
    }, Account.AccountId);
    assert.equal(status, 403);
  });
  if (process.env.AUDIT !== '0') {
    await step('the audit page lists the change with its request id', async () => {
      await page.goto(`${base}/_openchime/ui/audit?account-id=${Account.AccountId}`);
      const text = await page.locator('#audit').innerText();
      assert.match(text, /BatchUnsuspendUser/);
      assert.match(text, /[0-9a-f]{8}-[0-9a-f]{4}-/);
      await shot(page, `${shots}/audit.png`, { fullPage: true });
    });
  }
  if (process.env.ADMIN_BASE) {
    await step('a wrong admin token is refused, the right one opens the console', async () => {
      const p = await browser.newPage();
      await p.goto(process.env.ADMIN_BASE + '/_openchime/ui/');
      await p.fill('input[name=token]', 'wrong-token');
      const [resp] = await Promise.all([p.waitForResponse(r => r.url().endsWith('/login')), p.click('button[type=submit]')]);
      assert.equal(resp.status(), 403);
      await shot(p, `${shots}/login-refused.png`);
      await p.fill('input[name=token]', process.env.ADMIN_TOKEN);
      await p.click('button[type=submit]');
      await p.getByRole('heading', { name: 'AWS accounts' }).waitFor();
    });
  }
  writeFileSync(process.env.RESULT || 'result.json', JSON.stringify({
    endpoint: base, account: Account.AccountId, registered: [ana, cy], suspended: [ben, dee],
  }));
} finally {
  await browser.close();
}
const failed = results.filter(r => r[1] !== 'pass').length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
