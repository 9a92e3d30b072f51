/*
 * app.js - the pscon console page: log in (POST /api/login), the port
 * list (GET /api/ports, every second), and a console per opened port:
 * xterm.js over the WebSocket /ws/console/HOST (docs/console.md "The web
 * page" is the message format).  Every text from the service is put in
 * the page as text (textContent), never as markup.
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
  for (const c of consoles.values()) c.ws.close();
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

function onMessage(c, m) {
  let k;
  switch (m.type) {
  case 'attached':
    c.st = { port: m.port, mode: m.mode, access: m.access, guest: m.guest };
    showState(c);
    c.mode.value = m.mode;
    break;
  case 'error':
    status(c, `${m.request}: ${m.code}: ${m.text}`, true);
    break;
  case 'notice':
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
    c.term.write(`\r\n[pscon: ${m.count} bytes skipped]\r\n`);
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
  const url = `wss://${location.host}/ws/console/` +
    `${encodeURIComponent(host)}?access=${admin ? 'rw' : 'spy'}`;
  const ws = new WebSocket(url, 'pscon-console');
  ws.binaryType = 'arraybuffer';
  const c = { host, ws, term, div, state, status: st, users, mode, st: null };
  consoles.set(host, c);
  status(c, 'connecting...');
  term.onData((d) => {
    if (ws.readyState === WebSocket.OPEN)
      ws.send(JSON.stringify({ type: 'input', data: d }));
  });
  mode.addEventListener('change', () =>
    ws.send(JSON.stringify({ type: 'mode', mode: mode.value })));
  force.addEventListener('click', () =>
    ws.send(JSON.stringify({ type: 'force' })));
  close.addEventListener('click', () => ws.close());
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') term.write(new Uint8Array(ev.data));
    else onMessage(c, JSON.parse(ev.data));
  };
  ws.onclose = () => {
    c.status.textContent += ' [closed]';
    consoles.delete(host);
    term.options.disableStdin = true;
  };
}

(async () => {
  const r = await api('whoami');
  if (r.ok) loggedIn(r.body);
  else showLogin('');
})();
