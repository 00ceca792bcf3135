"use strict";
// The dashboard: reads /api/v1 and draws with plain SVG; follows the live stream.
const POSTURES = ["sitting", "lying", "standing", "walking", "running", "cycling", "nonwear", "unknown"];
const color = (p) => getComputedStyle(document.documentElement).getPropertyValue(`--${p || "unknown"}`).trim();
const $ = (id) => document.getElementById(id);
const SVGNS = "http://www.w3.org/2000/svg";
const state = { wearer: null, day: new URLSearchParams(location.search).get("day") || "today", source: null, timer: null };

function el(name, attrs, parent) {
  const node = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}
const fmtMin = (m) => (m >= 60 ? `${Math.floor(m / 60)} h ${String(Math.round(m % 60)).padStart(2, "0")} min` : `${Math.round(m)} min`);
function fmtTime(iso, tz) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone: tz });
}
async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

async function loadWearers() {
  const wearers = await getJSON("/api/v1/wearers");
  const sel = $("wearer");
  sel.innerHTML = "";
  for (const w of wearers) sel.add(new Option(w.id, w.id));
  const wanted = new URLSearchParams(location.search).get("wearer");
  if (wanted && wearers.some((w) => w.id === wanted)) sel.value = wanted;
  if (!wearers.length) { $("now-text").textContent = "No wearer has sent data yet."; return false; }
  state.wearer = sel.value;
  return true;
}

async function refresh() {
  if (!state.wearer && !(await loadWearers())) return;
  const base = `/api/v1/wearers/${encodeURIComponent(state.wearer)}/days/${state.day}`;
  const [day, timeline, bouts] = await Promise.all([getJSON(base), getJSON(`${base}/timeline`), getJSON(`${base}/bouts`)]);
  if (!$("day").value) $("day").value = day.day;
  drawCards(day);
  drawTimeline(timeline, day);
  drawHours(day);
  drawPrompts(day);
  drawBouts(bouts, day.timezone);
  document.body.dataset.loaded = "1";
}

function drawCards(day) {
  $("sitting").textContent = fmtMin(day.sitting_min);
  $("sedentary").textContent = `${fmtMin(day.sedentary_min)} sitting or lying`;
  $("longest").textContent = fmtMin(day.longest_sitting_min);
  $("longest-at").textContent = day.longest_sitting_start ? `from ${fmtTime(day.longest_sitting_start, day.timezone)}` : "";
  $("breaks").textContent = day.breaks;
  $("answered").textContent = `${day.prompts_answered}/${day.prompts.length}`;
  $("answered-sub").textContent = day.prompts.length ? "moved or acknowledged" : "no prompts";
}

function drawTimeline(tl, day) {
  const svg = $("timeline");
  svg.innerHTML = "";
  const W = 960, H = 86, top = 18, band = 40, n = tl.minutes.length;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const x = (m) => (m / n) * W;
  let runStart = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || tl.minutes[i] !== tl.minutes[runStart]) {
      const p = tl.minutes[runStart];
      if (p) {
        const r = el("rect", { x: x(runStart), y: top, width: Math.max(x(i) - x(runStart), 0.5), height: band, fill: color(p), "data-posture": p }, svg);
        el("title", {}, r).textContent = `${p}: ${Math.floor(runStart / 60)}:${String(runStart % 60).padStart(2, "0")}, ${i - runStart} min`;
      }
      runStart = i;
    }
  }
  for (let h = 0; h <= 24; h += 3) {
    el("line", { x1: x(h * 60), x2: x(h * 60), y1: top + band, y2: top + band + 4, stroke: "#999" }, svg);
    el("text", { x: Math.min(x(h * 60), W - 14), y: top + band + 16, "text-anchor": h === 0 ? "start" : "middle" }, svg).textContent = `${h}:00`;
  }
  const dayStart = new Date(`${day.day}T00:00:00`);
  for (const p of day.prompts) {
    const local = new Date(new Date(p.at).toLocaleString("en-US", { timeZone: day.timezone }));
    const minute = (local - dayStart) / 60000;
    const cls = p.answered ? "ok" : p.outcome ? "no" : "open";
    const m = el("path", { d: `M ${x(minute) - 6} 2 L ${x(minute) + 6} 2 L ${x(minute)} ${top - 2} Z`, fill: p.answered ? "#2d7a1f" : "#b3261e", class: `prompt ${cls}` }, svg);
    el("title", {}, m).textContent = `${fmtTime(p.at, day.timezone)} ${p.routine}: ${p.outcome || "open"}`;
  }
  $("legend").innerHTML = POSTURES.filter((p) => tl.minutes.includes(p))
    .map((p) => `<span style="--c:${color(p)}">${p} ${fmtMin(day.minutes[p] || 0)}</span>`).join("");
}

