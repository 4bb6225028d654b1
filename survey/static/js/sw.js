/* Tanfang service worker: the fieldwork pages and their scripts open with no network.
 *
 * Network first (a fresh page whenever the server answers within a few seconds), the cache when it
 * does not: a tablet in a basement gets the last copy of the page instead of an error. Only the
 * fieldwork pages (/collect…) and static files are cached, only good answers (200, not a redirect
 * to the sign-in page), keyed by path and query. Records never pass through here: app.js keeps
 * them in IndexedDB and posts them to the sync API itself.
 */
'use strict';
const CACHE = 'tanfang-pages';
const WAIT_MS = 5000;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (!(path === '/collect' || path.startsWith('/collect/') || path.startsWith('/static/'))) return;
  event.respondWith(fromNetwork(request, url).catch(() => fromCache(request, url)));
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

async function fromNetwork(request, url) {
  const response = await withTimeout(fetch(request), WAIT_MS);
  if (response.ok && !response.redirected && response.type === 'basic') {
    const cache = await caches.open(CACHE);
    await cache.put(url.pathname + url.search, response.clone());
  }
  return response;
}

async function fromCache(request, url) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(url.pathname + url.search);
  if (hit) return hit;
  if (request.mode === 'navigate') {
    const home = await cache.match('/collect');
    if (home) return home;
  }
  return Response.error();
}
