// Small behaviours of the portal, kept out of the pages so that the Content-Security-Policy
// can forbid inline script.
"use strict";

// <input type="checkbox" data-select-all>: ticks or clears every ids box of its form.
document.addEventListener("click", (event) => {
  const box = event.target.closest("input[data-select-all]");
  if (!box) return;
  const scope = box.closest("form") || document;
  for (const c of scope.querySelectorAll("input[name=ids]")) c.checked = box.checked;
});

// <form data-confirm="…">: asks before an action that cannot be undone.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
}, true);

// <form data-upload>: sends the chosen file through the resumable upload API with a real
// progress bar (percent and size), a cancel button and the submit button disabled while
// busy. After a broken connection it asks the server how far it got and goes on from there;
// choosing the same file again later resumes too (the upload id is kept per file). Roles
// that may not use the API (the main account) fall back to one multipart request, still
// with progress. The answer is the attachments section, swapped in as htmx would.
(() => {
  const CHUNK = 1024 * 1024;
  // The page's token (session-bound): what its forms carry in their csrf field.
  const csrf = () => {
    const field = document.querySelector("form[data-upload] input[name=csrf], form[data-upload-page] input[name=csrf]");
    return field ? field.value : "";
  };

  function human(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function send(method, url, body, headers, onProgress, state) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      state.xhr = xhr;
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      for (const [k, v] of Object.entries(headers || {})) xhr.setRequestHeader(k, v);
      if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(new Error("network"));
      xhr.onabort = () => reject(new Error("abort"));
      xhr.send(body);
    });
  }

  async function sha256(file) {
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function resumable(form, file, ui, state) {
    if (!(window.crypto && crypto.subtle)) return null;
    const key = "pd-upload:" + [file.name, file.size, file.lastModified].join(":");
    let id = localStorage.getItem(key);
    let offset = 0;
    if (id) {
      const r = await send("GET", "/api/v1/uploads/" + id, null, {}, null, state);
      if (r.status === 200) offset = JSON.parse(r.responseText).offset;
      else id = null;
    }
    if (!id) {
      const hash = await sha256(file);
      const r = await send("POST", "/api/v1/uploads", JSON.stringify({ size: file.size, sha256: hash }),
        { "Content-Type": "application/json" }, null, state);
      if (r.status !== 201) return null; // not allowed for this role: one request instead
      id = JSON.parse(r.responseText).upload_id;
      localStorage.setItem(key, id);
    } else if (offset > 0) {
      ui.note(form.dataset.resumed.replace("{done}", human(offset)));
    }
    let failures = 0;
    while (offset < file.size) {
      const chunk = file.slice(offset, offset + CHUNK);
      try {
        const r = await send("PUT", "/api/v1/uploads/" + id + "?offset=" + offset, chunk,
          { "Content-Type": "application/octet-stream" }, (n) => ui.progress(offset + n, file.size), state);
        if (r.status === 200) { offset = JSON.parse(r.responseText).offset; failures = 0; }
        else if (r.status === 409) { offset = JSON.parse(r.responseText).error.details.offset; }
        else throw new Error(JSON.parse(r.responseText).error?.message || r.statusText);
      } catch (err) {
        if (err.message === "abort" || ++failures > 5) throw err;
        await new Promise((ok) => setTimeout(ok, 500 * failures)); // then ask where it stands
        const r = await send("GET", "/api/v1/uploads/" + id, null, {}, null, state);
        if (r.status === 200) offset = JSON.parse(r.responseText).offset;
      }
      ui.progress(offset, file.size);
    }
    return { id, key };
  }

  function makeUi(form) {
    const box = form.querySelector(".upload-progress");
    const bar = box.querySelector("progress");
    const figures = box.querySelector(".upload-percent");
    const message = box.querySelector(".upload-note");
    return {
      start() { box.hidden = false; message.textContent = ""; bar.value = 0; figures.textContent = "0%"; },
      progress(done, total) {
        const pct = total ? Math.min(100, Math.floor((done * 100) / total)) : 100;
        bar.value = pct;
        figures.textContent = pct + "% · " + human(done) + " / " + human(total);
      },
      note(text) { message.textContent = text; },
      stop() { box.hidden = true; },
    };
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-upload]");
    if (!form) return;
    const input = form.querySelector("input[type=file]");
    const file = input && input.files && input.files[0];
    if (!file) return; // the server says what is missing
    event.preventDefault();
    event.stopImmediatePropagation();
    const button = form.querySelector("button[type=submit], button:not([type])");
    const cancel = form.querySelector(".upload-cancel");
    const ui = makeUi(form);
    const state = { xhr: null };
    let cancelled = false;
    cancel.onclick = () => { cancelled = true; if (state.xhr) state.xhr.abort(); };
    button.disabled = true;
    input.disabled = true;
    cancel.hidden = false;
    ui.start();
    try {
      const data = new FormData(form);
      let done = null;
      try {
        done = await resumable(form, file, ui, state);
      } catch (err) {
        if (err.message === "abort") throw err;
        done = null;
      }
      if (done) {
        data.delete("file");
        data.set("upload_id", done.id);
        data.set("filename", file.name);
      }
      const r = await send("POST", form.action, data, { "HX-Request": "true" },
        done ? null : (n) => ui.progress(n, file.size), state);
      if (!r.responseText.includes('id="attachments-section"')) {
        throw new Error(r.status + " " + (r.statusText || ""));
      }
      if (done) localStorage.removeItem(done.key);
      const section = document.getElementById("attachments-section");
      section.outerHTML = r.responseText;
      const fresh = document.getElementById("attachments-section");
      if (window.htmx) htmx.process(fresh);
      if ((r.getResponseHeader("HX-Trigger") || "").includes("draft-changed")) {
        document.body.dispatchEvent(new CustomEvent("draft-changed", { bubbles: true }));
      }
    } catch (err) {
      button.disabled = false;
      input.disabled = false;
      cancel.hidden = true;
      ui.note(cancelled ? form.dataset.cancelled : form.dataset.failed.replace("{why}", err.message));
    }
  }, true);

  // <form data-upload-page>: a file whose answer is a whole page (importing a case
  // package): one request with the same progress bar, cancel button and disabled submit;
  // then the page it leads to (the new draft), or the page that says what was wrong.
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-upload-page]");
    if (!form) return;
    const input = form.querySelector("input[type=file]");
    const file = input && input.files && input.files[0];
    if (!file) return; // the server says what is missing
    event.preventDefault();
    event.stopImmediatePropagation();
    const button = form.querySelector("button[type=submit], button:not([type])");
    const cancel = form.querySelector(".upload-cancel");
    const ui = makeUi(form);
    const state = { xhr: null };
    let cancelled = false;
    cancel.onclick = () => { cancelled = true; if (state.xhr) state.xhr.abort(); };
    const data = new FormData(form); // before the input is disabled (disabled fields are not sent)
    button.disabled = true;
    input.disabled = true;
    cancel.hidden = false;
    ui.start();
    try {
      const r = await send("POST", form.action, data, {}, (n) => ui.progress(n, file.size), state);
      cancel.hidden = true;
      if (r.status === 200 && r.responseURL && !r.responseURL.endsWith(form.getAttribute("action"))) {
        window.location.assign(r.responseURL);
        return;
      }
      const page = new DOMParser().parseFromString(r.responseText, "text/html");
      if (!page.body || !page.body.children.length) throw new Error(r.status + " " + (r.statusText || ""));
      document.body.replaceWith(document.adoptNode(page.body)); // the page that names the problem
      if (window.htmx) htmx.process(document.body);
    } catch (err) {
      button.disabled = false;
      input.disabled = false;
      cancel.hidden = true;
      ui.note(cancelled ? form.dataset.cancelled : form.dataset.failed.replace("{why}", err.message));
    }
  }, true);
})();

// The submission's stage line counts the seconds while the server files the package: one
// request does every step, so the page says so instead of inventing a percentage.
document.addEventListener("htmx:beforeRequest", (event) => {
  const form = event.target.closest && event.target.closest("#submit-form");
  const stage = document.getElementById("submit-stage");
  if (!form || !stage) return;
  const out = stage.querySelector(".elapsed");
  const started = Date.now();
  const tick = () => {
    if (!document.body.contains(stage)) return;
    const n = Math.floor((Date.now() - started) / 1000);
    out.textContent = n >= 2 ? stage.dataset.elapsed.replace("{n}", n) : "";
    if (document.getElementById("submit-progress").classList.contains("htmx-request")) setTimeout(tick, 500);
  };
  setTimeout(tick, 500);
});
