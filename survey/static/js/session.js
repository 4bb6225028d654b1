/* Tanfang facilitator's guide: an interview or focus-group session, run on a tablet, offline.
 *
 * The page (templates/collect_session.html) works without this script as one plain form. With it:
 * a running clock per topic and in total (seconds kept in the timing.TOPIC fields), quick quote
 * capture (tap who spoke, type the words, add), the roster editor (participants added and removed,
 * codes and consent checked), the session questions' logic from the compiled JSON (logic.js, as
 * Python evaluates it), and the drafts and outbox of app.js (window.TanfangApp): a session is
 * saved as the facilitator types and sent through the sync API like any record, under its UUID.
 * The answers take the shape forms/outline_answers.py validates: the questions' answers, and
 * roster, notes, quotes and timing.
 */
(() => {
  'use strict';
  const form = document.getElementById('session');
  if (!form) return;
  const A = window.TanfangApp;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const json = (id) => JSON.parse(document.getElementById(id).textContent);
  const T = json('session-strings');
  const M = json('messages');
  const logic = json('logic');
  const engine = window.TanfangLogic.form(logic, json('definition'));
  const R = json('roster-logic');
  const rosterEngine = window.TanfangLogic.form(R.logic, R.definition);
  const FORM = form.dataset.form;
  const VERSION = form.dataset.version;
  const uuid = form.elements['@uuid'];
  const sessionPart = $('[data-part=session]', form);
  const rosterBox = $('[data-repeat="roster"]', form);
  const quoteTemplate = $('[data-quote-template]');
  const INDEXED = /^([^[\].]+)\[(\d+)\]\.(.+)$/;
  let dirty = false;

  // ---- reading the page as answers ---------------------------------------------------------
  const value = (type, text) => {
    if ((type === 'integer' || type === 'decimal') && Number.isFinite(Number(text))) return Number(text);
    return text;
  };

  /* The answers of the inputs under `root`, by field name (after `prefix`), typed by `slots`. */
  function read(root, prefix, slots, forRecord) {
    const out = {};
    for (const el of $$('input, select, textarea', root)) {
      const name = el.name;
      if (!name || name[0] === '@' || name === '_csrf_token' || !name.startsWith(prefix)) continue;
      if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) continue;
      if (forRecord && el.closest('[hidden]')) continue;
      if (el.value.trim() === '') continue;
      const leaf = name.slice(prefix.length);
      const type = (slots[leaf] || {}).type;
      if (type === 'select_multiple' || type === 'rank') (out[leaf] = out[leaf] || []).push(el.value);
      else out[leaf] = value(type, el.value);
    }
    return out;
  }

  const instances = () => $$(':scope > .instances > [data-instance]', rosterBox);
  const participants = () => instances().map((box) => read(box, `${box.dataset.instance}.`, R.logic.slots, false));
  const consenting = () => participants().filter((p) => p[R.consent] === 'yes' && p[R.code]).map((p) => p[R.code]);
  const quoteRows = () => $$('[data-quotes-for] > [data-quote]', form);

  function quoteOf(row) {
    const field = (name) => $(`[name$=".${name}"]`, row).value.trim();
    return { participant: field('participant'), topic: field('topic'), text: field('text') };
  }

  function answers() {
    const out = read(sessionPart, '', logic.slots, true);
    const roster = participants().filter((p) => Object.keys(p).length);
    if (roster.length) out.roster = roster;
    const notes = {};
    const timing = {};
    for (const card of $$('[data-topic]', form)) {
      const text = $('textarea[name^="notes."]', card).value.trim();
      if (text) notes[card.dataset.topic] = text;
      const seconds = Number($('[data-timing]', card).value || 0);
      if (seconds > 0) timing[card.dataset.topic] = seconds;
    }
    const quotes = quoteRows().map(quoteOf).filter((q) => q.participant || q.text)
      .map((q) => (q.topic ? q : { participant: q.participant, text: q.text }));
    return Object.assign(out, Object.keys(notes).length ? { notes } : {}, quotes.length ? { quotes } : {},
      Object.keys(timing).length ? { timing } : {});
  }

  // ---- the logic: relevance and problems ---------------------------------------------------
  function message(problem, name, messages = M) {
    if (problem.code === 'constraint' && messages.constraint[name]) return messages.constraint[name];
    if (problem.code === 'required' && messages.required[name]) return messages.required[name];
    const text = messages.codes[problem.code] || messages.codes.constraint;
    return text.replace(/\{(\w+)\}/g, (_, key) => (problem.params || {})[key] ?? '');
  }

  function relevance() {
    const state = engine.check(read(sessionPart, '', logic.slots, false), {});
    for (const q of $$('.q[data-path]', sessionPart)) {
      const off = state.relevant[q.dataset.path] === false;
      if (q.hidden !== off) q.hidden = off;
    }
    return state;
  }

  function mark(q, texts) {
    const slot = q && $(':scope > [data-error]', q);
    if (!slot) return 0;
    slot.textContent = texts.join(' ');
    slot.hidden = !texts.length;
    const field = $(':scope > input, :scope > select, :scope > textarea, :scope > fieldset', q);
    if (field) field.toggleAttribute('aria-invalid', texts.length > 0);
    return texts.length ? 1 : 0;
  }

  /* Show every problem in place; the number of questions with one. */
  function problems() {
    let found = 0;
    const state = relevance();
    const byPath = {};
    state.errors.forEach((e) => (byPath[e.path] = byPath[e.path] || []).push(message(e, e.path)));
    for (const q of $$('.q[data-path]', sessionPart)) found += mark(q, q.hidden ? [] : byPath[q.dataset.path] || []);
    const seen = {};
    for (const box of instances()) {
      const prefix = box.dataset.instance;
      const entry = read(box, `${prefix}.`, R.logic.slots, false);
      const errors = {};
      if (Object.keys(entry).length) {
        for (const e of rosterEngine.check(entry, {}).errors) (errors[e.path] = errors[e.path] || []).push(message(e, e.path, R.messages));
        const code = entry[R.code];
        if (code && seen[code]) (errors[R.code] = errors[R.code] || []).push(A.fmt(T.duplicate, { code }));
        seen[code] = true;
      }
      for (const q of $$('.q[data-path]', box)) found += mark(q, errors[q.dataset.path.slice(prefix.length + 1)] || []);
    }
    const yes = consenting();
    const all = participants().map((p) => p[R.code]);
    for (const row of quoteRows()) {
      const q = quoteOf(row);
      const who = !q.participant && !q.text ? [] : !all.includes(q.participant) ? [T.quote_participant]
        : !yes.includes(q.participant) ? [A.fmt(T.no_consent, { code: q.participant })] : [];
      found += mark($('.quote-who', row), who);
      found += mark($('.quote-text', row), q.participant && !q.text ? [M.codes.required] : []);
    }
    return found;
  }

  // ---- the roster --------------------------------------------------------------------------
  /* Number the participants 1…n again after one is removed (names, ids, labels). */
  function renumber() {
    instances().forEach((box, i) => {
      const from = box.dataset.instance;
      const to = `roster[${i + 1}]`;
      if (from === to) return;
      const fromId = `roster-${from.slice(7, -1)}-`;
      const toId = `roster-${i + 1}-`;
      for (const el of [box, ...$$('*', box)]) {
        for (const attr of ['name', 'id', 'for', 'aria-describedby', 'data-path', 'data-instance']) {
          const old = el.getAttribute(attr);
          if (old) el.setAttribute(attr, old.split(from).join(to).split(fromId).join(toId));
        }
      }
      $('[data-number]', box).textContent = i + 1;
    });
  }

  function setCount(n) {
    const list = instances();
    for (let i = list.length; i < n; i += 1) {
      const html = $(':scope > template', rosterBox).innerHTML.replaceAll('__N__', String(i + 1));
      $(':scope > .instances', rosterBox).insertAdjacentHTML('beforeend', html);
    }
  }

  /* Who may be quoted: one button per participant who consented, in every topic's capture box. */
  function refreshCodes() {
    const codes = consenting();
    const all = participants().map((p) => p[R.code]).filter(Boolean);
    for (const box of $$('[data-who]', form)) {
      if (box.dataset.codes !== codes.join(' ')) {  // rebuilt only when the codes change: a tap must not lose its button
        box.dataset.codes = codes.join(' ');
        box.replaceChildren(...(codes.length ? codes.map((code) => A.h('button', {
          type: 'button', textContent: code, onclick: () => { box.dataset.chosen = code; refreshCodes(); },
        })) : [A.h('span', { className: 'muted', textContent: T.no_codes })]));
      }
      for (const b of $$('button', box)) b.setAttribute('aria-pressed', String(b.textContent === box.dataset.chosen));
    }
    for (const select of $$('select[data-participant]', form)) {
      const keep = select.value;
      const options = [...new Set([...all, ...(keep ? [keep] : [])])];
      select.replaceChildren(A.h('option', { value: '', textContent: '—' }),
        ...options.map((code) => A.h('option', { value: code, textContent: code, selected: code === keep })));
    }
  }

  // ---- quotes ------------------------------------------------------------------------------
  function addQuoteRow(topic, n) {
    const index = n || 1 + Math.max(0, ...quoteRows().map((row) => Number(row.dataset.quote)));
    const box = $(`[data-quotes-for="${CSS.escape(topic)}"]`, form) || $('[data-quotes-for=""]', form);
    box.insertAdjacentHTML('beforeend', quoteTemplate.innerHTML.replaceAll('__N__', String(index)));
    const row = box.lastElementChild;
    $('[name$=".topic"]', row).value = topic;
    if (topic) $('.quote-topic', row).hidden = true;
    refreshCodes();
    return row;
  }

  function capture(card) {
    const who = $('[data-who]', card).dataset.chosen;
    const text = $('[data-capture-text]', card);
    if (!who || !text.value.trim()) return A.notice(T.quote_needs, 'error');
    const row = addQuoteRow(card.dataset.topic);
    $('[data-participant]', row).value = who;
    $('[name$=".text"]', row).value = text.value.trim();
    text.value = '';
    A.notice(T.added);
    changed();
  }

  // ---- the clocks --------------------------------------------------------------------------
  let running = null;
  let paused = false;
  const clock = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  const seconds = (card) => Number($('[data-timing]', card).value || 0);

  function showClocks() {
    let total = 0;
    for (const card of $$('[data-topic]', form)) {
      const s = seconds(card);
      total += s;
      $('[data-topic-clock]', card).textContent = clock(s);
      card.classList.toggle('running', card === running);
      card.classList.toggle('over', Number(card.dataset.minutes) > 0 && s > 60 * Number(card.dataset.minutes));
    }
    $('[data-total]', form).textContent = clock(total);
    $('[data-topic-time]', form).textContent = running ? clock(seconds(running)) : '0:00';
    $('[data-now-topic]', form).textContent = running ? $('h2', running).textContent.trim() : '';
    const pause = $('[data-pause]', form);
    pause.textContent = paused ? T.resume : T.pause;
    pause.setAttribute('aria-pressed', String(paused));
  }

  function tick() {
    if (!running || paused || document.hidden) return;
    const field = $('[data-timing]', running);
    field.value = seconds(running) + 1;
    showClocks();
    if (Number(field.value) % 10 === 0) { dirty = true; saveDraft(); }
  }

  // ---- drafts and the outbox ---------------------------------------------------------------
  const fields = () => Array.from(new FormData(form)).filter(([k, v]) => k !== '_csrf_token' && typeof v === 'string');

  async function saveDraft() {
    if (!dirty) return;
    dirty = false;
    await A.idb.put('drafts', {
      id: uuid.value, user: A.USER, form_id: FORM, version: VERSION, title: form.dataset.title,
      fields: fields().filter(([k]) => k !== '@uuid' && k !== '@version'), screen: 0, updated: new Date().toISOString(),
    });
  }
  let saveTimer = null;
  function changed() {
    dirty = true;
    relevance();
    refreshCodes();
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDraft, 250);
  }

  /* Put back a draft: as many participants and quote rows as it had, then every value. */
  function fill(entries) {
    let most = 0;
    const quotes = {};
    for (const [k, v] of entries) {
      const m = INDEXED.exec(k);
      if (m && m[1] === 'roster') most = Math.max(most, Number(m[2]));
      if (m && m[1] === 'quotes') (quotes[m[2]] = quotes[m[2]] || {})[m[3]] = v;
    }
    setCount(most);
    for (const [n, q] of Object.entries(quotes)) addQuoteRow(q.topic || '', Number(n));
    refreshCodes();
    const values = {};
    entries.forEach(([k, v]) => (values[k] = values[k] || []).push(v));
    for (const el of form.elements) {
      if (!el.name || ['_csrf_token', '@uuid', '@version'].includes(el.name) || el.type === 'submit' || el.type === 'button') continue;
      const list = values[el.name] || [];
      if (el.type === 'radio' || el.type === 'checkbox') el.checked = list.includes(el.value);
      else {
        const wanted = list.length ? list.shift() : '';
        if (el.tagName === 'SELECT' && wanted && !$$('option', el).some((o) => o.value === wanted)) el.append(A.h('option', { value: wanted, textContent: wanted }));
        el.value = wanted;
      }
    }
  }

  async function submit() {
    if (problems()) {
      A.notice(A.S.fix, 'error');
      const bad = $('[aria-invalid]', form);
      if (bad) bad.focus();
      return;
    }
    const site = form.elements['@site'];
    await A.idb.put('outbox', {
      uuid: uuid.value, user: A.USER, form_id: FORM, form_version: VERSION, title: form.dataset.title,
      answers: answers(), collected_at: new Date().toISOString(), site: (site && site.value) || null,
    });
    clearTimeout(saveTimer);
    await A.idb.del('drafts', uuid.value);
    sessionStorage.setItem('tanfang-flash', A.S.saved);
    location.replace(form.getAttribute('action'));
  }

  // ---- wiring ------------------------------------------------------------------------------
  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
  form.addEventListener('submit', (event) => { event.preventDefault(); submit(); });
  form.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    const card = button.closest('[data-topic]');
    if (button.dataset.add !== undefined) {
      event.preventDefault();
      setCount(instances().length + 1);
      changed();
    } else if (button.hasAttribute('data-remove')) {
      event.preventDefault();
      const box = button.closest('[data-instance]');
      const code = read(box, `${box.dataset.instance}.`, R.logic.slots, false)[R.code];
      if (code && !confirm(A.fmt(T.remove_participant, { code }))) return;
      box.remove();
      quoteRows().filter((row) => code && quoteOf(row).participant === code).forEach((row) => row.remove());
      renumber();
      changed();
    } else if (button.hasAttribute('data-remove-quote')) {
      event.preventDefault();
      button.closest('[data-quote]').remove();
      changed();
    } else if (button.hasAttribute('data-add-quote')) {
      capture(card);
    } else if (button.hasAttribute('data-start-topic')) {
      running = card;
      paused = false;
      showClocks();
    } else if (button.hasAttribute('data-pause')) {
      paused = !paused;
      showClocks();
    }
  });
  document.addEventListener('visibilitychange', () => { if (document.hidden) saveDraft(); });
  for (const link of $$('a[href^="/lang/"]')) {  // switch language and keep what was typed
    link.addEventListener('click', async (event) => {
      event.preventDefault();
      dirty = true;
      await saveDraft();
      location.href = `${link.getAttribute('href')}#draft=${uuid.value}`;
    });
  }

  (async () => {
    quoteRows().filter((row) => !Object.values(quoteOf(row)).some(Boolean)).forEach((row) => row.remove());
    for (const row of $$('[data-quotes-for]:not([data-quotes-for=""]) > [data-quote]', form)) $('.quote-topic', row)?.setAttribute('hidden', '');
    const wanted = /^#draft=(.+)$/.exec(location.hash);
    const draft = wanted && (await A.idb.get('drafts', wanted[1]));
    if (draft && draft.user === A.USER) {
      uuid.value = draft.id;
      instances().forEach((box) => box.remove());
      fill(draft.fields);
    } else {
      uuid.value = A.newUuid();  // a cached page must never reuse a UUID
    }
    relevance();
    refreshCodes();
    showClocks();
    setInterval(tick, 1000);
    document.documentElement.dataset.ready = String(Math.round(performance.now()));
  })();
})();
