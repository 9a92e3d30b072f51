// console_web.js - drives the console web page in headless Chromium
// (playwright-core from bmc-shim/console/web/package.json, /usr/bin/chromium)
// for tests/e2e/test_console_web.sh.  Prints one line a check:
// "ok NAME" or "not ok NAME: why".  Environment: BASE (https://HOST:PORT),
// PW (the playwright-core module), SHOT (screenshot path), ADMIN_PASS,
// OPER_PASS.
'use strict';
const { chromium } = require(process.env.PW);

const BASE = process.env.BASE;
let failed = 0;
const T0 = Date.now();
const ok = (name) => console.log(`ok ${name}`);
const ms = () => `${Date.now() - T0} ms`;
const bad = (name, why) => { failed++; console.log(`not ok ${name}: ${why}`); };

async function check(name, fn) {
  try { await fn(); ok(name); if (process.env.WEB_TIMES) console.log(ms()); } catch (e) { bad(name, String(e.message || e).split('\n')[0]); }
}

const term = (page, host) => page.locator(`.console[data-host="${host}"] .xterm-rows`);
const statusOf = (page, host) => page.locator(`.console[data-host="${host}"] .status`);
const stateOf = (page, host) => page.locator(`.console[data-host="${host}"] .state`);

// Waits until the text of locator loc contains want (60 s: a bound for
// ASan on a loaded machine, not what a check counts on).
async function waitText(loc, want, ms = 60000) {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    last = (await loc.textContent().catch(() => '')) || '';
    if (last.replace(/\u00a0/g, ' ').includes(want)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`"${want}" not shown; have "${last.slice(-200)}"`);
}

async function login(ctx, user, pass) {
  const page = await ctx.newPage();
  await page.goto(BASE + '/');
  await page.fill('#user', user);
  await page.fill('#password', pass);
  await page.click('#login-button');
  return page;
}

