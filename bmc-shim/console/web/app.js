/*
 * app.js - the pscon console page: log in (POST /api/login), the port
 * list (GET /api/ports, every second), and a console per opened port:
 * xterm.js over the WebSocket /ws/console/HOST (docs/console.md "The web
 * page" is the message format).  Every text from the service is put in
 * the page as text (textContent), never as markup.  A console resumes by
 * itself: when its WebSocket drops (a restart of the service, a network
 * cut) it connects again with the port's epoch and the offset after the
 * last byte shown, and gets exactly the rest; typed input is numbered
 * and kept until the service acknowledges it, and sent again after a
 * reconnect (the service drops what it already has).
 */
'use strict';

const $ = (sel) => document.querySelector(sel);
const consoles = new Map();    // host name -> { ws, term, div, ... }
const uidNames = new Map();    // uid -> user name, from the port list
let me = null;
let timer = null;

async function api(path, opts) {
  const r = await fetch('/api/' + path, opts);
  let body = {};
  try { body = await r.json(); } catch (e) { /* no JSON body */ }
  return { ok: r.ok, status: r.status, body };
}

function showLogin(msg) {
  me = null;
  if (timer) clearInterval(timer);
  timer = null;
  $('#main').hidden = true;
  $('#login').hidden = false;
  $('#login-msg').textContent = msg;
}

function loggedIn(who) {
  me = who;
  $('#login').hidden = true;
  $('#main').hidden = false;
  $('#who').textContent = `${who.user} (${who.role})`;
  refresh();
  timer = setInterval(refresh, 1000);
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#login-msg').textContent = 'checking...';
  const body = new URLSearchParams({ user: $('#user').value,
                                     password: $('#password').value });
  const r = await api('login', { method: 'POST', body });
  if (r.ok) loggedIn(r.body);
  else showLogin(r.body.error || `refused (HTTP ${r.status})`);
});

$('#logout').addEventListener('click', async () => {
  await api('logout', { method: 'POST', body: 'bye=1' });
  for (const c of consoles.values()) end(c);
  showLogin('logged out');
});

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

// The core's notices name users by uid: the page shows their names.
function named(text) {
  return text.replace(/uid (\d+)/g, (all, uid) =>
    uidNames.has(Number(uid)) ? uidNames.get(Number(uid)) : all);
}

function userText(u) {
  return (u.name || `uid ${u.uid}`) + (u.access === 'spy' ? ' (spy)' : '');
}

function renderPorts(ports) {
  const tb = $('#ports tbody');
  tb.replaceChildren();
  ports.sort((a, b) => (a.hostname || '').localeCompare(b.hostname || '') ||
             a.concentrator - b.concentrator);
  for (const p of ports)
    for (const u of p.users) if (u.name) uidNames.set(u.uid, u.name);
  // A notice may have come before the list knew its user's name.
  for (const c of consoles.values())
    if (c.rawStatus) c.status.textContent = named(c.rawStatus);
  for (const p of ports) {
    const host = p.hostname || String(p.concentrator);
    const tr = document.createElement('tr');
    tr.dataset.host = host;
    cell(tr, host);
    cell(tr, p.vm);
    cell(tr, String(p.concentrator));
    cell(tr, p.mode, 'mode');
    cell(tr, p.guest ? 'up' : 'down');
    cell(tr, p.writer === null ? '-' : (p.writer_name || `uid ${p.writer}`));
    cell(tr, p.users.map(userText).join(', ') || '-', 'users');
    const f = cell(tr, String(p.faults), p.faults ? 'fault' : '');
    if (p.last_fault) f.title = p.last_fault;
    const td = document.createElement('td');
    const b = document.createElement('button');
    b.textContent = 'Open';
    b.className = 'open';
    b.addEventListener('click', () => openConsole(host));
    td.appendChild(b);
    tr.appendChild(td);
    tb.appendChild(tr);
    const c = consoles.get(host);
    if (c) c.users.textContent = `mode ${p.mode}; users: ` +
      (p.users.map(userText).join(', ') || '-');
  }
}

async function refresh() {
  const r = await api('ports');
  if (r.status === 401) return showLogin('session ended: log in again');
  if (r.ok) renderPorts(r.body.ports);
}

