// Keel's web UI. It reads through the same API as the command line and Grafana (Loki's query_range and query,
// /v1/timeline). Everything a server sends is shown with textContent, never as markup: a message holding "<script>"
// or terminal escapes is shown as those characters.
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const PAGE = 100;
const FACETS = ['service', 'level', 'event', 'route', 'status', 'error_code', 'model'];
const STORY_IDS = ['request_id', 'trace_id', 'run_id'];
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'NOTICE', 'WARN', 'ERROR', 'CRITICAL'];
const SPANS = { '15m': 900, '1h': 3600, '24h': 86400, '7d': 604800 };
const LIVE_ROWS = 500;   // rows a live tail keeps in the page
let csrf = null;
let role = '';
let home = '';   // the tenant of the token signed in with
let shown = [];   // the events listed, newest first
let seen = new Set();

// MARK: the API

// An admin may read another tenant: its name goes with every call (`tenant`, as the API takes it).
function scoped(path) {
  const tenant = new URLSearchParams(location.search).get('tenant');
  if (!tenant) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams({ tenant })}`;
}

async function call(path, options = {}) {
  path = path.startsWith('/ui/') ? path : scoped(path);
  const headers = Object.assign({}, options.headers || {});
  if (csrf && options.method && options.method !== 'GET') headers['X-Keel-CSRF'] = csrf;
  const response = await fetch(path, Object.assign({}, options, { headers, credentials: 'same-origin' }));
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: text }; }
  if (!response.ok) throw new Error((body && (body.error || body.message)) || response.statusText);
  return body;
}

const seconds = (ms) => (ms / 1000).toFixed(3);

// MARK: signing in

function show(view, session) {
  for (const name of ['sign-in', 'search', 'health', 'alerts', 'story']) $(name).hidden = view !== name;
  $('sign-out').hidden = view === 'sign-in';
  $('who').hidden = view === 'sign-in';
  $('nav').hidden = view === 'sign-in';
  $('to-search').setAttribute('aria-current', view === 'search' || view === 'story' ? 'page' : 'false');
  $('to-health').setAttribute('aria-current', view === 'health' ? 'page' : 'false');
  $('to-alerts').setAttribute('aria-current', view === 'alerts' ? 'page' : 'false');
  if (session) {
    role = session.role;
    home = session.tenant;
  }
  const tenant = new URLSearchParams(location.search).get('tenant') || home;
  $('who').textContent = `${tenant} · ${role}`;
  $('tenant-form').hidden = view === 'sign-in' || role !== 'admin';
  if (view === 'sign-in') $('token').focus();
}

async function start() {
  try {
    const session = await call('/ui/session');
    csrf = session.csrf;
    show('search', session);
    restore();
    loadNames();
    refreshFiring();
  } catch {
    show('sign-in');
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
    show('search', session);
    restore();
    loadNames();
    refreshFiring();
  } catch (error) {
    $('sign-in-error').textContent = error.message;
  }
});

$('sign-out').addEventListener('click', async () => {
  stopLive();
  try { await call('/ui/session', { method: 'DELETE' }); } catch { /* signed out either way */ }
  csrf = null;
  $('results').replaceChildren();
  show('sign-in');
});

// MARK: the page's state, all of it in the address (a link can be shared; Back restores it)

function state() {
  const parameters = new URLSearchParams(location.search);
  const q = parameters.get('q') || '{service=~".+"}';
  const view = ['health', 'alerts'].includes(parameters.get('view')) ? parameters.get('view') : 'search';
  const service = parameters.get('service') || '';
  const from = Number(parameters.get('from'));
  const to = Number(parameters.get('to'));
  if (from && to && from < to) return { q, view, service, from, to, since: null };
  const since = SPANS[parameters.get('since')] ? parameters.get('since') : '1h';
  const now = Date.now();
  return { q, view, service, from: now - SPANS[since] * 1000, to: now, since };
}

// Goes to the state `changes` make of the current one: a new range replaces the old (`since`, or `from` and `to`).
function go(changes) {
  const current = new URLSearchParams(location.search);
  const next = new URLSearchParams();
  const value = (name) => (name in changes ? changes[name] : current.get(name));
  if (value('tenant')) next.set('tenant', value('tenant'));
  if (['health', 'alerts'].includes(value('view'))) next.set('view', value('view'));
  if (value('service')) next.set('service', value('service'));
  next.set('q', value('q') ?? $('query').value);
  if (changes.from && changes.to) {
    next.set('from', String(Math.round(changes.from)));
    next.set('to', String(Math.round(changes.to)));
  } else if (changes.since) {
    next.set('since', changes.since);
  } else if (current.has('from') && current.has('to')) {
    next.set('from', current.get('from'));
    next.set('to', current.get('to'));
  } else {
    next.set('since', current.get('since') || '1h');
  }
  history.pushState(null, '', `?${next}`);
  restore();
}

function restore() {
  const { q, since, view } = state();
  $('query').value = q;
  for (const picker of [$('range'), $('health-range')]) picker.value = since || 'custom';
  $('health-range').querySelector('option[value="custom"]').hidden = !!since;
  $('custom-range').hidden = !!since;
  if (!since) {
    const { from, to } = state();
    $('from').value = local(from);
    $('to').value = local(to);
  }
  $('tenant').value = new URLSearchParams(location.search).get('tenant') || home;
  if (view === 'health') {
    stopLive();
    show('health');
    health();
  } else if (view === 'alerts') {
    stopLive();
    show('alerts');
    alerts();
  } else {
    show('search');
    search();
  }
}

$('query-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const since = $('range').value;
  if (since !== 'custom') { go({ q: $('query').value, since }); return; }
  const from = new Date($('from').value).getTime();
  const to = new Date($('to').value).getTime();
  if (!(from < to)) { $('query-error').textContent = 'the range must start before it ends'; return; }
  go({ q: $('query').value, from, to });
});

$('health-range').addEventListener('change', () => { if ($('health-range').value !== 'custom') go({ since: $('health-range').value }); });
$('service').addEventListener('change', () => go({ service: $('service').value }));
$('to-search').addEventListener('click', () => go({ view: 'search' }));
$('tenant-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const tenant = $('tenant').value.trim();
  go({ tenant: tenant && tenant !== home ? tenant : null });
  loadNames();
});
// A custom range: the pickers show the current one, in the browser's time zone.
function local(ms) {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return date.toISOString().slice(0, 19);
}
$('range').addEventListener('change', () => {
  if ($('range').value !== 'custom') { go({ since: $('range').value }); return; }
  const { from, to } = state();
  $('from').value = local(from);
  $('to').value = local(to);
  $('custom-range').hidden = false;
  $('from').focus();
});
$('to-health').addEventListener('click', () => go({ view: 'health' }));
$('to-alerts').addEventListener('click', () => go({ view: 'alerts' }));
window.addEventListener('popstate', () => { if (csrf !== null) restore(); });

// MARK: completions: the names a query can use — the schema's labels and the fields the tenant's events carry
// (Loki's /labels) — offered for the word being typed; Tab or Enter takes the one marked, Escape closes the list

let names = [];
let picked = 0;

async function loadNames() {
  try { names = ((await call('/loki/api/v1/labels')).data || []).sort(); } catch { names = []; }
}

function currentWord() {
  const input = $('query');
  const before = input.value.slice(0, input.selectionStart);
  const match = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before);
  return match ? { word: match[0], start: before.length - match[0].length, end: input.selectionStart } : null;
}

function closeSuggestions() {
  $('suggestions').hidden = true;
  $('query').setAttribute('aria-expanded', 'false');
}

function suggest() {
  const current = currentWord();
  const found = current ? names.filter((name) => name.startsWith(current.word) && name !== current.word).slice(0, 8) : [];
  if (!found.length) { closeSuggestions(); return; }
  picked = 0;
  $('suggestions').replaceChildren(...found.map((name, index) => {
    const item = document.createElement('li');
    item.setAttribute('role', 'option');
    item.setAttribute('aria-selected', String(index === picked));
    item.textContent = name;
    item.addEventListener('mousedown', (event) => { event.preventDefault(); take(name); });
    return item;
  }));
  $('suggestions').hidden = false;
  $('query').setAttribute('aria-expanded', 'true');
}

function take(name) {
  const current = currentWord();
  if (!current) return;
  const input = $('query');
  input.value = input.value.slice(0, current.start) + name + input.value.slice(current.end);
  input.setSelectionRange(current.start + name.length, current.start + name.length);
  closeSuggestions();
}

$('query').addEventListener('input', suggest);
$('query').addEventListener('blur', closeSuggestions);
$('query').addEventListener('keydown', (key) => {
  if ($('suggestions').hidden) return;
  const items = [...$('suggestions').children];
  if (key.key === 'ArrowDown' || key.key === 'ArrowUp') {
    key.preventDefault();
    picked = (picked + (key.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
    items.forEach((item, index) => item.setAttribute('aria-selected', String(index === picked)));
  } else if (key.key === 'Tab' || key.key === 'Enter') {
    key.preventDefault();
    take(items[picked].textContent);
  } else if (key.key === 'Escape') {
    closeSuggestions();
  }
});

// MARK: searching

async function search() {
  stopLive();
  const { q, from, to } = state();
  $('query-error').textContent = '';
  $('summary').textContent = 'Searching…';
  shown = [];
  seen = new Set();
  $('results').replaceChildren();
  $('older').hidden = true;
  try {
    await page(q, from, to);
  } catch (error) {
    $('summary').textContent = '';
    showQueryError(q, error.message);
    $('histogram').replaceChildren();
    $('facets').replaceChildren();
    return;
  }
  histogram(q, from, to).catch(() => $('histogram').replaceChildren());
  facets(q, from, to).catch(() => $('facets').replaceChildren());
}

// A query the server could not read: its message, and for a syntax error ("… at line 1, col 31: …") the query with a
// caret under that column.
function showQueryError(q, message) {
  const place = /line (\d+), col (\d+)/.exec(message);
  if (!place) { $('query-error').textContent = message; return; }
  const line = q.split('\n')[Number(place[1]) - 1] ?? q;
  const column = Math.max(1, Math.min(Number(place[2]), line.length + 1));
  const pre = document.createElement('pre');
  pre.className = 'caret';
  pre.textContent = `${line}\n${' '.repeat(column - 1)}^ ${message.replace(/^.*?col \d+:\s*/, '')}`;
  $('query-error').replaceChildren(pre);
  $('query').focus();
  $('query').setSelectionRange(column - 1, column - 1);
}

// One page of events, newest first, ending at `to` (ms): Loki's query_range, backward.
async function page(q, from, to) {
  const parameters = new URLSearchParams({
    query: q, start: seconds(from), end: seconds(to), limit: String(PAGE), direction: 'backward',
  });
  const body = await call(`/loki/api/v1/query_range?${parameters}`);
  if (body.data.resultType !== 'streams') throw new Error('a metric query: this page lists events; try it with keel query');
  const found = [];
  for (const stream of body.data.result) {
    for (const [nanoseconds, line] of stream.values) found.push({ nanoseconds: BigInt(nanoseconds), line });
  }
  found.sort((a, b) => (a.nanoseconds < b.nanoseconds ? 1 : a.nanoseconds > b.nanoseconds ? -1 : 0));
  const fresh = [];
  for (const { nanoseconds, line } of found) {
    let event;
    try { event = JSON.parse(line); } catch { event = { message: line }; }
    const key = event.event_id ? `${event.event_id}|${event.timestamp}` : `${nanoseconds}|${line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    fresh.push({ nanoseconds, event });
  }
  shown.push(...fresh);
  $('results').append(...fresh.map(({ event }) => row(event)));
  $('summary').textContent = `${shown.length} event${shown.length === 1 ? '' : 's'}, newest first`;
  // A full page may have more before it: ask again up to the oldest shown (its instant included: others may share it).
  $('older').hidden = found.length < PAGE;
}

