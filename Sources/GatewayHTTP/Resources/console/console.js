// The operator console: plain JavaScript, no build step, nothing from elsewhere. Every page reads the gateway's
// /v1 API with this browser's session cookie; changes carry the session's CSRF token (X-CSRF-Token). Elements are
// built with textContent only, never innerHTML, so nothing the API returns can become markup.
'use strict';
(function () {
  if (!document.body.classList.contains('signed-in')) {
    const key = document.getElementById('api-key');
    if (key) key.focus();
    return;
  }
  const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  const view = document.getElementById('view');
  const message = document.getElementById('message');
  const POLL_MS = 5000;
  let session = null;
  let pollTimer = null;
  let renderToken = 0;

  // ---- helpers ----
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  function say(text, info) {
    message.textContent = text || '';
    message.className = 'message' + (info ? ' info' : '');
  }
  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && problem.detail) || ('The gateway answered ' + status + '.'));
      this.status = status; this.problem = problem;
    }
  }
  async function api(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    let response;
    try { response = await fetch(path, init); } catch (e) { throw new ApiError(0, { detail: 'The gateway cannot be reached.' }); }
    const text = await response.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
    if (response.status === 401) {
      stopPolling();
      document.body.classList.remove('signed-in'); document.body.classList.add('signed-out');
      say('Your console session has ended (expired or signed out). Sign in again.');
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return { data, headers: response.headers };
  }
  function describeError(e) {
    if (e.status === 403) return 'Not allowed for client ' + (session ? session.clientId : '') + ': ' + e.message;
    return e.message;
  }
  function errorBox(e) { return h('p', { class: 'message', role: 'alert', text: describeError(e) }); }
  function may(op) { return !!session && session.operations.includes(op); }
  function fmtTime(t) { if (!t) return '—'; const d = new Date(t); return isNaN(d) ? t : d.toLocaleString(); }
  function ago(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    if (seconds < 90) return seconds + ' s';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min';
    return Math.round(seconds / 3600) + ' h';
  }
  function table(headers, rows, caption) {
    return h('div', { class: 'table-wrap' }, h('table', {},
      caption ? h('caption', { class: 'muted', text: caption }) : null,
      h('thead', {}, h('tr', {}, headers.map(x => h('th', { scope: 'col', text: x })))),
      h('tbody', {}, rows)));
  }
  function dl(pairs) { return h('dl', {}, pairs.map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)])); }
  function card(title, ...content) { return h('section', { class: 'card' }, h('h2', { text: title }), content); }
  function instanceKey(inst) { return inst.app + '/instances/' + inst.instanceId; }
  function storyLink(inst) {
    const [org, app] = inst.app.split('/');
    return '#instance/' + [org, app, inst.partyId, inst.instanceGuid].map(encodeURIComponent).join('/');
  }
  function toRFC3339(local) { if (!local) return ''; const d = new Date(local); return isNaN(d) ? null : d.toISOString(); }
  function stopPolling() { if (pollTimer) { clearInterval(pollTimer); pollTimer = null; } }
  function poll(fn) { stopPolling(); pollTimer = setInterval(() => { if (!document.hidden) fn().catch(() => {}); }, POLL_MS); }

  // ---- pages ----
  const pages = {
    health: healthPage, signings: signingsPage, instance: storyPage, subscribers: subscribersPage,
    'dead-letters': deadLettersPage, audit: auditPage,
  };

  async function route() {
    stopPolling();
    const hash = location.hash.replace(/^#/, '') || 'health';
    const [path, query] = hash.split('?');
    const parts = path.split('/').map(decodeURIComponent);
    const name = pages[parts[0]] ? parts[0] : 'health';
    for (const a of document.querySelectorAll('nav a')) {
      if (a.dataset.page === name || (name === 'instance' && a.dataset.page === 'signings')) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const token = ++renderToken;
    const container = h('div', { 'data-page': name });
    view.replaceChildren(container);
    try {
      await pages[name](container, parts.slice(1), new URLSearchParams(query || ''), () => token === renderToken);
    } catch (e) {
      if (token === renderToken) container.append(errorBox(e));
    }
  }

  // Health: readiness, token profiles, outbox, dead letters, tracked instances, audit head, activity chart.
  async function healthPage(container, _, __, live) {
    container.append(h('h1', { text: 'Health' }));
    const body = h('div');
    container.append(body);
    async function refresh() {
      const { data: s } = await api('GET', '/v1/status');
      if (!live()) return;
      const cards = h('div', { class: 'cards' });
      cards.append(card('Gateway', dl([
        ['Status', h('span', { class: 'big state-' + s.status, id: 'health-status', text: s.status })],
        ['Upstream', s.upstream], ['Store', s.store.ready ? 'answers' : 'does not answer'], ['As of', fmtTime(s.time)],
      ])));
      cards.append(card('Token profiles', s.tokenProfiles.length === 0 ? h('p', { text: 'None configured.' }) :
        dl(s.tokenProfiles.map(p => [p.name, h('span', { class: p.ready ? 'ok' : 'bad' },
          (p.ready ? 'valid' : 'failing') + (p.validUntil ? ' until ' + fmtTime(p.validUntil) : '') + (p.detail ? ' — ' + p.detail : '') +
          (p.lastRefreshAt ? '; last refresh ' + fmtTime(p.lastRefreshAt) : '') +
          (p.lastFailureAt ? '; last failure ' + fmtTime(p.lastFailureAt) + (p.lastFailureStep ? ' (' + p.lastFailureStep + ')' : '') : ''))]))));
      if (s.deliveries) {
        cards.append(card('Outbox', dl([
          ['Pending', h('span', { class: 'big', id: 'outbox-pending', text: String(s.deliveries.pending) })],
          ['Oldest pending', ago(s.deliveries.oldestPendingSeconds)],
          ['Dead letters', h('a', { href: '#dead-letters', class: s.deliveries.dead ? 'bad' : '', id: 'dead-count', text: String(s.deliveries.dead) })],
          ['Delivered (kept)', String(s.deliveries.delivered)],
        ])));
      } else cards.append(card('Outbox', h('p', { class: 'muted', text: 'Needs the events operation.' })));
      if (s.trackedInstances) {
        cards.append(card('Tracked instances', dl(Object.entries(s.trackedInstances).map(([k, v]) => [k, String(v)]))));
      }
      if (s.audit) {
        const v = s.audit.lastVerify;
        cards.append(card('Audit chain', dl([
          ['Head', '#' + s.audit.sequence], ['Hash', h('span', { class: 'mono', text: (s.audit.hash || '—').slice(0, 16) + '…' })],
          ['Last checkpoint', s.audit.lastCheckpoint ? '#' + s.audit.lastCheckpoint.sequence + ' at ' + fmtTime(s.audit.lastCheckpoint.time) : 'none yet'],
          ['Last verify', v ? h('span', { class: v.intact ? 'ok' : 'bad', text: (v.intact ? 'intact, ' + v.records + ' records' : 'BROKEN at #' + v.brokenAt) + ' (' + fmtTime(v.time) + ')' }) : h('a', { href: '#audit', text: 'not run on this replica' })],
        ])));
      }
      const chart = may('admin') ? await activityChart() : null;
      if (!live()) return;
      body.replaceChildren(cards, chart || h('p', { class: 'muted', text: 'The activity chart reads the audit log (admin).' }));
    }
    await refresh();
    poll(refresh);
  }

  // Signs, failures and deliveries per minute over the last hour, as SVG drawn here from the gateway's data.
  async function activityChart() {
    const minutes = 60, now = Date.now(), start = now - minutes * 60000;
    const signs = new Array(minutes).fill(0), fails = new Array(minutes).fill(0), deliveries = new Array(minutes).fill(0);
    const bucket = t => Math.floor((new Date(t).getTime() - start) / 60000);
    let after = 0;
    for (let page = 0; page < 5; page++) {
      const { data, headers } = await api('GET', '/v1/audit?from=' + encodeURIComponent(new Date(start).toISOString()) + '&limit=1000&after=' + after);
      for (const r of data.records) {
        const b = bucket(r.time);
        if (b < 0 || b >= minutes) continue;
        if (r.operation === 'sign') { if (r.outcome === 'succeeded') signs[b]++; else fails[b]++; }
        else if (r.outcome !== 'succeeded' && r.operation !== 'refused') fails[b]++;
      }
      if (!headers.get('Next-Cursor')) break;
      after = headers.get('Next-Cursor');
    }
    if (may('events')) {
      try {
        const { data } = await api('GET', '/v1/deliveries?status=delivered&limit=1000');
        for (const d of data.items) { const b = bucket(d.updatedAt); if (b >= 0 && b < minutes) deliveries[b]++; }
      } catch (e) { /* the chart shows what it has */ }
    }
    const max = Math.max(1, ...signs, ...fails, ...deliveries);
    const W = 600, H = 160, pad = 20, bw = (W - pad) / minutes;
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + (H + 16));
    svg.setAttribute('class', 'chart');
    svg.setAttribute('role', 'img');
    const total = a => a.reduce((x, y) => x + y, 0);
    svg.setAttribute('aria-label', 'Last hour: ' + total(signs) + ' signs, ' + total(fails) + ' failures, ' + total(deliveries) + ' deliveries');
    const series = [[signs, 's-sign', 0], [fails, 's-fail', 1], [deliveries, 's-delivery', 2]];
    for (let i = 0; i < minutes; i++) {
      for (const [values, cls, k] of series) {
        if (!values[i]) continue;
        const r = document.createElementNS(ns, 'rect');
        const hgt = Math.max(2, (values[i] / max) * (H - 10));
        r.setAttribute('x', String(pad + i * bw + k * bw / 3)); r.setAttribute('width', String(bw / 3));
        r.setAttribute('y', String(H - hgt)); r.setAttribute('height', String(hgt)); r.setAttribute('class', cls);
        svg.append(r);
      }
    }
    for (const [label, x] of [['-60 min', pad], ['-30 min', pad + (W - pad) / 2], ['now', W - 20]]) {
      const t = document.createElementNS(ns, 'text'); t.setAttribute('x', String(x)); t.setAttribute('y', String(H + 12)); t.textContent = label; svg.append(t);
    }
    const top = document.createElementNS(ns, 'text'); top.setAttribute('x', '0'); top.setAttribute('y', '10'); top.textContent = String(max); svg.append(top);
    return h('section', {}, h('h2', { text: 'Activity, last hour (per minute)' }), svg,
      h('p', { class: 'legend' }, h('span', {}, h('span', { class: 'k k-sign' }), 'signs'),
        h('span', {}, h('span', { class: 'k k-fail' }), 'failures'), h('span', {}, h('span', { class: 'k k-delivery' }), 'deliveries')));
  }

  function signingState(item) {
    const s = item.signing;
    if (item.lastError) return 'stalled: ' + item.lastError;
    if (!s) return item.status === 'active' ? 'not observed yet' : item.status;
    if (s.complete) return 'complete';
    if (item.status === 'ended') return 'ended (' + s.signed + ' of ' + s.total + ' signed)';
    if (item.status === 'expired') return 'expired (' + s.signed + ' of ' + s.total + ' signed)';
    return 'awaiting ' + (s.total - s.signed) + ' of ' + s.total;
  }
  function chips(item) {
    if (!item.signing) return h('span', { class: 'muted', text: '—' });
    return item.signing.signees.map(s => h('span', { class: 'chip chip-' + s.status, title: 'party ' + s.partyId + ': ' + s.status },
      String(s.partyId) + ' ' + s.status.replace(/([A-Z])/g, ' $1').toLowerCase()));
  }

  // Signings: tracked instances, filterable by state and app, paged.
  async function signingsPage(container, _, params, live) {
    container.append(h('h1', { text: 'Signings' }));
    if (!may('events')) { container.append(h('p', { text: 'Tracked instances need the events operation, which client ' + session.clientId + ' lacks.' })); return; }
    const status = h('select', { id: 'filter-status', name: 'status' }, ['', 'active', 'complete', 'ended', 'expired'].map(v => h('option', { value: v, text: v || 'any' })));
    const app = h('input', { id: 'filter-app', name: 'app', placeholder: 'org/app', maxlength: '200' });
    status.value = params.get('status') || '';
    app.value = params.get('app') || '';
    const cursors = [null];
    const result = h('div', { id: 'signings-result' });
    const pager = h('div', { class: 'pager' });
    const form = h('form', { class: 'filters', onsubmit: e => { e.preventDefault(); cursors.length = 1; load(); } },
      h('label', { for: 'filter-status' }, 'State', status), h('label', { for: 'filter-app' }, 'App', app),
      h('button', { type: 'submit', text: 'Filter' }));
    container.append(form, result, pager);
    async function load() {
      if (app.value && !/^[a-z0-9-]+\/[a-z0-9*-]+$/i.test(app.value)) { result.replaceChildren(h('p', { class: 'message', role: 'alert', text: 'App must look like org/app.' })); return; }
      const after = cursors[cursors.length - 1];
      let q = '/v1/tracked-instances?limit=50' + (status.value ? '&status=' + status.value : '') + (after ? '&after=' + encodeURIComponent(after) : '');
      const { data, headers } = await api('GET', q);
      if (!live()) return;
      const next = headers.get('Next-Cursor');
      const items = data.items.filter(i => !app.value || i.instance.app === app.value);
      const rows = items.map(i => h('tr', { 'data-instance': i.instance.instanceId },
        h('td', { class: 'mono' }, h('a', { href: storyLink(i.instance), text: i.instance.instanceId })),
        h('td', { text: i.instance.app }), h('td', { text: (i.signing && i.signing.taskId) || i.taskId || '—' }),
        h('td', { class: 'state', text: signingState(i) }), h('td', {}, chips(i)), h('td', { text: fmtTime(i.updatedAt) })));
      result.replaceChildren(items.length ? table(['Instance', 'App', 'Task', 'State', 'Signees', 'Updated'], rows) : h('p', { text: 'No tracked instances match.' }));
      pager.replaceChildren(
        cursors.length > 1 ? h('button', { type: 'button', class: 'secondary', text: 'First page', onclick: () => { cursors.length = 1; load(); } }) : null,
        next ? h('button', { type: 'button', class: 'secondary', text: 'Next page', onclick: () => { cursors.push(next); load(); } }) : null);
    }
    await load();
    poll(load);
  }

  // One instance's story: calls (audit), events, deliveries and their attempts, in time order.
  async function storyPage(container, parts, _, live) {
    const [org, app, party, guid] = parts;
    if (!org || !app || !/^\d+$/.test(party || '') || !/^[0-9a-f-]{36}$/i.test(guid || '')) {
      container.append(h('p', { class: 'message', role: 'alert', text: 'Not an instance address: expected #instance/org/app/partyId/guid.' }));
      return;
    }
    const key = org + '/' + app + '/instances/' + party + '/' + guid;
    container.append(h('h1', { text: 'Instance ' + party + '/' + guid }), h('p', { class: 'muted', text: org + '/' + app }));
    const head = h('div'); const timeline = h('div', { id: 'story' });
    container.append(head, h('h2', { text: 'Story' }), timeline);
    async function load() {
      const notes = [];
      const entries = [];
      if (may('events')) {
        try {
          const { data } = await api('GET', '/v1/tracked-instances/' + [org, app, party, guid].map(encodeURIComponent).join('/'));
          head.replaceChildren(h('p', {}, 'Tracking: ', h('strong', { text: data.status }), ' — ', signingState(data), ' ', chips(data)));
        } catch (e) { head.replaceChildren(h('p', { class: 'muted', text: e.status === 404 ? 'Not tracked.' : describeError(e) })); }
        const { data: dl } = await api('GET', '/v1/deliveries?limit=200&instance=' + encodeURIComponent(key));
        for (const d of dl.items.slice(0, 50)) {
          let attempts = [];
          try { attempts = (await api('GET', '/v1/deliveries/' + d.id)).data.attemptLog; } catch (e) { /* shown without */ }
          entries.push({ time: d.createdAt, kind: 'delivery', what: 'delivery #' + d.id + ' of ' + d.eventType + ' to ' + d.subscriptionId, outcome: d.status });
          for (const a of attempts) entries.push({ time: a.time, kind: 'attempt', what: 'delivery #' + d.id + ' attempt ' + a.number + (a.status ? ' → HTTP ' + a.status : '') + ' in ' + Math.round(a.latencyMicros / 1000) + ' ms', outcome: a.verdict });
        }
        // The instance's own events, by the feed's instance filter (served from an index, however long the feed).
        let after = 0;
        for (let page = 0; page < 10; page++) {
          const { data: events, headers } = await api('GET', '/v1/events?limit=1000&instance=' + encodeURIComponent(key) + '&after=' + after);
          for (const ev of events) {
            entries.push({ time: ev.time, kind: 'event', what: ev.type + (ev.subject ? ' (' + ev.subject + ')' : ''), outcome: 'id ' + String(ev.id).slice(0, 12) + '…' });
          }
          const next = Number(headers.get('Next-Cursor'));
          if (!events.length || !next || next === after) break;
          after = next;
        }
      } else notes.push('Events and deliveries need the events operation.');
      if (may('admin')) {
        const { data } = await api('GET', '/v1/audit?limit=1000&instance=' + encodeURIComponent(key));
        for (const r of data.records) {
          entries.push({ time: r.time, kind: 'call', seq: r.sequence,
            what: r.operation + ' by ' + (r.clientId || '—') + (r.upstreamMethod ? ' → ' + r.upstreamMethod + ' ' + (r.upstreamStatus || 'no answer') + ' in ' + Math.round(r.latencyMicros / 1000) + ' ms' : ''),
            outcome: r.outcome });
        }
      } else notes.push('Inbound and upstream calls come from the audit log, which needs the admin operation.');
      if (!live()) return;
      entries.sort((a, b) => new Date(a.time) - new Date(b.time));
      const rows = entries.map(e => h('tr', { class: 'kind-' + e.kind },
        h('td', { text: fmtTime(e.time) }), h('td', { text: e.kind }), h('td', { text: e.what }), h('td', { text: e.outcome }),
        h('td', {}, e.seq ? h('a', { href: '#audit?instance=' + encodeURIComponent(key), text: 'audit #' + e.seq }) : '')));
      timeline.replaceChildren(entries.length ? table(['Time', 'Kind', 'What', 'Outcome', 'Record'], rows) : h('p', { text: 'Nothing recorded for this instance yet.' }),
        notes.map(n => h('p', { class: 'muted', text: n })));
    }
    await load();
    poll(load);
  }

  // Subscribers: health counts, rotate secret (shown once), replay since, enable/disable, create.
  async function subscribersPage(container, _, __, live) {
    container.append(h('h1', { text: 'Subscribers' }));
    if (!may('events')) { container.append(h('p', { text: 'Subscriptions need the events operation, which client ' + session.clientId + ' lacks.' })); return; }
    const secretBox = h('div', { id: 'secret-box' });
    const list = h('div');
    const url = h('input', { id: 'new-url', type: 'url', required: true, placeholder: 'https://erp.example/hooks', maxlength: '2000' });
    const description = h('input', { id: 'new-description', maxlength: '200' });
    const createForm = h('form', { class: 'filters', onsubmit: async e => {
      e.preventDefault();
      try {
        const { data } = await api('POST', '/v1/subscriptions', { url: url.value, description: description.value || undefined });
        showSecret(data.id, data.secret, 'created'); url.value = ''; description.value = ''; await load();
      } catch (err) { say(describeError(err)); }
    } }, h('label', { for: 'new-url' }, 'Subscriber URL', url), h('label', { for: 'new-description' }, 'Description', description),
      h('button', { type: 'submit', text: 'Add subscriber' }));
    container.append(secretBox, list, h('h2', { text: 'Add a subscriber' }), createForm);
    function showSecret(id, secret, what) {
      secretBox.replaceChildren(h('div', { class: 'secret', role: 'status' },
        h('p', {}, h('strong', { text: 'Secret of ' + id + ' (' + what + '). ' }), 'It is shown only now: copy it to the subscriber.'),
        h('p', {}, h('code', { id: 'new-secret', text: secret })),
        h('button', { type: 'button', class: 'secondary', text: 'I have copied it', onclick: () => secretBox.replaceChildren() })));
      secretBox.querySelector('button').focus();
    }
    async function load() {
      const [{ data }, { data: status }] = await Promise.all([api('GET', '/v1/subscriptions'), api('GET', '/v1/status')]);
      if (!live()) return;
      const counts = {};
      for (const c of (status.deliveries ? status.deliveries.bySubscription : [])) counts[c.subscriptionId] = c;
      const rows = data.items.map(s => {
        const c = counts[s.id] || {};
        const since = h('input', { type: 'datetime-local', id: 'since-' + s.id, 'aria-label': 'Replay events since (local time) for ' + s.id });
        const dead = c.dead || 0, recent = c.recent;
        const rate = recent && recent.attempts ? Math.round(100 * recent.delivered / recent.attempts) + '% of ' + recent.attempts +
          ' attempts delivered in ' + recent.windowHours + ' h' + (recent.lastFailure ? '; last failure ' + fmtTime(recent.lastFailure.at) +
          ' (' + recent.lastFailure.verdict + ')' : '') : 'no attempts in the last 24 h';
        return h('tr', { 'data-subscription': s.id },
          h('td', { class: 'mono', text: s.id }), h('td', { class: 'mono', text: s.url }), h('td', { text: s.description || '' }),
          h('td', {}, s.enabled ? h('span', { class: 'ok', text: 'enabled' }) : h('span', { class: 'bad', text: 'disabled' + (s.disabledReason ? ': ' + s.disabledReason : '') })),
          h('td', { text: rate + '; ' + (c.pending || 0) + ' pending, ' + dead + ' dead' }),
          h('td', {}, h('div', { class: 'row-actions' },
            h('button', { type: 'button', class: 'rotate', text: 'Rotate secret', onclick: async () => {
              if (!confirm('Rotate the secret of ' + s.id + '? The old one keeps signing for the grace period.')) return;
              try { const { data: r } = await api('POST', '/v1/subscriptions/' + encodeURIComponent(s.id) + '/rotate-secret'); showSecret(s.id, r.secret, 'rotated'); }
              catch (err) { say(describeError(err)); }
            } }),
            h('button', { type: 'button', class: 'secondary toggle', text: s.enabled ? 'Disable' : 'Enable', onclick: async () => {
              try { await api('PATCH', '/v1/subscriptions/' + encodeURIComponent(s.id), { enabled: !s.enabled }); await load(); }
              catch (err) { say(describeError(err)); }
            } }),
            since,
            h('button', { type: 'button', class: 'secondary replay', text: 'Replay since', onclick: async () => {
              const t = toRFC3339(since.value);
              if (!t) { say('Choose the time to replay from.'); since.focus(); return; }
              try { const { data: r } = await api('POST', '/v1/subscriptions/' + encodeURIComponent(s.id) + '/replay?since=' + encodeURIComponent(t)); say(r.deliveries + ' deliveries queued for ' + s.id + '.', true); await load(); }
              catch (err) { say(describeError(err)); }
            } }))));
      });
      list.replaceChildren(rows.length ? table(['Id', 'URL', 'Description', 'State', 'Health', 'Actions'], rows) : h('p', { text: 'No subscribers.' }));
    }
    await load();
  }

  // Dead letters: grouped by subscription and cause, retry one or all.
  async function deadLettersPage(container, _, __, live) {
    container.append(h('h1', { text: 'Dead letters' }));
    if (!may('events')) { container.append(h('p', { text: 'Deliveries need the events operation, which client ' + session.clientId + ' lacks.' })); return; }
    const body = h('div', { id: 'dead-letters' });
    container.append(body);
    async function retry(ids) {
      let done = 0;
      for (const id of ids) {
        try { await api('POST', '/v1/deliveries/' + id + '/retry'); done++; } catch (err) { say(describeError(err)); break; }
      }
      if (done) say(done + ' deliver' + (done === 1 ? 'y' : 'ies') + ' queued again.', true);
      await load();
    }
    async function load() {
      const { data } = await api('GET', '/v1/deliveries?status=dead&limit=1000');
      if (!live()) return;
      if (!data.items.length) { body.replaceChildren(h('p', { id: 'no-dead', text: 'No dead letters.' })); return; }
      const groups = new Map();
      for (const d of data.items) {
        const cause = d.lastVerdict === 'client_error' || d.lastVerdict === 'gone' ? 'subscriber misconfiguration (' + d.lastVerdict + ')' : 'system failure (' + (d.lastVerdict || 'unknown') + ')';
        const k = d.subscriptionId + ' — ' + cause;
        if (!groups.has(k)) groups.set(k, []);
        groups.get(k).push(d);
      }
      const parts = [h('p', {}, h('button', { type: 'button', id: 'retry-all', text: 'Retry all (' + data.items.length + ')', onclick: () => retry(data.items.map(d => d.id)) }))];
      for (const [k, items] of groups) {
        parts.push(h('h2', { text: k + ': ' + items.length }));
        parts.push(table(['Delivery', 'Event', 'Instance', 'Attempts', 'Last status', 'Since', ''], items.map(d => {
          const [o, a, , p, g] = d.instance.split('/');
          return h('tr', { 'data-delivery': String(d.id) },
            h('td', { text: '#' + d.id }), h('td', { text: d.eventType }),
            h('td', { class: 'mono' }, g ? h('a', { href: storyLink({ app: o + '/' + a, partyId: p, instanceGuid: g }), text: p + '/' + g }) : d.instance),
            h('td', { text: String(d.attempts) }), h('td', { text: d.lastStatus === null ? 'no answer' : String(d.lastStatus) }),
            h('td', { text: fmtTime(d.updatedAt) }),
            h('td', {}, h('button', { type: 'button', class: 'secondary retry', text: 'Retry', 'aria-label': 'Retry delivery ' + d.id, onclick: () => retry([d.id]) })));
        })));
      }
      body.replaceChildren(...parts);
    }
    await load();
    poll(load);
  }

  // Audit: search, verify, export.
  async function auditPage(container, _, params, live) {
    container.append(h('h1', { text: 'Audit log' }));
    if (!may('admin')) { container.append(h('p', { text: 'The audit log needs the admin operation, which client ' + session.clientId + ' lacks.' })); return; }
    const fields = {
      from: h('input', { type: 'datetime-local', id: 'audit-from', step: '1' }), until: h('input', { type: 'datetime-local', id: 'audit-until', step: '1' }),
      clientId: h('input', { id: 'audit-client', maxlength: '256' }), instance: h('input', { id: 'audit-instance', maxlength: '256', placeholder: 'org/app/instances/party/guid' }),
      operation: h('input', { id: 'audit-operation', maxlength: '256', placeholder: 'sign', list: 'audit-operations' }),
      outcome: h('input', { id: 'audit-outcome', maxlength: '256', placeholder: 'succeeded' }),
    };
    for (const k of ['clientId', 'instance', 'operation', 'outcome']) if (params.get(k)) fields[k].value = params.get(k);
    const ops = h('datalist', { id: 'audit-operations' }, ['sign', 'processNext', 'reject', 'signingState', 'signatures', 'trackerProcessNext', 'tracking.start', 'tracking.stop',
      'subscription.create', 'subscription.update', 'subscription.delete', 'subscription.rotateSecret', 'subscription.replay', 'delivery.retry', 'console.signIn', 'console.signOut', 'refused'].map(o => h('option', { value: o })));
    const result = h('div', { id: 'audit-result' }); const pager = h('div', { class: 'pager' }); const verifyOut = h('p', { id: 'verify-result', role: 'status' });
    const cursors = [0];
    function query() {
      const q = new URLSearchParams();
      for (const k of ['from', 'until']) {
        if (!fields[k].value) continue;
        const t = toRFC3339(fields[k].value);
        if (!t) throw new ApiError(400, { detail: k + ' is not a valid time.' });
        q.set(k, t);
      }
      for (const k of ['clientId', 'instance', 'operation', 'outcome']) if (fields[k].value.trim()) q.set(k, fields[k].value.trim());
      return q;
    }
    async function search() {
      try {
        const q = query(); q.set('limit', '100'); q.set('after', String(cursors[cursors.length - 1]));
        const { data, headers } = await api('GET', '/v1/audit?' + q.toString());
        if (!live()) return;
        say('');
        const next = headers.get('Next-Cursor');
        const rows = data.records.map(r => h('tr', { id: 'audit-' + r.sequence },
          h('td', { text: String(r.sequence) }), h('td', { text: fmtTime(r.time) }), h('td', { text: r.clientId || '—' }),
          h('td', { text: r.operation }), h('td', { class: 'mono', text: r.instance || '' }),
          h('td', { text: r.upstreamStatus === null ? '' : String(r.upstreamStatus) }), h('td', { text: Math.round(r.latencyMicros / 1000) + ' ms' }),
          h('td', { text: r.outcome }), h('td', { class: 'mono', text: r.hash.slice(0, 12) + '…' })));
        result.replaceChildren(rows.length ? table(['#', 'Time', 'Client', 'Operation', 'Instance', 'Upstream', 'Latency', 'Outcome', 'Hash'], rows) : h('p', { text: 'No records match.' }));
        pager.replaceChildren(
          cursors.length > 1 ? h('button', { type: 'button', class: 'secondary', text: 'First page', onclick: () => { cursors.length = 1; search(); } }) : null,
          next ? h('button', { type: 'button', class: 'secondary', text: 'Next page', onclick: () => { cursors.push(next); search(); } }) : null);
      } catch (e) { result.replaceChildren(errorBox(e)); pager.replaceChildren(); }
    }
    async function exportAll() {
      try {
        const q = query(); q.set('limit', '1000');
        const lines = []; let after = 0;
        for (let page = 0; page < 100; page++) {
          q.set('after', String(after));
          const { data, headers } = await api('GET', '/v1/audit?' + q.toString());
          for (const r of data.records) lines.push(JSON.stringify(r));
          if (!headers.get('Next-Cursor')) break;
          after = headers.get('Next-Cursor');
        }
        const blob = new Blob([lines.join('\n') + (lines.length ? '\n' : '')], { type: 'application/x-ndjson' });
        const a = h('a', { href: URL.createObjectURL(blob), download: 'audit.jsonl' });
        document.body.append(a); a.click(); a.remove();
        say(lines.length + ' records exported as audit.jsonl.', true);
      } catch (e) { say(describeError(e)); }
    }
    async function verify() {
      verifyOut.textContent = 'Verifying…';
      try {
        const { data: v } = await api('GET', '/v1/audit/verify');
        verifyOut.className = v.intact ? 'ok' : 'bad';
        verifyOut.textContent = v.intact ? 'Chain intact: ' + v.records + ' records, ' + v.checkpointsMatched + ' signed checkpoint(s) matched.' : 'Chain BROKEN at record ' + v.brokenAt + ': ' + v.reason;
      } catch (e) { verifyOut.className = 'bad'; verifyOut.textContent = describeError(e); }
    }
    const form = h('form', { class: 'filters', id: 'audit-form', onsubmit: e => { e.preventDefault(); cursors.length = 1; search(); } },
      h('label', { for: 'audit-from' }, 'From', fields.from), h('label', { for: 'audit-until' }, 'Until', fields.until),
      h('label', { for: 'audit-client' }, 'Client', fields.clientId), h('label', { for: 'audit-instance' }, 'Instance', fields.instance),
      h('label', { for: 'audit-operation' }, 'Operation', fields.operation), h('label', { for: 'audit-outcome' }, 'Outcome', fields.outcome),
      h('button', { type: 'submit', id: 'audit-search', text: 'Search' }));
    container.append(form, ops, h('p', { class: 'row-actions' },
      h('button', { type: 'button', class: 'secondary', id: 'audit-verify', text: 'Verify chain', onclick: verify }),
      h('button', { type: 'button', class: 'secondary', id: 'audit-export', text: 'Export (JSON Lines)', onclick: exportAll })), verifyOut, result, pager);
    await search();
  }

  // ---- start ----
  (async function start() {
    try {
      session = (await api('GET', '/console/session')).data;
    } catch (e) { say(describeError(e)); return; }
    window.addEventListener('hashchange', () => { say(''); route(); });
    await route();
  })();
})();
