// console_web_resume.js - the console web page resuming across a restart
// of the service, in headless Chromium (playwright-core, /usr/bin/chromium),
// for tests/e2e/test_console_web_resume.sh.  Prints "ok NAME" or
// "not ok NAME: why" per check.  Environment: BASE, PW, ADMIN_PASS,
// SVCLOG (the log of `pscon --hold`, naming its worker: sent SIGUSR2,
// then SIGKILL here), SENT (what the guest wrote), LINES (how
// many counter lines it writes), HOST (the console's host name), GO (a
// file made here to start the guest's counter; GO.1, GO.2 let it past
// the holds after 200 and 400 lines, each once the page has resumed, so
// both events fall inside the stream however long a restart takes on a
// loaded machine); for the gap: HOST2 (a
// second console, no guest yet), FLOOD (bytes its guest writes while the
// page is away, more than the backlog holds), PSCON_TEST and SOCK2 (the
// guest's socket for `pscon-test flood`).
'use strict';
const fs = require('fs');
const { execFileSync } = require('child_process');
const { chromium } = require(process.env.PW);

const HOST = process.env.HOST;
const LINES = Number(process.env.LINES);
const ok = (name) => console.log(`ok ${name}`);
const bad = (name, why) => console.log(`not ok ${name}: ${why}`);
async function check(name, fn) {
  try { const r = await fn(); ok(r ? `${name} (${r})` : name); }
  catch (e) { bad(name, String(e.message || e).split('\n')[0]); }
}
const sel = `.console[data-host="${HOST}"]`;
const sel2 = `.console[data-host="${process.env.HOST2}"]`;
const counter = (n) => `counter ${String(n).padStart(6, '0')}`;
// The holder's worker: its newest "pscon --hold: worker N" line.
const worker = () => Number([...fs.readFileSync(process.env.SVCLOG, 'utf8')
  .matchAll(/^pscon --hold: worker (\d+)$/gm)].pop()[1]);

// The terminal's buffer as lines (wrapped rows joined) and the page's
// offsets, from the page.
const state = (page, which = sel) => page.evaluate((sel) => {
  const c = document.querySelector(sel).pscon;
  const b = c.term.buffer.active, lines = [];
  for (let i = 0; i < b.length; i++) {
    const l = b.getLine(i);
    const s = l.translateToString(true);
    if (l.isWrapped && lines.length) lines[lines.length - 1] += s;
    else lines.push(s);
  }
  return { lines, next: c.next, open: c.ws && c.ws.readyState === 1,
           lost: c.lostAt !== null, pending: c.pending.length,
           resumed: c.resumedText, skipped: c.skipped,
           epoch: c.epoch,
           status: document.querySelector(sel + ' .status').textContent };
}, which);

