// Keel's web UI. Everything a server sends is shown with textContent, never as markup: a message holding
// "<script>" or terminal escapes is shown as those characters.
const $ = (id) => document.getElementById(id);
let csrf = null;

async function call(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (csrf && options.method && options.method !== 'GET') headers['X-Keel-CSRF'] = csrf;
  const response = await fetch(path, Object.assign({}, options, { headers, credentials: 'same-origin' }));
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: text }; }
  if (!response.ok) throw new Error((body && (body.error || body.message)) || response.statusText);
  return body;
}

function show(signedIn, session) {
  $('sign-in').hidden = signedIn;
  $('search').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  $('who').hidden = !signedIn;
  $('who').textContent = signedIn ? `${session.tenant} · ${session.role}` : '';
  if (signedIn) $('query').focus(); else $('token').focus();
}

async function start() {
  try {
    const session = await call('/ui/session');
    csrf = session.csrf;
    show(true, session);
    restore();
  } catch {
    show(false);
  }
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('sign-in-error').textContent = '';
  try {
    const session = await call('/ui/session', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: $('token').value }),
    });
    $('token').value = '';
    csrf = session.csrf;
    show(true, session);
  } catch (error) {
    $('sign-in-error').textContent = error.message;
  }
});

$('sign-out').addEventListener('click', async () => {
  try { await call('/ui/session', { method: 'DELETE' }); } catch { /* signed out either way */ }
  csrf = null;
  $('results').replaceChildren();
  show(false);
});

// The search's whole state lives in the URL, so a link can be shared and the browser's back button restores it.
function restore() {
  const parameters = new URLSearchParams(location.search);
  $('query').value = parameters.get('q') || '{service=~".+"}';
  $('range').value = parameters.get('since') || '1h';
  if (parameters.has('q')) search();
}

$('query-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const parameters = new URLSearchParams({ q: $('query').value, since: $('range').value });
  history.pushState(null, '', `?${parameters}`);
  search();
});
window.addEventListener('popstate', restore);

async function search() {
  $('query-error').textContent = '';
  $('summary').textContent = 'Searching…';
  const parameters = new URLSearchParams({ q: $('query').value, since: $('range').value, limit: '200' });
  try {
    const body = await call(`/v1/query?${parameters}`);
    render(body.events || []);
  } catch (error) {
    $('summary').textContent = '';
    $('query-error').textContent = error.message;
  }
}

function render(lines) {
  const events = lines.map((line) => (typeof line === 'string' ? JSON.parse(line) : line)).reverse();
  $('summary').textContent = `${events.length} events, newest first`;
  $('results').replaceChildren(...events.map(row));
}

function row(event) {
  const item = document.createElement('li');
  item.tabIndex = 0;
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = new Date(event.timestamp).toLocaleString();
  time.title = event.timestamp;
  const level = document.createElement('span');
  level.className = 'level';
  level.textContent = event.level || '';
  const message = document.createElement('span');
  message.textContent = `${event.service ? event.service + ' ' : ''}${event.message ?? ''}`;
  item.append(time, level, message);
  const toggle = () => {
    const open = item.querySelector('pre');
    if (open) { open.remove(); return; }
    const pre = document.createElement('pre');
    pre.textContent = JSON.stringify(event, null, 2);
    item.append(pre);
  };
  item.addEventListener('click', toggle);
  item.addEventListener('keydown', (key) => {
    if (key.key === 'Enter') toggle();
    if (key.key === 'ArrowDown') item.nextElementSibling?.focus();
    if (key.key === 'ArrowUp') item.previousElementSibling?.focus();
  });
  return item;
}

document.addEventListener('keydown', (key) => {
  if (key.key === '/' && document.activeElement !== $('query') && !$('search').hidden) {
    key.preventDefault();
    $('query').focus();
  }
});

start();
