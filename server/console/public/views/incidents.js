// Incidents: journal timeline with stages, commands, notifications and hand-over; grade and
// step; a postmortem draft export (Markdown).
import { h, clear, fmtDateTime, live } from '../dom.js';

const STEPS = ['detect', 'declared', 'handling', 'closed', 'follow-up'];
// Journal entries (GET /api/incidents/:id/journal) carry `author` and `text`.
const entryText = (j) => j.text ?? j.message ?? '';
const entryAuthor = (j) => j.author ?? j.actor ?? '';

export function postmortemDraft(inc, journal) {
  const lines = [
    `# Postmortem draft: ${inc.title}`, '',
    `- Incident: ${inc.id}${inc.drill ? ' (DRILL)' : ''}`, `- Site / zone: ${inc.site} / ${inc.zone ?? '–'}`,
    `- Grade: ${inc.grade}; step: ${inc.step}`, `- Detected: ${fmtDateTime(inc.times?.detect)}; declared: ${fmtDateTime(inc.times?.declare)}; resolved: ${fmtDateTime(inc.times?.resolve)}`,
    `- Fire department in control: ${inc.fd?.inControl ? `yes, since ${fmtDateTime(inc.fd.since)}` : 'no'}`, '',
    '## Timeline', '', ...journal.map((j) => `- ${fmtDateTime(j.ts)} [${j.kind}] ${entryAuthor(j) ? `${entryAuthor(j)}: ` : ''}${entryText(j)}`), '',
    '## What went well', '', '## What went wrong', '', '## Action items', '',
  ];
  return lines.join('\n');
}

export function renderIncidents(view, { store, api }) {
  const list = h('tbody', { id: 'incident-list' });
  const detail = h('section', { class: 'panel', id: 'incident-detail' }, h('h2', {}, 'Journal'), h('p', { class: 'sub' }, 'Pick an incident.'));
  view.append(h('div', { class: 'grid', style: 'grid-template-columns: 1fr 2fr' },
    h('section', { class: 'panel' }, h('h2', {}, 'Open incidents'), h('table', {}, h('thead', {}, h('tr', {}, ...['Grade', 'Title', 'Step', 'Detected'].map((t) => h('th', {}, t)))), list)),
    detail));
  let selected = null;
  const show = async (inc) => {
    selected = inc.id;
    clear(detail);
    const journal = await api(`/api/incidents/${encodeURIComponent(inc.id)}/journal`).catch(() => []);
    const stepIdx = STEPS.indexOf(inc.step);
    detail.append(
      h('h2', {}, inc.title, inc.drill ? ' — DRILL' : ''),
      h('p', {}, h('strong', {}, `Grade ${inc.grade}`), ' · steps: ', ...STEPS.map((s, i) => h('span', { class: i <= stepIdx ? 'st Up' : 'sub' }, `${s} `))),
      inc.fd?.inControl ? h('p', { class: 'nextstep' }, `Fire department in control since ${fmtDateTime(inc.fd.since)}`) : '',
      h('p', {}, h('button', { onclick: () => {
        const blob = new Blob([postmortemDraft(inc, journal)], { type: 'text/markdown' });
        const a = h('a', { href: URL.createObjectURL(blob), download: `postmortem-${inc.id}.md` });
        a.click();
      } }, 'Export postmortem draft')),
      h('ol', { class: 'timeline' }, ...journal.map((j) => h('li', {}, h('strong', {}, fmtDateTime(j.ts)), ` [${j.kind}] `, entryAuthor(j) ? `${entryAuthor(j)}: ` : '', entryText(j)))));
  };
  const render = () => {
    clear(list);
    const incs = [...store.incidents.values()].sort((a, b) => a.grade - b.grade || (b.times?.detect ?? 0) - (a.times?.detect ?? 0));
    for (const i of incs) list.append(h('tr', { dataset: { incident: i.id } }, h('td', {}, `G${i.grade}`),
      h('td', {}, h('a', { href: '#/incidents', onclick: (e) => { e.preventDefault(); show(i); } }, i.title, i.drill ? ' (drill)' : '')), h('td', {}, i.step), h('td', {}, fmtDateTime(i.times?.detect))));
    if (!incs.length) list.append(h('tr', {}, h('td', { colspan: 4 }, 'No open incidents.')));
    if (selected && store.incidents.has(selected)) { /* keep detail; refreshed on click */ }
  };
  return live(store, ['hello', 'incident'], render);
}