// Waits on the page's recorded state.  The times are generous bounds
// (ASan, a loaded machine), never what a check counts on.
async function until(page, what, pred, ms = 60000, which = sel) {
  const end = Date.now() + ms;
  let s;
  while (Date.now() < end) {
    s = await state(page, which);
    if (pred(s)) return s;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${what}: not in time (status "${s && s.status}")`);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await ctx.newPage();
    await page.goto(process.env.BASE + '/');
    await page.fill('#user', 'admin');
    await page.fill('#password', process.env.ADMIN_PASS);
    await page.click('#login-button');
    await page.locator(`tr[data-host="${HOST}"] button.open`).click();
    await page.locator(sel).waitFor();
    fs.writeFileSync(process.env.GO, '');
    await check('web resume: the console shows the counter', async () => {
      await until(page, 'counter 30', (s) => s.lines.some((l) => l.includes(counter(30))));
    });
    await page.click(`${sel} .xterm`);
    await page.keyboard.type('before\r');

    // The restart (SIGUSR2), then a crash (SIGKILL of the worker, the
    // holder starts another): each time the WebSocket drops and the page
    // reconnects by itself; keystrokes typed while it is away are sent
    // after the resume.
    const at = [];
    for (const [sig, typedNow] of [['SIGUSR2', 'during'], ['SIGKILL', 'crash']]) {
      // (after output the page had not seen at the event before)
      const s0 = await until(page, 'output since the last event', (s) =>
        s.next > (at.length ? at[at.length - 1] : 0));
      at.push(s0.next);
      process.kill(worker(), sig);
      // The drop: the page away, or already back (its resume recorded):
      // a quick reconnect may come between two looks.
      await check(`web resume: the page sees its WebSocket drop (${sig})`, async () => {
        const s = await until(page, 'the drop', (s) => s.lost || s.resumed !== s0.resumed);
        return `status "${s.status}"`;
      });
      await page.keyboard.type(`${typedNow}\r`);
      await check(`web resume: it reconnects by itself and resumes (${sig})`, async () => {
        const s = await until(page, 'the resume', (s) => s.open && !s.lost &&
                              s.resumed !== s0.resumed);
        if (!/resumed at offset \d+ after \d+ ms/.test(s.resumed))
          throw new Error(`status "${s.status}"`);
        return s.resumed;
      });
      fs.writeFileSync(`${process.env.GO}.${at.length}`, '');
    }
    await check('web resume: the counter goes on to its end', async () => {
      await until(page, 'the last counter', (s) =>
        s.lines.some((l) => l.includes(counter(LINES - 1))));
    });
    const s = await state(page);
    // The guest copies a line to SENT after sending it: wait for the copy.
    const sentSize = async () => {
      const end = Date.now() + 20000;
      while (fs.statSync(process.env.SENT).size < s.next && Date.now() < end)
        await new Promise((r) => setTimeout(r, 20));
      return fs.statSync(process.env.SENT).size;
    };
    await check('web resume: both came in the middle of the stream', async () => {
      if (!(at[0] > 0 && at[1] > at[0] && at[1] < s.next))
        throw new Error(`at ${at.join(', ')} of ${s.next}`);
      return `at offsets ${at.join(', ')} of ${s.next}`;
    });
    await check('web resume: every counter line exactly once, in order', async () => {
      const got = s.lines.filter((l) => l.includes('counter'));
      const want = Array.from({ length: LINES }, (_, i) => counter(i));
      const firstBad = want.findIndex((w, i) => got[i] !== w);
      if (got.length !== LINES || firstBad >= 0)
        throw new Error(`${got.length} lines; first difference at ${firstBad}: ` +
                        `"${got[firstBad]}" for "${want[firstBad]}"`);
      if (s.lines.some((l) => l.includes('skipped') || l.includes('anew')))
        throw new Error('a gap was shown');
      return `${got.length} lines`;
    });
    await check("web resume: the page's offset is the guest's byte count", async () => {
      const sent = await sentSize();
      if (s.next !== sent) throw new Error(`page ${s.next}, guest ${sent}`);
      return `${sent} bytes`;
    });
    await check('web resume: typed input all acknowledged', async () => {
      await until(page, 'acks', (s) => s.pending === 0);
    });

    // A gap: the second console is away (its WebSocket closed, its next
    // try put off for an hour) while its guest writes more than the
    // backlog holds; once the service has taken every byte (its own
    // count, /api/ports' output_bytes) the page reconnects, and says how
    // many bytes it missed, exactly.  (A fixed wait let a slow flood
    // straddle the return: the skip was then smaller.)
    const FLOOD = Number(process.env.FLOOD);
    await page.locator(`tr[data-host="${process.env.HOST2}"] button.open`).click();
    await until(page, 'the second console', (s) => s.epoch !== null, 60000, sel2);
    await page.evaluate((sel) => {
      const c = document.querySelector(sel).pscon;
      c.retry = 3600000;
      c.ws.close();
    }, sel2);
    await until(page, 'the second console away', (s) => s.lost, 60000, sel2);
    execFileSync(process.env.PSCON_TEST, ['flood', process.env.SOCK2, String(FLOOD)]);
    await check('web resume: the service took the whole flood', async () => {
      const end = Date.now() + 60000;
      let got;
      while (Date.now() < end) {
        got = await page.evaluate(async (host) => {
          const r = await fetch('/api/ports');
          const p = (await r.json()).ports.find((p) => p.hostname === host);
          return p && p.output_bytes;
        }, process.env.HOST2);
        if (got === FLOOD) return `${got} bytes`;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`output_bytes ${got} of ${FLOOD}`);
    });
    await page.evaluate((sel) => connect(document.querySelector(sel).pscon), sel2);
    await check('web resume: after a gap larger than the backlog, a skip with its size', async () => {
      const s = await until(page, 'the gap', (s) => !s.lost && s.next === FLOOD,
                            60000, sel2);
      // The terminal's own note may have scrolled out of its scrollback
      // (the replay is 128 KiB); the page's count and status line stay.
      const m = /^(\d+) bytes skipped at offset (\d+) /.exec(s.status);
      if (!m || Number(m[1]) !== s.skipped || !(s.skipped > 0 && s.skipped < FLOOD))
        throw new Error(`no skip shown: status "${s.status}", ${s.skipped} skipped`);
      // What came is the backlog's 128 KiB (pscon's default ring).
      if (FLOOD - Number(m[1]) !== 131072)
        throw new Error(`${m[1]} skipped: ${FLOOD - Number(m[1])} bytes shown`);
      return `${m[1]} of ${FLOOD} bytes skipped, the page at offset ${s.next}`;
    });
  } finally {
    await browser.close();
  }
})().catch((e) => { bad('web resume: the browser run', e.message); });
