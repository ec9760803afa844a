/**
 * @module The dashboard's browser script, served as /assets/app.js: the
 * sign-in token from the URL fragment, live updates by server-sent events,
 * relative times, log search, ledger verification and the approval panel's
 * decisions. Plain script, no build step.
 */

export const CLIENT_JS = String.raw`(function () {
  'use strict';
  var TOKEN_KEY = 'autopilot.token';
  var PERSON_KEY = 'autopilot.person';

  // The sign-in URL carries the approval token in its fragment, which never reaches the server:
  // keep it for this tab only and take it out of the address bar and the history.
  (function takeToken() {
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (!m) return;
    try { sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1])); } catch (e) { /* storage off: decisions will ask */ }
    history.replaceState(null, '', location.pathname + location.search);
  })();
  function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
  function person() { try { return localStorage.getItem(PERSON_KEY) || ''; } catch (e) { return ''; } }

  // Relative times.
  function rel(ms) {
    var s = Math.round((Date.now() - ms) / 1000);
    if (s < 5) return 'just now';
    if (s < 60) return s + ' s ago';
    var m = Math.floor(s / 60); if (m < 60) return m + ' min ago';
    var h = Math.floor(m / 60); if (h < 48) return h + ' h ago';
    return Math.floor(h / 24) + ' d ago';
  }
  function age(ms) {
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60); if (m < 60) return m + ' min';
    var h = Math.floor(m / 60); if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }
  function tick(root) {
    (root || document).querySelectorAll('time[data-rel]').forEach(function (t) {
      var ms = Date.parse(t.getAttribute('datetime') || '');
      if (!isNaN(ms)) t.textContent = t.getAttribute('data-rel') === 'age' ? age(ms) : rel(ms);
    });
  }
  tick();
  setInterval(tick, 15000);

  // Live updates: the server pushes the ledger head; the page fetches itself and swaps its live parts.
  var live = document.querySelector('[data-live-status]');
  var liveText = live && live.querySelector('[data-live-text]');
  function setLive(state, text) {
    if (!live) return;
    live.setAttribute('data-state', state);
    if (text && liveText) liveText.textContent = text;
  }
  function busy(el) {
    var a = document.activeElement;
    if (a && el.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) return true;
    return !!el.querySelector('[data-dirty]');
  }
  var refreshing = false, again = false;
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(new Error(String(r.status))); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, 'text/html');
        doc.querySelectorAll('[data-live]').forEach(function (fresh) {
          var old = fresh.id && document.getElementById(fresh.id);
          if (!old || busy(old)) return;
          var focusId = document.activeElement && old.contains(document.activeElement) ? document.activeElement.id : '';
          old.replaceWith(document.adoptNode(fresh));
          if (focusId) { var f = document.getElementById(focusId); if (f) f.focus(); }
          wire(fresh);
          tick(fresh);
        });
        var head = doc.body.getAttribute('data-head');
        if (head) document.body.setAttribute('data-head', head);
        setLive('on', 'Live · updated ' + new Date().toLocaleTimeString());
        document.dispatchEvent(new CustomEvent('autopilot:refreshed'));
      })
      .catch(function () { setLive('off', 'Live · refresh failed'); })
      .then(function () { refreshing = false; if (again) { again = false; refresh(); } });
  }
  if (window.EventSource && document.body.hasAttribute('data-head')) {
    var es = new EventSource('/events');
    es.addEventListener('open', function () { setLive('on', 'Live'); });
    es.addEventListener('head', function (ev) {
      var data = {};
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      var seen = Number(document.body.getAttribute('data-head') || '0');
      if (typeof data.seq === 'number' && data.seq !== seen) refresh();
    });
    es.addEventListener('error', function () { setLive('off', 'Reconnecting…'); });
  }

  function api(method, url, body) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    var t = token();
    if (t) headers['X-Autopilot-Token'] = t;
    return fetch(url, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' })
      .then(function (r) { return r.json().catch(function () { return { ok: false, error: { message: 'HTTP ' + r.status } }; }); });
  }
  function say(el, text, kind) {
    if (!el) return;
    el.textContent = text;
    el.className = 'status-msg' + (kind ? ' ' + kind : '');
  }

  function wire(root) {
    // Filters apply as soon as they change.
    root.querySelectorAll('form[data-autosubmit] select').forEach(function (s) {
      s.addEventListener('change', function () { s.form.requestSubmit ? s.form.requestSubmit() : s.form.submit(); });
    });

    // Log search: hide the lines that do not match and mark the matches.
    root.querySelectorAll('input[data-log-search]').forEach(function (input) {
      var view = document.getElementById(input.getAttribute('data-log-search'));
      var count = document.getElementById(input.getAttribute('data-log-count'));
      if (!view) return;
      var rows = Array.prototype.slice.call(view.querySelectorAll('tr'));
      rows.forEach(function (tr) { var c = tr.querySelector('td.code'); if (c) tr.setAttribute('data-text', c.textContent); });
      function apply() {
        var q = input.value.toLowerCase();
        var n = 0;
        rows.forEach(function (tr) {
          var c = tr.querySelector('td.code'); if (!c) return;
          var text = tr.getAttribute('data-text') || '';
          var hit = !q || text.toLowerCase().indexOf(q) >= 0;
          tr.classList.toggle('hidden', !hit);
          c.textContent = text;
          if (q && hit) {
            n++;
            var i = text.toLowerCase().indexOf(q);
            c.textContent = '';
            c.appendChild(document.createTextNode(text.slice(0, i)));
            var mk = document.createElement('mark'); mk.textContent = text.slice(i, i + q.length); c.appendChild(mk);
            c.appendChild(document.createTextNode(text.slice(i + q.length)));
          }
        });
        if (count) count.textContent = q ? n + ' matching line' + (n === 1 ? '' : 's') : rows.length + ' lines';
      }
      input.addEventListener('input', apply);
      if (input.value) apply();
    });

    // Ledger verification.
    root.querySelectorAll('button[data-verify]').forEach(function (b) {
      b.addEventListener('click', function () {
        var out = document.getElementById(b.getAttribute('data-verify'));
        b.disabled = true;
        say(out, 'Verifying every entry, signature and evidence digest…');
        api('POST', '/api/ledger/verify').then(function (r) {
          b.disabled = false;
          if (r.ok && r.report && r.report.ok) say(out, '✓ Ledger verified: ' + r.report.entries + ' entries, ' + r.report.artifacts + ' evidence digests, ' + r.report.tasks + ' tasks. Nothing was changed.', 'ok');
          else if (r.ok && r.report) say(out, '✗ ' + r.report.problems.length + ' problem(s): ' + r.report.problems.map(function (p) { return (p.seq ? 'entry ' + p.seq + ': ' : '') + p.reason; }).join('; '), 'bad');
          else say(out, '✗ ' + ((r.error && r.error.message) || 'verification failed'), 'bad');
        }, function () { b.disabled = false; say(out, '✗ the server did not answer', 'bad'); });
      });
    });

    // Who decides: remembered in this browser.
    root.querySelectorAll('input[data-person]').forEach(function (input) {
      if (!input.value) input.value = person();
      input.addEventListener('change', function () { try { localStorage.setItem(PERSON_KEY, input.value.trim()); } catch (e) { /* not remembered */ } });
    });
    root.querySelectorAll('[data-token-state]').forEach(function (el) {
      var has = !!token();
      el.textContent = has ? 'Signed in for approvals in this tab.' : 'Not signed in: open the sign-in URL that autopilot serve printed, or paste the token from the file it named.';
      el.className = 'notice' + (has ? ' ok' : '');
      var form = document.getElementById(el.getAttribute('data-token-state'));
      if (form) form.hidden = has;
    });
    root.querySelectorAll('form[data-token-form]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var v = form.querySelector('input').value.trim();
        if (!v) return;
        try { sessionStorage.setItem(TOKEN_KEY, v); } catch (e) { /* kept nowhere */ }
        form.querySelector('input').value = '';
        wire(document.getElementById('who') || document);
      });
    });

    // Decisions.
    root.querySelectorAll('form[data-decision]').forEach(function (form) {
      form.addEventListener('input', function () { form.setAttribute('data-dirty', ''); });
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var btn = ev.submitter || form.querySelector('button[value="approve"]');
        var decision = btn ? btn.value : 'approve';
        var out = form.querySelector('.status-msg');
        var who = (document.getElementById('person') || {}).value || person();
        who = (who || '').trim();
        var reason = (form.querySelector('textarea[name="reason"]') || {}).value || '';
        var to = (form.querySelector('select[name="backtrackTo"]') || {}).value || '';
        if (!who) { say(out, 'Say who you are first (your name, above): every decision is signed with it.', 'bad'); var p = document.getElementById('person'); if (p) p.focus(); return; }
        if (!token()) { say(out, 'Sign in first: open the sign-in URL that autopilot serve printed.', 'bad'); return; }
        if (!reason.trim()) { say(out, 'Give a reason: the agent reads it.', 'bad'); form.querySelector('textarea').focus(); return; }
        if (decision === 'abort' && !confirm('Abort task ' + form.getAttribute('data-decision') + ' for good?')) return;
        try { localStorage.setItem(PERSON_KEY, who); } catch (e) { /* not remembered */ }
        form.querySelectorAll('button').forEach(function (b) { b.disabled = true; });
        say(out, 'Recording…');
        var body = { decision: decision, reason: reason, by: who };
        if (decision === 'request_changes') body.backtrackTo = to;
        api('POST', '/api/tasks/' + encodeURIComponent(form.getAttribute('data-decision')) + '/decision', body).then(function (r) {
          form.querySelectorAll('button').forEach(function (b) { b.disabled = false; });
          if (r.ok) {
            form.removeAttribute('data-dirty');
            say(out, '✓ ' + r.message, 'ok');
            say(document.getElementById('flash'), '✓ ' + r.message, 'ok');
            setTimeout(refresh, 300);
          } else say(out, '✗ ' + ((r.error && r.error.message) || 'refused'), 'bad');
        }, function () {
          form.querySelectorAll('button').forEach(function (b) { b.disabled = false; });
          say(out, '✗ the server did not answer', 'bad');
        });
      });
    });
  }
  wire(document);
})();
`;
