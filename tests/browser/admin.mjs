// Logs in to the admin pages with a real Chromium, checks every form's
// pattern attribute (valid under the 'v' flag, refuses a bad value), imports an image through
// the upload form, finds it in the list, visits the DDI pages (devices,
// software, rollouts; creates a rollout through its form), one rollout's
// page (groups, limits, cancel with confirmation), the dashboard's fleet
// health and the audit page, refused forms (users, the image and software
// uploads, a rollout: the message beside its field, the input kept), a
// delete's question, every page at 390 px (no sideways scrolling of the
// document), and saves a screenshot of each.
// usage: node admin.mjs <base-url> <user> <password> <image-file> <out-dir>
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';

const [base, user, password, image, out] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const shot = (name) => page.screenshot({ path: path.join(out, name), fullPage: true });
  // a refused form drawn again: the field marked, its message (matching re)
  // in the field's own label
  const besideField = async (form, name, re) => {
    const input = page.locator(`${form} [name="${name}"]`);
    assert.equal(await input.getAttribute('aria-invalid'), 'true', `${form} ${name}`);
    const msg = page.locator('#' + await input.getAttribute('aria-describedby'));
    assert.match(await msg.innerText(), re);
    assert.equal(await msg.evaluate((e, sel) => e.closest('label') === document.querySelector(sel).closest('label'),
                                    `${form} [name="${name}"]`), true);
  };

  await page.goto(base + '/admin/');
  assert.match(page.url(), /\/admin\/login\?next=/);
  await shot('01-login.png');
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(base + '/admin/'), page.click('button[type=submit]')]);
  assert.equal(await page.locator('h1').innerText(), 'Dashboard');
  await shot('02-dashboard.png');

  // Chromium compiles a pattern attribute with the 'v' flag and skips one that
  // does not compile, so every pattern on the forms must compile that way and
  // must refuse a bad value (patternMismatch) and accept a good one.
  const patternCases = {
    '/admin/images': { box: ['bad name', 'box_1.0'], board: ['-rpi4', 'rpi4'],
                       branch: ['a/b', 'master'], version: ['1 0', '1.0+git~2'] },
    '/admin/mip': { name: ['bad name', 'my-pkg.x'], version: ['1/0', '1.0.2'] },
    '/admin/users': { name: ['a b', 'ops.team@site-1'] },
  };
  for (const [url, fields] of Object.entries(patternCases)) {
    await page.goto(base + url);
    const inputs = await page.$$eval('input[pattern]',
      (els) => els.map((e) => ({ name: e.name, pattern: e.pattern })));
    assert.deepEqual(inputs.map((i) => i.name).sort(), Object.keys(fields).sort(), url);
    for (const { name, pattern } of inputs) {
      const compiles = await page.evaluate((p) => {
        try { new RegExp(p, 'v'); return true; } catch (e) { return String(e); }
      }, pattern);
      assert.equal(compiles, true, `${url} ${name}: ${pattern}`);
      const input = page.locator(`input[name="${name}"][pattern]`);
      const [bad, good] = fields[name];
      await input.fill(bad);
      assert.equal(await input.evaluate((e) => e.validity.patternMismatch), true,
                   `${url} ${name} accepts ${bad}`);
      await input.fill(good);
      assert.equal(await input.evaluate((e) => e.validity.patternMismatch), false,
                   `${url} ${name} refuses ${good}`);
    }
  }
  await page.goto(base + '/admin/');

  await page.click('nav >> text=Images');
  await page.fill('form.upload input[name=box]', 'browserbox');
  await page.fill('form.upload input[name=board]', 'rpi4');
  await page.fill('form.upload input[name=branch]', 'master');
  await page.fill('form.upload input[name=version]', '7');
  await page.setInputFiles('form.upload input[name=file]', image);
  await Promise.all([page.waitForURL(/done=imported/), page.click('form.upload button')]);
  const flash = await page.locator('.flash').innerText();
  assert.equal(flash, 'imported browserbox/browserbox-rpi4-master-7');
  const row = page.locator('tr', { hasText: 'browserbox-rpi4-master-7' });
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /browserbox/);
  await shot('03-images.png');
  // an upload the server refuses (an empty image passes the browser's checks):
  // the message beside the file input, the names kept, the file to choose again
  const imgForm = 'form.upload[action="/admin/images"]';
  await page.fill(`${imgForm} input[name=box]`, 'browserbox');
  await page.fill(`${imgForm} input[name=board]`, 'rpi4');
  await page.fill(`${imgForm} input[name=version]`, '8');
  await page.setInputFiles(`${imgForm} input[name=file]`,
    { name: 'empty.img', mimeType: 'application/octet-stream', buffer: Buffer.alloc(0) });
  await Promise.all([page.waitForURL(base + '/admin/images'), page.click(`${imgForm} button`)]);
  await besideField(imgForm, 'file', /empty/);
  assert.equal(await page.locator(`${imgForm} input[name=board]`).inputValue(), 'rpi4');
  assert.equal(await page.locator(`${imgForm} input[name=version]`).inputValue(), '8');
  assert.match(await page.locator(`${imgForm} input[name=file]`).evaluate((e) => e.closest('label').innerText),
               /choose the file again/);
  await shot('03b-images-field-error.png');

  await page.click('nav >> text=Request log');
  assert.equal(await page.locator('h1').innerText(), 'Request log');
  await shot('04-requests.png');
  await page.click('nav >> text=Users');
  await page.fill('form[action="/admin/tokens"] input[name=name]', 'browser-token');
  await page.click('text=Create token');
  assert.match(await page.locator('#new-token').innerText(), /^nbx_[0-9a-f]{64}$/);
  await shot('05-users.png');
  // a refused form comes back with the message beside its field and the input kept
  // (a taken name passes the browser's own checks; the server refuses it)
  const addUser = 'form[action="/admin/users"]';
  await page.fill(`${addUser} input[name=name]`, user);
  await page.fill(`${addUser} input[name=password]`, 'long-enough-1');
  await page.selectOption(`${addUser} select[name=role]`, 'readonly');
  await page.click(`${addUser} button`);
  const nameInput = page.locator(`${addUser} input[name=name]`);
  assert.equal(await nameInput.inputValue(), user);
  assert.equal(await nameInput.getAttribute('aria-invalid'), 'true');
  const errId = await nameInput.getAttribute('aria-describedby');
  const err = page.locator('#' + errId);
  assert.match(await err.innerText(), /exists/);
  // beside the field: in the field's own label, right below the input
  assert.equal(await err.evaluate((e, i) => e.closest('label') === document.querySelector(i).closest('label'),
                                  `${addUser} input[name=name]`), true);
  const [ib, eb] = [await nameInput.boundingBox(), await err.boundingBox()];
  assert.ok(eb.y >= ib.y + ib.height - 1 && eb.y - (ib.y + ib.height) < 40, 'error right below its input');
  await shot('05b-users-field-error.png');
  // a delete asks first, without script: the button opens the question
  await page.fill(`${addUser} input[name=name]`, 'temp-user');
  await page.fill(`${addUser} input[name=password]`, 'long-enough-1');
  await Promise.all([page.waitForURL(/done=added/), page.click(`${addUser} button`)]);
  const tempRow = page.locator('tr', { hasText: 'temp-user' });
  const yes = tempRow.locator('button >> text=Yes, delete temp-user');
  assert.equal(await yes.isVisible(), false);
  await tempRow.locator('summary >> text=Delete').click();
  assert.equal(await yes.isVisible(), true);
  assert.match(await tempRow.locator('details form').innerText(), /Delete user temp-user\?/);
  await shot('05c-users-confirm-delete.png');
  await Promise.all([page.waitForURL(/done=deleted/), yes.click()]);
  assert.equal(await page.locator('tr', { hasText: 'temp-user' }).count(), 0);
  await page.click('nav >> text=Settings');
  await shot('06-settings.png');

  // the DDI pages: devices (list and one device), software, rollouts
  await page.click('nav >> text=Devices');
  assert.equal(await page.locator('h1').innerText(), 'Devices');
  assert.ok(await page.locator('tbody tr a[href^="/admin/devices/"]').count() >= 1);
  await shot('07-devices.png');
  // finding devices: a search over attributes, a sorted column, a bulk action that asks first
  await page.fill('form.filter input[name=q]', 'SN-1003');
  await Promise.all([page.waitForURL(/q=SN-1003/), page.click('form.filter button')]);
  const listed = () => page.locator('tbody tr a[href^="/admin/devices/"]').allInnerTexts();
  assert.deepEqual(await listed(), ['gateway-03']);
  assert.match(await page.locator('p.pages').first().innerText(), /Showing 1–1 of 1/);
  await page.goto(base + '/admin/devices');
  await Promise.all([page.waitForURL(/sort=cid&dir=asc/), page.click('thead >> text=Controller ID')]);
  await Promise.all([page.waitForURL(/sort=cid&dir=desc/), page.click('thead >> text=Controller ID')]);
  assert.equal((await listed())[0], 'gateway-05');
  await page.check('input[aria-label="select gateway-05"]');
  await page.check('input[aria-label="select gateway-04"]');
  await page.selectOption('form#bulk select[name=action]', 'feed');
  await page.fill('form#bulk input[name=feed]', 'lab');
  await Promise.all([page.waitForURL(/\/admin\/devices\/bulk/), page.click('form#bulk button')]);
  assert.equal(await page.locator('h1').innerText(), 'Set the feed of 2 devices to lab?');
  await shot('07b-devices-bulk.png');
  await Promise.all([page.waitForURL(/done=/), page.click('button >> text=Set the feed of 2 devices')]);
  assert.equal(await page.locator('.flash').innerText(), 'set the feed of 2 devices');
  await page.fill('form.filter input[name=feed]', 'lab');
  await Promise.all([page.waitForURL(/feed=lab/), page.click('form.filter button')]);
  assert.deepEqual(await listed(), ['gateway-04', 'gateway-05']);
  await page.click('tbody tr a[href^="/admin/devices/"] >> nth=0');
  assert.match(await page.locator('.verdict').innerText(), /Update decision/);
  await shot('08-device.png');
  await page.click('nav >> text=Software');
  assert.equal(await page.locator('h1').innerText(), 'Software');
  await shot('09-software.png');
  const swForm = 'form.upload[action="/admin/software"]';
  await page.fill(`${swForm} input[name=name]`, 'not firmware');
  await page.setInputFiles(`${swForm} input[name=file]`,
    { name: 'notes.swu', mimeType: 'application/octet-stream', buffer: Buffer.from('not an image\n'.repeat(40)) });
  await Promise.all([page.waitForURL(base + '/admin/software'), page.click(`${swForm} button`)]);
  await besideField(swForm, 'file', /./);
  assert.equal(await page.locator(`${swForm} input[name=name]`).inputValue(), 'not firmware');
  await shot('09b-software-field-error.png');
  await page.click('nav >> text=Rollouts');
  // a feed no device follows, not confirmed: refused beside the feed, the rest kept
  const roForm = 'form.upload[action="/admin/rollouts"]';
  await page.fill(`${roForm} input[name=name]`, 'typo rollout');
  await page.fill(`${roForm} input[name=feed]`, 'defualt');
  await page.fill(`${roForm} input[name=percent]`, '30');
  await Promise.all([page.waitForURL(base + '/admin/rollouts'), page.click(`${roForm} button`)]);
  await besideField(roForm, 'feed', /no devices/);
  assert.equal(await page.locator(`${roForm} input[name=name]`).inputValue(), 'typo rollout');
  assert.equal(await page.locator(`${roForm} input[name=percent]`).inputValue(), '30');
  await shot('10b-rollouts-field-error.png');
  await page.click('nav >> text=Rollouts');
  await page.fill('form.upload input[name=name]', 'browser rollout');
  await page.fill('form.upload input[name=feed]', 'default');
  await page.fill('form.upload input[name=percent]', '50');
  await Promise.all([page.waitForURL(/done=rollout/), page.click('form.upload button')]);
  const bars = page.locator('svg.bar');
  assert.ok(await bars.count() >= 1);
  assert.equal(await page.locator('tr', { hasText: 'browser rollout' }).count(), 1);
  await shot('10-rollouts.png');

  // one rollout: devices by result, limits, cancel with its confirmation
  await page.click('tr:has-text("spring") a[href^="/admin/rollouts/"] >> nth=0');
  assert.match(await page.locator('h1').innerText(), /^Rollout \d+: spring$/);
  assert.match(await page.locator('#group-succeeded h3').innerText(), /succeeded\s*1/);
  assert.match(await page.locator('#group-failed h3').innerText(), /failed\s*1/);
  assert.match(await page.locator('#group-running h3').innerText(), /running\s*1/);
  // six devices on the feed, less the two the bulk action above moved to 'lab'
  assert.match(await page.locator('.progress-text').innerText(), /counted over the 4 devices/);
  await page.fill('form.limits input[name=max_failures]', '4');
  await Promise.all([page.waitForURL(/done=limits/), page.click('form.limits button')]);
  assert.equal(await page.locator('form.limits input[name=max_failures]').inputValue(), '4');
  await page.fill('form.limits input[name=max_failure_rate]', '101');
  await page.locator('form.limits input[name=max_failure_rate]').evaluate(
    (e) => { e.removeAttribute('max'); });
  await page.click('form.limits button');
  assert.match(await page.locator('.field-error').innerText(), /0-100/);
  await shot('11-rollout.png');
  await page.click('form[action$="/cancel"] button');
  assert.match(await page.locator('.confirm').innerText(), /Really cancel rollout \d+\?/);
  await Promise.all([page.waitForURL(/done=rollout\+canceled/),
                     page.click('.confirm button.danger')]);
  assert.match(await page.locator('.state').first().innerText(), /canceled/);
  await shot('12-rollout-canceled.png');

  // the dashboard's fleet health and the audit feed
  await page.goto(base + '/admin/');
  assert.match(await page.locator('table.failures').innerText(), /gateway-01/);
  assert.match(await page.locator('table.audit').innerText(), /rollout cancel/);
  await shot('13-dashboard-health.png');
  await page.click('a.more[href="/admin/audit"]');
  assert.equal(await page.locator('h1').innerText(), 'Audit');
  assert.match(await page.locator('table.audit').innerText(), /rollout limits/);
  await shot('14-audit.png');
  // at phone width (390 px) every page fits: wide tables scroll inside their
  // box, the document itself never scrolls sideways
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + '/admin/');
  await shot('15-dashboard-phone.png');
  const deviceHref = await page.locator('a[href^="/admin/devices/"]').first().getAttribute('href');
  const rolloutHref = await page.locator('a[href^="/admin/rollouts/"]').first().getAttribute('href');
  const phonePages = {
    dashboard: '/admin/', devices: '/admin/devices', device: deviceHref,
    software: '/admin/software', rollouts: '/admin/rollouts', rollout: rolloutHref,
    images: '/admin/images', mip: '/admin/mip', requests: '/admin/requests',
    users: '/admin/users', audit: '/admin/audit', settings: '/admin/settings',
    'not-found': '/admin/no/such/page',
  };
  for (const [name, url] of Object.entries(phonePages)) {
    await page.goto(base + url);
    const w = await page.evaluate(() => [document.documentElement.scrollWidth,
                                         document.documentElement.clientWidth]);
    await shot(`phone-${name}.png`);
    assert.ok(w[0] <= w[1], `${url} overflows at 390 px: ${w[0]} > ${w[1]}`);
  }
  // the unknown page is a page with navigation
  assert.equal(await page.locator('h1').innerText(), '404 Not Found');
  assert.ok(await page.locator('header nav a[href="/admin/devices"]').count() === 1);
  console.log('browser test: ok');
} finally {
  await browser.close();
}
