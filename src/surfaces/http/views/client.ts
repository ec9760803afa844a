/**
 * @module The dashboard's browser script, served as /assets/app.js: live
 * updates by server-sent events, relative times, log search, ledger
 * verification, passkey registration and the approval panel's decisions, each
 * signed with a passkey through @simplewebauthn/browser (served beside it as
 * /assets/webauthn.js). Plain script, no build step.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** @simplewebauthn/browser's UMD bundle (it defines `SimpleWebAuthnBrowser`), read from the installed package. */
export function webauthnBrowserJs(): string {
  const main = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(main), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

export const CLIENT_JS = String.raw`(function () {
  'use strict';
  var WA = window.SimpleWebAuthnBrowser;
  // WebAuthn needs a domain: on 127.0.0.1 the passkey parts send the person to localhost.
  function onLocalhost() { return location.hostname === 'localhost'; }
  function localhostHref() { return 'http://localhost:' + location.port + location.pathname + location.search + location.hash; }

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

    // Passkeys work on localhost only (a relying party id is a domain): say so, with a link.
    root.querySelectorAll('[data-passkey-state]').forEach(function (el) {
      if (!WA || !WA.browserSupportsWebAuthn()) {
        el.textContent = 'This browser cannot use passkeys: decisions need one.';
        el.className = 'notice bad';
      } else if (!onLocalhost()) {
        el.textContent = '';
        el.appendChild(document.createTextNode('Passkeys need the address localhost: '));
        var a = document.createElement('a'); a.href = localhostHref(); a.textContent = localhostHref();
        el.appendChild(a);
        el.className = 'notice bad';
      }
    });

    // Registering a passkey with the code autopilot serve printed.
    root.querySelectorAll('form[data-register]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var out = form.querySelector('.status-msg');
        var name = (form.querySelector('input[name="name"]') || {}).value || '';
        var code = (form.querySelector('input[name="code"]') || {}).value || '';
        name = name.trim();
        if (!name) { say(out, 'Give your name: your decisions are recorded with it.', 'bad'); return; }
        if (!code.trim()) { say(out, 'Type the registration code autopilot serve printed on its terminal.', 'bad'); return; }
        if (!WA || !onLocalhost()) { say(out, 'Open this page at ' + localhostHref() + ': passkeys need a domain.', 'bad'); return; }
        var button = form.querySelector('button'); button.disabled = true;
        say(out, 'Creating a passkey: follow your browser or device…');
        api('POST', '/api/passkeys/options', { name: name, code: code }).then(function (r) {
          if (!r.ok) throw new Error((r.error && r.error.message) || 'refused');
          return WA.startRegistration({ optionsJSON: r.options });
        }).then(function (response) {
          return api('POST', '/api/passkeys', { name: name, code: code, response: response });
        }).then(function (r) {
          button.disabled = false;
          if (r.ok) { form.reset(); say(out, '✓ ' + r.message, 'ok'); setTimeout(refresh, 300); }
          else say(out, '✗ ' + ((r.error && r.error.message) || 'refused'), 'bad');
        }).catch(function (err) {
          button.disabled = false;
          say(out, '✗ ' + (err && err.message ? err.message : 'the passkey was not created'), 'bad');
        });
      });
    });

    // Decisions: the server prepares the decision, the passkey signs it, the server verifies and records it.
    root.querySelectorAll('form[data-decision]').forEach(function (form) {
      form.addEventListener('input', function () { form.setAttribute('data-dirty', ''); });
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var btn = ev.submitter || form.querySelector('button[value="approve"]');
        var decision = btn ? btn.value : 'approve';
        var out = form.querySelector('.status-msg');
        var task = form.getAttribute('data-decision');
        var reason = (form.querySelector('textarea[name="reason"]') || {}).value || '';
        var to = (form.querySelector('select[name="backtrackTo"]') || {}).value || '';
        if (!reason.trim()) { say(out, 'Give a reason: the agent reads it.', 'bad'); form.querySelector('textarea').focus(); return; }
        if (!WA || !onLocalhost()) { say(out, 'Open this page at ' + localhostHref() + ': passkeys need a domain.', 'bad'); return; }
        if (decision === 'abort' && !confirm('Abort task ' + task + ' for good?')) return;
        var buttons = form.querySelectorAll('button');
        buttons.forEach(function (b) { b.disabled = true; });
        say(out, 'Sign the decision with your passkey…');
        var body = { decision: decision, reason: reason };
        if (decision === 'request_changes') body.backtrackTo = to;
        var base = '/api/tasks/' + encodeURIComponent(task) + '/decision';
        var signed;
        api('POST', base + '/options', body).then(function (r) {
          if (!r.ok) throw new Error((r.error && r.error.message) || 'refused');
          signed = r.decision;
          return WA.startAuthentication({ optionsJSON: r.options });
        }).then(function (response) {
          say(out, 'Recording…');
          return api('POST', base, { decision: signed, response: response });
        }).then(function (r) {
          buttons.forEach(function (b) { b.disabled = false; });
          if (r.ok) {
            form.removeAttribute('data-dirty');
            say(out, '✓ ' + r.message, 'ok');
            say(document.getElementById('flash'), '✓ ' + r.message, 'ok');
            setTimeout(refresh, 300);
          } else say(out, '✗ ' + ((r.error && r.error.message) || 'refused'), 'bad');
        }).catch(function (err) {
          buttons.forEach(function (b) { b.disabled = false; });
          say(out, '✗ ' + (err && err.message ? err.message : 'the passkey did not sign'), 'bad');
        });
      });
    });
  }
  wire(document);
})();
`;