$('older').addEventListener('click', async () => {
  const { q, from } = state();
  const oldest = shown[shown.length - 1];
  if (!oldest) return;
  const before = shown.length;
  try {
    await page(q, from, Number(oldest.nanoseconds / 1000000n) + 1);
  } catch (error) {
    $('query-error').textContent = error.message;
  }
  if (shown.length === before) $('older').hidden = true;
});

function row(event) {
  const item = document.createElement('li');
  item.tabIndex = 0;
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = event.timestamp ? new Date(event.timestamp).toLocaleString() : '';
  time.title = event.timestamp || '';
  const level = document.createElement('span');
  level.className = `level level-${event.level || ''}`;
  level.textContent = event.level || '';
  const message = document.createElement('span');
  message.textContent = `${event.service ? event.service + ' ' : ''}${event.message ?? ''}`;
  item.append(time, level, message);
  for (const id of STORY_IDS) {
    if (typeof event[id] === 'string') {
      const link = document.createElement('button');
      link.type = 'button';
      link.className = 'value story-link';
      link.textContent = ` ${id}=${event[id]}`;
      link.title = `Every event of this ${id.replace('_id', '')}, from every service`;
      link.addEventListener('click', (click) => { click.stopPropagation(); story(id, event[id]); });
      item.append(link);
    }
  }
  const toggle = () => {
    const open = item.querySelector('.details');
    if (open) { open.remove(); return; }
    item.append(details(event));
  };
  item.addEventListener('click', (click) => { if (!click.target.closest('.details')) toggle(); });
  item.addEventListener('keydown', (key) => {
    if (key.target !== item) return;
    if (key.key === 'Enter') toggle();
    if (key.key === 'ArrowDown') { key.preventDefault(); item.nextElementSibling?.focus(); }
    if (key.key === 'ArrowUp') { key.preventDefault(); item.previousElementSibling?.focus(); }
  });
  return item;
}

