/* Tanfang home page: the drafts and the records waiting in the outbox on this device.
 *
 * Loaded on /collect only (not on a form, which stays small); app.js calls `list` whenever the
 * sync bar is refreshed, so the outbox list empties as records reach the server.
 */
(() => {
  'use strict';
  const A = window.TanfangApp;
  const { S, h, idb, mine, when } = A;
  const item = (text, ...kids) => h('li', {}, h('span', { textContent: text }), ...kids);
  const button = (props) => h(props.href ? 'a' : 'button', { type: 'button', className: 'button secondary', ...props });
  const show = (box, list, empty, make) => box && box.replaceChildren(...(list.length ? list.map(make) : [item(empty)]));

  async function list() {
    const drafts = (await mine('drafts')).sort((a, b) => b.updated.localeCompare(a.updated));
    show(document.querySelector('[data-drafts]'), drafts, S.no_drafts, (d) => item(`${d.title} · ${when(d.updated)}`,
      button({ textContent: S.continue, href: `/collect/${encodeURIComponent(d.form_id)}?version=${encodeURIComponent(d.version)}#draft=${d.id}` }),
      button({ textContent: S.delete, onclick: async () => { if (confirm(S.delete_confirm)) { await idb.del('drafts', d.id); A.refresh(); } } })));
    show(document.querySelector('[data-outbox]'), await mine('outbox'), S.no_outbox, (r) => item(`${r.title} · ${when(r.collected_at)}`,
      ...(r.problem ? [h('p', { className: 'problem', textContent: `${S.problem} ${r.problem.map((p) => `${p.path} ${p.message}`).join('; ')}` })] : [])));
  }

  A.hooks.push(list);
  list();
})();