// A WebSocket opened by hand in the page: what a hostile client sends.
async function rawWs(page, path, send) {
  return page.evaluate(async ([path, send]) => {
    const ws = new WebSocket(`wss://${location.host}${path}`, 'pscon-console');
    ws.binaryType = 'arraybuffer';
    const got = { text: [], binary: 0, code: null };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') got.text.push(JSON.parse(ev.data));
      else got.binary += ev.data.byteLength;
    };
    await new Promise((res) => { ws.onopen = res; ws.onclose = res; });
    for (const m of send) ws.send(m);
    // Until the service closes it, or all answers are in.
    await new Promise((res) => {
      ws.onclose = (ev) => { got.code = ev.code; res(); };
      const t = setInterval(() => {
        if (send.length && got.text.filter((m) => m.type === 'error').length >= send.length) {
          clearInterval(t); res();
        }
      }, 50);
      setTimeout(res, 30000); // a bound only: each case ends on the above
    });
    ws.close();
    return got;
  }, [path, send]);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const admin = await browser.newContext({ ignoreHTTPSErrors: true,
                                           viewport: { width: 1700, height: 1100 } });
  const oper = await browser.newContext({ ignoreHTTPSErrors: true });

  // Before a login: no list, no console; a wrong password is refused
  // with a clear message, after a delay.
  const page = await admin.newPage();
  await page.goto(BASE + '/');
  await page.locator('#login-form').waitFor();
  let g = await rawWs(page, '/ws/console/web01-con', []);
  await check('web: a WebSocket without a login is refused, no data', async () => {
    if (!g.text.some((m) => m.code === 'login') || g.binary)
      throw new Error(JSON.stringify(g));
  });
  await page.fill('#user', 'admin');
  await page.fill('#password', 'not-the-password');
  const t0 = Date.now();
  await page.click('#login-button');
  await check('web: a wrong password is refused with a message',
              () => waitText(page.locator('#login-msg'), 'wrong user name or password'));
  const waited = Date.now() - t0;
  if (waited >= 900) ok(`web: the refusal came after a delay (${waited} ms)`);
  else bad('web: the refusal came after a delay', `${waited} ms`);
  await check('web: no console list without a login', async () => {
    if (await page.locator('#main').isVisible()) throw new Error('main shown');
  });

  // The administrator: log in, see the ports, open two consoles at once.
  await page.fill('#password', process.env.ADMIN_PASS);
  await page.click('#login-button');
  await check('web: the administrator logs in',
              () => waitText(page.locator('#who'), 'admin (administrator)'));
  await check('web: the port list shows every host name',
              async () => { await waitText(page.locator('#ports'), 'web01-con');
                            await waitText(page.locator('#ports'), 'web02-con'); });
  await check('web: the ports in host name order', async () => {
    const first = await page.locator('#ports tbody tr').first().getAttribute('data-host');
    if (first !== 'web01-con') throw new Error(`first row ${first}`);
  });
  await page.click('tr[data-host="web01-con"] button.open');
  await page.click('tr[data-host="web02-con"] button.open');
  await check('web: a console shows the port\'s output (backlog replayed)',
              () => waitText(term(page, 'web01-con'), 'guest web01 booted'));
  await check('web: a second console open at once shows its own port',
              () => waitText(term(page, 'web02-con'), 'guest web02 booted'));
  await check('web: the console says the port, mode and access',
              () => waitText(stateOf(page, 'web01-con'), 'port 7001, mode free, rw'));
  await check('web: no output of one port in the other\'s console', async () => {
    const t = await term(page, 'web02-con').textContent();
    if (t.includes('web01')) throw new Error(t.slice(0, 200));
  });

  // Type a command: it reaches the port, the guest's reply comes back.
  await page.click('.console[data-host="web01-con"] .xterm');
  await page.keyboard.type('echo web-typed\r');
  await check('web: a typed command is answered by the guest',
              () => waitText(term(page, 'web01-con'), 'reply: echo web-typed'));
  await check('web: the port lists the attached web user',
              () => waitText(page.locator('tr[data-host="web01-con"] .users'), 'admin'));
  // A fault on the port: an event on the page.
  await page.keyboard.type('panic\r');
  await check('web: a fault shows as an event',
              () => waitText(page.locator('#events'), 'Kernel panic - not syncing'));
  await check('web: the port list counts the fault',
              () => waitText(page.locator('tr[data-host="web01-con"] td.fault'), '1'));
  await page.screenshot({ path: process.env.SHOT, fullPage: true });

  // An operator observes but cannot type.
  const op = await login(oper, 'oper', process.env.OPER_PASS);
  await check('web: the operator logs in',
              () => waitText(op.locator('#who'), 'oper (operator)'));
  await op.click('tr[data-host="web01-con"] button.open');
  await check('web: the operator sees the console (as a spy)',
              async () => { await waitText(term(op, 'web01-con'), 'reply: echo web-typed');
                            await waitText(stateOf(op, 'web01-con'), 'mode free, spy'); });
  await check('web: the operator cannot change the mode', async () => {
    if (!(await op.locator('.console[data-host="web01-con"] select.mode').isDisabled()))
      throw new Error('mode control enabled');
  });
  await op.click('.console[data-host="web01-con"] .xterm');
  await op.keyboard.type('operator-typed\r');
  await check('web: the operator\'s keystrokes are refused',
              () => waitText(statusOf(op, 'web01-con'), 'read-only'));
  await check('web: the administrator sees the operator attached',
              () => waitText(page.locator('tr[data-host="web01-con"] .users'), 'oper (spy)'));
  await check('web: notices name web users (not their uids)',
              () => waitText(statusOf(page, 'web01-con'), 'user: oper attached spy'));

  // Mode change by the administrator: seen by every user of the port.
  await page.selectOption('.console[data-host="web01-con"] select.mode', 'observer');
  await check('web: a mode change reaches the other user',
              () => waitText(stateOf(op, 'web01-con'), 'mode observer'));
  await check('web: the port list shows the new mode',
              () => waitText(page.locator('tr[data-host="web01-con"] .mode'), 'observer'));

  // Privacy: the administrator alone on web02-con makes it private.
  await page.selectOption('.console[data-host="web02-con"] select.mode', 'privacy');
  await check('web: privacy set by the administrator',
              () => waitText(stateOf(page, 'web02-con'), 'mode privacy'));
  await op.click('tr[data-host="web02-con"] button.open');
  await check('web: privacy refuses a second viewer',
              () => waitText(statusOf(op, 'web02-con'), 'private'));
  await check('web: the refused viewer saw none of the port\'s output', async () => {
    const t = await term(op, 'web02-con').textContent();
    if (t.includes('web02')) throw new Error(t.slice(0, 200));
  });

  // Hostile messages on a console WebSocket.
  g = await rawWs(page, '/ws/console/no-such-host', []);
  await check('web: an unknown port is refused, no data', async () => {
    if (!g.text.some((m) => m.type === 'error' && m.code === 'no-port') || g.binary)
      throw new Error(JSON.stringify(g));
  });
  g = await rawWs(page, '/ws/console/web01-con?access=spy', ['{"type":', '{"type":"mode","mode":"x"}', '[1,2]']);
  await check('web: bad JSON is refused with a message, the session stays', async () => {
    const e = g.text.filter((m) => m.type === 'error' && m.code === 'protocol');
    if (e.length !== 3 || !g.binary) throw new Error(JSON.stringify(g.text));
  });
  g = await rawWs(page, '/ws/console/web01-con?access=spy', ['x'.repeat(9000)]);
  await check('web: an oversized message closes the WebSocket (1009)', async () => {
    if (g.code !== 1009) throw new Error(`close code ${g.code}`);
  });
  await browser.close();
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log(`not ok web: driver: ${e.message.split('\n')[0]}`); process.exit(1); });