function addEvent(host, text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toISOString()} ${host}: ${text}`;
  $('#events').appendChild(li);
}

function status(c, text, error) {
  c.rawStatus = text;
  c.status.textContent = named(text);
  c.status.className = 'status' + (error ? ' error' : '');
}

// The console's state line: port, mode, access, guest.
function showState(c) {
  const s = c.st;
  c.state.textContent = `port ${s.port}, mode ${s.mode}, ${s.access}` +
    (s.guest ? '' : ', no guest connected');
}

// The console clients' one reconnect schedule (docs/console.md
// "Reconnecting: one schedule" has the numbers and why; psctl console
// has the same, tests/e2e/test_console_retry.sh checks both): the first
// try at once, then one every RETRY_MIN ms until RETRY_FAST ms after the
// loss (a restart takes 30-250 ms), then the wait doubles after each
// failed try, up to RETRY_MAX ms.
const RETRY_MIN = 50, RETRY_FAST = 5000, RETRY_MAX = 5000;
// The wait after a try that failed `since` ms after the loss, the wait
// before it being `wait` (0 after the first try).
function retryWait(wait, since) {
  if (!wait || since < RETRY_FAST) return RETRY_MIN;
  return Math.min(wait * 2, RETRY_MAX);
}
const enc = new TextEncoder();

// A random input stream id, 1 .. 2^53 - 1 (exact as a JS number).
function newStream() {
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return (a[0] & 0x1fffff) * 0x100000000 + a[1] || 1;
}

function sendInput(c, p) {
  if (c.ws && c.ws.readyState === WebSocket.OPEN)
    c.ws.send(JSON.stringify({ type: 'input', data: p.data, offset: p.off }));
}

// The service is done with input up to offset: forget those chunks.
function acked(c, offset) {
  while (c.pending.length && c.pending[0].off + c.pending[0].n <= offset)
    c.pending.shift();
}

// Typed text: numbered, kept until acknowledged, in messages of at most
// 8192 bytes (cut between characters).
function typed(c, d) {
  let piece = '', n = 0;
  const flush = () => {
    if (!n) return;
    const p = { off: c.inNext, data: piece, n };
    c.inNext += n;
    c.pending.push(p);
    sendInput(c, p);
    piece = ''; n = 0;
  };
  for (const ch of d) {
    const k = enc.encode(ch).length;
    if (n + k > 8192) flush();
    piece += ch; n += k;
  }
  flush();
}

// The attach's answer: a resume goes on from the offset asked for (a gap
// comes as a skip); a new epoch (the port's output numbered anew) is
// said in the terminal.  Unacknowledged input is sent again.
function onAttached(c, m) {
  const resumed = c.epoch !== null && m.epoch === c.epoch;
  if (c.epoch !== null && !resumed)
    c.term.write('\r\n[pscon: the port\'s output starts anew here]\r\n');
  if (!resumed) { // the service has no record of this input stream
    let o = m.input_written;
    for (const p of c.pending) { p.off = o; o += p.n; }
    c.inNext = o;
  }
  c.epoch = m.epoch;
  c.next = m.start;
  acked(c, m.input_written);
  for (const p of c.pending) sendInput(c, p);
  if (c.lostAt !== null) {
    c.resumedText = `resumed at offset ${m.start} after ${Date.now() - c.lostAt} ms`;
    status(c, c.resumedText);
    c.lostAt = null;
  }
  c.retry = 0;
}

function onMessage(c, m) {
  let k;
  switch (m.type) {
  case 'attached':
    c.st = { port: m.port, mode: m.mode, access: m.access, guest: m.guest };
    showState(c);
    c.mode.value = m.mode;
    onAttached(c, m);
    break;
  case 'ack':
    acked(c, m.offset);
    break;
  case 'error':
    status(c, `${m.request}: ${m.code}: ${m.text}`, true);
    // A refused attach or login ends the console: no reconnect.
    if (m.request === 'attach' || m.request === 'login') c.ended = true;
    break;
  case 'notice':
    if (m.kind === 'stop' || m.kind === 'gone') c.ended = true;
    status(c, `${m.kind}: ${m.text}`);
    if (m.kind === 'fault') addEvent(c.host, m.text);
    if (c.st && m.kind === 'mode' && (k = /^mode (\w+)/.exec(m.text))) {
      c.st.mode = k[1];
      c.mode.value = k[1];
      showState(c);
    }
    if (c.st && m.kind === 'guest') {
      c.st.guest = /connected/.test(m.text);
      showState(c);
    }
    break;
  case 'skip':
    // Said in the terminal where the gap is, and in the status line and
    // the total as well: a large replay after it scrolls the terminal's
    // note out of its scrollback.
    c.next = m.offset + m.count;
    c.skipped += m.count;
    c.term.write(`\r\n[pscon: ${m.count} bytes skipped]\r\n`);
    status(c, `${m.count} bytes skipped at offset ${m.offset} (more than the backlog held)`);
    break;
  case 'ok':
    status(c, `${m.request}: done`);
    break;
  }
}

function openConsole(host) {
  if (consoles.has(host)) return;
  const admin = me && me.role === 'administrator';
  const div = document.createElement('div');
  div.className = 'console';
  div.dataset.host = host;
  const h = document.createElement('h3');
  h.textContent = host;
  const state = document.createElement('div');
  state.className = 'state';
  const st = document.createElement('div');
  st.className = 'status';
  const users = document.createElement('div');
  users.className = 'users';
  const controls = document.createElement('div');
  controls.className = 'controls';
  const mode = document.createElement('select');
  mode.className = 'mode';
  for (const m of ['free', 'observer', 'privacy']) {
    const o = document.createElement('option');
    o.value = o.textContent = m;
    mode.appendChild(o);
  }
  const force = document.createElement('button');
  force.textContent = 'Force';
  force.className = 'force';
  const close = document.createElement('button');
  close.textContent = 'Close';
  mode.disabled = force.disabled = !admin;
  controls.append(mode, force, close);
  const tdiv = document.createElement('div');
  div.append(h, state, st, users, controls, tdiv);
  $('#consoles').appendChild(div);

  const term = new Terminal({ cols: 100, rows: 24 });
  term.open(tdiv);
  const c = { host, ws: null, term, div, state, status: st, users, mode,
              st: null, access: admin ? 'rw' : 'spy',
              epoch: null, next: 0,            // output: shown up to next
              stream: newStream(), inNext: 0, pending: [],  // input
              lostAt: null, retry: 0, ended: false,
              skipped: 0 };                    // output lost in gaps
  consoles.set(host, c);
  div.pscon = c;            // for tests and the curious: the offsets
  status(c, 'connecting...');
  term.onData((d) => typed(c, d));
  const send = (m) => c.ws && c.ws.readyState === WebSocket.OPEN &&
    c.ws.send(JSON.stringify(m));
  mode.addEventListener('change', () => send({ type: 'mode', mode: mode.value }));
  force.addEventListener('click', () => send({ type: 'force' }));
  close.addEventListener('click', () => end(c));
  connect(c);
}

// The console's WebSocket: a first attach, or a resume from c.next.
function connect(c) {
  let url = `wss://${location.host}/ws/console/` +
    `${encodeURIComponent(c.host)}?access=${c.access}&stream=${c.stream}`;
  if (c.epoch !== null) url += `&epoch=${c.epoch}&from=${c.next}`;
  const ws = new WebSocket(url, 'pscon-console');
  ws.binaryType = 'arraybuffer';
  c.ws = ws;
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') {
      const b = new Uint8Array(ev.data);
      c.next += b.length;     // the service sends the stream without holes
      c.term.write(b);
    } else onMessage(c, JSON.parse(ev.data));
  };
  ws.onclose = () => {
    if (c.ws !== ws) return;
    if (c.ended || !me) return closed(c);
    // The loss: a try at once; a failed try: the schedule's wait.
    if (c.lostAt === null) c.lostAt = Date.now();
    else c.retry = retryWait(c.retry, Date.now() - c.lostAt);
    status(c, `connection lost at offset ${c.next}; reconnecting`);
    setTimeout(() => { if (!c.ended) connect(c); }, c.retry);
  };
}

function closed(c) {
  c.status.textContent += ' [closed]';
  consoles.delete(c.host);
  c.term.options.disableStdin = true;
}

// Closed on purpose: no reconnect.
function end(c) {
  c.ended = true;
  if (c.ws && c.ws.readyState <= WebSocket.OPEN) c.ws.close();
  else closed(c);
}

(async () => {
  const r = await api('whoami');
  if (r.ok) loggedIn(r.body);
  else showLogin('');
})();
