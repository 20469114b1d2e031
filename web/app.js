// Tally dashboard (issue 8, docs/dashboard.md). Plain JavaScript, no dependencies, no build
// step. It reads the HTTP API of the server that serves it (docs/api.md) with the token or
// key the person gives it; the page itself holds no data.
//
// Amounts are shown from the API's decimal strings and summed as BigInt micro-credits: no
// binary floats touch a credit. The DOM is built with textContent only (no innerHTML), and the
// Content-Security-Policy allows no inline script or style.
'use strict';

(() => {
  const k_entries_page = 1000;     // the API's page size maximum
  const k_entry_pages_max = 50;    // history loaded at most (50,000 lines)
  const k_history_step = 50;       // lines shown per "Show older"
  const k_warn_days = 14;          // "expires in N days" from this close
  const k_usage_days = 30;
  const k_holds_shown_max = 20;
  const k_day_ms = 86400000;

  const state = {
    secret: null,   // the token or key, kept in memory (a token also in sessionStorage)
    kind: null,     // 'user' (an end-user token) or 'key' (admin or service key)
    account: null,  // the account shown
    member: null,   // the team member a token acts as (a v3 token), else null
    team: null,     // a team account's {members, budgets, me}; null for a personal account
    history: null,  // the operations the member and project filters asked the server for
    now: null,      // the server's time (from /balance), ISO string
    entries: [],
    operations: [],  // the history by operation (GET …/entries?group=operation)
    shown: k_history_step,
    plans: new Map(),
  };

  const $ = (id) => document.getElementById(id);

  // h('td', {class: 'num'}, 'text', child...): an element; attributes set with setAttribute.
  function h(tag, attrs, ...kids) {
    const svg = ['svg', 'rect', 'text', 'g', 'title', 'line'].includes(tag);
    const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag)
                   : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  // --- Numbers and time -------------------------------------------------------------------

  // "12345.5" -> "12,345.5"; "-6" -> "−6"; sign '+' added when `signed`.
  function fmt(amount, signed) {
    if (amount === null || amount === undefined) return '–';
    let s = String(amount);
    const neg = s.startsWith('-');
    if (neg) s = s.slice(1);
    const [int, frac] = s.split('.');
    const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    const body = frac ? `${grouped}.${frac}` : grouped;
    if (neg) return `−${body}`;
    return signed && body !== '0' ? `+${body}` : body;
  }

  // BigInt micro-credits -> decimal string of credits ("12.5").
  function microStr(micro) {
    const neg = micro < 0n;
    const m = neg ? -micro : micro;
    const int = m / 1000000n;
    let frac = (m % 1000000n).toString().padStart(6, '0').replace(/0+$/, '');
    return `${neg ? '-' : ''}${int}${frac ? '.' + frac : ''}`;
  }

  const micro = (v) => BigInt(v ?? 0);
  // "1 credit", "12.5 credits".
  const credits = (amount) => `${fmt(amount)} credit${String(amount) === '1' ? '' : 's'}`;

  // ISO 8601 durations of the catalog in words: "P12M" -> "12 months"; fixed lengths come as
  // seconds ("PT2592000S" -> "30 days") and read in whole days or hours when they are.
  function fmtDuration(d) {
    const s = /^PT(\d+)S$/.exec(d ?? '');
    if (s) {
      const n = Number(s[1]);
      if (n % 86400 === 0) return `${n / 86400} day${n === 86400 ? '' : 's'}`;
      if (n % 3600 === 0) return `${n / 3600} hour${n === 3600 ? '' : 's'}`;
      return d;
    }
    const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/.exec(d ?? '');
    if (!m) return d ?? '–';
    const parts = [];
    ['year', 'month', 'week', 'day'].forEach((unit, i) => {
      const n = Number(m[i + 1] ?? 0);
      if (n) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
    });
    return parts.join(' ') || d;
  }

  const dateFmt = new Intl.DateTimeFormat('en-GB',
    {timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric'});
  const timeFmt = new Intl.DateTimeFormat('en-GB',
    {timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit',
     minute: '2-digit'});
  const fmtDate = (iso) => (iso ? dateFmt.format(new Date(iso)) : 'never');
  const fmtTime = (iso) => `${timeFmt.format(new Date(iso))} UTC`;

  // Whole days from the server's now to `iso`, rounded up ("expires in 3 days").
  function daysUntil(iso) {
    return Math.ceil((Date.parse(iso) - Date.parse(state.now)) / k_day_ms);
  }
  function inDays(days) {
    if (days <= 0) return 'expires today';
    if (days === 1) return 'expires tomorrow';
    return `expires in ${days} days`;
  }

  // --- API --------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, type, detail) {
      super(detail);
      this.status = status;
      this.type = type;
    }
  }

  function idempotencyKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return 'web-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  async function api(path, {method = 'GET', body, idempotent = false} = {}) {
    const headers = {};
    if (state.secret) headers.Authorization = `Bearer ${state.secret}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotent) headers['Idempotency-Key'] = idempotencyKey();
    let res;
    try {
      res = await fetch(path, {method, headers, cache: 'no-store',
                               body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (e) {
      throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection ' +
                                       'and try again.');
    }
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* not JSON: reported below */ }
    if (!res.ok) {
      throw new ApiError(res.status, json?.type ?? 'error', json?.detail ?? `HTTP ${res.status}`);
    }
    return json;
  }

  const enc = encodeURIComponent;

  // End-user tokens read as v2.<expires_s>.<issued_us>.<id>.<hex of the account id>.<signature>
  // (src/server/auth_tokens.cc; v1.<expires_s>.<hex account>.<signature> before tokens had ids;
  // v3 is v2 and then .<hex of the team member it acts as>): the account they read, and the
  // member, are in the token, signed; the server checks it. {account, member} or null.
  function tokenParts(token) {
    const m = /^(?:v1\.\d+|v[23]\.\d+\.\d+\.[0-9a-f]+)\.((?:[0-9a-f]{2})+)(?:\.((?:[0-9a-f]{2})+))?\.[0-9a-f]+$/
      .exec(token);
    if (!m || (m[2] !== undefined) !== token.startsWith('v3.')) return null;
    const text = (hex) => new TextDecoder('utf-8', {fatal: true})
      .decode(new Uint8Array(hex.match(/../g).map((x) => parseInt(x, 16))));
    try {
      return {account: text(m[1]), member: m[2] === undefined ? null : text(m[2])};
    } catch (e) {
      return null;
    }
  }

  // --- Messages ---------------------------------------------------------------------------

  function showMessage(text, info) {
    const m = $('message');
    m.textContent = text;
    m.classList.toggle('info', !!info);
    m.hidden = !text;
  }

  // A person's words for an API error on signing in or reading.
  function explain(err) {
    if (!(err instanceof ApiError)) return `Something went wrong: ${err.message}`;
    if (err.status === 401) {
      return state.kind === 'user'
        ? `This link is not valid or has expired (${err.message}). Ask for a new link.`
        : `This key is not valid (${err.message}).`;
    }
    if (err.type === 'editing_not_allowed') return `Not allowed: ${err.message}.`;
    if (err.status === 403) {
      return state.kind === 'user' ? `This link does not open that account (${err.message}).`
                                   : `This key may not do that (${err.message}).`;
    }
    if (err.status === 404 && err.type === 'not_found') return `Not found: ${err.message}.`;
    return err.message;
  }

  function setStatus(text, bad) {
    const s = $('op-result');
    s.textContent = text;
    s.classList.toggle('bad', !!bad);
  }

  // --- Views ------------------------------------------------------------------------------

  function showView() {
    const signedIn = state.secret !== null;
    $('signin').hidden = signedIn;
    $('signout').hidden = !signedIn;
    $('operator').hidden = state.kind !== 'key';
    $('operator-actions').hidden = !(state.kind === 'key' && state.account);
    $('account').hidden = !state.account;
    $('summary').hidden = !state.account;
  }

  function signOut() {
    sessionStorage.removeItem('tally.token');
    Object.assign(state, {secret: null, kind: null, account: null, member: null, team: null,
                          history: null, entries: [], operations: [], now: null});
    showMessage('');
    showView();
    $('secret').value = '';
    $('secret').focus();
  }

  async function signIn(secret) {
    secret = secret.trim();
    showMessage('');
    state.secret = secret;
    if (/^v[123]\./.test(secret)) {
      state.kind = 'user';
      const parts = tokenParts(secret);
      if (!parts) {
        state.secret = null;
        showView();
        showMessage('This link is not valid: the token is malformed. Ask for a new link.');
        return;
      }
      sessionStorage.setItem('tally.token', secret);
      state.member = parts.member;
      await openAccount(parts.account);
      return;
    }
    state.kind = 'key';
    try {
      // Any authenticated read tells a good key (404: no such hold) from a bad one (401).
      await api('/v1/holds/0');
    } catch (err) {
      if (err.status === 401 || err.status === 0) {
        const text = explain(err);
        state.secret = null;
        state.kind = null;
        showView();
        showMessage(text);
        return;
      }
    }
    showView();
    await Promise.all([renderWebhooks(), renderOverview()]);
    $('find-id').focus();
  }

  // As the operator types the start of an id, the accounts that start with it (at most 10,
  // GET /v1/accounts?prefix=) are offered: nobody has to know an exact id.
  async function suggestAccounts() {
    const prefix = $('find-id').value.trim();
    const list = $('find-suggestions');
    if (!prefix || state.kind !== 'key' || !/^[A-Za-z0-9._:@+~-]{1,128}$/.test(prefix)) {
      list.replaceChildren();
      return;
    }
    try {
      const page = await api(`/v1/accounts?prefix=${enc(prefix)}&limit=10`);
      if ($('find-id').value.trim() !== prefix) return;  // typed on since: a newer one follows
      list.replaceChildren(...page.accounts.map((a) => {
        const option = document.createElement('option');
        option.value = a.id;
        return option;
      }));
    } catch (err) {
      list.replaceChildren();  // e.g. a worker key may not list accounts: no suggestions
    }
  }

  // A read the credential may not make (403: a team member's or viewer's token asking for the
  // alerts or the auto top-up) answers `forbidden`; any other failure null: shown as "–".
  const forbidden = Symbol('forbidden');
  const unlessForbidden = (p) => p.catch((err) => (err.status === 403 ? forbidden : null));

  async function openAccount(id) {
    try {
      const [account, balance, entries, operations, alerts, topup, forecast] = await Promise.all([
        api(`/v1/accounts/${enc(id)}`),
        api(`/v1/accounts/${enc(id)}/balance`),
        loadEntries(id),
        loadEntries(id, {group: 'operation'}),
        unlessForbidden(api(`/v1/accounts/${enc(id)}/alerts`)),
        unlessForbidden(api(`/v1/accounts/${enc(id)}/auto_topup`)),
        unlessForbidden(api(`/v1/accounts/${enc(id)}/forecast`)),
      ]);
      const team = account.kind === 'team' ? await loadTeam(id) : null;
      // Both refused: this credential reads no settings; the part is hidden, not an error.
      $('alerts-part').hidden = alerts === forbidden && topup === forbidden;
      state.alerts = alerts === forbidden ? null : alerts;
      state.topup = topup === forbidden ? null : topup;
      state.account = id;
      state.now = balance.as_of;
      state.entries = entries;
      state.operations = operations;
      state.forecast = forecast === forbidden ? null : forecast;
      state.team = team;
      state.history = null;
      state.shown = k_history_step;
      renderAccount(account);
      showView();
      if (state.kind === 'key') await renderHolds();
    } catch (err) {
      const text = explain(err);
      if (state.kind === 'user') {
        sessionStorage.removeItem('tally.token');
        state.secret = null;
        state.kind = null;
      }
      state.account = null;
      showView();
      showMessage(text);
    }
  }

  // The account's history; `filters` ({member, project, group}) are the server's own query
  // filters. With group 'operation', its operations (one per hold, capture, spend, …).
  async function loadEntries(id, filters = {}) {
    const out = [];
    let after = 0;
    const only = Object.entries(filters).filter(([, v]) => v)
      .map(([k, v]) => `&${k}=${enc(v)}`).join('');
    for (let page = 0; page < k_entry_pages_max; ++page) {
      const r = await api(`/v1/accounts/${enc(id)}/entries?limit=${k_entries_page}&after=${after}` +
                          only);
      out.push(...(filters.group === 'operation' ? r.operations : r.entries));
      if (r.next_after === null || r.next_after === undefined) break;
      after = r.next_after;
    }
    return out;
  }

  // A team account's members and budgets, as the credential may read them: all of them for a
  // key, the account's own token or an owner's or admin's; a member's or viewer's token is
  // answered only its own entry and the budgets that bind it (docs/api.md).
  async function loadTeam(id) {
    const [members, budgets] = await Promise.all([
      api(`/v1/accounts/${enc(id)}/members`),
      api(`/v1/accounts/${enc(id)}/budgets`),
    ]);
    const me = state.kind === 'user' && state.member
      ? members.members.find((m) => m.user === state.member) ?? null : null;
    return {members: members.members, budgets: budgets.budgets, me};
  }

  // --- The account ------------------------------------------------------------------------

  function renderAccount(a) {
    $('sum-available').textContent = fmt(a.balance.available);
    $('sum-held').textContent = fmt(a.balance.held);
    const plan = a.subscription?.plan ?? a.plan;
    $('sum-plan').textContent = plan ? (state.plans.get(plan)?.name ?? plan) : 'none';
    const sub = a.subscription;
    $('sum-renews').textContent = !sub ? '–'
      : sub.cancel_at_period_end ? `ends ${fmtDate(sub.period_end)}`
      : sub.state === 'past_due' ? 'payment due' : fmtDate(sub.period_end);
    $('account-title').textContent = a.kind === 'team' ? `Team ${a.id}`
      : state.kind === 'user' ? 'Your credits' : `Account ${a.id}`;
    const ne = a.next_expiry;
    $('next-expiry').textContent = ne
      ? `Next expiry: ${credits(ne.amount)} on ${fmtDate(ne.at)} (${inDays(daysUntil(ne.at))}).`
      : 'None of these credits expire.';
    renderLots(a.lots);
    renderTimeline(a.lots);
    renderJobs();
    renderUsage();
    renderForecast();
    renderAlerts(state.alerts, state.topup);
    renderTeam(a);
    renderFilters();
    renderHistory();
  }

  // --- The team view ----------------------------------------------------------------------

  // Whose view it is: "ana (member) of team studio", or everyone's for a key or the account's
  // own token.
  function whoseView(a) {
    const me = state.team.me;
    if (me) return `${me.user} (${me.role}) of team ${a.id}`;
    if (state.kind === 'key') return `Team ${a.id}: every member (operator view)`;
    return `Team ${a.id}: every member (the team's own link)`;
  }

  function renderTeam(a) {
    $('team').hidden = !state.team;
    $('team-filters').hidden = !state.team;
    if (!state.team) return;
    const {members, budgets} = state.team;
    $('team-whose').textContent = whoseView(a);
    const rows = members.map((m) => h('tr', {'data-member': m.user},
      h('td', {'data-label': 'Member'}, m.user),
      h('td', {'data-label': 'Role'}, h('span', {class: 'tag'}, m.role)),
      h('td', {'data-label': 'Budgets'},
        budgets.filter((b) => b.member === m.user).map((b) => b.id).join(', ') || '–'),
      h('td', {'data-label': 'Member since'}, fmtDate(m.added_at))));
    if (!rows.length) rows.push(h('tr', {}, h('td', {colspan: 4}, 'No members.')));
    $('members').tBodies[0].replaceChildren(...rows);
    renderBudgets(budgets);
    renderProjects(budgets);
  }

  // Who a budget binds, in words: "ana", "project launch", "ana in project launch".
  function appliesTo(b) {
    if (b.member && b.project) return `${b.member} in project ${b.project}`;
    return b.member ?? `project ${b.project}`;
  }

  // One bar: the budget's usage in its period against its limit (past it: a soft budget's
  // crossing, drawn full and red).
  function budgetBar(b) {
    const width = 200, limit = micro(b.limit_micro), used = micro(b.used_micro);
    const over = used > limit;
    const w = limit === 0n || over ? width
      : Math.round(Number((used * 1000n) / limit) * width / 1000);
    const label = `${fmt(b.used)} of ${fmt(b.limit)} used`;
    return h('svg', {class: 'budget', role: 'img', 'aria-label': label,
                     viewBox: `0 0 ${width} 16`, preserveAspectRatio: 'none'},
      h('title', {}, label),
      h('rect', {class: 'lane', x: 0, y: 0, width, height: 16, rx: 3}),
      h('rect', {class: `bar${over ? ' over' : ''}`, x: 0, y: 0, width: w, height: 16, rx: 3}));
  }

  function renderBudgets(budgets) {
    const rows = budgets.map((b) => h('tr', {'data-budget': b.id, class: b.exceeded ? 'exceeded' : null},
      h('td', {'data-label': 'Budget'}, b.id, ' ', h('span', {class: 'tag'}, b.mode)),
      h('td', {'data-label': 'Applies to'}, appliesTo(b)),
      h('td', {'data-label': 'Used of limit'}, budgetBar(b),
        b.exceeded ? h('span', {class: 'warn'}, 'over its limit') : null),
      h('td', {class: 'num', 'data-label': 'Used'}, fmt(b.used)),
      h('td', {class: 'num', 'data-label': 'Limit'}, fmt(b.limit)),
      h('td', {class: 'num', 'data-label': 'Left'}, fmt(b.left)),
      h('td', {'data-label': 'Period'},
        `${fmtDate(b.period_start)} – ${fmtDate(b.period_end)}`)));
    if (!rows.length) rows.push(h('tr', {}, h('td', {colspan: 7}, 'No budgets.')));
    $('budgets').tBodies[0].replaceChildren(...rows);
  }

  // The projects named by budgets and by the history loaded, with what the history used in each
  // (captures and spends less refunds).
  function renderProjects(budgets) {
    const projects = new Map();
    const of = (p) => projects.get(p) ?? projects.set(p, {budgets: [], lines: 0, used: 0n}).get(p);
    for (const b of budgets) if (b.project) of(b.project).budgets.push(b.id);
    for (const e of state.entries) {
      if (!e.project) continue;
      const p = of(e.project);
      p.lines += 1;
      if (['capture', 'spend', 'refund'].includes(e.kind)) {
        p.used -= micro(e.amount_micro) + micro(e.held_micro);
      }
    }
    const rows = [...projects.keys()].sort().map((name) => {
      const p = projects.get(name);
      return h('tr', {'data-project': name},
        h('td', {'data-label': 'Project'}, name),
        h('td', {'data-label': 'Budgets'}, p.budgets.join(', ') || '–'),
        h('td', {class: 'num', 'data-label': 'Lines in the history'}, String(p.lines)),
        h('td', {class: 'num', 'data-label': 'Credits used (history)'}, fmt(microStr(p.used))));
    });
    if (!rows.length) rows.push(h('tr', {}, h('td', {colspan: 4}, 'No projects yet.')));
    $('projects').tBodies[0].replaceChildren(...rows);
  }

  // The member and project filters ask the server (GET …/entries?member=&project=); the tool
  // and source filters then apply in the page.
  async function filterByTeam() {
    const member = $('filter-member').value, project = $('filter-project').value;
    const account = state.account;
    try {
      const history = member || project
        ? await loadEntries(account, {member, project, group: 'operation'}) : null;
      if (state.account !== account || $('filter-member').value !== member ||
          $('filter-project').value !== project) return;  // changed since: a newer one follows
      state.history = history;
      state.shown = k_history_step;
      renderHistory();
      $('history').dataset.query = `${member}|${project}`;  // what the rows answer
    } catch (err) {
      showMessage(explain(err));
    }
  }

  // The alert settings in force and the automatic top-up (docs/events.md); "–" when the
  // credential may not read them.
  function renderAlerts(alerts, topup) {
    const whose = (from) => (from === 'account' ? 'set for this account' : 'from the plan');
    $('alert-low').textContent = !alerts ? '–' : alerts.low_balance
      ? `when fewer than ${credits(alerts.low_balance)} are available (${whose(alerts.low_balance_from)})`
      : 'off';
    $('alert-notice').textContent = !alerts ? '–' : alerts.expiring_notice
      ? `${fmtDuration(alerts.expiring_notice)} before credits expire (${whose(alerts.expiring_notice_from)})`
      : 'off';
    let t = '–';
    if (topup && !topup.enabled) t = 'off';
    if (topup?.enabled) {
      const price = topup.price === null ? 'no longer sold in this currency'
        : `${topup.currency} ${topup.price}`;
      t = `buys pack ${topup.pack} (${credits(topup.credits ?? '0')}, ${price}) when fewer than ` +
          `${credits(topup.below)} are available`;
      if (topup.request) {
        t += `; a top-up is waiting for payment until ${fmtTime(topup.request.expires_at)}`;
      } else if (topup.retry_at) {
        t += `; the last payment did not go through, tried again ${fmtTime(topup.retry_at)}`;
      }
    }
    $('alert-topup').textContent = t;
    renderSettings(alerts, topup);
  }

  // The form that changes them, shown when the credential may (`editable` in the API's answers:
  // a key, or an end-user token when the platform allows it, docs/api.md). The fields start
  // with the account's own settings ("empty: the plan's").
  function renderSettings(alerts, topup) {
    const alertsOn = !!alerts?.editable, topupOn = !!topup?.editable;
    $('settings-panel').hidden = !alertsOn && !topupOn;
    $('settings-alerts').hidden = !alertsOn;
    $('settings-topup').hidden = !topupOn;
    if (state.kind === 'user') $('settings-panel').open = true;
    if (alertsOn) {
      $('settings-low').value = alerts.low_balance_from === 'account'
        ? (alerts.low_balance ?? '0') : '';
      const days = /^P(\d+)D$/.exec(alerts.expiring_notice ?? '');
      $('settings-notice').value = alerts.expiring_notice_from !== 'account' ? ''
        : alerts.expiring_notice === null ? '0' : days ? days[1] : '';
    }
    if (topupOn) {
      const packs = state.packs ?? [];
      $('settings-pack').replaceChildren(...packs.map((p) =>
        h('option', {value: p.id, selected: p.id === topup.pack}, p.name ?? p.id)));
      $('settings-topup-on').checked = topup.enabled;
      $('settings-below').value = topup.enabled ? topup.below : '';
      $('settings-currency').value = topup.enabled ? topup.currency
        : (packs[0]?.prices?.[0]?.currency ?? '');
    }
  }

  async function saveSettings(form) {
    const result = $('settings-result');
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    result.classList.remove('bad');
    result.textContent = 'Saving…';
    const id = enc(state.account);
    try {
      if (!$('settings-alerts').hidden) {
        const low = form.low.value.trim(), notice = form.notice.value.trim();
        await api(`/v1/accounts/${id}/alerts`, {method: 'PUT', idempotent: true, body: {
          low_balance: low === '' ? null : low,
          expiring_notice: notice === '' ? null : notice === '0' ? 'PT0S' : `P${notice}D`,
        }});
      }
      if (!$('settings-topup').hidden) {
        if (form.topup.checked) {
          await api(`/v1/accounts/${id}/auto_topup`, {method: 'PUT', idempotent: true, body: {
            below: form.below.value.trim(), pack: form.pack.value,
            currency: form.currency.value.trim(),
          }});
        } else if (state.topup?.enabled) {
          await api(`/v1/accounts/${id}/auto_topup`, {method: 'DELETE', idempotent: true});
        }
      }
      await openAccount(state.account);
      $('settings-result').textContent = 'Saved.';
    } catch (err) {
      result.textContent = explain(err);
      result.classList.add('bad');
    } finally {
      button.disabled = false;
    }
  }

  function renderLots(lots) {
    const rows = lots.map((l) => {
      const days = l.expires_at ? daysUntil(l.expires_at) : null;
      const warn = days !== null && days <= k_warn_days && !l.voided
        ? h('span', {class: 'warn'}, inDays(days)) : null;
      return h('tr', {class: l.voided ? 'voided' : null, 'data-lot': l.id},
        h('td', {'data-label': 'Source'}, h('span', {class: 'tag'}, l.source)),
        h('td', {'data-label': 'Reason'}, l.reason || '–', l.voided ? ' (voided)' : ''),
        h('td', {class: 'num', 'data-label': 'Remaining'}, fmt(l.remaining)),
        h('td', {class: 'num', 'data-label': 'Held'}, fmt(l.held)),
        h('td', {'data-label': 'Expires on'}, h('span', {}, fmtDate(l.expires_at), warn)));
    });
    if (!rows.length) rows.push(h('tr', {}, h('td', {colspan: 5}, 'No credits yet.')));
    $('lots').tBodies[0].replaceChildren(...rows);
  }

  // What expires when: remaining credits by expiry day, as a bar per day.
  function renderTimeline(lots) {
    const byDay = new Map();
    for (const l of lots) {
      if (!l.expires_at || l.voided) continue;
      const m = micro(l.remaining_micro) + micro(l.held_micro);
      if (m === 0n) continue;
      const day = l.expires_at.slice(0, 10);
      byDay.set(day, (byDay.get(day) ?? 0n) + m);
    }
    const days = [...byDay.keys()].sort();
    if (!days.length) {
      $('timeline').replaceChildren();
      return;
    }
    const bars = days.map((d) => ({label: fmtDate(d + 'T00:00:00Z'), micro: byDay.get(d)}));
    $('timeline').replaceChildren(h('h3', {class: 'note'}, 'What expires when'),
                                  barChart(bars, 'Credits expiring by day'));
  }

  // Open holds from the journal: a hold's held portions that no release or capture undid.
  function openHolds() {
    const holds = new Map();
    for (const e of state.entries) {
      if (!e.hold) continue;
      const h0 = holds.get(e.hold) ?? {id: e.hold, tool: e.tool, held: 0n, at: e.at};
      h0.held += micro(e.held_micro);
      if (e.kind === 'hold') h0.at = e.at;
      holds.set(e.hold, h0);
    }
    return [...holds.values()].filter((x) => x.held !== 0n);
  }

  function renderJobs() {
    const items = openHolds().map((x) => h('li', {'data-hold': x.id},
      `${credits(microStr(x.held))} held for ${x.tool ?? 'a job'} since ${fmtTime(x.at)}`));
    $('jobs').replaceChildren(...items);
  }

  // Credits used by tool (captures and spends, less refunds) over the last 30 days.
  function renderUsage() {
    const since = Date.parse(state.now) - k_usage_days * k_day_ms;
    const byTool = new Map();
    for (const e of state.entries) {
      if (!['capture', 'spend', 'refund'].includes(e.kind) || Date.parse(e.at) < since) continue;
      const tool = e.tool ?? 'unspecified';
      const used = -(micro(e.amount_micro) + micro(e.held_micro));
      byTool.set(tool, (byTool.get(tool) ?? 0n) + used);
    }
    const bars = [...byTool].filter(([, m]) => m > 0n).sort((a, b) => (b[1] > a[1] ? 1 : -1))
      .map(([tool, m]) => ({label: tool, micro: m}));
    if (!bars.length) {
      $('usage').replaceChildren(h('p', {class: 'note'}, 'No usage in the last 30 days.'));
      return;
    }
    const total = bars.reduce((s, b) => s + b.micro, 0n);
    $('usage').replaceChildren(barChart(bars, 'Credits used by tool, last 30 days'),
      h('p', {class: 'note'}, `${credits(microStr(total))} used in the last 30 days.`));
  }

  // A horizontal bar chart in inline SVG: one row per {label, micro}.
  function barChart(bars, title) {
    const row = 28, labelW = 120, valueW = 80, width = 440;
    const max = bars.reduce((m, b) => (b.micro > m ? b.micro : m), 1n);
    const barMax = width - labelW - valueW;
    const svg = h('svg', {class: 'chart', role: 'img', 'aria-label': title,
                          viewBox: `0 0 ${width} ${bars.length * row + 4}`},
                  h('title', {}, title));
    bars.forEach((b, i) => {
      const y = i * row + 2;
      const w = Math.max(2, Math.round(Number((b.micro * 1000n) / max) * barMax / 1000));
      svg.append(h('g', {},
        h('text', {x: 0, y: y + 18}, b.label),
        h('rect', {class: 'lane', x: labelW, y: y + 4, width: barMax, height: row - 10, rx: 3}),
        h('rect', {class: 'bar', x: labelW, y: y + 4, width: w, height: row - 10, rx: 3}),
        h('text', {x: labelW + barMax + 8, y: y + 18}, fmt(microStr(b.micro)))));
    });
    return svg;
  }

  // The balance forecast (GET …/forecast, docs/reports.md): for the trailing 7- and 30-day
  // rates, a line from today's available credits to the day they run out, in inline SVG. The
  // server computes when (lot by lot, in consumption order, what expires first); the line
  // between is drawn straight.
  function renderForecast() {
    const f = state.forecast;
    $('forecast-part').hidden = !f;
    if (!f) return;
    const now = Date.parse(f.as_of);
    const rates = f.rates.filter((r) => r.runs_out_at);
    const words = f.rates.map((r) => h('li', {'data-window': r.window_days},
      `At the ${r.window_days}-day rate (${credits(r.per_day)} a day): `,
      r.runs_out_at ? `runs out on ${fmtDate(r.runs_out_at)}` : 'does not run out',
      micro(r.expires_unused_micro) > 0n
        ? `; ${credits(r.expires_unused)} expire unused before then` : ''));
    if (!rates.length) {
      $('forecast').replaceChildren(h('ul', {}, words),
        h('p', {class: 'note'}, 'No use in the last 30 days: nothing to draw.'));
      return;
    }
    const width = 440, height = 160, left = 60, bottom = 24;
    const end = Math.max(...rates.map((r) => Date.parse(r.runs_out_at)));
    const x = (t) => left + (width - left - 10) * (t - now) / Math.max(end - now, 1);
    const top = 10, y0 = height - bottom;
    const title = `Available credits from ${fmt(f.available)} today to 0`;
    const svg = h('svg', {class: 'chart forecast', role: 'img', 'aria-label': title,
                          viewBox: `0 0 ${width} ${height}`}, h('title', {}, title),
      h('line', {class: 'axis', x1: left, y1: y0, x2: width - 10, y2: y0}),
      h('line', {class: 'axis', x1: left, y1: top, x2: left, y2: y0}),
      h('text', {x: 0, y: top + 10}, fmt(f.available)),
      h('text', {x: 0, y: y0}, '0'),
      h('text', {x: left, y: height - 4}, fmtDate(f.as_of)),
      h('text', {x: width - 110, y: height - 4}, fmtDate(new Date(end).toISOString())));
    for (const r of rates) {
      svg.append(h('line', {class: `rate rate-${r.window_days}`, 'data-window': r.window_days,
                            x1: left, y1: top, x2: x(Date.parse(r.runs_out_at)), y2: y0}));
    }
    $('forecast').replaceChildren(svg, h('ul', {}, words));
  }

  // --- Operator overview --------------------------------------------------------------------

  // The month the overview shows: the one typed, else this month (UTC) of the browser's clock.
  function overviewPeriod() {
    const month = $('overview-month').value || new Date().toISOString().slice(0, 7);
    const [year, m] = month.split('-').map(Number);
    const from = new Date(Date.UTC(year, m - 1, 1)).toISOString().replace('.000', '');
    const to = new Date(Date.UTC(year, m, 1)).toISOString().replace('.000', '');
    return {month, from, to};
  }

  // The finance report of a month for the operator (GET /v1/reports/finance): money received,
  // revenue recognized, deferred revenue and breakage, and free credits by source. A key that
  // may not read it (a read key) does not see the panel.
  async function renderOverview() {
    if (!$('overview-currency').options.length) {
      const packs = state.packs ?? (await api('/v1/packs')).packs;
      const currencies = [...new Set(packs.flatMap((p) => p.prices.map((x) => x.currency)))];
      $('overview-currency').replaceChildren(...currencies.map((c) => h('option', {value: c}, c)));
    }
    const {month, from, to} = overviewPeriod();
    $('overview-month').value = month;
    const currency = $('overview-currency').value || 'USD';
    let r;
    try {
      r = await api(`/v1/reports/finance?from=${enc(from)}&to=${enc(to)}&currency=${enc(currency)}`);
    } catch (err) {
      $('overview').hidden = true;
      return;
    }
    $('overview').hidden = false;
    const p = r.paid;
    const money = (name) => `${r.currency} ${p[name]} (${credits(p[`${name}_credits`])})`;
    const facts = [['received', 'Money received'], ['recognized', 'Revenue recognized'],
                   ['deferred_closing', 'Deferred revenue at the end'],
                   ['breakage', 'Breakage (paid credits expired unused)'],
                   ['refunded', 'Refunded (charge-backs)']];
    $('overview-money').replaceChildren(...facts.map(([name, label]) =>
      h('div', {'data-figure': name}, h('dt', {}, label), h('dd', {}, money(name)))));
    const rows = r.free.map((f) => h('tr', {'data-source': f.source},
      h('td', {'data-label': 'Source'}, f.source),
      ...['issued', 'consumed', 'expired', 'outstanding_closing'].map((k) =>
        h('td', {class: 'num', 'data-label': k}, fmt(f[k])))));
    if (!rows.length) rows.push(h('tr', {}, h('td', {colspan: 5}, 'No free credits.')));
    $('overview-free').tBodies[0].replaceChildren(...rows);
    await renderTopAccounts(from, to);
    $('overview').dataset.period = `${from}|${currency}`;  // what the figures answer
  }

  // The accounts that used most in the month (GET /v1/reports/top-accounts), each a link that
  // opens the account (the drill-down).
  async function renderTopAccounts(from, to) {
    const {accounts} = await api(`/v1/reports/top-accounts?from=${enc(from)}&to=${enc(to)}&limit=10`);
    const rows = accounts.map((u) => {
      const open = h('button', {type: 'button', class: 'quiet'}, u.account);
      open.addEventListener('click', () => {
        $('find-id').value = u.account;
        openAccount(u.account);
      });
      return h('tr', {'data-account': u.account}, h('td', {'data-label': 'Account'}, open),
               h('td', {class: 'num', 'data-label': 'Credits used'}, fmt(u.used)));
    });
    if (!rows.length) rows.push(h('tr', {}, h('td', {colspan: 2}, 'No use this month.')));
    $('top-accounts').tBodies[0].replaceChildren(...rows);
  }

  // --- History ----------------------------------------------------------------------------

  // What a line's amount column shows: the change of the available credits, or for a capture
  // (which moves only held credits) what left "held".
  function shownAmount(x) {
    const amount = micro(x.amount_micro), held = micro(x.held_micro);
    return amount === 0n && held !== 0n ? {value: held, note: ' held'} : {value: amount, note: ''};
  }

  // The history is the server's, by operation (docs/api.md "History by operation"): its
  // summaries are the one wording of what happened; the tool and source filters apply here.
  function filtered() {
    const tool = $('filter-tool').value, source = $('filter-source').value;
    return (state.history ?? state.operations).filter((op) => (!tool || op.tool === tool) &&
      (!source || op.portions.some((p) => p.source === source)));
  }

  function renderFilters() {
    const fill = (select, values) => {
      const keep = select.value;
      select.replaceChildren(h('option', {value: ''}, 'all'),
        ...[...values].sort().map((v) => h('option', {value: v}, v)));
      select.value = values.has(keep) ? keep : '';
    };
    fill($('filter-tool'), new Set(state.entries.map((e) => e.tool).filter(Boolean)));
    fill($('filter-source'), new Set(state.entries.map((e) => e.source)));
    // A team's: its members as this credential sees them, and its projects; a newly opened
    // account starts unfiltered (state.history is null).
    const team = state.team;
    fill($('filter-member'), new Set([...(team?.members ?? []).map((m) => m.user),
                                      ...state.entries.map((e) => e.member).filter(Boolean)]));
    fill($('filter-project'), new Set([...(team?.budgets ?? []).map((b) => b.project),
                                       ...state.entries.map((e) => e.project)].filter(Boolean)));
    if (state.history === null) $('filter-member').value = $('filter-project').value = '';
  }

  function amountCell(x) {
    const {value, note} = shownAmount(x);
    return h('td', {class: `num ${value < 0n ? 'neg' : value > 0n ? 'pos' : ''}`,
                    'data-label': 'Amount'}, fmt(microStr(value), true) + note);
  }

  // One operation's row, then (hidden until asked for) one row per lot portion under it.
  function operationRows(op) {
    const many = op.portions.length > 1;
    const toggle = many ? h('button', {type: 'button', class: 'quiet portions-toggle',
                                       'aria-expanded': 'false'},
                            `${op.portions.length} lots`) : null;
    const row = h('tr', {class: 'op', 'data-operation': op.operation, 'data-seq': op.first_seq,
                         'data-last-seq': op.last_seq, 'data-member': op.member,
                         'data-project': op.project},
      h('td', {'data-label': 'Time'}, h('time', {datetime: op.at}, fmtTime(op.at))),
      h('td', {'data-label': 'What happened'}, op.summary,
        op.member ? [' ', h('span', {class: 'tag'}, op.member)] : null,
        op.project ? [' ', h('span', {class: 'tag'}, `project ${op.project}`)] : null,
        toggle ? [' ', toggle] : null),
      h('td', {'data-label': 'Source or tool'},
        op.tool ? op.tool : h('span', {class: 'tag'}, op.source ?? 'several')),
      amountCell(op),
      h('td', {class: 'num', 'data-label': 'Balance after'}, fmt(op.balance_after)));
    if (!many) return [row];
    const portions = op.portions.map((e) => h('tr', {class: 'portion', 'data-seq': e.seq,
                                                     'data-kind': e.kind, hidden: true},
      h('td', {'data-label': 'Time'}),
      h('td', {'data-label': 'What happened'},
        `lot ${e.lot}: ${e.source} credits${e.reason ? ` (${e.reason})` : ''}`),
      h('td', {'data-label': 'Source or tool'}, h('span', {class: 'tag'}, e.source)),
      amountCell(e),
      h('td', {class: 'num', 'data-label': 'Balance after'}, fmt(e.balance_after))));
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      for (const p of portions) p.hidden = !open;
    });
    return [row, ...portions];
  }

  function renderHistory() {
    const list = filtered().reverse();  // newest first
    const rows = list.slice(0, state.shown).flatMap(operationRows);
    if (!rows.length) rows.push(h('tr', {}, h('td', {colspan: 5}, 'Nothing here yet.')));
    $('history').tBodies[0].replaceChildren(...rows);
    $('more').hidden = list.length <= state.shown;
  }

  // --- Operator ---------------------------------------------------------------------------

  async function renderHolds() {
    const ids = openHolds().slice(0, k_holds_shown_max).map((x) => x.id);
    if (!ids.length) {
      $('holds').replaceChildren(h('p', {class: 'note'}, 'No open holds.'));
      return;
    }
    const holds = await Promise.all(ids.map((id) => api(`/v1/holds/${enc(id)}`)
      .catch((err) => ({id, state: explain(err)}))));
    const rows = holds.map((x) => h('tr', {'data-hold': x.id},
      h('td', {}, x.id), h('td', {}, x.tool ?? '–'), h('td', {class: 'num'}, fmt(x.amount)),
      h('td', {}, x.state), h('td', {}, x.expires_at ? fmtTime(x.expires_at) : '–')));
    $('holds').replaceChildren(h('div', {class: 'scroll'}, h('table', {},
      h('thead', {}, h('tr', {}, ['Hold', 'Tool', 'Credits', 'State', 'Released on its own at']
        .map((t, i) => h('th', {scope: 'col', class: i === 2 ? 'num' : null}, t)))),
      h('tbody', {}, rows))));
  }

  const k_webhook_deliveries_shown = 5;

  // Webhook endpoints (GET /v1/webhooks, admin key) with their state and latest deliveries. A
  // key that may not list them (a service key: 403) does not see the panel.
  async function renderWebhooks() {
    let list;
    try {
      list = (await api('/v1/webhooks')).webhooks;
    } catch (err) {
      $('webhooks-panel').hidden = true;
      return;
    }
    $('webhooks-panel').hidden = false;
    if (!list.length) {
      $('webhooks').replaceChildren(h('p', {class: 'note'}, 'No webhook endpoints.'));
      return;
    }
    const logs = await Promise.all(list.map((w) =>
      api(`/v1/webhooks/${enc(w.id)}/deliveries?limit=${k_webhook_deliveries_shown}`)
        .then((r) => r.deliveries, () => [])));
    const attempt = (d) => h('li', {class: d.delivered ? null : 'bad'},
      `${fmtTime(d.at)} · ${d.event_type} · `,
      d.status === null ? d.error : `HTTP ${d.status}`, ` · ${d.latency_ms} ms`,
      d.redelivery ? ' · redelivery' : '');
    const stateOf = (w) => w.status === 'disabled'
      ? `disabled ${fmtTime(w.disabled_at)}: ${w.disabled_reason}`
      : w.status === 'failing'
        ? `failing since ${fmtTime(w.failing_since)} (${w.failures} in a row), next try ${fmtTime(w.next_attempt_at)}`
        : 'enabled';
    const rows = list.map((w, i) => h('tr', {'data-webhook': w.id},
      h('td', {'data-label': 'Endpoint'}, h('div', {}, w.url), h('div', {class: 'note'}, w.description || w.id)),
      h('td', {'data-label': 'Events'}, w.event_types.join(', ')),
      h('td', {'data-label': 'State', class: w.status === 'enabled' ? null : 'bad'}, stateOf(w)),
      h('td', {'data-label': 'Latest deliveries'}, logs[i].length
        ? h('ul', {class: 'deliveries'}, logs[i].map(attempt)) : 'none yet')));
    $('webhooks').replaceChildren(h('div', {class: 'scroll'}, h('table', {id: 'webhook-list', class: 'cards'},
      h('thead', {}, h('tr', {}, ['Endpoint', 'Events', 'State', 'Latest deliveries']
        .map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, rows))));
  }

  // Runs `fn` with the form's button disabled; reports the outcome in the status line.
  async function submitting(form, fn) {
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    setStatus('Working…');
    try {
      setStatus(await fn());
      return true;
    } catch (err) {
      setStatus(explain(err), true);
      return false;
    } finally {
      button.disabled = false;
    }
  }

  async function grant(form) {
    const body = {amount: form.amount.value.trim(), reason: form.reason.value.trim(),
                  source: form.source.value};
    if (form.expires.value) body.expires_at = `${form.expires.value}T23:59:59Z`;
    const ok = await submitting(form, async () => {
      const lot = await api(`/v1/accounts/${enc(state.account)}/grants`,
                            {method: 'POST', body, idempotent: true});
      return `Granted ${credits(lot.amount)} (lot ${lot.id}, ${lot.expires_at
        ? 'expires ' + fmtDate(lot.expires_at) : 'never expires'}).`;
    });
    if (ok) {
      form.reset();
      await refresh();
    }
  }

  async function voidPurchase(form) {
    const ok = await submitting(form, async () => {
      const r = await api(`/v1/purchases/${enc(form.purchase.value.trim())}/void`,
                          {method: 'POST', body: {reason: form.reason.value.trim()},
                           idempotent: true});
      return `Purchase ${r.purchase} voided: ${credits(r.voided)} removed, ` +
             `${fmt(r.consumed)} already used.`;
    });
    if (ok) {
      form.reset();
      await refresh();
    }
  }

  async function issueLink(form) {
    const days = Number(form.days.value);
    await submitting(form, async () => {
      const r = await api(`/v1/accounts/${enc(state.account)}/tokens`,
                          {method: 'POST', body: {ttl_s: days * 86400}});
      $('link-url').href = r.url;
      $('link-url').textContent = r.url;
      $('link-out').hidden = false;
      return `Link for ${r.account}, valid until ${fmtTime(r.expires_at)}.`;
    });
  }

  async function refresh() {
    const status = $('op-result').textContent;
    await openAccount(state.account);
    if (state.kind === 'key') $('op-result').textContent = status;
  }

  // --- Prices, plans, packs (public) ------------------------------------------------------

  async function loadPrices() {
    try {
      const [pricing, plans, packs] = await Promise.all([api('/v1/pricing'), api('/v1/plans'),
                                                          api('/v1/packs')]);
      for (const p of plans.plans) state.plans.set(p.id, p);
      state.packs = packs.packs;
      if (state.account) renderSettings(state.alerts, state.topup);  // the packs to choose
      renderPricing(pricing);
      renderPlans(plans.plans);
      renderPacks(packs.packs);
      if (state.account) $('sum-plan').textContent =
        state.plans.get($('sum-plan').textContent)?.name ?? $('sum-plan').textContent;
    } catch (err) {
      $('price-version').textContent = `The price table cannot be loaded: ${explain(err)}`;
    }
  }

  // The header's range and the pack table's "per credit" are the same figures (the server's
  // one computation: a pack's price over its credits, bonus credits not counted).
  function renderPricing(p) {
    const value = (p.credit_value ?? []).map((v) =>
      `${v.min === v.max ? v.min : v.min + '–' + v.max} ${v.currency}`).join(', ');
    $('price-version').textContent = `${p.name ?? 'Price book'} ${p.version}, in force since ` +
      `${fmtDate(p.effective_at)}.${value ? ' One credit costs ' + value + ' in packs ' +
        '(every pack and region; bonus credits come on top).' : ''}`;
    const upcoming = p.upcoming ?? [];
    $('price-upcoming').hidden = upcoming.length === 0;
    $('price-upcoming').textContent = upcoming.map((v) =>
      `Upcoming: ${v.name ?? 'price book'} ${v.version} takes effect on ${fmtDate(v.effective_at)}; ` +
      'the prices below stay in force until then.').join(' ');
    renderFairness(p.fairness);
    const tools = p.tools.map((t) => {
      const from = t.default_total === null ? 'price depends on the options'
        : `${credits(t.default_total)} per ${t.unit} with the defaults`;
      const params = t.params.map((q) => [
        h('dt', {}, q.name, q.detail ? h('span', {class: 'note'}, ` (${q.detail})`) : null),
        h('dd', {}, q.options.map((o) => `${o.name}: ${o.text}` + (o.included_in.length
          ? ` (included in ${o.included_in.map((x) => state.plans.get(x)?.name ?? x).join(', ')})`
          : '')).join(' · '))]);
      const extra = [];
      if (t.base !== null && t.base !== undefined) extra.push(`base ${fmt(t.base)}`);
      if (t.minimum && t.minimum !== '0') extra.push(`minimum ${fmt(t.minimum)}`);
      if (t.rounding) extra.push(`rounded ${t.rounding}`);
      return h('article', {class: 'tool', 'data-tool': t.id},
        h('h3', {}, t.name, ' ', h('span', {class: 'tag'}, t.id)),
        t.description ? h('p', {}, t.description) : null,
        h('p', {}, `${from}; ${extra.join(', ')}.`),
        params.length ? h('dl', {}, params) : null);
    });
    $('price-table').replaceChildren(...tools);
  }

  // The configuration scored against the fair-pricing checklist (`tally lint`, docs/lint.md).
  function renderFairness(f) {
    if (!f) return;
    const count = (o) => f.items.filter((i) => i.outcome === o).length;
    $('fairness-outcome').textContent = `Overall: ${f.outcome} (${count('pass')} pass, ` +
      `${count('warn')} warn, ${count('fail')} fail).`;
    $('fairness').replaceChildren(...f.items.map((i) =>
      h('li', {'data-item': i.id, 'data-outcome': i.outcome},
        h('span', {class: `outcome ${i.outcome}`}, i.outcome), `${i.title}: ${i.why}`)));
  }

  // What a claim grants today (the member boost and any season already applied), and why.
  function dailyReward(r) {
    const why = [];
    if (r.member_boost) why.push(`member boost ×${r.member_boost}`);
    if (r.season) why.push(`${r.season} season`);
    return `${fmt(r.amount)} a day` + (why.length ? ` (${why.join(', ')})` : '') +
      `, valid ${fmtDuration(r.validity)}`;
  }

  function renderPlans(plans) {
    const rows = plans.map((p) => h('tr', {'data-plan': p.id},
      h('th', {scope: 'row'}, p.name ?? p.id),
      h('td', {class: 'num'}, p.custom_allocation ? 'by contract' : fmt(p.allocation)),
      h('td', {}, p.period ?? '–'),
      h('td', {class: 'num'}, p.rollover_cap === '0' ? 'none (resets)' : fmt(p.rollover_cap)),
      h('td', {class: 'num'}, fmt(p.signup_grant)),
      h('td', {}, p.daily_reward ? dailyReward(p.daily_reward) : '–'),
      h('td', {}, p.purchase_bonus_percent ? `+${p.purchase_bonus_percent}%` : '–')));
    $('plans').tBodies[0].replaceChildren(...rows);
  }

  function renderPacks(packs) {
    const rows = packs.map((p) => h('tr', {'data-pack': p.id},
      h('th', {scope: 'row'}, p.name ?? p.id),
      h('td', {class: 'num'}, fmt(p.credits), p.bonus && p.bonus !== '0'
        ? ` + ${fmt(p.bonus)} bonus` : ''),
      // Bonus credits live in their own lot, often shorter than the credits bought.
      h('td', {}, (p.validity === 'never' ? 'never expires' : fmtDuration(p.validity)) +
        (p.bonus && p.bonus !== '0' && p.bonus_validity !== p.validity
          ? `; bonus ${p.bonus_validity === 'never' ? 'never expires'
            : fmtDuration(p.bonus_validity)}` : '')),
      h('td', {}, p.prices.map((x) => `${x.amount} ${x.currency}` +
        (x.region ? ` (${x.region})` : '')).join(' · ')),
      h('td', {}, p.prices.map((x) => `${x.per_credit} ${x.currency}` +
        (x.region ? ` (${x.region})` : '')).join(' · '))));
    $('packs').tBodies[0].replaceChildren(...rows);
  }

  // --- Start ------------------------------------------------------------------------------

  function tokenFromFragment() {
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get('token');
    if (token) {
      // Keep the token out of the address bar, bookmarks and screenshots.
      history.replaceState(null, '', location.pathname + location.search);
    }
    return token;
  }

  function start() {
    $('signin-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      signIn($('secret').value);
    });
    $('signout').addEventListener('click', signOut);
    let suggestTimer = null;
    $('find-id').addEventListener('input', () => {
      clearTimeout(suggestTimer);
      suggestTimer = setTimeout(suggestAccounts, 150);
    });
    $('find-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      setStatus('');
      $('link-out').hidden = true;
      openAccount($('find-id').value.trim());
    });
    $('grant-form').addEventListener('submit', (ev) => { ev.preventDefault(); grant(ev.target); });
    $('settings-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      saveSettings(ev.target);
    });
    $('webhooks-refresh').addEventListener('click', renderWebhooks);
    $('void-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      voidPurchase(ev.target);
    });
    $('link-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      issueLink(ev.target);
    });
    $('link-copy').addEventListener('click', () => {
      navigator.clipboard?.writeText($('link-url').href).then(() => setStatus('Link copied.'),
        () => setStatus('Copy the link by hand.', true));
    });
    for (const id of ['filter-tool', 'filter-source']) {
      $(id).addEventListener('change', () => {
        state.shown = k_history_step;
        renderHistory();
      });
    }
    for (const id of ['filter-member', 'filter-project']) {
      $(id).addEventListener('change', filterByTeam);
    }
    $('overview-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      renderOverview();
    });
    $('more').addEventListener('click', () => {
      state.shown += k_history_step;
      renderHistory();
    });
    window.addEventListener('hashchange', () => {
      const token = tokenFromFragment();
      if (token) signIn(token);
    });

    const prices = loadPrices();
    const token = tokenFromFragment() ?? sessionStorage.getItem('tally.token');
    const ready = token ? signIn(token) : Promise.resolve(showView());
    Promise.all([prices, ready]).then(() => document.body.setAttribute('data-ready', 'true'));
  }

  start();
})();
