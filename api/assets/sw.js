/* Kepu service worker: keeps the page shell (the form, its stylesheet and script) so the
 * form opens without signal, and the last copy of each tracking page. The API is never
 * cached: submits made offline wait in the page's outbox instead. VERSION changes with the
 * hashed asset names, so a new release replaces the old shell. */
var VERSION = 'kepu-__VERSION__';
var SHELL = "__SHELL__";

self.addEventListener('install', function (e) {
  e.waitUntil(caches.open(VERSION).then(function (c) { return c.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== VERSION; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function keep(req, res) {
  var copy = res.clone();
  caches.open(VERSION).then(function (c) { return c.put(req, copy); });
}

self.addEventListener('fetch', function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.indexOf('/api/') === 0) return;
  if (url.pathname.indexOf('/static/') === 0) {
    e.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) { if (res.ok) keep(req, res); return res; });
    }));
  } else if (req.mode === 'navigate') {
    e.respondWith(fetch(req).then(function (res) {
      if (res.ok && (url.pathname === '/' || url.pathname.indexOf('/t/') === 0)) keep(req, res);
      return res;
    }).catch(function () {
      return caches.match(req).then(function (hit) { return hit || caches.match('/'); });
    }));
  }
});
