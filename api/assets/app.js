/* Kepu resident pages. Enhancement only: every page works without this script.
 * - checks the forms before they are sent, with messages next to each field;
 * - sends the request form to the JSON API through an outbox in localStorage: each submit
 *   gets one Idempotency-Key and keeps it until the server gives a definitive answer, so a
 *   submit made without signal is sent later (on `online`, on page load, every 15 s), and
 *   never twice, even when an earlier attempt did reach the server;
 * - remembers {id, code, token} of each order for "my requests", cancel and rating;
 * - registers the service worker that lets the pages open offline. */
(function () {
  'use strict';
  var M = {};
  try { M = JSON.parse(document.getElementById('msg').textContent); } catch (e) { M = {}; }
  var OUTBOX = 'kepu.outbox', ORDERS = 'kepu.orders';
  var FIELDS = ['theme', 'township', 'village', 'description', 'contact_name', 'contact_phone',
    'target_group', 'preferred_date', 'expected_attendees', 'address'];
  // [required, max length, kind]
  var RULES = {
    order: { theme: [1], township: [1], description: [1, 2000], contact_name: [1, 50],
      contact_phone: [1, 0, 'phone'], expected_attendees: [0, 0, 'num'], address: [0, 200] },
    volunteer: { real_name: [1, 50], phone: [1, 0, 'phone'], township: [1], skills: [0, 500],
      password: [1, 0, 'pw'] }
  };
  var PHONE = /^(\+?86)?1[3-9]\d{9}$/;
  var current = null, flushing = false;

  function $(id) { return document.getElementById(id); }
  function load(k) { try { return JSON.parse(localStorage.getItem(k)) || []; } catch (e) { return []; } }
  function save(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* full or off */ } }
  function newKey() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }
  function notice(text) {
    var n = $('notice');
    if (n) { n.textContent = text || ''; n.className = text ? 'notice show' : 'notice'; }
  }
  function single(el) { return el && el.nodeType !== 1 ? el[0] : el; }
  function show(form, name, msg) {
    var e = $('e-' + name), el = form.elements[name];
    if (e) e.textContent = msg || '';
    if (el && el.nodeType === 1) {
      if (msg) el.setAttribute('aria-invalid', 'true'); else el.removeAttribute('aria-invalid');
    }
  }
  function check(form) {
    var rules = RULES[form.id], first = null;
    Object.keys(rules).forEach(function (name) {
      var r = rules[name], el = form.elements[name];
      if (!el) return;
      var v = String(el.value || '').trim(), msg = '';
      if (!v) { if (r[0]) msg = M.required; }
      else if (r[1] && v.length > r[1]) msg = M.long;
      else if (r[2] === 'phone' && !PHONE.test(v.replace(/[\s-]/g, ''))) msg = M.phone;
      else if (r[2] === 'num' && !(/^\d+$/.test(v) && +v >= 1 && +v <= 100000)) msg = M.number;
      else if (r[2] === 'pw' && v.length < 8) msg = M.password;
      show(form, name, msg);
      if (msg && !first) first = name;
    });
    return first;
  }
  function problem(form, p) {
    var errs = (p && p.errors) || [], first = null;
    errs.forEach(function (e) {
      if (form.elements[e.field]) { show(form, e.field, M.check || e.message); first = first || e.field; }
    });
    notice(first ? M.fix : M.failed);
    if (first) { var el = single(form.elements[first]); if (el) el.focus(); }
  }

  function remember(o) {
    var list = load(ORDERS).filter(function (x) { return x.code !== o.tracking_code; });
    list.unshift({ id: o.id, code: o.tracking_code, token: o.resident_token, at: Date.now() });
    save(ORDERS, list.slice(0, 50));
  }
  function drop(key) { save(OUTBOX, load(OUTBOX).filter(function (i) { return i.key !== key; })); }

  // One attempt: {ok: order} | {retry: true} | {problem: p}. Only a network failure, 408, 429
  // or a 5xx is retried; anything else is the server's definitive answer.
  function send(item) {
    return fetch('/api/v1/orders', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': item.key },
      body: JSON.stringify(item.body)
    }).then(function (r) {
      if (r.status === 201 || r.status === 200) {
        return r.json().then(function (o) { remember(o); drop(item.key); return { ok: o }; });
      }
      if (r.status >= 500 || r.status === 429 || r.status === 408) return { retry: true };
      return r.json().catch(function () { return {}; }).then(function (p) {
        drop(item.key);
        return { problem: p, item: item };
      });
    }).catch(function () { return { retry: true }; }); // no network, or a body cut short
  }

  function flush() {
    var box = load(OUTBOX);
    if (flushing || !box.length) return;
    flushing = true;
    var item = box[0];
    send(item).then(function (res) {
      flushing = false;
      if (res.ok) {
        if (item.key === current) { location.href = '/done/' + res.ok.tracking_code; return; }
        mine();
        flush();
      } else if (res.problem) {
        var form = $('order');
        if (form) {
          FIELDS.forEach(function (f) {
            var el = form.elements[f];
            if (el && item.body[f] != null) el.value = item.body[f];
          });
          problem(form, res.problem);
        }
        mine();
        flush();
      }
    });
  }

  function mine() {
    var box = $('mine-box'), ul = $('mine');
    if (!box || !ul) return;
    var shown = {};
    Array.prototype.forEach.call(ul.querySelectorAll('a[data-code]'), function (a) {
      shown[a.getAttribute('data-code')] = 1;
    });
    Array.prototype.forEach.call(ul.querySelectorAll('.wait'), function (w) { ul.removeChild(w.parentNode); });
    load(ORDERS).forEach(function (o) {
      if (shown[o.code]) return;
      var li = document.createElement('li'), a = document.createElement('a');
      a.href = '/t/' + o.code;
      a.setAttribute('data-code', o.code);
      a.textContent = o.code;
      li.appendChild(a);
      ul.appendChild(li);
    });
    load(OUTBOX).forEach(function (i) {
      var li = document.createElement('li'), s = document.createElement('span');
      s.className = 'wait';
      s.textContent = String(i.body.description || '').slice(0, 16) + ' · ' + M.pending;
      li.appendChild(s);
      ul.insertBefore(li, ul.firstChild);
    });
    box.hidden = !ul.children.length;
  }

  function enhanceOrder(form) {
    var btn = $('send'), tw = form.elements.township, vi = form.elements.village;
    form.noValidate = true;
    form.addEventListener('change', function (ev) {
      if (form.getAttribute('data-tried') && ev.target.name) check(form);
    });
    if (tw && vi && vi.nodeType === 1) {
      var sync = function () {
        var any = false;
        Array.prototype.forEach.call(vi.getElementsByTagName('optgroup'), function (g) {
          var on = g.getAttribute('data-t') === tw.value;
          g.hidden = !on;
          g.disabled = !on;
          any = any || on;
        });
        var sel = vi.options[vi.selectedIndex];
        if (sel && sel.parentNode.disabled) vi.value = '';
        $('f-village').hidden = !any;
      };
      tw.addEventListener('change', sync);
      sync();
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      form.setAttribute('data-tried', '1');
      var first = check(form);
      if (first) { notice(M.fix); single(form.elements[first]).focus(); return; }
      var body = {};
      FIELDS.forEach(function (n) {
        var el = form.elements[n], v = el ? String(el.value || '').trim() : '';
        if (v) body[n] = n === 'expected_attendees' ? parseInt(v, 10) : v;
      });
      var text = JSON.stringify(body), box = load(OUTBOX);
      var item = box.filter(function (i) { return JSON.stringify(i.body) === text; })[0];
      if (!item) {
        item = { key: newKey(), body: body, at: Date.now() };
        box.push(item);
        save(OUTBOX, box);
      }
      current = item.key;
      btn.disabled = true;
      notice(M.sending);
      send(item).then(function (res) {
        btn.disabled = false;
        if (res.ok) { location.href = '/done/' + res.ok.tracking_code; return; }
        if (res.retry) { form.reset(); notice(M.saved); mine(); return; }
        problem(form, res.problem);
      });
    });
  }

  function enhanceTrack(act) {
    var code = act.getAttribute('data-code');
    var o = load(ORDERS).filter(function (x) { return x.code === code; })[0];
    if (!o) return;
    act.hidden = false;
    ['cancel', 'rate'].forEach(function (name) {
      var f = $(name);
      if (!f) return;
      f.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var body = {}, b = f.querySelector('button');
        if (name === 'rate') {
          if (!f.elements.score.value) { show(f, 'score', M.required); return; }
          body.score = +f.elements.score.value;
          if (f.elements.comment.value.trim()) body.comment = f.elements.comment.value.trim();
        } else if (f.elements.reason.value.trim()) {
          body.reason = f.elements.reason.value.trim();
        }
        b.disabled = true;
        fetch('/api/v1/orders/' + o.id + '/' + name, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: 'Resident ' + o.token },
          body: JSON.stringify(body)
        }).then(function (r) {
          if (r.ok) { location.href = '/t/' + code + '?m=' + (name === 'rate' ? 'rated' : 'cancelled'); return; }
          if (r.status === 409) { location.reload(); return; }
          b.disabled = false;
          return r.json().catch(function () { return {}; }).then(function (p) { problem(f, p); });
        }, function () { b.disabled = false; notice(M.failed); });
      });
    });
  }

  function enhanceVolunteer(form) {
    form.noValidate = true;
    form.addEventListener('submit', function (ev) {
      var first = check(form);
      if (first) { ev.preventDefault(); notice(M.fix); single(form.elements[first]).focus(); }
    });
  }

  if ($('order')) enhanceOrder($('order'));
  if ($('act')) enhanceTrack($('act'));
  if ($('volunteer')) enhanceVolunteer($('volunteer'));
  mine();
  window.addEventListener('online', flush);
  setInterval(flush, 15000);
  flush();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(function () {});
})();
