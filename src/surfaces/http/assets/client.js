// @ts-check
/**
 * @module The dashboard's browser script, served as /assets/app.js: live updates by server-sent events, relative
 * times, log search, ledger verification, passkey registration and the approval panel's decisions, each signed with
 * a passkey through @simplewebauthn/browser (served beside it as /assets/webauthn.js, which defines
 * `SimpleWebAuthnBrowser`). Plain script, no build step: served as it is written, type-checked by
 * tsconfig.browser.json (DOM library, checkJs).
 */

/**
 * What the JSON API answers: `ok`, and what was asked for or an error.
 * @typedef {object} Answer
 * @property {boolean} ok
 * @property {string} [message] what was done, in a sentence
 * @property {{ message?: string }} [error]
 * @property {VerifyReport} [report] ledger verification
 * @property {{ taskId: string, title: string }[]} [tasks] a page of the task list
 * @property {any} [options] WebAuthn options, handed to the browser library as they came
 * @property {unknown} [decision] the decision the server prepared, sent back with its signature
 * @property {string} [content] for a review: the rubric's text the decision signs, sent back with it
 */
/**
 * @typedef {object} VerifyReport
 * @property {boolean} ok
 * @property {number} entries
 * @property {number} artifacts
 * @property {number} tasks
 * @property {{ seq?: number, reason: string }[]} problems
 */

