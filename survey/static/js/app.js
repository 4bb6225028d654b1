/* Tanfang fieldwork client: the server-rendered pages, made to work offline.
 *
 * - Form pages (form.js): one section per screen, the logic in the browser (logic.js), every change
 *   saved as a draft in IndexedDB (the page can be closed at any time).
 * - Submitting puts the record in the outbox (IndexedDB). The outbox is sent in batches to the
 *   sync API whenever there is a connection, with exponential backoff and jitter on failure; a
 *   record leaves the outbox only when the server has answered for it (created, duplicate or
 *   conflict: all mean the server has it; invalid stays, marked, for the coordinator). Each record
 *   carries its own UUID and form version, so sending it twice is harmless. A 401 keeps everything
 *   and asks the fieldworker to sign in again.
 * - The unsent count is always on screen; signing out with unsent records is refused.
 * No framework, no build step (served minified: comments cost nothing). Records and drafts belong
 * to the user who made them: another user signing in on the same tablet neither sees nor sends them.
 */
(() => {
  'use strict';
  document.documentElement.classList.add('js');
  const $ = (sel, root = document) => root.querySelector(sel);
  const json = (id) => { const el = document.getElementById(id); return el && JSON.parse(el.textContent); };
  /* An element with properties and children: h('a', {href: '/x', textContent: 'go'}). */
  const h = (tag, props, ...kids) => { const el = Object.assign(document.createElement(tag), props); el.append(...kids); return el; };
  const S = json('strings') || {};
  const fmt = (text, params) => String(text || '').replace(/\{(\w+)\}/g, (_, key) => params[key]);
  const when = (iso) => new Date(iso).toLocaleString();
  const bar = $('#syncbar');
  const USER = bar ? bar.dataset.user : '';
  const CACHE = 'tanfang-pages';  // sw.js serves from the same cache
  const SHELL = ['/collect', '/static/collect.css', '/static/collect-lists.css', '/static/js/app.js', '/static/js/logic.js', '/static/js/form.js', '/static/js/session.js', '/static/js/home.js'];
  const BASE_MS = window.TANFANG_SYNC_BASE_MS || 2000;  // the first retry; doubling up to five minutes

  // ---- IndexedDB: drafts (by id), outbox (by uuid), meta (last sync, by key) ----------------
  const opened = new Promise((resolve, reject) => {
    const req = indexedDB.open('tanfang', 1);
    req.onupgradeneeded = () => {
      for (const [name, keyPath] of [['drafts', 'id'], ['outbox', 'uuid'], ['meta', 'key']]) {
        req.result.createObjectStore(name, { keyPath });
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  /* One transaction on one store; resolves when it is committed, with the request's result. */
  const tx = (name, write, work) => opened.then((db) => new Promise((resolve, reject) => {
    const t = db.transaction(name, write ? 'readwrite' : 'readonly');
    const req = work(t.objectStore(name));
    t.oncomplete = () => resolve(req.result);
    t.onerror = t.onabort = () => reject(t.error);
  }));
  const idb = {
    all: (name) => tx(name, 0, (s) => s.getAll()),
    get: (name, key) => tx(name, 0, (s) => s.get(key)),
    put: (name, value) => tx(name, 1, (s) => s.put(value)),
    del: (name, key) => tx(name, 1, (s) => s.delete(key)),
  };
  const mine = async (name) => (await idb.all(name)).filter((r) => r.user === USER);

  /* A version-4 UUID, also where crypto.randomUUID is missing (plain http on a LAN). */
  function newUuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;  // version 4
    b[8] = (b[8] & 63) | 128;  // the RFC 4122 variant
    const x = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  /* One message at a time under the navigation: the newest replaces the last ('' hides it). */
  function notice(text, kind = 'info') {
    let p = $('#notice');
    if (!p) $('main .subnav').after(p = h('p', { id: 'notice' }));
    p.className = `alert alert-${kind}`;
    p.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    p.textContent = text;
    p.hidden = !text;
  }

  // ---- the sync bar and the outbox ---------------------------------------------------------
  let failures = 0;
  let timer;
  let running;
  const hooks = [];

  async function refresh() {
    if (!bar) return;
    const waiting = (await mine('outbox')).length;
    $('[data-unsent]', bar).textContent = waiting;
    bar.classList.toggle('waiting', waiting > 0);
    bar.classList.toggle('offline', !navigator.onLine);
    $('[data-net]', bar).textContent = navigator.onLine ? S.online : S.offline;
    const last = await idb.get('meta', `sync:${USER}`);
    $('[data-last-sync]', bar).textContent = last ? fmt(S.last_sync, { time: when(last.at) }) : S.never;
    for (const hook of hooks) hook();  // home.js lists the drafts and the outbox
  }

  /* Send the outbox; one run at a time (a second call joins the first). */
  const sync = () => running || (running = sendAll().finally(() => { running = null; refresh(); }));

  async function sendAll() {
    clearTimeout(timer);
    const forms = {};
    for (const r of await mine('outbox')) if (!r.problem) (forms[r.form_id] = forms[r.form_id] || []).push(r);
    if (!Object.keys(forms).length) return;
    $('[data-net]', bar).textContent = S.syncing;
    try {
      for (const [formId, list] of Object.entries(forms)) {
        for (let i = 0; i < list.length; i += 50) if (!(await sendBatch(formId, list.slice(i, i + 50)))) return;
      }
      failures = 0;
      await idb.put('meta', { key: `sync:${USER}`, at: new Date().toISOString() });
    } catch (error) {  // no network, or the server failed: try again later, with jitter
      const wait = Math.min(300000, BASE_MS * 2 ** failures++) * (0.5 + Math.random());
      timer = setTimeout(sync, wait);
      bar.title = fmt(S.retry, { seconds: Math.round(wait / 1000) });
    }
  }

  /* One POST; false when the fieldworker must sign in again (nothing is dropped). */
  async function sendBatch(formId, list) {
    const body = list.map(({ uuid, form_version, answers, collected_at, site }) => ({ uuid, form_version, answers, collected_at, site }));
    const response = await fetch(`/api/v1/forms/${encodeURIComponent(formId)}/submissions`, {
      method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'tanfang' },
    });
    $('[data-signin]').hidden = response.status !== 401;
    if (response.status === 401) return false;
    if (response.status >= 500) throw new Error(response.status);
    const answer = await response.json().catch(() => ({}));
    const results = response.ok ? answer.results  // else the batch as a whole was refused: say why
      : list.map((r) => ({ uuid: r.uuid, status: 'invalid', errors: [{ path: '', message: answer.detail || response.status }] }));
    for (const result of results) {
      if (result.status !== 'invalid') await idb.del('outbox', result.uuid);
      else await idb.put('outbox', { ...list.find((r) => r.uuid === result.uuid), problem: result.errors });
    }
    return true;
  }

  /* Put the pages and scripts a fieldworker needs offline into the service worker's cache. */
  async function precache(urls) {
    const cache = await caches.open(CACHE);
    for (const url of urls) {
      try {
        const response = await fetch(url, { credentials: 'same-origin' });
        if (response.ok && !response.redirected) await cache.put(url, response);
      } catch (error) { /* offline: the copy from last time stays */ }
    }
  }

  // ---- start -------------------------------------------------------------------------------
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
  const now = () => { failures = 0; sync(); };
  addEventListener('online', now);
  addEventListener('offline', refresh);
  if ($('[data-sync-now]')) $('[data-sync-now]').onclick = now;
  const logout = $('form[action="/logout"]');
  if (logout) {
    logout.addEventListener('submit', async (event) => {
      if (logout.dataset.checked) return;
      event.preventDefault();
      const waiting = (await mine('outbox')).length;
      if (waiting) return notice(fmt(S.logout_refused, { num: waiting }), 'error');
      if (window.caches) await caches.delete(CACHE);  // the next user must not see this user's pages
      logout.dataset.checked = 1;
      logout.requestSubmit();
    });
  }
  const flash = sessionStorage.getItem('tanfang-flash');  // "saved to the outbox", from the last page
  if (flash) { sessionStorage.removeItem('tanfang-flash'); notice(flash); }
  const listed = $('[data-precache]');
  if (window.caches && navigator.onLine) precache(SHELL.concat(listed ? JSON.parse(listed.dataset.precache) : [location.pathname + location.search]));
  refresh();
  sync();

  window.TanfangApp = { sync, idb, newUuid, notice, fmt, h, S, USER, mine, when, refresh, hooks };
})();
