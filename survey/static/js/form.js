/* Tanfang form page: screens, the form's logic in the browser, drafts, review and the outbox.
 *
 * The page (templates/collect_form.html) works without this script; with it, each section is a
 * screen. Every input's name is its answer path (`age`, `roster[2].age`), so answers are read
 * straight from the form. The logic (relevance, required, constraints, calculations, choice
 * filters, repeat counts) is evaluated by logic.js from the compiled JSON the server embeds,
 * exactly as the server's Python does (a shared test corpus proves it).
 */
(() => {
  'use strict';
  const form = document.getElementById('entry');
  if (!form || !form.querySelector('[data-screen]')) return;
  const A = window.TanfangApp;
  const S = A.S;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const logic = JSON.parse($('#logic').textContent);
  const M = JSON.parse($('#messages').textContent);
  const engine = window.TanfangLogic.form(logic, JSON.parse($('#definition').textContent));
  const FORM = form.dataset.form;
  const VERSION = form.dataset.version;
  const screens = $$('[data-screen]', form);
  const review = $('[data-review]', form);
  const uuid = form.elements['@uuid'];
  const INDEXED = /^([^[\].]+)\[(\d+)\]\.(.+)$/;
  let current = 0;
  let dirty = false;
  let state = null;

  // ---- answers: read from the inputs, shaped as the sync API takes them ---------------------
  function leafOf(path, out) {
    let obj = out; let m;
    while ((m = INDEXED.exec(path))) {
      const list = obj[m[1]] || (obj[m[1]] = []);
      while (list.length < +m[2]) list.push({});
      obj = list[+m[2] - 1];
      path = m[3];
    }
    return [obj, path];
  }

  function answers(forRecord) {
    const out = {};
    for (const box of $$('[data-instance]', form)) {
      if (!(forRecord && box.closest('[hidden]'))) leafOf(`${box.dataset.instance}.x`, out);
    }
    for (const el of form.elements) {
      const name = el.name;
      if (!name || name[0] === '@' || name === '_csrf_token' || el.disabled) continue;
      if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) continue;
      if (forRecord && el.closest('[hidden]')) continue;
      const value = el.value;
      if (value.trim() === '') continue;
      const [obj, leaf] = leafOf(name, out);
      const type = (logic.slots[leaf] || {}).type;
      if (type === 'select_multiple' || type === 'rank') (obj[leaf] = obj[leaf] || []).push(value);
      else if ((type === 'integer' || type === 'decimal') && Number.isFinite(Number(value))) obj[leaf] = Number(value);
      else obj[leaf] = value;
    }
    return out;
  }

  // ---- the logic on the page ---------------------------------------------------------------
  function message(path, problem) {
    const name = path.replace(/^.*\]\./, '');
    if (problem.code === 'constraint' && M.constraint[name]) return M.constraint[name];
    if (problem.code === 'required' && M.required[name]) return M.required[name];
    const text = M.codes[problem.code] || M.codes.constraint;
    return text.replace(/\{(\w+)\}/g, (_, key) => (problem.params || {})[key] ?? '');
  }

  /* The logic's verdict on the answers so far, asked by path (`age`, `roster[2].age`). */
  function evaluate(values) {
    const st = engine.check(values, {});
    const byPath = {};
    st.errors.forEach((e) => (byPath[e.path] = byPath[e.path] || []).push(e));
    return {
      relevant: (path) => st.relevant[path] !== false,
      errors: (path) => byPath[path] || [],
      choices: (path) => st.choices[path] || null,
      count: (path) => { const e = (byPath[path] || []).find((x) => x.code === 'repeat_count'); return e ? e.params.expected : null; },
    };
  }

  function apply() {
    for (let round = 0; round < 4; round += 1) {
      state = evaluate(answers(false));
      let changed = false;
      for (const box of $$('[data-repeat]', form)) {
        const n = state.count(box.dataset.repeat);
        if (n !== null && n !== undefined && n >= 0 && n !== instances(box).length) {
          setCount(box, Math.min(n, 50));
          changed = true;
        }
      }
      if (!changed) break;
    }
    for (const el of $$('[data-path]', form)) {
      if (el.classList.contains('q-calculate')) continue;
      const off = !state.relevant(el.dataset.path);
      if (el.hidden !== off) el.hidden = off;
    }
    for (const q of $$('.q-select_one, .q-select_multiple, .q-likert', form)) filterChoices(q);
    for (const other of $$('[data-other-for]', form)) {
      const names = other.dataset.other.split(' ');
      const q = other.closest('.q');
      const chosen = $$('input:checked, select', q).map((el) => el.value);
      other.hidden = !names.some((n) => chosen.includes(n));
    }
  }

  function filterChoices(q) {
    const allowed = state.choices(q.dataset.path);
    for (const input of $$('input[type=radio], input[type=checkbox], option', q)) {
      if (!input.value || input.closest('[data-other-for]')) continue;
      const off = Array.isArray(allowed) && !allowed.includes(input.value);
      const target = input.tagName === 'OPTION' ? input : input.closest('label');
      if (target.hidden !== off) target.hidden = off;
      if (off && (input.checked || input.selected)) { input.checked = false; input.selected = false; }
    }
  }

  /* Show the problems of the visible questions inside `root`; the number found. */
  function showErrors(root) {
    let found = 0;
    for (const q of $$('.q[data-path], [data-other-for]', root)) {
      const path = q.dataset.otherFor ? `${q.dataset.otherFor}_other` : q.dataset.path;
      const slot = $(':scope > [data-error]', q);
      if (!slot) continue;
      const texts = q.closest('[hidden]') ? [] : state.errors(path).map((p) => message(path, p));
      slot.textContent = texts.join(' ');
      slot.hidden = !texts.length;
      const field = $(':scope > input, :scope > select, :scope > textarea, :scope > fieldset', q);
      if (field) field.toggleAttribute('aria-invalid', texts.length > 0);
      found += texts.length ? 1 : 0;
    }
    return found;
  }

  // ---- repeats -----------------------------------------------------------------------------
  const instances = (box) => $$(':scope > .instances > [data-instance]', box);

  function setCount(box, n) {
    const list = instances(box);
    for (let i = list.length; i < n; i += 1) {
      const html = $(':scope > template', box).innerHTML.replaceAll('__N__', String(i + 1));
      $(':scope > .instances', box).insertAdjacentHTML('beforeend', html);
    }
    list.slice(n).forEach((el) => el.remove());
  }

  function removeInstance(fieldset) {
    const box = fieldset.closest('[data-repeat]');
    const path = box.dataset.repeat;
    const gone = instances(box).indexOf(fieldset) + 1;
    const kept = fields().filter(([k]) => !k.startsWith(`${path}[${gone}]`)).map(([k, v]) => {
      const m = k.startsWith(`${path}[`) && /^\[(\d+)\]/.exec(k.slice(path.length));
      return m && +m[1] > gone ? [`${path}[${+m[1] - 1}]${k.slice(path.length + m[0].length)}`, v] : [k, v];
    });
    setCount(box, instances(box).length - 1);
    fill(kept);
  }

  // ---- drafts ------------------------------------------------------------------------------
  const fields = () => Array.from(new FormData(form)).filter(([k, v]) => k !== '_csrf_token' && typeof v === 'string');

  function fill(entries) {
    const depth = (k) => (k.match(/\[/g) || []).length;
    for (const [k] of entries.slice().sort((a, b) => depth(a[0]) - depth(b[0]))) {
      let m; let prefix = ''; let rest = k;
      while ((m = INDEXED.exec(rest))) {
        const box = $(`[data-repeat="${CSS.escape(prefix + m[1])}"]`, form);
        if (box && instances(box).length < +m[2]) setCount(box, +m[2]);
        prefix += `${m[1]}[${m[2]}].`;
        rest = m[3];
      }
    }
    const values = {};
    entries.forEach(([k, v]) => (values[k] = values[k] || []).push(v));
    for (const el of form.elements) {
      if (!el.name || el.name === '_csrf_token' || el.name === '@uuid' || el.name === '@version' || el.type === 'submit') continue;
      const list = values[el.name] || [];
      if (el.type === 'radio' || el.type === 'checkbox') el.checked = list.includes(el.value);
      else el.value = list.length ? list.shift() : '';
    }
  }

  async function saveDraft() {
    if (!dirty) return;
    dirty = false;
    await A.idb.put('drafts', {
      id: uuid.value, user: A.USER, form_id: FORM, version: VERSION, title: form.dataset.title,
      fields: fields().filter(([k]) => k !== '@uuid' && k !== '@version'), screen: current,
      updated: new Date().toISOString(),
    });
  }
  let saveTimer = null;
  const changed = () => { dirty = true; apply(); clearTimeout(saveTimer); saveTimer = setTimeout(saveDraft, 250); };

  // ---- screens, review and submit ----------------------------------------------------------
  const open = () => screens.filter((s) => !s.hidden);

  function show(index, focus = true) {
    current = index;
    screens.forEach((s, i) => s.classList.toggle('current', i === index));
    const reviewing = index >= screens.length;
    review.hidden = !reviewing;
    review.classList.toggle('current', reviewing);
    const visible = open();
    const at = reviewing ? visible.length + 1 : visible.indexOf(screens[index]) + 1;
    $('[data-progress-text]', form).textContent = reviewing ? S.review
      : A.fmt(S.step, { n: at, total: visible.length });
    $('[data-progress-bar]', form).style.width = `${(100 * at) / (visible.length + 1)}%`;
    $('[data-back]', form).disabled = at <= 1 && !reviewing;
    $('[data-next]', form).hidden = reviewing;
    $('[data-submit]', form).hidden = !reviewing;
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
    while (i >= 0 && i < screens.length && screens[i].hidden) i += direction;
    if (i >= 0) show(Math.min(i, screens.length));
  }

  function shown(q) {
    const picked = $$('input:checked, select', q).map((el) => (el.tagName === 'SELECT'
      ? (el.value ? el.selectedOptions[0].textContent : '') : el.closest('label').textContent.trim()));
    if (picked.length || $('input[type=radio], input[type=checkbox], select', q)) return picked.filter(Boolean).join('、');
    const field = $('input, textarea', q);
    return field ? field.value : '';
  }

  function buildReview() {
    const body = $('[data-review-body]', review);
    body.replaceChildren();
    screens.forEach((screen, index) => {
      if (screen.hidden) return;
      const block = document.createElement('div');
      block.className = 'review-block';
      const h = document.createElement('h3');
      h.textContent = $('h2', screen).textContent;
      const edit = document.createElement('button');
      edit.type = 'button'; edit.className = 'button secondary'; edit.textContent = S.edit;
      edit.onclick = () => show(index);
      h.append(edit);
      const dl = document.createElement('dl');
      for (const q of $$('.q:not(.q-group):not(.q-repeat):not(.q-note):not(.q-calculate)', screen)) {
        if (q.closest('[hidden]')) continue;
        const text = shown(q);
        if (!text) continue;
        const dt = document.createElement('dt');
        const label = $('label, legend', q);
        const box = q.closest('[data-instance]');
        dt.textContent = (box ? `${$('legend', box).textContent.trim()} · ` : '') + label.firstChild.textContent.trim();
        const dd = document.createElement('dd');
        dd.textContent = text;
        dl.append(dt, dd);
      }
      if (!dl.children.length) dl.append(Object.assign(document.createElement('dd'), { textContent: S.nothing }));
      block.append(h, dl);
      body.append(block);
    });
  }

  async function submit() {
    apply();
    const bad = screens.findIndex((s) => !s.hidden && showErrors(s));
    if (bad >= 0) { show(bad); A.notice(S.fix, 'error'); return; }
    const site = form.elements['@site'];
    await A.idb.put('outbox', {
      uuid: uuid.value, user: A.USER, form_id: FORM, form_version: VERSION, title: form.dataset.title,
      answers: answers(true), collected_at: new Date().toISOString(), site: (site && site.value) || null,
    });
    clearTimeout(saveTimer);
    await A.idb.del('drafts', uuid.value);
    sessionStorage.setItem('tanfang-flash', S.saved);
    location.replace(form.getAttribute('action'));
  }

  // ---- wiring ------------------------------------------------------------------------------
  form.addEventListener('input', changed);
  form.addEventListener('change', (event) => {
    const box = event.target;
    if (box.type === 'checkbox' && box.checked) {
      const q = box.closest('.q');
      for (const other of $$('input[type=checkbox]', q)) {
        if (other !== box && (box.hasAttribute('data-exclusive') || other.hasAttribute('data-exclusive'))) other.checked = false;
      }
    }
    changed();
  });
  form.addEventListener('submit', (event) => { event.preventDefault(); submit(); });
  form.addEventListener('click', (event) => {
    const button = event.target.closest('button');
    if (!button) return;
    if (button.dataset.add !== undefined) {
      event.preventDefault();
      const box = button.closest('[data-repeat]');
      setCount(box, instances(box).length + 1);
      changed();
    } else if (button.hasAttribute('data-remove')) {
      event.preventDefault();
      removeInstance(button.closest('[data-instance]'));
      changed();
    } else if (button.dataset.locate) {
      const input = document.getElementById(button.dataset.locate);
      navigator.geolocation.getCurrentPosition((p) => {
        const c = p.coords;
        input.value = `${c.latitude.toFixed(6)} ${c.longitude.toFixed(6)} ${Math.round(c.altitude || 0)} ${Math.round(c.accuracy)}`;
        A.notice(A.fmt(S.located, { metres: Math.round(c.accuracy) }));
        changed();
      }, () => A.notice(S.no_location, 'error'), { enableHighAccuracy: true, timeout: 20000 });
    }
  });
  $('[data-back]', form).onclick = () => step(-1);
  $('[data-next]', form).onclick = () => step(1);
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
    const wanted = /^#draft=(.+)$/.exec(location.hash);
    const draft = wanted && (await A.idb.get('drafts', wanted[1]));
    if (draft && draft.user === A.USER) {
      uuid.value = draft.id;
      fill(draft.fields);
      apply();
      show(Math.min(draft.screen || 0, screens.length - 1), false);
    } else {
      uuid.value = A.newUuid();  // a cached page must never reuse a UUID
      apply();
      show(0, false);
    }
    document.documentElement.dataset.ready = String(Math.round(performance.now()));  // bench/client.py
  })();
})();
