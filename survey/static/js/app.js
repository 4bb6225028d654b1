/* Tanfang fieldwork client: the server-rendered pages, made to work offline.
 *
 * - Form pages: one section per screen with progress, back and next, a review screen; relevance,
 *   required, constraints, calculations and choice filters from the compiled logic (logic.js);
 *   every change saved as a draft in IndexedDB (the page can be closed at any time).
 * - Submitting puts the record in the outbox (IndexedDB). The outbox is sent in batches to the
 *   sync API whenever there is a connection, with exponential backoff and jitter on failure; a
 *   record leaves the outbox only when the server has answered for it (created, duplicate or
 *   conflict: all mean the server has it). Each record carries its own UUID and form version, so
 *   sending it twice is harmless. A 401 keeps everything and asks the fieldworker to sign in.
 * - The unsent count is always on screen; signing out with unsent records is refused.
 * No framework, no build step. Records and drafts belong to the user who made them.
 */
(() => {
  'use strict';
  document.documentElement.classList.add('js');
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const data = (id) => { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; };
  const S = data('strings') || {};
  const fmt = (text, params) => String(text || '').replace(/\{(\w+)\}/g, (_, key) => params[key]);
  const bar = $('#syncbar');
  const USER = bar ? bar.dataset.user : '';
  const CACHE = 'tanfang-pages';
  const SHELL = ['/collect', '/static/collect.css', '/static/js/app.js', '/static/js/logic.js', '/static/js/form.js'];
  const BASE_MS = window.TANFANG_SYNC_BASE_MS || 2000;
  const MAX_MS = 5 * 60 * 1000;
  const BATCH = 50;

  // ---- IndexedDB: drafts, outbox and meta (last sync), each keyed by id ----------------------
  const opened = new Promise((resolve, reject) => {
    const req = indexedDB.open('tanfang', 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore('drafts', { keyPath: 'id' });
      req.result.createObjectStore('outbox', { keyPath: 'uuid' });
      req.result.createObjectStore('meta', { keyPath: 'key' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const tx = (name, mode, work) => opened.then((db) => new Promise((resolve, reject) => {
    const t = db.transaction(name, mode);
    const req = work(t.objectStore(name));
    t.oncomplete = () => resolve(req && req.result);
    t.onerror = t.onabort = () => reject(t.error);
  }));
  const idb = {
    all: (name) => tx(name, 'readonly', (s) => s.getAll()),
    get: (name, key) => tx(name, 'readonly', (s) => s.get(key)),
    put: (name, value) => tx(name, 'readwrite', (s) => s.put(value)),
    del: (name, key) => tx(name, 'readwrite', (s) => s.delete(key)),
  };
  const mine = async (name) => (await idb.all(name)).filter((r) => r.user === USER);

  function newUuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /* One message at a time under the navigation: the newest replaces the last. */
  function notice(text, kind = 'info') {
    let p = $('#notice');
    if (!p) {
      p = document.createElement('p');
      p.id = 'notice';
      const nav = $('main .subnav');
      nav.parentNode.insertBefore(p, nav.nextSibling);
    }
    p.className = `alert alert-${kind}`;
    p.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    p.textContent = text;
    p.hidden = !text;
    return p;
  }

  // ---- the sync bar and the outbox ---------------------------------------------------------
  let failures = 0; let timer = null; let running = null;

  async function refresh() {
    if (!bar) return;
    const waiting = (await mine('outbox')).length;
    $('[data-unsent]', bar).textContent = waiting;
    bar.classList.toggle('waiting', waiting > 0);
    bar.classList.toggle('offline', !navigator.onLine);
    $('[data-net]', bar).textContent = navigator.onLine ? S.online : S.offline;
    const last = await idb.get('meta', `sync:${USER}`);
    $('[data-last-sync]', bar).textContent = last
      ? fmt(S.last_sync, { time: new Date(last.at).toLocaleString() }) : S.never;
    if ($('[data-drafts]') || $('[data-outbox]')) listHome();
  }

  function sync() {
    if (!running) running = sendAll().finally(() => { running = null; refresh(); });
    return running;
  }

  async function sendAll() {
    clearTimeout(timer);
    const records = (await mine('outbox')).filter((r) => !r.problem);
    if (!records.length) return;
    $('[data-net]', bar).textContent = S.syncing;
    const forms = {};
    records.forEach((r) => { (forms[r.form_id] = forms[r.form_id] || []).push(r); });
    try {
      for (const [formId, list] of Object.entries(forms)) {
        for (let i = 0; i < list.length; i += BATCH) {
          if (!(await sendBatch(formId, list.slice(i, i + BATCH)))) return;
        }
      }
      failures = 0;
      await idb.put('meta', { key: `sync:${USER}`, at: new Date().toISOString() });
    } catch (error) {
      failures += 1;
      const wait = Math.min(MAX_MS, BASE_MS * 2 ** (failures - 1)) * (0.5 + Math.random());
      timer = setTimeout(sync, wait);
      if (bar) bar.title = fmt(S.retry, { seconds: Math.round(wait / 1000) });
    }
  }

  /* One POST; false when the fieldworker must sign in again (nothing is dropped). */
  async function sendBatch(formId, list) {
    const body = list.map((r) => ({
      uuid: r.uuid, form_version: r.form_version, answers: r.answers, collected_at: r.collected_at, site: r.site,
    }));
    const response = await fetch(`/api/v1/forms/${encodeURIComponent(formId)}/submissions`, {
      method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'tanfang' },
    });
    const signin = $('[data-signin]');
    if (response.status === 401) { if (signin) signin.hidden = false; return false; }
    if (signin) signin.hidden = true;
    if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
    if (!response.ok) {  // the batch as a whole was refused (an unknown form or version): keep it, say why
      const detail = (await response.json().catch(() => ({}))).detail || response.statusText;
      for (const r of list) await idb.put('outbox', { ...r, problem: [{ path: '', message: detail }] });
      return true;
    }
    const byUuid = Object.fromEntries(list.map((r) => [r.uuid, r]));
    for (const result of (await response.json()).results) {
      if (result.status === 'invalid') await idb.put('outbox', { ...byUuid[result.uuid], problem: result.errors });
      else await idb.del('outbox', result.uuid);
    }
    return true;
  }

  async function listHome() {
    const drafts = $('[data-drafts]');
    const outbox = $('[data-outbox]');
    if (drafts) {
      const list = (await mine('drafts')).sort((a, b) => b.updated.localeCompare(a.updated));
      drafts.replaceChildren(...(list.length ? list.map(draftItem) : [item(S.no_drafts)]));
    }
    if (outbox) {
      const list = await mine('outbox');
      outbox.replaceChildren(...(list.length ? list.map((r) => {
        const li = item(`${r.title} · ${new Date(r.collected_at).toLocaleString()}`);
        if (r.problem) li.append(item(`${S.problem} ${r.problem.map((p) => `${p.path} ${p.message}`).join('; ')}`, 'p', 'problem'));
        return li;
      }) : [item(S.no_outbox)]));
    }
  }

  function item(text, tag = 'li', cls = '') {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    const span = document.createElement('span');
    span.textContent = text;
    el.append(span);
    return el;
  }

  function draftItem(d) {
    const li = item(`${d.title} · ${new Date(d.updated).toLocaleString()}`);
    const go = document.createElement('a');
    go.className = 'button secondary';
    go.href = `/collect/${encodeURIComponent(d.form_id)}?version=${encodeURIComponent(d.version)}#draft=${d.id}`;
    go.textContent = S.continue;
    const drop = document.createElement('button');
    drop.type = 'button';
    drop.className = 'button secondary';
    drop.textContent = S.delete;
    drop.onclick = async () => { if (confirm(S.delete_confirm)) { await idb.del('drafts', d.id); refresh(); } };
    li.append(go, drop);
    return li;
  }

  async function precache(urls) {
    const cache = await caches.open(CACHE);
    await Promise.all(urls.map(async (url) => {
      try {
        const response = await fetch(url, { credentials: 'same-origin' });
        if (response.ok && !response.redirected) await cache.put(url, response);
      } catch (error) { /* offline: the copy from last time stays */ }
    }));
  }

  // ---- start -------------------------------------------------------------------------------
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
  window.addEventListener('online', () => { failures = 0; sync(); });
  window.addEventListener('offline', refresh);
  const now = $('[data-sync-now]');
  if (now) now.onclick = () => { failures = 0; sync(); };
  const logout = $('form[action="/logout"]');
  if (logout) {
    logout.addEventListener('submit', async (event) => {
      if (logout.dataset.checked) return;
      event.preventDefault();
      const waiting = (await mine('outbox')).length;
      if (waiting) { notice(fmt(S.logout_refused, { num: waiting }), 'error'); return; }
      if (window.caches) await caches.delete(CACHE);  // the next user must not see this user's pages
      logout.dataset.checked = '1';
      logout.requestSubmit();
    });
  }
  const shown = sessionStorage.getItem('tanfang-flash');
  if (shown) { sessionStorage.removeItem('tanfang-flash'); notice(shown); }
  const cacheList = $('[data-precache]');
  if (window.caches && navigator.onLine) {
    precache(SHELL.concat(cacheList ? JSON.parse(cacheList.dataset.precache) : [location.pathname + location.search]));
  }
  refresh();
  sync();

  window.TanfangApp = { sync, idb, newUuid, notice, fmt, S, USER, refresh };
})();
