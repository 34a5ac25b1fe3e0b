// Closeloop console: progressive enhancement only. Every page works without this script;
// with it, pages follow the live event stream, the review queue takes keyboard shortcuts and
// decides without leaving the page, and the map draws 1/3/5 km rings around a clicked point.
"use strict";
(function () {
  const body = document.body;
  const csrf = body.dataset.csrf;
  const page = body.dataset.page;

  // ---- Live updates: refetch the page and swap its main content when a hazard changes.
  let pending = null;
  async function refresh() {
    pending = null;
    const focusId = document.activeElement && document.activeElement.id;
    const res = await fetch(location.href, { headers: { "X-Requested-With": "live" }, credentials: "same-origin" });
    if (!res.ok) return;
    const html = await res.text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    const next = doc.getElementById("main");
    const main = document.getElementById("main");
    // Never clobber what the user is typing.
    if (!next || !main || main.contains(document.activeElement) && document.activeElement.matches("textarea, input, select")) return;
    main.innerHTML = next.innerHTML;
    wire();
    if (focusId) { const el = document.getElementById(focusId); if (el) el.focus(); }
    body.dispatchEvent(new CustomEvent("cl:refreshed"));
  }
  function follow() {
    if (body.dataset.live !== "true" || !window.EventSource) return;
    const dot = document.getElementById("live");
    const es = new EventSource("/console/events");
    es.addEventListener("ready", () => dot && dot.classList.add("on"));
    es.addEventListener("hazard", (e) => {
      const h = JSON.parse(e.data);
      const here = document.querySelector("article.hazard");
      if (page === "hazards" && here && here.dataset.id !== h.id) return;
      if (!pending) pending = setTimeout(refresh, 250);
    });
    es.onerror = () => dot && dot.classList.remove("on");
  }

  // ---- The review queue: j/k to move, a to accept, r to write a reason and reject.
  function items() { return Array.from(document.querySelectorAll(".review-item")); }
  function current() { return document.activeElement && document.activeElement.closest(".review-item"); }
  function move(d) {
    const all = items();
    if (!all.length) return;
    const i = all.indexOf(current());
    const next = all[Math.max(0, Math.min(all.length - 1, i < 0 ? 0 : i + d))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", (e) => {
    if (page !== "review" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.matches("textarea, input, select")) {
      if (e.key === "Escape") { e.target.blur(); const it = e.target.closest(".review-item"); if (it) it.focus(); }
      return;
    }
    const it = current();
    if (e.key === "j") { move(1); e.preventDefault(); }
    else if (e.key === "k") { move(-1); e.preventDefault(); }
    else if (e.key === "a" && it) { const b = it.querySelector("form.accept button"); if (b && !b.disabled) b.click(); e.preventDefault(); }
    else if (e.key === "r" && it) { const t = it.querySelector("form.reject textarea"); if (t) t.focus(); e.preventDefault(); }
  });

  // ---- Decisions without leaving the page.
  function wire() {
    document.querySelectorAll("form[action$='/decide']").forEach((form) => {
      if (form.dataset.wired) return;
      form.dataset.wired = "1";
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const button = form.querySelector("button[type=submit]");
        if (button) button.disabled = true;
        const res = await fetch(form.action, {
          method: "POST",
          headers: { "Accept": "application/json", "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(new FormData(form)),
          credentials: "same-origin",
        });
        if (res.ok) { await refresh(); return; }
        let msg = res.statusText;
        try { const j = await res.json(); msg = j.message || j.error; } catch (_) { /* not JSON */ }
        if (button) button.disabled = false;
        let out = form.querySelector(".error");
        if (!out) { out = document.createElement("p"); out.className = "error"; out.setAttribute("role", "alert"); form.appendChild(out); }
        out.textContent = msg;
      });
    });
    map();
  }

  // ---- The map: rings of 1, 3 and 5 km around a clicked point, and the sites inside them.
  function map() {
    const svg = document.getElementById("site-map");
    if (!svg || svg.dataset.wired) return;
    svg.dataset.wired = "1";
    const ns = "http://www.w3.org/2000/svg";
    const kmPerPx = parseFloat(svg.dataset.kmPerPx);
    const scale = parseFloat(svg.dataset.scale), cx = parseFloat(svg.dataset.cx), cy = parseFloat(svg.dataset.cy);
    const lat0 = parseFloat(svg.dataset.lat0) * Math.PI / 180;
    const vb = svg.viewBox.baseVal;
    const out = document.getElementById("nearby");
    function km(a, b, c, d) {
      const r = Math.PI / 180, h = Math.sin((c - a) * r / 2) ** 2 + Math.cos(a * r) * Math.cos(c * r) * Math.sin((d - b) * r / 2) ** 2;
      return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
    }
    svg.addEventListener("click", (e) => {
      if (e.target.closest("a")) return;
      const pt = svg.createSVGPoint(); pt.x = e.clientX; pt.y = e.clientY;
      const p = pt.matrixTransform(svg.getScreenCTM().inverse());
      const lat = cy - (p.y - vb.height / 2) / scale;
      const lon = (cx + (p.x - vb.width / 2) / scale) / Math.cos(lat0);
      const rings = document.getElementById("rings");
      rings.innerHTML = "";
      [5, 3, 1].forEach((r) => {
        const c = document.createElementNS(ns, "circle");
        c.setAttribute("cx", p.x); c.setAttribute("cy", p.y); c.setAttribute("r", r / kmPerPx); c.setAttribute("class", "ring");
        rings.appendChild(c);
        const t = document.createElementNS(ns, "text");
        t.setAttribute("x", p.x + r / kmPerPx + 3); t.setAttribute("y", p.y); t.setAttribute("class", "ring-label"); t.textContent = r + " km";
        rings.appendChild(t);
      });
      const near = Array.from(svg.querySelectorAll("circle.site")).map((c) => ({
        name: c.dataset.name, id: c.dataset.id, d: km(lat, lon, parseFloat(c.dataset.lat), parseFloat(c.dataset.lon)),
      })).filter((s) => s.d <= 5).sort((a, b) => a.d - b.d);
      out.innerHTML = "";
      if (!near.length) { out.textContent = out.dataset.none; return; }
      const ul = document.createElement("ul");
      near.forEach((s) => {
        const li = document.createElement("li");
        const a = document.createElement("a"); a.href = "/console/sites/" + encodeURIComponent(s.id); a.textContent = s.name;
        li.appendChild(a);
        li.appendChild(document.createTextNode(" " + s.d.toFixed(2) + " " + out.dataset.km + " · " + out.dataset.within + " " + (s.d <= 1 ? 1 : s.d <= 3 ? 3 : 5) + " km"));
        ul.appendChild(li);
      });
      out.appendChild(ul);
    });
  }

  wire();
  follow();
})();

// ---- Printable pages (the site archive, a report): a print button.
document.addEventListener("click", function (e) {
  const t = e.target;
  if (t instanceof Element && t.closest("[data-print]")) {
    e.preventDefault();
    window.print();
  }
});
