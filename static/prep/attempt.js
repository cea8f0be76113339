// Progressive enhancement of the attempt page: server-synced countdown, autosave through the
// API, Run / Submit with live verdicts. Without JavaScript the forms still save answers.
(function () {
  "use strict";
  const root = document.getElementById("attempt");
  if (!root) return;
  const api = root.dataset.api;
  const resultsUrl = root.dataset.resultsUrl;
  const csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  const saveState = document.getElementById("save-state");
  let locked = false;
  let clockOffset = 0; // server time minus browser time, in ms

  function request(method, url, body, keepalive) {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": decodeURIComponent(csrf), Accept: "application/json" },
      body: payload,
      // keepalive lets a request outlive the page (reload, navigation); browsers cap it at 64 KB.
      keepalive: Boolean(keepalive) && (payload || "").length < 60000,
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) { return { status: res.status, data: data }; });
    });
  }

  // --- countdown ----------------------------------------------------------------------------
  // The deadline and the clock are the server's: every tab and every reload count to the same second.
  const timer = document.getElementById("timer");
  const warning = document.getElementById("time-warning");
  let deadline = Date.parse(root.dataset.deadline);
  // Each is announced once per page; a page opened with 3 minutes left starts at the 5-minute one.
  const SAVED = "Your answers are saved as you work; what is saved when time runs out is submitted.";
  const WARNINGS = [
    { ms: 60 * 1000, text: "1 minute left.", cls: "error" },
    { ms: 5 * 60 * 1000, text: "5 minutes left.", cls: "warn" },
  ];
  let warned = Infinity;
  function syncClock() {
    const sent = Date.now();
    return request("GET", api).then(function (r) {
      if (r.status !== 200) return;
      const received = Date.now();
      clockOffset = Date.parse(r.data.server_time) - (sent + received) / 2;
      if (r.data.deadline) deadline = Date.parse(r.data.deadline);
      if (r.data.state !== "in_progress") timeUp();
    }).catch(function () {});
  }
  function warn(left) {
    if (!warning) return;
    const due = WARNINGS.find(function (w) { return left <= w.ms; });
    if (!due || due.ms >= warned) return;
    warned = due.ms;
    warning.innerHTML = '<p class="message ' + due.cls + '"><strong>' + due.text + "</strong> " + SAVED + "</p>";
  }
  function tick() {
    const left = Math.max(0, deadline - (Date.now() + clockOffset));
    const s = Math.floor(left / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    timer.textContent = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(sec).padStart(2, "0");
    timer.classList.toggle("warn", left <= 5 * 60 * 1000);
    timer.classList.toggle("danger", left <= 60 * 1000);
    if (left <= 0) { timeUp(); return; }
    if (!locked) warn(left);
    setTimeout(tick, 250);
  }
  function forgetCustomInputs() {  // a run's custom inputs live in this browser only while the attempt is open
    try {
      Object.keys(window.localStorage).forEach(function (key) {
        if (key.indexOf("prep-custom-input:" + api) === 0) window.localStorage.removeItem(key);
      });
    } catch (e) { /* storage blocked: nothing was kept */ }
  }
  function timeUp() {
    if (locked) return;
    locked = true;
    forgetCustomInputs();
    if (warning) warning.innerHTML = "";
    document.getElementById("time-up").hidden = false;
    root.querySelectorAll("input, textarea, button, select").forEach(function (el) { el.disabled = true; });
    // The server submits at the deadline; wait a moment, then show the results page.
    setTimeout(function () { window.location.href = resultsUrl; }, 2500);
  }

  // --- autosave -------------------------------------------------------------------------------
  const pending = new Map();
  function setSaveState(text, cls) {
    saveState.textContent = text;
    saveState.className = "save-state " + (cls || "");
  }
  function answerOf(section) {
    const kind = section.dataset.kind;
    const form = section.querySelector("form");
    if (kind === "short_text" || kind === "free_text") {
      return { text: form.querySelector("[name=text]").value };
    }
    if (kind === "single_choice" || kind === "true_false") {
      const checked = form.querySelector("input[name=choice]:checked");
      return { choice: checked ? checked.value : null };
    }
    if (kind === "multiple_choice") {
      return { choices: Array.from(form.querySelectorAll("input[name=choices]:checked")).map(function (el) { return el.value; }) };
    }
    if (kind === "data_analysis") {
      const parts = {};
      form.querySelectorAll("input[data-part]").forEach(function (el) {
        const raw = el.value.trim();
        parts[el.dataset.part] = raw === "" ? null : raw;
      });
      return { parts: parts };
    }
    if (kind === "numeric") {
      const raw = form.querySelector("input[name=value]").value.trim();
      return { value: raw === "" ? null : raw };
    }
    return { language: form.querySelector("[name=language]").value, source: form.querySelector("textarea.code").value };
  }
  function save(section) {
    if (locked) return Promise.resolve(false);
    const qid = section.dataset.questionId;
    clearTimeout(pending.get(qid));
    pending.delete(qid);
    setSaveState("Saving…", "saving");
    return request("PUT", api + "responses/" + qid + "/", answerOf(section)).then(function (r) {
      if (r.status === 200) {
        section.classList.remove("unsaved");
        if (!pending.size) setSaveState("All answers saved", "saved");
        return true;
      }
      if (r.status === 409) { timeUp(); return false; }
      setSaveState((r.data && r.data.message) || "Could not save", "error");
      return false;
    }).catch(function () {
      setSaveState("Offline — not saved yet, retrying", "error");
      pending.set(qid, setTimeout(function () { save(section); }, 3000));
      return false;
    });
  }
  function scheduleSave(section, delay) {
    if (locked) return; // disabling the fields at time-up fires change events: nothing to save any more
    const qid = section.dataset.questionId;
    section.classList.add("unsaved");
    setSaveState("Unsaved changes", "saving");
    clearTimeout(pending.get(qid));
    pending.set(qid, setTimeout(function () { save(section); }, delay));
  }
  root.querySelectorAll("section.question").forEach(function (section) {
    const form = section.querySelector("form");
    form.addEventListener("submit", function (e) { e.preventDefault(); save(section); });
    // Fields marked data-no-save (a run's custom input) are not part of the answer.
    form.addEventListener("change", function (e) { if (!e.target.matches("[data-no-save]")) scheduleSave(section, 100); });
    form.addEventListener("input", function (e) { if (e.target.matches("textarea:not([data-no-save]), input[type=text]")) scheduleSave(section, 800); });
  });
  window.addEventListener("beforeunload", function (e) {
    if (pending.size && !locked) { e.preventDefault(); e.returnValue = ""; }
  });

  // --- code: tab key, run, submit, live verdicts ------------------------------------------------
  function escapeText(text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }
  function testList(tests) {
    // Show whatever each test's feedback policy let through: verdict, hint, call or input, values.
    if (!tests || !tests.length) return "";
    let html = '<ul class="tests">';
    tests.forEach(function (t) {
      html += '<li class="' + (t.passed ? "ok" : "bad") + '">' + (t.passed ? "✓ " : "✗ ") + escapeText(t.name);
      if (t.verdict) html += " — " + escapeText(t.verdict) + (t.time_ms != null ? " (" + escapeText(t.time_ms) + " ms)" : "");
      if (t.hint) html += '<br><span class="muted">Hint: ' + escapeText(t.hint) + "</span>";
      if (!t.passed) {
        if (t.args !== undefined) html += "<br><code>args " + escapeText(JSON.stringify(t.args)) + "</code>";
        if (t.input !== undefined) html += '<br>input<pre class="output">' + escapeText(t.input) + "</pre>";
        if (t.expected !== undefined) html += " expected <code>" + escapeText(JSON.stringify(t.expected)) + "</code>";
        if (t.answer !== undefined) html += 'expected output<pre class="output">' + escapeText(t.answer) + "</pre>";
        if (t.actual !== undefined && t.actual !== null) html += " got <code>" + escapeText(JSON.stringify(t.actual)) + "</code>";
        if (t.message) html += '<br><span class="muted">' + escapeText(t.message) + "</span>";
      }
      html += "</li>";
    });
    return html + "</ul>";
  }
  function renderSubmission(panel, s) {
    const r = s.result || {};
    let html = "";
    if (s.status === "queued" || s.status === "running") {
      const done = (r.tests || []).length;
      html = '<p><span class="pill pending">' + (s.status === "queued" ? "Queued…" : "Running…") + "</span>" +
        (done ? " " + done + " test" + (done === 1 ? "" : "s") + " done" : "") + "</p>" + testList(r.tests);
    } else if (s.status === "error") {
      html = '<p class="message error">' + escapeText(s.error || "Grading failed; it will be retried.") + "</p>";
    } else {
      const label = s.kind === "run" ? "Sample tests" : "All tests";
      html = '<p><span class="pill ' + (s.verdict === "AC" ? "ok" : "bad") + '">' + escapeText(s.verdict) + "</span> " +
        label + ": " + Math.round((s.score || 0) * 100) + "% passed</p>";
      if (r.compile_output) html += '<pre class="output">' + escapeText(r.compile_output) + "</pre>";
      html += testList(r.tests);
      if (r.stdout) html += '<details><summary>Output</summary><pre class="output">' + escapeText(r.stdout) + "</pre></details>";
      if (r.stderr) html += '<details><summary>Errors</summary><pre class="output">' + escapeText(r.stderr) + "</pre></details>";
      if (r.custom) html += renderCustom(r.custom);
    }
    panel.innerHTML = html;
  }
  function renderCustom(c) {
    // The run on the candidate's own input: shown as it came out, never checked.
    let html = '<div class="custom-result"><p><strong>Your input</strong> ' +
      (c.status === "ok" ? '<span class="pill">ran</span>' : '<span class="pill bad">' + escapeText(c.status) + "</span>") +
      (c.time_ms != null ? ' <span class="muted">' + escapeText(c.time_ms) + " ms</span>" : "") + "</p>";
    if (c.message) html += '<pre class="output">' + escapeText(c.message) + "</pre>";
    const v = c.value;
    function cellText(cell) {
      if (cell === null) return "NULL";
      if (cell && typeof cell === "object") return cell.$blob !== undefined ? "x'" + cell.$blob + "'" : JSON.stringify(cell);
      return cell;
    }
    if (c.status === "ok" && v && Array.isArray(v.columns) && Array.isArray(v.rows) && v.rows.every(Array.isArray)) {
      html += '<div class="table-scroll" tabindex="0" role="region" aria-label="Rows returned"><table><thead><tr>' +
        v.columns.map(function (col) { return '<th scope="col">' + escapeText(col) + "</th>"; }).join("") + "</tr></thead><tbody>" +
        v.rows.map(function (row) { return "<tr>" + row.map(function (cell) { return "<td>" + escapeText(cellText(cell)) + "</td>"; }).join("") + "</tr>"; }).join("") +
        "</tbody></table></div>";
      const total = Number(v.rows_total) || v.rows.length;
      html += '<p class="muted">' + escapeText(total) + " row(s)" + (total > v.rows.length ? ", the first " + v.rows.length + " shown" : "") + "</p>";
    } else if (c.status === "ok" && c.value !== undefined && c.value !== null) {
      html += 'Returned <pre class="output">' + escapeText(JSON.stringify(v, null, 1)) + "</pre>";
    }
    if (c.stdout) html += 'Output<pre class="output" data-custom-stdout>' + escapeText(c.stdout) + "</pre>";
    else if (c.status === "ok" && c.value == null) html += '<p class="muted">No output.</p>';
    if (c.stderr) html += 'Errors<pre class="output">' + escapeText(c.stderr) + "</pre>";
    return html + "</div>";
  }
  function customInputOf(section) {
    const box = section.querySelector("textarea.custom-input");
    return box ? box.value : "";
  }
  // Long polling: the server answers as soon as the verdict is in (or after 15 s, or at once when
  // it is busy: then we ask again a second later). Only the panel's latest submission is shown.
  function poll(panel, id, failures) {
    panel.dataset.polling = id;
    const asked = Date.now();
    request("GET", "/api/submissions/" + id + "/?wait=15").then(function (r) {
      if (panel.dataset.polling !== String(id)) return;  // a newer run or submit took the panel
      if (r.status === 200) {
        renderSubmission(panel, r.data);
        if (r.data.status === "queued" || r.data.status === "running") {
          setTimeout(function () { poll(panel, id, 0); }, Date.now() - asked < 1000 ? 1000 : 50);
        }
      } else if (r.status >= 500 || r.status === 429) {
        retry(panel, id, failures);
      }
    }, function () { retry(panel, id, failures); });  // offline: try again
  }
  function retry(panel, id, failures) {
    const n = (failures || 0) + 1;
    setTimeout(function () { if (panel.dataset.polling === String(id)) poll(panel, id, n); }, Math.min(2000 * n, 15000));
  }
  function runOrSubmit(section, kind) {
    const qid = section.dataset.questionId;
    const panel = section.querySelector(".verdict-panel");
    const buttons = section.querySelectorAll("[data-action=run], [data-action=submit]");
    buttons.forEach(function (b) { b.disabled = true; });
    panel.innerHTML = '<p class="pill pending">Sending…</p>';
    save(section).then(function () {
      const body = answerOf(section);
      if (kind === "run" && customInputOf(section)) body.custom_input = customInputOf(section);
      // ?wait: the answer comes with the verdict (201) when it is in within 8 s; else 202 (or tests
      // done so far), then poll. 8 s: under gunicorn's graceful timeout (10 s), so a restart does
      // not cut a POST whose submission is already saved.
      return request("POST", api + "responses/" + qid + "/" + (kind === "run" ? "runs/" : "submissions/") + "?wait=8", body);
    }).then(function (r) {
      if (r.status === 201) { panel.dataset.polling = ""; renderSubmission(panel, r.data); }
      else if (r.status === 202) { renderSubmission(panel, r.data); poll(panel, r.data.id, 0); }
      else if (r.status === 409) timeUp();
      else panel.innerHTML = '<p class="message error">' + escapeText((r.data && r.data.message) || "Could not send") + "</p>";
    }, function () {
      panel.innerHTML = '<p class="message error">The connection was lost. Try again in a moment.</p>';
    }).finally(function () { if (!locked) buttons.forEach(function (b) { b.disabled = false; }); });
  }
  root.querySelectorAll("textarea.code").forEach(function (area) {
    const section = area.closest("section.question");
    // The plain textarea's keys, for when the code editor bundle is not there (it has its own).
    area.addEventListener("keydown", function (e) {
      if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.metaKey) {
        // Indent inside the editor; Escape then Tab leaves it (keyboard users are not trapped).
        if (area.dataset.escaped === "1") { area.dataset.escaped = ""; return; }
        e.preventDefault();
        const start = area.selectionStart;
        area.setRangeText("    ", start, area.selectionEnd, "end");
        scheduleSave(section, 800);
      } else if (e.key === "Escape") {
        area.dataset.escaped = "1";
      } else if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
        e.preventDefault(); runOrSubmit(section, "submit");
      } else if ((e.ctrlKey || e.metaKey) && e.key === "'") {
        e.preventDefault(); runOrSubmit(section, "run");
      }
    });
    section.querySelector("[data-action=run]").addEventListener("click", function () { runOrSubmit(section, "run"); });
    section.querySelector("[data-action=submit]").addEventListener("click", function () { runOrSubmit(section, "submit"); });
    section.querySelector("[data-action=reset]").addEventListener("click", function () {
      if (!window.confirm("Replace your code with the starter code?")) return;
      area.value = area.dataset.starter;
      // The code editor (static-build/editor.js), when loaded, takes its content from this event.
      area.dispatchEvent(new Event("input", { bubbles: true }));
      scheduleSave(section, 0);
    });
    const panel = section.querySelector(".verdict-panel");
    if (panel.dataset.latestSubmission) poll(panel, panel.dataset.latestSubmission, 0);
    // The custom input lives in this browser (it is not an answer): kept across reloads.
    const custom = section.querySelector("textarea.custom-input");
    if (custom) {
      const key = "prep-custom-input:" + api + section.dataset.questionId;
      try {
        custom.value = window.localStorage.getItem(key) || "";
        if (custom.value) custom.closest("details").open = true;
        custom.addEventListener("input", function () { window.localStorage.setItem(key, custom.value); });
      } catch (e) { /* storage blocked: the box still works for this page */ }
      custom.addEventListener("keydown", function (e) {
        if ((e.ctrlKey || e.metaKey) && e.key === "'") { e.preventDefault(); runOrSubmit(section, "run"); }
      });
    }
  });

  document.getElementById("finish-form").addEventListener("submit", function (e) {
    if (!window.confirm("Submit the whole assessment now? You cannot change answers afterwards.")) { e.preventDefault(); return; }
    // Save what is pending first (answers, and the integrity events not yet sent), then let the form post.
    e.preventDefault();
    const form = e.target;
    const saves = Array.from(root.querySelectorAll("section.question.unsaved")).map(save);
    if (integrity) { snapshot(); saves.push(flush()); }
    forgetCustomInputs();
    Promise.all(saves).finally(function () { form.submit(); });
  });

  // --- practice: "Check my answer" shows the feedback in place -----------------------------
  const practice = root.dataset.mode === "practice";
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }
  if (practice) {
    root.querySelectorAll("form.check-form").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        const section = form.closest("section.question");
        const box = section.querySelector("[data-feedback]");
        box.textContent = "Checking…";
        save(section).then(function () {
          return request("POST", api + "responses/" + section.dataset.questionId + "/check/");
        }).then(function (r) {
          const f = r.data;
          if (r.status !== 200) { box.innerHTML = '<p class="message error">' + escapeHtml(f.message || "Could not check.") + "</p>"; return; }
          const verdict = f.correct === null ? "A reviewer would grade this against the rubric." :
            f.correct ? "Correct." : (f.credit > 0 ? "Partly right (" + Math.round(f.credit * 100) + "%)." : "Not quite.");
          box.innerHTML = '<div class="message ' + (f.correct ? "success" : f.correct === null ? "info" : "error") + '"><strong>' + verdict + "</strong>" +
            (f.key && !f.correct ? "<p>Answer: " + escapeHtml(f.key) + "</p>" : "") +
            (f.rubric ? '<p class="prompt">' + escapeHtml(f.rubric) + "</p>" : "") +
            (f.explanation ? '<p class="prompt">' + escapeHtml(f.explanation) + "</p>" : "") + "</div>";
        }).catch(function () { box.textContent = "Could not check: are you online?"; });
      });
    });
  }

  // --- time per question ----------------------------------------------------------------------
  // The question being worked on is the one holding the focus, else the one filling most of the
  // screen; time counts only while the page is visible. Reported every 15 s (the server caps it).
  let current = null, since = null, banked = new Map();
  function visibleQuestion() {
    const focused = document.activeElement && document.activeElement.closest("section.question");
    if (focused) return focused;
    let best = null, bestArea = 0;
    root.querySelectorAll("section.question").forEach(function (section) {
      const r = section.getBoundingClientRect();
      const area = Math.max(0, Math.min(r.bottom, window.innerHeight) - Math.max(r.top, 0));
      if (area > bestArea) { best = section; bestArea = area; }
    });
    return best;
  }
  function account() {
    const now = Date.now();
    if (current && since !== null) banked.set(current, (banked.get(current) || 0) + (now - since) / 1000);
    current = document.visibilityState === "visible" && !locked ? visibleQuestion() : null;
    since = current ? now : null;
  }
  function report() {
    account();
    banked.forEach(function (seconds, section) {
      const whole = Math.floor(seconds);
      if (whole < 1) return;
      banked.set(section, seconds - whole);
      request("POST", api + "responses/" + section.dataset.questionId + "/time/", { seconds: whole }).catch(function () {});
    });
  }
  ["focusin", "scroll"].forEach(function (name) { window.addEventListener(name, account, { passive: true }); });
  document.addEventListener("visibilitychange", function () { report(); });
  setInterval(report, 15000);
  account();

  // --- integrity signals (the candidate was told on the start page and sees them afterwards) ---
  const integrity = root.dataset.integrity === "on";
  const queue = [];
  let hiddenSince = null;
  const lastSnapshot = new Map();
  function sectionOf(el) { return el && el.closest ? el.closest("section.question") : null; }
  function record(event) {
    if (!integrity || locked) return;
    event.at = new Date(Date.now() + clockOffset).toISOString();
    queue.push(event);
  }
  function flush(leaving) {
    if (!queue.length || locked) return Promise.resolve();
    const batch = queue.splice(0, 200);
    return request("POST", api + "events/", { events: batch }, leaving).then(function (r) {
      if (r.status >= 500) queue.unshift.apply(queue, batch);  // try again later
    }).catch(function () { queue.unshift.apply(queue, batch); });
  }
  function snapshot() {
    root.querySelectorAll("section.question[data-kind=code]").forEach(function (section) {
      const code = section.querySelector("textarea.code").value;
      if (lastSnapshot.get(section) === code) return;
      if (lastSnapshot.has(section) || code !== section.querySelector("textarea.code").dataset.starter) {
        record({ kind: "snapshot", question_id: Number(section.dataset.questionId), content: code });
      }
      lastSnapshot.set(section, code);
    });
  }
  if (integrity) {
    root.addEventListener("paste", function (e) {
      if (e.target.closest && e.target.closest("[data-no-save]")) return;  // a run's custom input, not an answer
      const text = (e.clipboardData && e.clipboardData.getData("text")) || "";
      const section = sectionOf(e.target);
      record({ kind: "paste", size: text.length, question_id: section ? Number(section.dataset.questionId) : null });
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { hiddenSince = Date.now(); snapshot(); flush(true); return; }
      if (hiddenSince !== null) {
        record({ kind: "focus_lost", duration_ms: Date.now() - hiddenSince });
        hiddenSince = null;
      }
    });
    root.querySelectorAll("section.question[data-kind=code] textarea.code").forEach(function (area) {
      lastSnapshot.set(sectionOf(area), area.value);
    });
    setInterval(function () { snapshot(); flush(); }, 20000);
    // Leaving or reloading the page: send what is queued, or it would be lost with the page.
    window.addEventListener("pagehide", function () { snapshot(); flush(true); });
  }

  syncClock().finally(function () { if (timer) tick(); });
  setInterval(syncClock, 60000);
  // A tab that slept or sat in the background re-reads the server's clock when it comes back.
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible" && !locked) syncClock(); });
})();