// The whole event: each top-level field with its value, which adds `| field="value"` to the query (or, with its
// ✕, `!=`); then the event as formatted JSON, with a button that copies it.
function details(event) {
  const box = document.createElement('div');
  box.className = 'details';
  const fields = document.createElement('dl');
  for (const [field, value] of Object.entries(event)) {
    if (value === null || typeof value === 'object') continue;
    const term = document.createElement('dt');
    term.textContent = field;
    const description = document.createElement('dd');
    const add = document.createElement('button');
    add.type = 'button';
    add.className = 'value';
    add.textContent = String(value);
    add.title = `Only events with ${field} = this`;
    add.addEventListener('click', () => filter(field, value, '='));
    const exclude = document.createElement('button');
    exclude.type = 'button';
    exclude.className = 'exclude';
    exclude.textContent = '✕';
    exclude.title = `Leave out events with ${field} = this`;
    exclude.addEventListener('click', () => filter(field, value, '!='));
    description.append(add, exclude);
    fields.append(term, description);
  }
  const json = document.createElement('pre');
  json.textContent = JSON.stringify(event, null, 2);
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.textContent = 'Copy JSON';
  copy.addEventListener('click', () => navigator.clipboard?.writeText(json.textContent));
  box.append(fields, copy, json);
  return box;
}