function drawHours(day) {
  const svg = $("hours");
  svg.innerHTML = "";
  const W = 960, H = 150, top = 8, chart = 110, bw = W / 24;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  for (const v of [30, 60]) {
    const y = top + chart - (v / 60) * chart;
    el("line", { x1: 0, x2: W, y1: y, y2: y, stroke: "#e3e1dc" }, svg);
    el("text", { x: 2, y: y - 2 }, svg).textContent = `${v} min`;
  }
  day.sitting_by_hour.forEach((m, h) => {
    const hgt = (Math.min(m, 60) / 60) * chart;
    const r = el("rect", { x: h * bw + 3, y: top + chart - hgt, width: bw - 6, height: hgt, rx: 3,
      fill: m >= 45 ? color("sitting") : "#f0a58f", class: "bar", "data-hour": h, "data-minutes": m.toFixed(1) }, svg);
    el("title", {}, r).textContent = `${h}:00–${h + 1}:00 sitting ${Math.round(m)} min`;
    if (h % 3 === 0) el("text", { x: h * bw + bw / 2, y: top + chart + 16, "text-anchor": "middle" }, svg).textContent = `${h}`;
  });
}

function drawPrompts(day) {
  const ul = $("prompts");
  if (!day.prompts.length) { ul.innerHTML = `<li class="empty">No prompts on this day.</li>`; return; }
  ul.innerHTML = day.prompts.map((p) => {
    const tag = p.answered ? `<span class="tag ok">${p.outcome}${p.response_s != null ? ` after ${Math.round(p.response_s / 60)} min` : ""}</span>`
      : p.outcome ? `<span class="tag no">${p.outcome}</span>` : `<span class="tag">open</span>`;
    return `<li><span>${fmtTime(p.at, day.timezone)} · ${p.routine.replaceAll("-", " ")}${p.repeat ? ` (repeat ${p.repeat})` : ""}</span>${tag}</li>`;
  }).join("");
}

function drawBouts(bouts, tz) {
  const long = bouts.filter((b) => b.posture === "sitting" && b.minutes >= 30);
  $("bouts").innerHTML = long.length ? long.map((b) =>
    `<li><span>${fmtTime(b.start, tz)}–${fmtTime(b.end, tz)}</span><span class="tag no">${fmtMin(b.minutes)}</span></li>`).join("")
    : `<li class="empty">No sitting bout of 30 minutes or more.</li>`;
}

function follow() {
  if (state.source) state.source.close();
  if (!state.wearer) return;
  state.source = new EventSource(`/api/v1/wearers/${encodeURIComponent(state.wearer)}/live`);
  const show = (posture, since) => {
    const mins = since ? Math.max(0, Math.round((Date.parse(since.at) - Date.parse(since.since)) / 60000)) : 0;
    $("now-text").textContent = `${posture[0].toUpperCase()}${posture.slice(1)} for ${fmtMin(mins)}`;
    document.querySelector(".now .dot").style.background = color(posture);
    $("now").dataset.posture = posture;
  };
  state.source.addEventListener("posture", (e) => { const u = JSON.parse(e.data); show(u.posture, u); if (u.changed) refresh(); });
  for (const kind of ["prompt", "answer"]) state.source.addEventListener(kind, () => refresh());
}

$("wearer").addEventListener("change", (e) => { state.wearer = e.target.value; refresh(); follow(); });
$("day").addEventListener("change", (e) => { state.day = e.target.value || "today"; refresh(); });
refresh().then(follow).catch((err) => { $("now-text").textContent = `Cannot load: ${err.message}`; });
state.timer = setInterval(() => refresh().catch(() => {}), 30000);
