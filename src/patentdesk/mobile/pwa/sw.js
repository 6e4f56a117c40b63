/* PatentDesk phone app: service worker for the app shell.
 *
 * The shell (page, scripts, styles, icons) is cached so the app opens without a network;
 * it is fetched network-first, so a new server version reaches the phone on its next
 * start. The API is never cached or intercepted: what the phone approves is always live.
 */
"use strict";

const CACHE = "patentdesk-shell-v2";
const SHELL = [
  "/m/", "/m/app.js", "/m/i18n.js", "/m/pdcrypto.js", "/m/jsqr-1.4.0.js", "/m/qrcode-generator-1.4.4.js", "/m/app.css",
  "/m/manifest.webmanifest", "/m/icon.svg", "/m/icon-192.png", "/m/icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/m/")) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request).then((hit) => hit || caches.match("/m/"))),
  );
});