function quoted(value) {
  return `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function filter(field, value, operator) {
  const { q } = state();
  const test = typeof value === 'number' || typeof value === 'boolean' ? String(value) : quoted(value);
  go({ q: `${q} | ${field}${operator}${test}` });
}

// MARK: the live tail: the current query's events as they arrive (Server-Sent Events from /v1/tail, which the browser
// resumes with Last-Event-ID by itself after a cut), newest at the top, at most LIVE_ROWS kept

let live = null;
let paused = false;
let waiting = [];

function startLive() {
  const { q } = state();
  live = new EventSource(scoped(`/v1/tail?${new URLSearchParams({ query: q })}`));
  live.addEventListener('log', (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { event = { message: message.data }; }
    if (paused) {
      waiting.push(event);
      if (waiting.length > LIVE_ROWS) waiting.shift();
      $('live-state').textContent = `paused: ${waiting.length} new`;
      return;
    }
    prepend([event]);
  });
  live.addEventListener('open', () => { if (!paused) $('live-state').textContent = 'live'; });
  live.addEventListener('error', () => { $('live-state').textContent = 'reconnecting…'; });
  $('live').textContent = 'Stop live tail';
  $('live').setAttribute('aria-pressed', 'true');
  $('pause').hidden = false;
}

function stopLive() {
  if (live) live.close();
  live = null;
  paused = false;
  waiting = [];
  $('live').textContent = 'Live tail';
  $('live').setAttribute('aria-pressed', 'false');
  $('pause').hidden = true;
  $('pause').textContent = 'Pause';
  $('live-state').textContent = '';
}

function prepend(events) {
  for (const event of events) {
    const key = event.event_id ? `${event.event_id}|${event.timestamp}` : null;
    if (key && seen.has(key)) continue;
    if (key) seen.add(key);
    shown.unshift({ nanoseconds: 0n, event });
    $('results').prepend(row(event));
  }
  while ($('results').children.length > LIVE_ROWS) {
    $('results').lastElementChild.remove();
    shown.pop();
    $('older').hidden = true;
  }
  $('summary').textContent = `${shown.length} event${shown.length === 1 ? '' : 's'}, newest first`;
}

$('live').addEventListener('click', () => (live ? stopLive() : startLive()));
$('pause').addEventListener('click', () => {
  paused = !paused;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  $('pause').setAttribute('aria-pressed', String(paused));
  if (paused) {
    $('live-state').textContent = 'paused: 0 new';
  } else {
    prepend(waiting);
    waiting = [];
    $('live-state').textContent = 'live';
  }
});

// MARK: the histogram: events per step over the range, stacked by level; drag across it to zoom

function step(from, to) {
  const wanted = (to - from) / 1000 / 60;
  const nice = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  return nice.find((candidate) => candidate >= wanted) || 86400;
}

async function histogram(q, from, to) {
  const { buckets, width } = await levelSeries(q, from, to);
  drawHistogram(buckets, from, to, width, $('histogram'));
}

// Events per step over the range by level, from `sum by (level) (count_over_time(…))`.
async function levelSeries(q, from, to) {
  const width = step(from, to);
  const parameters = new URLSearchParams({
    query: `sum by (level) (count_over_time(${q} [${width}s]))`, start: seconds(from), end: seconds(to), step: `${width}s`,
  });
  const body = await call(`/loki/api/v1/query_range?${parameters}`);
  const buckets = new Map();
  for (const series of body.data.result) {
    const level = series.metric.level || 'INFO';
    for (const [time, value] of series.values) {
      const bucket = buckets.get(time) || {};
      bucket[level] = (bucket[level] || 0) + Number(value);
      buckets.set(time, bucket);
    }
  }
  return { buckets: [...buckets.entries()].sort((a, b) => a[0] - b[0]), width };
}

function drawHistogram(buckets, from, to, width, figure) {
  const svg = document.createElementNS(SVG, 'svg');
  const W = 1000;
  const H = 100;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  const highest = Math.max(1, ...buckets.map(([, levels]) => Object.values(levels).reduce((a, b) => a + b, 0)));
  const x = (ms) => ((ms - from) / (to - from)) * W;
  const barWidth = Math.max(1, x(from + width * 1000) - 1);
  for (const [time, levels] of buckets) {
    let top = H - 12;
    for (const level of LEVELS.filter((name) => levels[name]).concat(Object.keys(levels).filter((name) => !LEVELS.includes(name)))) {
      const height = (levels[level] / highest) * (H - 16);
      const bar = document.createElementNS(SVG, 'rect');
      // A window ends at its time: the bar covers (time − step, time].
      bar.setAttribute('x', String(x(time * 1000 - width * 1000)));
      bar.setAttribute('width', String(barWidth));
      bar.setAttribute('y', String(top - height));
      bar.setAttribute('height', String(height));
      bar.setAttribute('class', `level-${level}`);
      const title = document.createElementNS(SVG, 'title');
      title.textContent = `${levels[level]} ${level} by ${new Date(time * 1000).toLocaleString()}`;
      bar.append(title);
      svg.append(bar);
      top -= height;
    }
  }
  for (const [at, anchor] of [[from, 'start'], [to, 'end']]) {
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', String(x(at)));
    label.setAttribute('y', String(H - 1));
    label.setAttribute('text-anchor', anchor);
    label.setAttribute('class', 'axis');
    label.textContent = new Date(at).toLocaleString();
    svg.append(label);
  }
  const selection = document.createElementNS(SVG, 'rect');
  selection.setAttribute('class', 'selection');
  selection.setAttribute('y', '0');
  selection.setAttribute('height', String(H));
  selection.setAttribute('width', '0');
  svg.append(selection);
  let anchor = null;
  const at = (pointer) => {
    const box = svg.getBoundingClientRect();
    return Math.min(W, Math.max(0, ((pointer.clientX - box.left) / box.width) * W));
  };
  svg.addEventListener('pointerdown', (pointer) => { anchor = at(pointer); svg.setPointerCapture(pointer.pointerId); });
  svg.addEventListener('pointermove', (pointer) => {
    if (anchor === null) return;
    const here = at(pointer);
    selection.setAttribute('x', String(Math.min(anchor, here)));
    selection.setAttribute('width', String(Math.abs(here - anchor)));
  });
  svg.addEventListener('pointerup', (pointer) => {
    if (anchor === null) return;
    const [a, b] = [anchor, at(pointer)].sort((p, q) => p - q);
    anchor = null;
    if (b - a < 3) { selection.setAttribute('width', '0'); return; }
    const time = (position) => from + (position / W) * (to - from);
    go({ from: time(a), to: time(b) });
  });
  figure.replaceChildren(svg);
}

// MARK: facets: the top values of the labels teams look at, over the current query and range

async function facets(q, from, to) {
  const range = Math.max(1, Math.round((to - from) / 1000));
  const lists = await Promise.all(FACETS.map(async (field) => {
    const parameters = new URLSearchParams({
      query: `topk(8, sum by (${field}) (count_over_time(${q} [${range}s])))`, time: seconds(to),
    });
    const body = await call(`/loki/api/v1/query?${parameters}`);
    const values = body.data.result
      .map((sample) => ({ value: sample.metric[field], count: Number(sample.value[1]) }))
      .filter((entry) => entry.value !== undefined && entry.value !== '')
      .sort((a, b) => b.count - a.count);
    return { field, values };
  }));
  const parts = [];
  for (const { field, values } of lists) {
    if (!values.length) continue;
    const heading = document.createElement('h3');
    heading.textContent = field;
    const list = document.createElement('ul');
    for (const { value, count } of values) {
      const item = document.createElement('li');
      const add = document.createElement('button');
      add.type = 'button';
      add.textContent = value;
      add.title = `Only events with ${field} = this`;
      add.addEventListener('click', () => filter(field, value, '='));
      const number = document.createElement('span');
      number.className = 'count';
      number.textContent = count.toLocaleString();
      item.append(add, number);
      list.append(item);
    }
    parts.push(heading, list);
  }
  $('facets').replaceChildren(...parts);
}

// MARK: service health: one service's panels over the range, each with the LogQL it is made of

function lokiString(text) { return quoted(text); }

async function instant(query, at) {
  const body = await call(`/loki/api/v1/query?${new URLSearchParams({ query, time: seconds(at) })}`);
  return body.data.result;
}

function panel(title, queries, logQuery) {
  const box = document.createElement('section');
  box.className = 'panel';
  const heading = document.createElement('h3');
  heading.textContent = title;
  const content = document.createElement('div');
  content.textContent = 'Loading…';
  const footer = document.createElement('div');
  footer.className = 'queries';
  for (const query of queries) {
    const item = document.createElement('div');
    item.textContent = query;
    footer.append(item);
  }
  const open = document.createElement('button');
  open.type = 'button';
  open.textContent = `Open ${logQuery} in search`;
  open.addEventListener('click', () => go({ view: 'search', q: logQuery }));
  footer.append(open);
  box.append(heading, content, footer);
  $('panels').append(box);
  return content;
}

function table(headers, rows) {
  if (!rows.length) {
    const none = document.createElement('p');
    none.className = 'empty';
    none.textContent = 'Nothing in this range.';
    return none;
  }
  const element = document.createElement('table');
  const head = element.createTHead().insertRow();
  for (const [index, text] of headers.entries()) {
    const cell = document.createElement('th');
    cell.textContent = text;
    if (index > 0) cell.className = 'number';
    head.append(cell);
  }
  const body = element.createTBody();
  for (const row of rows) {
    const line = body.insertRow();
    for (const [index, value] of row.entries()) {
      const cell = line.insertCell();
      cell.textContent = value;
      if (index > 0) cell.className = 'number';
    }
  }
  return element;
}

const number = (value, digits = 0) => Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });

async function health() {
  const { service: wanted, from, to } = state();
  const services = (await call(`/loki/api/v1/label/service/values?${new URLSearchParams({ start: seconds(from), end: seconds(to) })}`)).data || [];
  const service = services.includes(wanted) ? wanted : services[0] || '';
  $('service').replaceChildren(...services.map((name) => new Option(name, name, false, name === service)));
  $('panels').replaceChildren();
  if (!service) {
    const none = document.createElement('p');
    none.className = 'empty';
    none.textContent = 'No service has sent events in this range.';
    $('panels').append(none);
    return;
  }
  const selector = `{service=${lokiString(service)}}`;
  const range = `${Math.max(1, Math.round((to - from) / 1000))}s`;
  const width = step(from, to);
  const fill = (content, element) => content.replaceChildren(element);
  const failed = (content) => (error) => { content.textContent = error.message; content.className = 'error'; };

  const byLevel = panel('Events by level', [`sum by (level) (count_over_time(${selector} [${width}s]))`], selector);
  levelSeries(selector, from, to).then(({ buckets }) => {
    const figure = document.createElement('div');
    figure.className = 'chart';
    drawHistogram(buckets, from, to, width, figure);
    fill(byLevel, figure);
  }).catch(failed(byLevel));

  const errorSelector = `{service=${lokiString(service)}, level=~"ERROR|CRITICAL"}`;
  const errors = `sum(count_over_time(${errorSelector} [${range}]))`;
  const all = `sum(count_over_time(${selector} [${range}]))`;
  const rate = panel('Error rate', [errors, all], errorSelector);
  Promise.all([instant(errors, to), instant(all, to)]).then(([bad, total]) => {
    const failures = Number(bad[0]?.value?.[1] || 0);
    const count = Number(total[0]?.value?.[1] || 0);
    const big = document.createElement('div');
    big.className = 'big';
    big.textContent = count ? `${number((failures / count) * 100, 2)} %` : '—';
    const detail = document.createElement('div');
    detail.textContent = `${number(failures)} errors in ${number(count)} events`;
    rate.replaceChildren(big, detail);
  }).catch(failed(rate));

  const codesQuery = `topk(10, sum by (error_code) (count_over_time(${selector} | error_code!="" [${range}])))`;
  const codes = panel('Top error codes', [codesQuery], `${selector} | error_code!=""`);
  instant(codesQuery, to).then((result) => {
    const sorted = [...result].sort((a, b) => Number(b.value[1]) - Number(a.value[1]));
    fill(codes, table(['error_code', 'events'], sorted.map((sample) => [sample.metric.error_code, number(sample.value[1])])));
  }).catch(failed(codes));

  const requests = `{service=${lokiString(service)}, event="http.request"}`;
  const quantiles = [0.5, 0.95, 0.99].map((q) => `quantile_over_time(${q}, ${requests} | unwrap duration_ms [${range}]) by (route)`);
  const latency = panel('Latency by route (ms)', quantiles, requests);
  Promise.all(quantiles.map((query) => instant(query, to))).then((results) => {
    const routes = new Map();
    results.forEach((result, index) => {
      for (const sample of result) {
        const route = sample.metric.route || '(none)';
        const row = routes.get(route) || [route, '', '', ''];
        row[index + 1] = number(sample.value[1], 1);
        routes.set(route, row);
      }
    });
    fill(latency, table(['route', 'p50', 'p95', 'p99'], [...routes.values()].sort((a, b) => a[0].localeCompare(b[0]))));
  }).catch(failed(latency));

  // worker_id is not a label: `| json` makes it one for `by`.
  const restartsQuery = `sum by (worker_id) (count_over_time({service=${lokiString(service)}, event="worker.restarting"} | json [${range}]))`;
  const restarts = panel('Worker restarts', [restartsQuery], `{service=${lokiString(service)}, event=~"worker[.].+"}`);
  instant(restartsQuery, to).then((result) => {
    fill(restarts, table(['worker', 'restarts'], result.map((sample) => [sample.metric.worker_id || '(none)', number(sample.value[1])])));
  }).catch(failed(restarts));

  const usageSelector = `{service=${lokiString(service)}, event="usage.recorded"}`;
  const usage = ['tokens_prompt', 'tokens_response', 'cost_usd'].map((field) =>
    `sum by (model) (sum_over_time(${usageSelector} | unwrap ${field} [${range}]))`);
  const cost = panel('Tokens and cost by model', usage, usageSelector);
  Promise.all(usage.map((query) => instant(query, to))).then((results) => {
    const models = new Map();
    results.forEach((result, index) => {
      for (const sample of result) {
        const model = sample.metric.model || '(none)';
        const row = models.get(model) || [model, '0', '0', '0'];
        row[index + 1] = index === 2 ? `$${number(sample.value[1], 4)}` : number(sample.value[1]);
        models.set(model, row);
      }
    });
    fill(cost, table(['model', 'prompt tokens', 'response tokens', 'cost'], [...models.values()]));
  }).catch(failed(cost));
}

// MARK: alerts: the tenant's rules with their states, health and alerts (Prometheus's /rules, as Grafana reads it),
// and the ruler's recent transitions and notifications (its alert.* audit events)

async function alerts() {
  $('alerts-error').textContent = '';
  let groups = [];
  try {
    groups = (await call('/prometheus/api/v1/rules')).data.groups || [];
  } catch (error) {
    $('alerts-error').textContent = error.message;
  }
  const rules = groups.flatMap((group) => group.rules.map((rule) => ({ group, rule })));
  countFiring(rules);
  if (!rules.length) {
    const none = document.createElement('p');
    none.className = 'empty';
    none.textContent = 'No rules yet: start keel serve with --rules DIR, or POST a group to /loki/api/v1/rules/NAMESPACE (docs/alerts.md).';
    $('alert-rules').replaceChildren(none);
  } else {
    $('alert-rules').replaceChildren(...rules.map(({ group, rule }) => ruleCard(group, rule)));
  }
  const to = Date.now();
  const parameters = new URLSearchParams({
    query: '{event=~"alert[.].+"}', start: seconds(to - 86400000), end: seconds(to), limit: '50', direction: 'backward',
  });
  let lines = [];
  try {
    const body = await call(`/loki/api/v1/query_range?${parameters}`);
    lines = body.data.result.flatMap((stream) => stream.values).sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? 1 : -1));
  } catch (error) {
    $('alerts-error').textContent = error.message;
  }
  $('alert-transitions').replaceChildren(...lines.map(([, line]) => {
    let event;
    try { event = JSON.parse(line); } catch { event = { message: line }; }
    const item = document.createElement('li');
    item.className = `transition ${(event.event || '').replace('alert.', '')}`;
    const time = document.createElement('time');
    time.textContent = new Date(event.timestamp).toLocaleString();
    const text = document.createElement('span');
    text.textContent = ` ${event.event || ''} ${event.message || ''}`;
    item.append(time, text);
    return item;
  }));
  if (!lines.length) {
    const none = document.createElement('li');
    none.className = 'empty';
    none.textContent = 'No transitions in the last 24 hours.';
    $('alert-transitions').append(none);
  }
}

function ruleCard(group, rule) {
  const card = document.createElement('section');
  card.className = `rule ${rule.type === 'recording' ? 'recording' : rule.state}`;
  const heading = document.createElement('h3');
  const state = document.createElement('span');
  state.className = 'state';
  state.textContent = rule.type === 'recording' ? 'recording' : rule.state;
  heading.append(state, ` ${rule.name}`);
  const where = document.createElement('p');
  where.className = 'where';
  const evaluated = rule.lastEvaluation && !rule.lastEvaluation.startsWith('0001')
    ? `evaluated ${new Date(rule.lastEvaluation).toLocaleTimeString()}` : 'not evaluated yet';
  where.textContent = `${group.file} / ${group.name} · every ${group.interval}s · ${evaluated} · ${rule.health}`;
  const query = document.createElement('code');
  query.textContent = rule.query;
  card.append(heading, where, query);
  if (rule.lastError) {
    const error = document.createElement('p');
    error.className = 'error';
    error.textContent = rule.lastError;
    card.append(error);
  }
  if (rule.alerts && rule.alerts.length) {
    card.append(table(['labels', 'state', 'value', 'active since'], rule.alerts.map((alert) => [
      Object.entries(alert.labels).filter(([name]) => name !== 'alertname').map(([name, value]) => `${name}=${value}`).join(' '),
      alert.state, alert.value, new Date(alert.activeAt).toLocaleString(),
    ])));
    for (const alert of rule.alerts) {
      if (!alert.annotations.summary) continue;
      const summary = document.createElement('p');
      summary.className = 'summary';
      summary.textContent = alert.annotations.summary;
      card.append(summary);
    }
  }
  return card;
}

// The badge, refreshed each half minute wherever the page is.
async function refreshFiring() {
  if (csrf === null) return;
  try {
    const groups = (await call('/prometheus/api/v1/rules')).data.groups || [];
    countFiring(groups.flatMap((group) => group.rules.map((rule) => ({ group, rule }))));
  } catch { /* the Alerts page says why */ }
}
setInterval(refreshFiring, 30000);

// The number of firing alerts beside the Alerts button.
function countFiring(rules) {
  const firing = rules.reduce((sum, { rule }) => sum + (rule.alerts || []).filter((alert) => alert.state === 'firing').length, 0);
  $('firing-count').textContent = String(firing);
  $('firing-count').hidden = firing === 0;
}

// MARK: a request's story: every event of one request, trace or run, from every service, in time order

async function story(field, value) {
  const body = await call(`/v1/timeline?${new URLSearchParams({ [field]: value })}`);
  show('story');
  $('story-title').textContent = `${field} ${value}`;
  $('story-summary').textContent =
    `${body.count} events over ${Number(body.duration_ms).toFixed(1)} ms, from ${(body.services || []).join(', ')}` +
    (body.truncated ? ' (the first 10,000)' : '');
  const total = Math.max(1, Number(body.duration_ms));
  $('story-events').replaceChildren(...body.events.map((entry) => {
    const item = document.createElement('li');
    const event = entry.event;
    if (['ERROR', 'CRITICAL'].includes(event.level) || event.error_code || event.error) item.classList.add('failed');
    const offset = document.createElement('span');
    offset.textContent = `+${Number(entry.offset_ms).toFixed(1)} ms`;
    offset.title = entry.gap_ms ? `${Number(entry.gap_ms).toFixed(1)} ms idle before it` : '';
    const text = document.createElement('div');
    const bar = document.createElement('div');
    bar.className = 'bar';
    const duration = Number(entry.duration_ms || 0);
    // The offset is when the event's work began (its time less its duration): the bar runs from there for as long.
    bar.style.marginLeft = `${Math.min(100, Math.max(0, Number(entry.offset_ms) / total) * 100)}%`;
    bar.style.width = `${Math.max(0.2, (duration / total) * 100)}%`;
    const line = document.createElement('span');
    line.textContent = `${event.service || ''} ${event.level || ''} ${event.message ?? ''}` + (duration ? ` (${duration} ms)` : '');
    text.append(bar, line);
    item.append(offset, text);
    return item;
  }));
}

$('story-close').addEventListener('click', () => show('search'));

document.addEventListener('keydown', (key) => {
  if (key.key === '/' && document.activeElement !== $('query') && !$('search').hidden) {
    key.preventDefault();
    $('query').focus();
  }
});

start();
