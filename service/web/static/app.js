"use strict";
// The dashboard: reads /api/v1, draws with Chart.js (vendored, see /static/vendor), follows the
// live stream. Times are shown on the wearer's clock (the API says which zone).

const POSTURES = ["sitting", "lying", "standing", "walking", "running", "cycling", "nonwear", "unknown"];
const OUTCOMES = {
  done: { text: "routine done", color: "#1f6b14", style: "rectRot" },
  movement: { text: "got up", color: "#4f9a3a", style: "circle" },
  snooze: { text: "snoozed", color: "#c58a16", style: "triangle" },
  dismiss: { text: "dismissed", color: "#c58a16", style: "triangle" },
  cant_stand: { text: "seated routine", color: "#c58a16", style: "rectRot" },
  ignored: { text: "missed", color: "#b3261e", style: "crossRot" },
  open: { text: "open", color: "#8a8f94", style: "circle" },
};
const ROWS = { prompts: "Prompts", posture: "Posture", long: "Long sits" };
const LONG_SIT_MIN = 30;

const $ = (id) => document.getElementById(id);
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
const color = (posture) => css(posture || "unknown");
const params = new URLSearchParams(location.search);
const state = {
  wearer: params.get("wearer"), day: params.get("day") || "today", tz: "UTC", trendDays: 7,
  source: null, refreshing: null, pending: false, charts: {},
};

// ---- formatting -------------------------------------------------------------------------------
const pad = (n) => String(n).padStart(2, "0");
const fmtMin = (m) => { m = Math.round(m); return m >= 60 ? `${Math.floor(m / 60)} h ${pad(m % 60)} min` : `${m} min`; };
const fmtHours = (m) => `${(m / 60).toFixed(1)} h`;
const clock = (minute) => `${pad(Math.floor(minute / 60) % 24)}:${pad(Math.floor(minute % 60))}`;
const title = (s) => s.charAt(0).toUpperCase() + s.slice(1).replaceAll("-", " ").replaceAll("_", " ");
function localParts(iso, tz) {
  const f = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, minute: (+p.hour % 24) * 60 + +p.minute + +p.second / 60 };
}
// Minute of the local day `day` at which `iso` falls, clamped to the day.
function minuteOf(iso, day) {
  const p = localParts(iso, state.tz);
  return p.date < day ? 0 : p.date > day ? 1440 : p.minute;
}
const timeOf = (iso) => clock(localParts(iso, state.tz).minute);
function shiftDay(day, by) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + by);
  return d.toISOString().slice(0, 10);
}
function monday(day) {
  const d = new Date(`${day}T12:00:00Z`);
  return shiftDay(day, -((d.getUTCDay() + 6) % 7));
}
function shortDay(day, long) {
  const d = new Date(`${day}T12:00:00Z`);
  const parts = long ? { weekday: "short", day: "numeric" } : { day: "numeric", month: "short" };
  return d.toLocaleDateString("en-GB", { ...parts, timeZone: "UTC" });
}