(function () {
  'use strict';
  /** @type {typeof import('@simplewebauthn/browser') | undefined} */
  const WA = /** @type {any} */ (window).SimpleWebAuthnBrowser;
  // WebAuthn needs a domain: on 127.0.0.1 the passkey parts send the person to localhost.
  function onLocalhost() {
    return location.hostname === 'localhost';
  }
  function localhostHref() {
    return 'http://localhost:' + location.port + location.pathname + location.search + location.hash;
  }

  /**
   * A form field's value, or '' when the form has no such field.
   * @param {ParentNode} form
   * @param {string} selector
   */
  function fieldValue(form, selector) {
    const field = /** @type {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | null} */ (
      form.querySelector(selector)
    );
    return (field && field.value) || '';
  }

  // Relative times.
  /** @param {number} ms */
  function rel(ms) {
    const s = Math.round((Date.now() - ms) / 1000);
    if (s < 5) return 'just now';
    if (s < 60) return s + ' s ago';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min ago';
    const h = Math.floor(m / 60);
    if (h < 48) return h + ' h ago';
    return Math.floor(h / 24) + ' d ago';
  }
  /** @param {number} ms */
  function age(ms) {
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min';
    const h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }
  /** @param {ParentNode} [root] */
  function tick(root) {
    (root || document).querySelectorAll('time[data-rel]').forEach(function (t) {
      const ms = Date.parse(t.getAttribute('datetime') || '');
      if (!isNaN(ms)) t.textContent = t.getAttribute('data-rel') === 'age' ? age(ms) : rel(ms);
    });
  }
  tick();
  setInterval(tick, 15000);

  // Live updates: the server pushes the ledger head; the page fetches itself and swaps its live parts.
  const live = document.querySelector('[data-live-status]');
  const liveText = live && live.querySelector('[data-live-text]');
  /**
   * @param {'on' | 'off'} state
   * @param {string} text
   */
  function setLive(state, text) {
    if (!live) return;
    live.setAttribute('data-state', state);
    if (text && liveText) liveText.textContent = text;
  }
  /** A live part the person is typing in (or has changed) is not swapped. @param {Element} el */
  function busy(el) {
    const a = document.activeElement;
    if (a && el.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) return true;
    return !!el.querySelector('[data-dirty]');
  }
  let refreshing = false;
  let again = false;
  function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    fetch(location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
      .then(function (r) {
        return r.ok ? r.text() : Promise.reject(new Error(String(r.status)));
      })
      .then(function (text) {
        const doc = new DOMParser().parseFromString(text, 'text/html');
        doc.querySelectorAll('[data-live]').forEach(function (fresh) {
          const old = fresh.id && document.getElementById(fresh.id);
          if (!old || busy(old)) return;
          const focusId =
            document.activeElement && old.contains(document.activeElement) ? document.activeElement.id : '';
          old.replaceWith(document.adoptNode(fresh));
          if (focusId) {
            const f = document.getElementById(focusId);
            if (f) f.focus();
          }
          wire(fresh);
          tick(fresh);
        });
        const head = doc.body.getAttribute('data-head');
        if (head) document.body.setAttribute('data-head', head);
        setLive('on', 'Live · updated ' + new Date().toLocaleTimeString());
        document.dispatchEvent(new CustomEvent('autopilot:refreshed'));
      })
      .catch(function () {
        setLive('off', 'Live · refresh failed');
      })
      .then(function () {
        refreshing = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }
  if (window.EventSource && document.body.hasAttribute('data-head')) {
    const es = new EventSource('/events');
    es.addEventListener('open', function () {
      setLive('on', 'Live');
    });
    es.addEventListener('head', function (ev) {
      /** @type {{ seq?: unknown }} */
      let data = {};
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      const seen = Number(document.body.getAttribute('data-head') || '0');
      if (typeof data.seq === 'number' && data.seq !== seen) refresh();
    });
    es.addEventListener('error', function () {
      setLive('off', 'Reconnecting…');
    });
  }

  /**
   * A call of the dashboard's JSON API; an answer that is not JSON becomes a refusal naming the HTTP status.
   * @param {string} method
   * @param {string} url
   * @param {unknown} [body]
   * @returns {Promise<Answer>}
   */
  function api(method, url, body) {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(url, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    }).then(function (r) {
      return r.json().catch(function () {
        return { ok: false, error: { message: 'HTTP ' + r.status } };
      });
    });
  }
  /**
   * @param {Element | null} el
   * @param {string} text
   * @param {'ok' | 'bad'} [kind]
   */
  function say(el, text, kind) {
    if (!el) return;
    el.textContent = text;
    el.className = 'status-msg' + (kind ? ' ' + kind : '');
  }
  /** @param {Answer} r */
  const refusal = (r) => (r.error && r.error.message) || 'refused';
  /**
   * The message of what went wrong (an Error, or the DOMException of a passkey the person cancelled).
   * @param {unknown} err
   * @param {string} otherwise
   */
  function failure(err, otherwise) {
    const message = err && /** @type {{ message?: unknown }} */ (err).message;
    return message ? String(message) : otherwise;
  }

  /** Wires the interactive parts under `root`: the page at load, each live part swapped in. @param {ParentNode} root */
  function wire(root) {
    // Filters apply as soon as they change.
    root.querySelectorAll('form[data-autosubmit] select').forEach(function (el) {
      const s = /** @type {HTMLSelectElement} */ (el);
      s.addEventListener('change', function () {
        if (!s.form) return;
        if (s.form.requestSubmit) s.form.requestSubmit();
        else s.form.submit();
      });
    });

    // Task suggestions: the datalist holds the tasks matching what is typed, asked of the API (a page of them, not
    // every task), the newest answer only.
    root.querySelectorAll('input[data-task-suggest]').forEach(function (el) {
      const input = /** @type {HTMLInputElement} */ (el);
      const list = document.getElementById(input.getAttribute('data-task-suggest') || '');
      const limit = input.getAttribute('data-suggest-limit') || '20';
      if (!list) return;
      let asked = 0;
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let timer;
      input.addEventListener('input', function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          const mine = ++asked;
          const q = new URLSearchParams({ q: input.value.trim(), limit: limit });
          api('GET', '/api/tasks?' + q.toString()).then(function (r) {
            if (mine !== asked || !r.ok) return;
            const tasks = r.tasks || [];
            list.replaceChildren.apply(
              list,
              tasks.map(function (t) {
                const o = document.createElement('option');
                o.value = t.taskId;
                o.textContent = t.title;
                return o;
              }),
            );
            list.setAttribute('data-for', input.value.trim());
          });
        }, 150);
      });
    });

    // Log search: hide the lines that do not match and mark the matches.
    root.querySelectorAll('input[data-log-search]').forEach(function (el) {
      const input = /** @type {HTMLInputElement} */ (el);
      const view = document.getElementById(input.getAttribute('data-log-search') || '');
      const count = document.getElementById(input.getAttribute('data-log-count') || '');
      if (!view) return;
      const rows = Array.from(view.querySelectorAll('tr'));
      rows.forEach(function (tr) {
        const c = tr.querySelector('td.code');
        if (c) tr.setAttribute('data-text', c.textContent);
      });
      function apply() {
        const q = input.value.toLowerCase();
        let n = 0;
        rows.forEach(function (tr) {
          const c = tr.querySelector('td.code');
          if (!c) return;
          const text = tr.getAttribute('data-text') || '';
          const hit = !q || text.toLowerCase().indexOf(q) >= 0;
          tr.classList.toggle('hidden', !hit);
          c.textContent = text;
          if (q && hit) {
            n++;
            const i = text.toLowerCase().indexOf(q);
            c.textContent = '';
            c.appendChild(document.createTextNode(text.slice(0, i)));
            const mk = document.createElement('mark');
            mk.textContent = text.slice(i, i + q.length);
            c.appendChild(mk);
            c.appendChild(document.createTextNode(text.slice(i + q.length)));
          }
        });
        if (count) count.textContent = q ? n + ' matching line' + (n === 1 ? '' : 's') : rows.length + ' lines';
      }
      input.addEventListener('input', apply);
      if (input.value) apply();
    });

    // Ledger verification.
    root.querySelectorAll('button[data-verify]').forEach(function (el) {
      const b = /** @type {HTMLButtonElement} */ (el);
      b.addEventListener('click', function () {
        const out = document.getElementById(b.getAttribute('data-verify') || '');
        b.disabled = true;
        say(out, 'Verifying every entry, signature and evidence digest…');
        api('POST', '/api/ledger/verify').then(
          function (r) {
            b.disabled = false;
            const report = r.report;
            if (r.ok && report && report.ok)
              say(
                out,
                '✓ Ledger verified: ' +
                  report.entries +
                  ' entries, ' +
                  report.artifacts +
                  ' evidence digests, ' +
                  report.tasks +
                  ' tasks. Nothing was changed.',
                'ok',
              );
            else if (r.ok && report)
              say(
                out,
                '✗ ' +
                  report.problems.length +
                  ' problem(s): ' +
                  report.problems
                    .map(function (p) {
                      return (p.seq ? 'entry ' + p.seq + ': ' : '') + p.reason;
                    })
                    .join('; '),
                'bad',
              );
            else say(out, '✗ ' + ((r.error && r.error.message) || 'verification failed'), 'bad');
          },
          function () {
            b.disabled = false;
            say(out, '✗ the server did not answer', 'bad');
          },
        );
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
        const a = document.createElement('a');
        a.href = localhostHref();
        a.textContent = localhostHref();
        el.appendChild(a);
        el.className = 'notice bad';
      }
    });

    // Registering a passkey with the code autopilot serve printed.
    root.querySelectorAll('form[data-register]').forEach(function (el) {
      const form = /** @type {HTMLFormElement} */ (el);
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        const out = form.querySelector('.status-msg');
        const name = fieldValue(form, 'input[name="name"]').trim();
        const code = fieldValue(form, 'input[name="code"]');
        if (!name) {
          say(out, 'Give your name: your decisions are recorded with it.', 'bad');
          return;
        }
        if (!code.trim()) {
          say(out, 'Type the registration code autopilot serve printed on its terminal.', 'bad');
          return;
        }
        if (!WA || !onLocalhost()) {
          say(out, 'Open this page at ' + localhostHref() + ': passkeys need a domain.', 'bad');
          return;
        }
        const browser = WA;
        const button = /** @type {HTMLButtonElement} */ (form.querySelector('button'));
        button.disabled = true;
        say(out, 'Creating a passkey: follow your browser or device…');
        api('POST', '/api/passkeys/options', { name: name, code: code })
          .then(function (r) {
            if (!r.ok) throw new Error(refusal(r));
            return browser.startRegistration({ optionsJSON: r.options });
          })
          .then(function (response) {
            return api('POST', '/api/passkeys', { name: name, code: code, response: response });
          })
          .then(function (r) {
            button.disabled = false;
            if (r.ok) {
              form.reset();
              say(out, '✓ ' + r.message, 'ok');
              setTimeout(refresh, 300);
            } else say(out, '✗ ' + refusal(r), 'bad');
          })
          .catch(function (err) {
            button.disabled = false;
            say(out, '✗ ' + failure(err, 'the passkey was not created'), 'bad');
          });
      });
    });

    // Decisions: the server prepares the decision, the passkey signs it, the server verifies and records it.
    root.querySelectorAll('form[data-decision]').forEach(function (el) {
      const form = /** @type {HTMLFormElement} */ (el);
      form.addEventListener('input', function () {
        form.setAttribute('data-dirty', '');
      });
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        const btn = /** @type {HTMLButtonElement | null} */ (
          ev.submitter || form.querySelector('button[value="approve"]')
        );
        const decision = btn ? btn.value : 'approve';
        const out = form.querySelector('.status-msg');
        const task = form.getAttribute('data-decision') || '';
        const reason = fieldValue(form, 'textarea[name="reason"]');
        const to = fieldValue(form, 'select[name="backtrackTo"]');
        if (!reason.trim()) {
          say(out, 'Give a reason: the agent reads it.', 'bad');
          const textarea = form.querySelector('textarea');
          if (textarea) textarea.focus();
          return;
        }
        if (!WA || !onLocalhost()) {
          say(out, 'Open this page at ' + localhostHref() + ': passkeys need a domain.', 'bad');
          return;
        }
        if (decision === 'abort' && !confirm('Abort task ' + task + ' for good?')) return;
        const browser = WA;
        const buttons = form.querySelectorAll('button');
        buttons.forEach(function (b) {
          b.disabled = true;
        });
        say(out, 'Sign the decision with your passkey…');
        /** @type {{ decision: string, reason: string, backtrackTo?: string }} */
        const body = { decision: decision, reason: reason };
        if (decision === 'request_changes') body.backtrackTo = to;
        const base = '/api/tasks/' + encodeURIComponent(task) + '/decision';
        /** @type {unknown} */
        let signed;
        api('POST', base + '/options', body)
          .then(function (r) {
            if (!r.ok) throw new Error(refusal(r));
            signed = r.decision;
            return browser.startAuthentication({ optionsJSON: r.options });
          })
          .then(function (response) {
            say(out, 'Recording…');
            return api('POST', base, { decision: signed, response: response });
          })
          .then(function (r) {
            buttons.forEach(function (b) {
              b.disabled = false;
            });
            if (r.ok) {
              form.removeAttribute('data-dirty');
              say(out, '✓ ' + r.message, 'ok');
              say(document.getElementById('flash'), '✓ ' + r.message, 'ok');
              setTimeout(refresh, 300);
            } else say(out, '✗ ' + refusal(r), 'bad');
          })
          .catch(function (err) {
            buttons.forEach(function (b) {
              b.disabled = false;
            });
            say(out, '✗ ' + failure(err, 'the passkey did not sign'), 'bad');
          });
      });
    });

    // A person's review: the rubric from the form, checked and prepared by the server, signed by the passkey, then
    // recorded with its text as the review phase's rubric under the person's name.
    root.querySelectorAll('form[data-review]').forEach(function (el) {
      const form = /** @type {HTMLFormElement} */ (el);
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        const out = form.querySelector('.status-msg');
        const task = form.getAttribute('data-review') || '';
        const reason = fieldValue(form, 'textarea[name="reason"]');
        /** @type {Record<string, { pass: boolean, notes: string }>} */
        const dimensions = {};
        form.querySelectorAll('textarea[data-dimension]').forEach(function (t) {
          const notes = /** @type {HTMLTextAreaElement} */ (t);
          const name = notes.getAttribute('data-dimension') || '';
          const box = /** @type {HTMLInputElement | null} */ (
            form.querySelector('input[name="pass"][value="' + name + '"]')
          );
          dimensions[name] = { pass: !!(box && box.checked), notes: notes.value };
        });
        if (!reason.trim()) {
          say(out, 'Give a note: the agent reads it.', 'bad');
          return;
        }
        if (!WA || !onLocalhost()) {
          say(out, 'Open this page at ' + localhostHref() + ': passkeys need a domain.', 'bad');
          return;
        }
        const browser = WA;
        const button = form.querySelector('button');
        if (button) button.disabled = true;
        say(out, 'Sign the review with your passkey…');
        const base = '/api/tasks/' + encodeURIComponent(task);
        /** @type {unknown} */
        let signed;
        /** @type {string | undefined} */
        let content;
        api('POST', base + '/review/options', { reason: reason, dimensions: dimensions })
          .then(function (r) {
            if (!r.ok) throw new Error(refusal(r));
            signed = r.decision;
            content = r.content;
            return browser.startAuthentication({ optionsJSON: r.options });
          })
          .then(function (response) {
            say(out, 'Recording…');
            return api('POST', base + '/decision', { decision: signed, response: response, content: content });
          })
          .then(function (r) {
            if (button) button.disabled = false;
            if (r.ok) {
              say(out, '✓ ' + r.message, 'ok');
              say(document.getElementById('flash'), '✓ ' + r.message, 'ok');
            } else say(out, '✗ ' + refusal(r), 'bad');
          })
          .catch(function (err) {
            if (button) button.disabled = false;
            say(out, '✗ ' + failure(err, 'the passkey did not sign'), 'bad');
          });
      });
    });
  }
  wire(document);
})();
