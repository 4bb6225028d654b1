/* Tanfang form page: screens, the form's logic in the browser, drafts, review and the outbox.
 *
 * The page (templates/collect_form.html) works without this script; with it, each section is a
 * screen. Every input's name is its answer path (`age`, `roster[2].age`), so answers are read
 * straight from the form. The logic (relevance, required, constraints, calculations, choice
 * filters, repeat counts) is evaluated by logic.js from the compiled JSON the server embeds,
 * exactly as the server's Python does (tests/client proves it on a shared corpus).
 * Served minified: comments cost the tablet nothing.
 */
(() => {
  'use strict';
  const form = document.getElementById('entry');
  if (!form || !form.querySelector('[data-screen]')) return;  // the review page without JavaScript
  const A = window.TanfangApp;
  const { S, h } = A;
  const $ = (sel, root = form) => root.querySelector(sel);
  const $$ = (sel, root = form) => Array.from(root.querySelectorAll(sel));
  const json = (id) => JSON.parse(document.getElementById(id).textContent);
  const logic = json('logic');
  const M = json('messages');  // problem texts in the form's language: by code, and per question
  const engine = window.TanfangLogic.form(logic, json('definition'));
  const { form: FORM, version: VERSION, title: TITLE } = form.dataset;
  const screens = $$('[data-screen]');
  const review = $('[data-review]');
  const uuid = form.elements['@uuid'];
  const INDEXED = /^([^[\].]+)\[(\d+)\]\.(.+)$/;  // roster[2].age → roster, 2, age
  let current = 0;
  let dirty = false;
  let state;

  // ---- answers: read from the inputs, shaped as the sync API takes them ---------------------
  /* The object holding the answer at `path` inside `out` (repeat items made as needed), and its name. */
  function leafOf(path, out) {
    let m;
    while ((m = INDEXED.exec(path))) {
      const list = out[m[1]] || (out[m[1]] = []);
      while (list.length < m[2]) list.push({});
      out = list[m[2] - 1];
      path = m[3];
    }
    return [out, path];
  }

  /* The answers typed so far; `forRecord` leaves out what is not relevant (hidden). */
  function answers(forRecord) {
    const out = {};
    const skip = (el) => forRecord && el.closest('[hidden]');
    for (const box of $$('[data-instance]')) if (!skip(box)) leafOf(`${box.dataset.instance}.x`, out);
    for (const el of form.elements) {
      const { name, value } = el;
      if (!name || name[0] === '@' || name === '_csrf_token' || el.disabled || !value.trim() || skip(el)) continue;
      if (/radio|checkbox/.test(el.type) && !el.checked) continue;
      const [obj, leaf] = leafOf(name, out);
      const type = (logic.slots[leaf] || {}).type;
      if (type === 'select_multiple' || type === 'rank') (obj[leaf] = obj[leaf] || []).push(value);
      else obj[leaf] = /integer|decimal/.test(type) && Number.isFinite(+value) ? +value : value;
    }
    return out;
  }

  // ---- the logic on the page ---------------------------------------------------------------
  function message(path, problem) {
    const name = path.replace(/^.*\]\./, '');
    const own = { constraint: M.constraint, required: M.required }[problem.code];
    const text = (own && own[name]) || M.codes[problem.code] || M.codes.constraint;
    return text.replace(/\{(\w+)\}/g, (_, key) => (problem.params || {})[key] ?? '');
  }

  /* Evaluate the logic; add or drop repeat instances its counts ask for; show what is relevant. */
  function apply() {
    for (let round = 0, again = true; again && round < 4; round++) {
      const st = engine.check(answers(false), {});
      const errors = {};
      st.errors.forEach((e) => (errors[e.path] = errors[e.path] || []).push(e));
      state = { st, errors };
      again = false;
      for (const box of $$('[data-repeat]')) {
        const count = (errors[box.dataset.repeat] || []).find((e) => e.code === 'repeat_count');
        if (count && count.params.expected >= 0) { setCount(box, Math.min(count.params.expected, 50)); again = true; }
      }
    }
    for (const el of $$('[data-path]:not(.q-calculate)')) {
      const off = state.st.relevant[el.dataset.path] === false;
      if (el.hidden !== off) el.hidden = off;  // touch the page only where something changes
    }
    for (const q of $$('.q-select_one, .q-select_multiple, .q-likert')) {
      const allowed = state.st.choices[q.dataset.path];
      for (const input of $$('.options input, select option', q)) {
        if (!input.value) continue;
        const off = !!allowed && !allowed.includes(input.value);
        (input.tagName === 'OPTION' ? input : input.closest('label')).hidden = off;
        if (off) input.checked = input.selected = false;
      }
    }
    for (const other of $$('[data-other-for]')) {
      const chosen = $$('input:checked, select', other.closest('.q')).map((el) => el.value);
      other.hidden = !other.dataset.other.split(' ').some((n) => chosen.includes(n));
    }
  }

  /* Show the problems of the visible questions inside `root`; the number of questions with one. */
  function showErrors(root) {
    let found = 0;
    for (const q of $$('.q[data-path], [data-other-for]', root)) {
      const path = q.dataset.otherFor ? `${q.dataset.otherFor}_other` : q.dataset.path;
      const slot = $(':scope > [data-error]', q);
      if (!slot) continue;
      const texts = q.closest('[hidden]') ? [] : (state.errors[path] || []).map((p) => message(path, p));
      slot.textContent = texts.join(' ');
      slot.hidden = !texts.length;
      const field = $(':scope > input, :scope > select, :scope > textarea, :scope > fieldset', q);
      if (field) field.toggleAttribute('aria-invalid', texts.length > 0);
      found += !!texts.length;
    }
    return found;
  }

  // ---- repeats -----------------------------------------------------------------------------
  const instances = (box) => $$(':scope > .instances > [data-instance]', box);

  function setCount(box, n) {
    const list = instances(box);
    for (let i = list.length; i < n; i++) {
      $(':scope > .instances', box).insertAdjacentHTML('beforeend', $(':scope > template', box).innerHTML.replaceAll('__N__', i + 1));
    }
    list.slice(n).forEach((el) => el.remove());
  }

  /* Drop one instance and renumber those after it, keeping what was typed in them. */
  function removeInstance(fieldset) {
    const box = fieldset.closest('[data-repeat]');
    const path = box.dataset.repeat;
    const gone = instances(box).indexOf(fieldset) + 1;
    const kept = [];
    for (const [k, v] of fields()) {
      const m = k.startsWith(`${path}[`) && /^\[(\d+)\]/.exec(k.slice(path.length));
      if (!m) kept.push([k, v]);
      else if (+m[1] !== gone) kept.push([+m[1] < gone ? k : `${path}[${m[1] - 1}]${k.slice(path.length + m[0].length)}`, v]);
    }
    setCount(box, instances(box).length - 1);
    fill(kept);
  }

  // ---- drafts ------------------------------------------------------------------------------
  const fields = () => Array.from(new FormData(form)).filter(([k, v]) => !/^(_csrf_token|@uuid|@version)$/.test(k) && typeof v === 'string');

  /* Put saved [name, value] pairs back into the inputs (repeat instances made first). */
  function fill(entries) {
    for (const [k] of entries) {
      let m;
      let prefix = '';
      let rest = k;
      while ((m = INDEXED.exec(rest))) {
        const box = $(`[data-repeat="${CSS.escape(prefix + m[1])}"]`);
        if (box && instances(box).length < m[2]) setCount(box, +m[2]);
        prefix += `${m[1]}[${m[2]}].`;
        rest = m[3];
      }
    }
    const values = {};
    entries.forEach(([k, v]) => (values[k] = values[k] || []).push(v));
    for (const el of form.elements) {
      if (!el.name || /^(_csrf_token|@uuid|@version)$/.test(el.name) || el.type === 'submit') continue;
      const list = values[el.name] || [];
      if (/radio|checkbox/.test(el.type)) el.checked = list.includes(el.value);
      else el.value = list.shift() || '';
    }
  }

  async function saveDraft() {
    if (!dirty) return;
    dirty = false;
    await A.idb.put('drafts', {
      id: uuid.value, user: A.USER, form_id: FORM, version: VERSION, title: TITLE,
      fields: fields(), screen: current, updated: new Date().toISOString(),
    });
  }
  let saveTimer;
  const changed = () => { dirty = true; apply(); clearTimeout(saveTimer); saveTimer = setTimeout(saveDraft, 250); };

  // ---- screens, review and submit ----------------------------------------------------------
  function show(index, focus = true) {
    current = index;
    const reviewing = index >= screens.length;
    screens.forEach((s, i) => s.classList.toggle('current', i === index));
    review.hidden = !reviewing;
    review.classList.toggle('current', reviewing);
    const open = screens.filter((s) => !s.hidden);
    const at = reviewing ? open.length + 1 : open.indexOf(screens[index]) + 1;
    $('[data-progress-text]').textContent = reviewing ? S.review : A.fmt(S.step, { n: at, total: open.length });
    $('[data-progress-bar]').style.width = `${(100 * at) / (open.length + 1)}%`;
    $('[data-back]').disabled = at <= 1 && !reviewing;
    $('[data-next]').hidden = reviewing;
    $('[data-submit]').hidden = !reviewing;
    if (reviewing) buildReview();
    if (focus) $('h2', reviewing ? review : screens[index]).focus();
  }

  function step(direction) {
    if (direction > 0 && current < screens.length && showErrors(screens[current])) {
      A.notice(S.fix, 'error');
      const bad = $('[aria-invalid]', screens[current]);
      if (bad) bad.focus();
      return;
    }
    A.notice('');
    let i = current + direction;
    while (screens[i] && screens[i].hidden) i += direction;
    if (i >= 0) show(Math.min(i, screens.length));
  }

  /* An answer as the fieldworker sees it: the labels of what is chosen, or what is typed. */
  function shown(q) {
    const picked = $$('input:checked, select', q)
      .map((el) => (el.tagName === 'SELECT' ? el.value && el.selectedOptions[0].textContent : el.closest('label').textContent.trim()));
    if ($('input[type=radio], input[type=checkbox], select', q)) return picked.filter(Boolean).join('、');
    const field = $('input, textarea', q);
    return field ? field.value : '';
  }

  function buildReview() {
    const blocks = screens.map((screen, index) => {
      if (screen.hidden) return '';
      const dl = h('dl');
      for (const q of $$('.q:not(.q-group):not(.q-repeat):not(.q-note):not(.q-calculate)', screen)) {
        const text = !q.closest('[hidden]') && shown(q);
        if (!text) continue;
        const box = q.closest('[data-instance]');
        const label = $('label, legend', q).firstChild.textContent.trim();
        dl.append(h('dt', { textContent: (box ? `${$('legend', box).textContent.trim()} · ` : '') + label }), h('dd', { textContent: text }));
      }
      if (!dl.children.length) dl.append(h('dd', { textContent: S.nothing }));
      const edit = h('button', { type: 'button', className: 'button secondary', textContent: S.edit, onclick: () => show(index) });
      return h('div', { className: 'review-block' }, h('h3', { textContent: $('h2', screen).textContent }, edit), dl);
    });
    $('[data-review-body]').replaceChildren(...blocks);
  }

  async function submit() {
    apply();
    const bad = screens.findIndex((s) => !s.hidden && showErrors(s));
    if (bad >= 0) return show(bad), A.notice(S.fix, 'error');
    const site = form.elements['@site'];
    await A.idb.put('outbox', {
      uuid: uuid.value, user: A.USER, form_id: FORM, form_version: VERSION, title: TITLE,
      answers: answers(true), collected_at: new Date().toISOString(), site: (site && site.value) || null,
    });
    clearTimeout(saveTimer);
    await A.idb.del('drafts', uuid.value);
    sessionStorage.setItem('tanfang-flash', S.saved);
    location.replace(form.getAttribute('action'));  // a new record of the latest version
  }

  // ---- wiring ------------------------------------------------------------------------------
  form.addEventListener('input', changed);
  form.addEventListener('change', ({ target }) => {
    if (target.type === 'checkbox' && target.checked) {  // "none of these" stands alone
      for (const other of $$('input[type=checkbox]', target.closest('.q'))) {
        if (other !== target && (target.hasAttribute('data-exclusive') || other.hasAttribute('data-exclusive'))) other.checked = false;
      }
    }
    changed();
  });
  form.addEventListener('submit', (event) => { event.preventDefault(); submit(); });
  form.addEventListener('click', (event) => {  // the repeat buttons post the page without JavaScript
    const button = event.target.closest('button');
    if (!button) return;
    const { add, locate } = button.dataset;
    if (add) {
      event.preventDefault();
      const box = button.closest('[data-repeat]');
      setCount(box, instances(box).length + 1);
      changed();
    } else if (button.hasAttribute('data-remove')) {
      event.preventDefault();
      removeInstance(button.closest('[data-instance]'));
      changed();
    } else if (locate) {
      navigator.geolocation.getCurrentPosition(({ coords: c }) => {
        document.getElementById(locate).value = `${c.latitude.toFixed(6)} ${c.longitude.toFixed(6)} ${Math.round(c.altitude || 0)} ${Math.round(c.accuracy)}`;
        A.notice(A.fmt(S.located, { metres: Math.round(c.accuracy) }));
        changed();
      }, () => A.notice(S.no_location, 'error'), { enableHighAccuracy: true, timeout: 20000 });
    }
  });
  $('[data-back]').onclick = () => step(-1);
  $('[data-next]').onclick = () => step(1);
  document.addEventListener('visibilitychange', () => document.hidden && saveDraft());
  for (const link of document.querySelectorAll('a[href^="/lang/"]')) {  // switch language, keep what was typed
    link.addEventListener('click', async (event) => {
      event.preventDefault();
      dirty = true;
      await saveDraft();
      location.href = `${link.getAttribute('href')}#draft=${uuid.value}`;
    });
  }

  (async () => {
    const wanted = /^#draft=(.+)$/.exec(location.hash);
    const draft = wanted && (await A.idb.get('drafts', wanted[1]));
    const mine = draft && draft.user === A.USER;
    if (mine) fill(draft.fields);
    uuid.value = mine ? draft.id : A.newUuid();  // a cached page must never reuse a UUID
    apply();
    show(mine ? Math.min(draft.screen || 0, screens.length - 1) : 0, false);
    document.documentElement.dataset.ready = Math.round(performance.now());  // bench/client.py
  })();
})();