// ---- API --------------------------------------------------------------------------------------
class SignInNeeded extends Error {}
async function api(url, options = {}) {
  const r = await fetch(url, { credentials: "same-origin", ...options });
  if (r.status === 401) throw new SignInNeeded(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${(await r.text()).slice(0, 200)}`);
  return r.status === 204 ? null : r.json();
}
const wearerUrl = (path = "") => `/api/v1/wearers/${encodeURIComponent(state.wearer)}${path}`;

// ---- charts -----------------------------------------------------------------------------------
Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
Chart.defaults.font.size = 12;
Chart.defaults.color = "#676c72";
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.plugins.legend.display = false;

// Writes a bar's text label inside it when it fits (e.g. "53 min" on a long sit).
const insideLabels = {
  id: "insideLabels",
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    chart.data.datasets.forEach((ds, i) => {
      if (!ds.inside) return;
      chart.getDatasetMeta(i).data.forEach((bar, j) => {
        const text = ds.inside[j];
        ctx.save();
        ctx.font = "600 11px system-ui, sans-serif";
        if (text && Math.abs(bar.x - bar.base) > ctx.measureText(text).width + 8) {
          ctx.fillStyle = "#fff";
          ctx.textAlign = "center";
          ctx.textBaseline = "middle";
          ctx.fillText(text, (bar.x + bar.base) / 2, bar.y);
        }
        ctx.restore();
      });
    });
  },
};

function draw(id, config) {
  if (state.charts[id]) state.charts[id].destroy();
  state.charts[id] = new Chart($(id), config);
  return state.charts[id];
}

function runs(minutes) {
  const out = [];
  let start = 0;
  for (let i = 1; i <= minutes.length; i++) {
    if (i === minutes.length || minutes[i] !== minutes[start]) {
      if (minutes[start]) out.push({ posture: minutes[start], start, end: i });
      start = i;
    }
  }
  return out;
}

// The hours worth showing: those with data, prompts or sitting, at least 8 of them.
function hourRange(timeline, day) {
  let lo = 1440, hi = 0;
  timeline.minutes.forEach((p, m) => { if (p) { lo = Math.min(lo, m); hi = Math.max(hi, m + 1); } });
  for (const p of day.prompts) { const m = minuteOf(p.at, day.day); lo = Math.min(lo, m); hi = Math.max(hi, m); }
  if (lo >= hi) return [7, 19];
  let a = Math.floor(lo / 60), b = Math.ceil(hi / 60);
  while (b - a < 8) { if (a > 0) a--; if (b - a < 8 && b < 24) b++; }
  return [a, b];
}

function drawTimeline(timeline, day, bouts, range) {
  const datasets = [];
  const bands = runs(timeline.minutes);
  for (const posture of POSTURES) {
    const mine = bands.filter((r) => r.posture === posture);
    if (!mine.length) continue;
    datasets.push({ label: posture, data: mine.map((r) => ({ x: [r.start, r.end], y: ROWS.posture })),
      backgroundColor: color(posture), borderWidth: 0, barPercentage: 0.95, categoryPercentage: 0.9, grouped: false });
  }
  const long = longSits(bouts, day.day);
  datasets.push({ label: "long sits", data: long.map((b) => ({ x: [b.from, b.to], y: ROWS.long })),
    inside: long.map((b) => fmtMin(b.minutes)), backgroundColor: css("long"), borderRadius: 4, borderSkipped: false,
    barPercentage: 0.7, categoryPercentage: 0.9, grouped: false });
  const marks = day.prompts.map((p) => ({ p, o: OUTCOMES[p.outcome || "open"] || OUTCOMES.open }));
  datasets.push({ type: "scatter", label: "prompts", data: marks.map(({ p }) => ({ x: minuteOf(p.at, day.day), y: ROWS.prompts })),
    prompts: day.prompts, pointStyle: marks.map(({ o }) => o.style), pointRadius: 8, pointHoverRadius: 10,
    pointBorderWidth: marks.map(({ o }) => (o.style === "crossRot" ? 3 : 1.5)),
    pointBackgroundColor: marks.map(({ o }) => o.color), pointBorderColor: marks.map(({ o }) => (o.style === "crossRot" ? o.color : "#fff")) });
  draw("timeline", {
    type: "bar",
    data: { labels: [ROWS.prompts, ROWS.posture, ROWS.long], datasets },
    plugins: [insideLabels],
    options: {
      indexAxis: "y",
      layout: { padding: { right: 6 } },
      scales: {
        x: { type: "linear", min: range[0] * 60, max: range[1] * 60, grid: { color: "#eeece6" },
          ticks: { stepSize: range[1] - range[0] > 12 ? 180 : 60, callback: (v) => clock(v), maxRotation: 0, autoSkipPadding: 8 } },
        y: { grid: { display: false }, ticks: { font: { weight: 600 } } },
      },
      plugins: { tooltip: { callbacks: { label: (c) => timelineLabel(c) } } },
    },
  });
  const present = POSTURES.filter((p) => bands.some((r) => r.posture === p));
  const used = [...new Set(marks.map(({ p }) => p.outcome || "open"))];
  $("legend").innerHTML = present.map((p) => `<span><i style="--c:${color(p)}"></i>${title(p)} <b>${fmtMin(day.minutes[p] || 0)}</b></span>`).join("")
    + (long.length ? `<span><i style="--c:${css("long")}"></i>Sits ≥ 30 min <b>${long.length}</b></span>` : "")
    + used.map((o) => `<span><i class="mark" style="--c:${OUTCOMES[o].color}"></i>Prompt: ${OUTCOMES[o].text}</span>`).join("");
}

function timelineLabel(c) {
  const ds = c.dataset;
  if (ds.prompts) {
    const p = ds.prompts[c.dataIndex];
    return `${timeOf(p.at)} ${title(p.routine)}: ${outcomeText(p)}`;
  }
  const [a, b] = c.raw.x;
  return `${title(ds.label)} ${clock(a)}–${clock(b)} (${fmtMin(b - a)})`;
}

function outcomeText(p) {
  const o = OUTCOMES[p.outcome || "open"] || OUTCOMES.open;
  return p.answered && p.response_s != null ? `${o.text} after ${fmtMin(p.response_s / 60)}` : o.text;
}

function longSits(bouts, day) {
  return bouts.filter((b) => b.posture === "sitting" && b.minutes >= LONG_SIT_MIN)
    .map((b) => ({ ...b, from: minuteOf(b.start, day), to: minuteOf(b.end, day) }));
}

function drawHours(day, range) {
  const hours = [];
  for (let h = range[0]; h < range[1]; h++) hours.push(h);
  const data = hours.map((h) => Math.round(day.sitting_by_hour[h] * 10) / 10);
  draw("hours", {
    type: "bar",
    data: { labels: hours.map((h) => `${pad(h)}`), datasets: [{ label: "sitting", data,
      backgroundColor: data.map((m) => (m >= 45 ? css("long") : m >= 30 ? css("sitting") : "#f3b4a1")), borderRadius: 4 }] },
    options: {
      scales: { y: { min: 0, suggestedMax: 60, ticks: { stepSize: 15 }, grid: { color: "#eeece6" } }, x: { grid: { display: false } } },
      plugins: { tooltip: { callbacks: { title: (c) => `${c[0].label}:00–${pad(+c[0].label + 1)}:00`, label: (c) => `sitting ${fmtMin(c.raw)}` } } },
    },
  });
}

// ---- the day ----------------------------------------------------------------------------------
function drawCards(day, long) {
  $("sitting").textContent = fmtMin(day.sitting_min);
  $("sedentary").textContent = `${fmtMin(day.sedentary_min)} sitting or lying`;
  $("longest").textContent = fmtMin(day.longest_sitting_min);
  $("longest-at").textContent = day.longest_sitting_start ? `from ${timeOf(day.longest_sitting_start)}` : "";
  $("long-sits").textContent = long.length;
  $("long-sits").parentElement.classList.toggle("alert", long.length > 0);
  $("long-sits-sub").textContent = long.length ? `${fmtMin(long.reduce((s, b) => s + b.minutes, 0))} in all` : "none today";
  $("breaks").textContent = day.breaks;
  $("answered").textContent = `${day.prompts_answered}/${day.prompts.length}`;
  $("answered-sub").textContent = day.prompts.length ? "stood up or acknowledged" : "no prompts";
  $("covered").textContent = day.covered_min ? `${fmtMin(day.covered_min)} of data` : "no data";
}

function drawPrompts(day) {
  const ul = $("prompts");
  if (!day.prompts.length) { ul.innerHTML = `<li class="empty">No prompts on this day.</li>`; return; }
  ul.innerHTML = day.prompts.map((p) => {
    const kind = p.outcome || "open";
    return `<li data-outcome="${kind}"><span class="what"><span class="when">${timeOf(p.at)}</span>${title(p.routine)}${p.repeat ? ` <span class="hint">(reminder ${p.repeat})</span>` : ""}</span><span class="tag ${kind}">${outcomeText(p)}</span></li>`;
  }).join("");
}

function drawBouts(bouts, dayStr) {
  const long = longSits(bouts, dayStr);
  $("bouts").innerHTML = long.length ? long.map((b) =>
    `<li><span class="what"><span class="when">${timeOf(b.start)}–${timeOf(b.end)}</span>sitting</span><span class="tag long">${fmtMin(b.minutes)}</span></li>`).join("")
    : `<li class="empty">No sitting bout of 30 minutes or more. Well done.</li>`;
}

function showNowFrom(bouts, day) {
  if (state.lastLive || !bouts.length) return;
  const last = bouts[bouts.length - 1];
  setNow(last.posture, `since ${timeOf(last.start)} · last data ${timeOf(last.end)}`, `${title(last.posture)} for ${fmtMin(last.minutes)}`);
  $("now").dataset.source = "bouts";
  if (day !== state.today) $("now-sub").textContent += ` on ${day}`;
}

function setNow(posture, sub, text) {
  $("now-text").textContent = text;
  $("now-sub").textContent = sub;
  $("now-dot").style.background = color(posture);
  $("now").dataset.posture = posture;
}

function drawExports(day) {
  const first = monday(day), last = shiftDay(first, 6);
  $("export-span").textContent = `week of ${first}`;
  $("report").href = wearerUrl(`/reports/week?day=${day}`);
  for (const a of document.querySelectorAll("[data-export]")) {
    a.href = wearerUrl(`/export/${a.dataset.export}?start=${first}&end=${last}&format=${a.dataset.format}`);
  }
}

async function refresh() {
  if (!state.wearer) return;
  if (state.refreshing) { state.pending = true; return; }
  state.refreshing = (async () => {
    const base = wearerUrl(`/days/${state.day}`);
    const [day, timeline, bouts] = await Promise.all([api(base), api(`${base}/timeline`), api(`${base}/bouts`)]);
    state.tz = day.timezone;
    state.shownDay = day.day;
    $("day").value = day.day;
    const range = hourRange(timeline, day);
    drawCards(day, longSits(bouts, day.day));
    drawTimeline(timeline, day, bouts, range);
    drawHours(day, range);
    drawPrompts(day);
    drawBouts(bouts, day.day);
    showNowFrom(bouts, day.day);
    drawExports(day.day);
    await refreshTrend(day.day);
    document.body.dataset.loaded = String(Date.now());
  })();
  try { await state.refreshing; } finally {
    state.refreshing = null;
    if (state.pending) { state.pending = false; refresh().catch(report); }
  }
}

// ---- trends -----------------------------------------------------------------------------------
async function refreshTrend(day) {
  const t = await api(wearerUrl(`/trend?end=${day}&days=${state.trendDays}`));
  const week = state.trendDays <= 7;
  const labels = t.days.map((d) => shortDay(d.day, week));
  const avg = t.sitting_min_per_day;
  const prompts = t.days.reduce((s, d) => s + d.prompts, 0);
  const answered = t.days.reduce((s, d) => s + d.prompts_answered, 0);
  const done = t.days.reduce((s, d) => s + d.routines_done, 0);
  const longest = t.days.reduce((a, d) => (d.longest_sitting_min > a.longest_sitting_min ? d : a), t.days[0]);
  const today = t.days[t.days.length - 1].routines_done;  // sessions: prompts done and routines logged
  $("routines").textContent = `${today} routine${today === 1 ? "" : "s"} done`;
  $("trend-facts").innerHTML = [
    `Sitting <b>${fmtMin(avg)}</b> a day`,
    `Longest sit <b>${fmtMin(longest.longest_sitting_min)}</b>${longest.longest_sitting_min ? ` (${shortDay(longest.day, true)})` : ""}`,
    `Sits ≥ 30 min <b>${t.days.reduce((s, d) => s + d.long_sits, 0)}</b>`,
    `Prompts answered <b>${prompts ? Math.round((100 * answered) / prompts) : 0}%</b> (${answered} of ${prompts})`,
    `Routines done <b>${done}</b>`,
  ].map((x) => `<span>${x}</span>`).join("");
  const grid = { color: "#eeece6" };
  const x = { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 6 } };
  draw("trend-sitting", {
    type: "bar",
    data: { labels, datasets: [
      { label: "sitting", data: t.days.map((d) => +(d.sitting_min / 60).toFixed(2)), backgroundColor: css("sitting"), borderRadius: 4, order: 2 },
      { type: "line", label: "average", data: t.days.map(() => +(avg / 60).toFixed(2)), borderColor: "#1f2328", borderDash: [5, 4], borderWidth: 1.5, pointRadius: 0, order: 1 },
    ] },
    options: { scales: { y: { min: 0, suggestedMax: 8, grid }, x },
      plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label} ${fmtMin(c.raw * 60)}` } } } },
  });
  draw("trend-longest", {
    type: "bar",
    data: { labels, datasets: [
      { label: "longest sit", data: t.days.map((d) => Math.round(d.longest_sitting_min)),
        backgroundColor: t.days.map((d) => (d.longest_sitting_min >= LONG_SIT_MIN ? css("long") : "#f3b4a1")), borderRadius: 4, order: 2 },
      { type: "line", label: "30 min", data: t.days.map(() => LONG_SIT_MIN), borderColor: "#b7791f", borderDash: [4, 4], borderWidth: 1.5, pointRadius: 0, order: 1 },
    ] },
    options: { scales: { y: { min: 0, suggestedMax: 60, grid }, x },
      plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmtMin(c.raw)}` } } } },
  });
  draw("trend-adherence", {
    type: "bar",
    data: { labels, datasets: [
      { label: "answered", data: t.days.map((d) => d.prompts_answered), backgroundColor: "#6aa84f", borderRadius: 3, stack: "p", order: 2 },
      { label: "missed", data: t.days.map((d) => d.prompts - d.prompts_answered), backgroundColor: "#f3b4a1", borderRadius: 3, stack: "p", order: 2 },
      { type: "line", label: "routines done", data: t.days.map((d) => d.routines_done), borderColor: "#1f6b14", backgroundColor: "#1f6b14",
        pointStyle: "rectRot", pointRadius: t.days.map((d) => (d.routines_done ? 5 : 0)), borderWidth: 0, showLine: false, order: 1 },
    ] },
    options: { scales: { y: { min: 0, suggestedMax: 4, ticks: { stepSize: 1, precision: 0 }, grid, stacked: true }, x: { ...x, stacked: true } },
      plugins: { legend: { display: true, position: "bottom", labels: { boxWidth: 10, boxHeight: 10 } } } },
  });
}

// ---- live -------------------------------------------------------------------------------------
function follow() {
  if (state.source) state.source.close();
  state.lastLive = null;
  if (!state.wearer) return;
  const source = new EventSource(wearerUrl("/live"));
  state.source = source;
  source.onopen = () => $("live").classList.add("on");
  source.onerror = () => $("live").classList.remove("on");
  source.addEventListener("posture", (e) => {
    const u = JSON.parse(e.data);
    state.lastLive = u;
    const minutes = Math.max(0, (Date.parse(u.at) - Date.parse(u.since)) / 60000);
    setNow(u.posture, `since ${timeOf(u.since)} · updated ${timeOf(u.at)}`, `${title(u.posture)} for ${fmtMin(minutes)}`);
    $("now").dataset.source = "live";
    $("now").dataset.at = u.at;
    if (u.changed && localParts(u.at, state.tz).date === state.shownDay) refreshSoon();
  });
  for (const kind of ["prompt", "answer"]) source.addEventListener(kind, () => refresh().catch(report));
}

// The service stores bouts every few seconds, so a change is redrawn at once and again
// once it has surely been stored.
const STORE_DELAY_MS = 6000;
function refreshSoon() {
  refresh().catch(report);
  clearTimeout(state.soon);
  state.soon = setTimeout(() => refresh().catch(report), STORE_DELAY_MS);
}

// ---- wiring -----------------------------------------------------------------------------------
function report(err) {
  if (err instanceof SignInNeeded) { showSignIn(); return; }
  $("now-text").textContent = `Cannot load: ${err.message}`;
}

function showSignIn() {
  document.body.classList.add("locked");
  for (const s of document.querySelectorAll("main > *")) s.hidden = s.id !== "signin";
  $("signin").hidden = false;
  $("token").focus();
}

function keepInUrl() {
  const q = new URLSearchParams({ wearer: state.wearer || "", day: state.day });
  history.replaceState(null, "", `?${q}`);
}

async function start() {
  const me = await api("/api/v1/me");
  if (me.user) {
    $("user").textContent = me.user;
    $("signout").hidden = false;
  }
  const wearers = await api("/api/v1/wearers");
  const sel = $("wearer");
  sel.innerHTML = "";
  for (const w of wearers) sel.add(new Option(w.access === "shared" ? `${w.id} (shared by ${w.owner})` : w.id, w.id));
  if (!wearers.length) { $("empty").hidden = false; $("now").hidden = true; return; }
  if (!state.wearer || !wearers.some((w) => w.id === state.wearer)) state.wearer = wearers[0].id;
  sel.value = state.wearer;
  state.today = localParts(new Date().toISOString(), wearers.find((w) => w.id === state.wearer).timezone).date;
  await refresh();
  follow();
}

$("wearer").addEventListener("change", (e) => { state.wearer = e.target.value; state.lastLive = null; keepInUrl(); refresh().then(follow).catch(report); });
$("day").addEventListener("change", (e) => { state.day = e.target.value || "today"; state.lastLive = null; keepInUrl(); refresh().catch(report); });
$("prev").addEventListener("click", () => { state.day = shiftDay($("day").value, -1); keepInUrl(); refresh().catch(report); });
$("next").addEventListener("click", () => { state.day = shiftDay($("day").value, 1); keepInUrl(); refresh().catch(report); });
for (const b of document.querySelectorAll(".seg button")) {
  b.addEventListener("click", () => {
    state.trendDays = +b.dataset.days;
    for (const o of document.querySelectorAll(".seg button")) o.classList.toggle("on", o === b);
    refreshTrend($("day").value).catch(report);
  });
}
$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await api("/api/v1/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: $("token").value }) });
    location.reload();
  } catch (err) {
    $("signin-error").textContent = err instanceof SignInNeeded ? "That token is unknown or was revoked." : err.message;
  }
});
$("signout").addEventListener("click", async () => { await api("/api/v1/session", { method: "DELETE" }); location.reload(); });

start().catch(report);
setInterval(() => { if (!document.hidden) refresh().catch(() => {}); }, 60000);

// Web push: offer "Prompts here" when the service has it on and the browser can do it.
function keyBytes(base64url) {
  const raw = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}
async function offerPush() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
  const response = await fetch("/api/v1/webpush/key");
  const { public_key: key } = response.ok ? await response.json() : {};
  if (!key) return; // web push is off on this service
  const registration = await navigator.serviceWorker.register("/sw.js");
  const button = $("push");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      if ((await Notification.requestPermission()) !== "granted") throw new Error("notifications are blocked for this site");
      const sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
      const r = await fetch(wearerUrl("/webpush"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(sub.toJSON()),
      });
      if (!r.ok) throw new Error(`the service refused the subscription (${r.status})`);
      button.textContent = "Prompts on";
      button.disabled = true;
    } catch (err) {
      button.title = `Cannot get prompts here: ${err.message}`;
      button.textContent = "Prompts unavailable";
    }
  });
}
offerPush().catch(() => {});
