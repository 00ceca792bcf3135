"use strict";
// The dashboard's service worker: shows a prompt pushed by the service (web push) with its
// two actions, and answers it from the notification. The push message says where to post.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  const prompt = event.data ? event.data.json() : null;
  if (!prompt || prompt.type !== "prompt") return;
  event.waitUntil(
    self.registration.showNotification(prompt.title, {
      body: prompt.body,
      tag: prompt.id,
      data: prompt,
      actions: prompt.actions,
      requireInteraction: true,
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  const prompt = event.notification.data;
  event.notification.close();
  if (event.action === "done" || event.action === "snooze") {
    const answer = { prompt_id: prompt.id, action: event.action };
    if (event.action === "snooze") answer.snooze_min = prompt.ack.snooze_min;
    event.waitUntil(
      fetch(prompt.ack.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(answer),
      }),
    );
  } else {
    event.waitUntil(self.clients.openWindow(`/?wearer=${encodeURIComponent(prompt.wearer)}`));
  }
});
