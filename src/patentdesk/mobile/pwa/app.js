/* PatentDesk phone app (PWA): the same HTTP API as `patentdesk mobile …`.
 *
 * State and keys live in IndexedDB ("patentdesk-app"): the app's session token, who is
 * logged in, the environment, the CA certificate received when this phone was bound, and
 * the device and signing key pairs (CryptoKey objects; the private halves are not
 * extractable). Every QR payload is checked here before anything is shown: environment
 * (A5), the office's signature under this environment's CA, this server, expiry; then the
 * server is asked who is asking, and a code already used is refused (replay).
 */
"use strict";

(() => {
  const C = PDCrypto;
  const view = document.getElementById("view");
  const SHORT_CODE = /^[2-9A-HJ-NP-Z]{10}$/;

  // ---------------------------------------------------------------- storage

  const DB_NAME = "patentdesk-app";
  function idb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore("kv");
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  async function store(mode, fn) {
    const db = await idb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction("kv", mode);
      const req = fn(tx.objectStore("kv"));
      tx.oncomplete = () => { db.close(); resolve(req && req.result); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    });
  }
  const kvGet = (key) => store("readonly", (s) => s.get(key));
  const kvPut = (key, value) => store("readwrite", (s) => s.put(value, key));
  const kvDelete = (key) => store("readwrite", (s) => s.delete(key));

  let state = {};
  let lang = "zh";
  const saveState = () => kvPut("state", state);

  // ---------------------------------------------------------------- text

  function t(key, params = {}) {
    const text = (PD_TEXT[lang] && PD_TEXT[lang][key]) || PD_TEXT.zh[key] || key;
    return text.replace(/\{(\w+)\}/g, (_, k) => (k in params ? String(params[k]) : `{${k}}`));
  }
  function envName(env) {
    return PD_TEXT[lang][`env.${env}`] ? t(`env.${env}`) : t("env.other", { env });
  }
  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit",
    });
  }
  /** A browser's user-agent string as people name it ("Chrome · Windows"); other names as given. */
  function deviceLabel(name) {
    if (!name || !/^Mozilla\//.test(name)) return name || "";
    const browser = /Edg\//.test(name) ? "Edge" : /Firefox\//.test(name) ? "Firefox"
      : /Chrom(e|ium)\//.test(name) ? "Chrome" : /Safari\//.test(name) ? "Safari" : "";
    const os = /Windows/.test(name) ? "Windows" : /Android/.test(name) ? "Android" : /iPhone|iPad/.test(name) ? "iOS"
      : /Mac OS X/.test(name) ? "macOS" : /Linux/.test(name) ? "Linux" : "";
    return [browser, os].filter(Boolean).join(" · ") || name.slice(0, 60);
  }
  const roleName = (role) => (role ? (PD_TEXT.zh[`role.${role}`] ? t(`role.${role}`) : role) : t("role.default"));
  const clientName = (kind) => (PD_TEXT.zh[`client.${kind}`] ? t(`client.${kind}`) : kind);
  const BUSINESS = {
    invention: ["发明专利申请", "Invention application"],
    utility: ["实用新型专利申请", "Utility model application"],
    design: ["外观设计专利申请", "Design application"],
    change: ["著录项目变更", "Bibliographic data change"],
    response: ["答复通知书（意见陈述/补正）", "Response to a notice"],
    reexam: ["复审请求", "Reexamination request"],
    invalidation: ["无效宣告请求", "Invalidation request"],
    fee: ["缴费", "Fee payment"],
    pct: ["PCT 国际申请", "PCT international application"],
    "pct-national": ["PCT 国际申请进入中国国家阶段", "PCT national phase entry"],
  };
  const businessName = (b) => (b && BUSINESS[b] ? BUSINESS[b][lang === "zh" ? 0 : 1] : b || t("sign.none"));

  // ---------------------------------------------------------------- DOM

  function h(tag, attrs = {}, ...kids) {
    const el = document.createElement(tag);
    if (tag === "form") el.noValidate = true; // our messages, in the app's language
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) el.append(kid);
    return el;
  }
  // Line icons drawn here: emoji and symbol glyphs are missing from many phones' fonts.
  const ICONS = {
    scan: "M3 8V4h4M17 4h4v4M21 16v4h-4M7 20H3v-4M3 12h18",
    keyboard: "M2 6h20v12H2zM6 10h0M10 10h0M14 10h0M18 10h0M7 14h10",
    clock: "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18M12 7v5l3 3",
    screen: "M3 4h18v12H3zM8 20h8M12 16v4",
    mail: "M3 6h18v12H3zM3 6l9 7l9-7",
    person: "M12 4a4 4 0 1 0 0 8a4 4 0 1 0 0-8M4 21c0-4 4-6 8-6s8 2 8 6",
  };
  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }
  const NO_BACK = new Set(["home", "welcome", "decided", "checking", "refused"]);
  function screen(id, title, ...body) {
    stopCamera();
    document.title = `${title} · ${t("app.name")}`;
    const back = !NO_BACK.has(id)
      ? h("button", { type: "button", class: "back", id: "back", "aria-label": t("back"), onclick: () => history.back() }, "‹ " + t("back"))
      : null;
    view.replaceChildren(h("section", { class: "screen", id: `screen-${id}`, "data-screen": id },
      h("div", { class: "titlebar" }, back, h("h1", { text: title })), ...body));
    window.scrollTo(0, 0);
    renderHeader();
  }
  function message(kind, text, id) {
    return h("p", { class: `msg ${kind}`, id: id || null, role: kind === "error" ? "alert" : "status", text });
  }
  function field(id, label, attrs = {}) {
    return h("label", { for: id }, h("span", { text: label }),
      h("input", { id, name: id, autocomplete: "off", ...attrs }));
  }
  const val = (id) => (document.getElementById(id) ? document.getElementById(id).value.trim() : "");
  function showError(where, err) {
    const box = document.getElementById(where);
    if (box) box.replaceChildren(message("error", errorText(err)));
  }
  function errorText(err) {
    if (err && err.apiError) {
      const e = err.apiError;
      return (lang === "en" ? e.message_en : e.message) || e.message || e.code;
    }
    if (err instanceof TypeError) return t("offline");
    return t("error.generic", { msg: (err && err.message) || String(err) });
  }
  async function busy(button, fn) {
    const label = button.textContent;
    button.disabled = true;
    button.textContent = t("busy");
    try { return await fn(); } finally { button.disabled = false; button.textContent = label; }
  }

  function renderHeader() {
    const env = document.getElementById("env");
    const badge = `envbadge.${state.environment}`;
    env.textContent = !state.environment ? "" : PD_TEXT.zh[badge] ? t(badge) : state.environment;
    env.hidden = !state.environment || state.environment === "production";
    document.getElementById("lang").textContent = t("lang.switch");
    document.getElementById("brand").textContent = t("app.name");
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }

  // ---------------------------------------------------------------- HTTP API

  class ApiError extends Error {
    constructor(error, status) { super(error.message || error.code); this.apiError = error; this.status = status; }
    get code() { return this.apiError.code; }
  }
  async function api(method, path, body, { auth = true, text = false } = {}) {
    const headers = { Accept: text ? "*/*" : "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && state.token) headers.Authorization = `Bearer ${state.token}`;
    const r = await fetch(`/api/v1${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store",
    });
    if (r.ok && text) return r.text();
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) {
      const error = (data && data.error) || { code: `HTTP_${r.status}`, message: `HTTP ${r.status}`, message_en: `HTTP ${r.status}` };
      if (r.status === 401 && auth && state.token) {
        // The app's session ended (logged out elsewhere, password changed): log in again.
        state.token = null;
        await saveState();
      }
      throw new ApiError(error, r.status);
    }
    return data;
  }

  // ---------------------------------------------------------------- keys

  async function makeKeys() {
    const keys = { device: await C.generateKeyPair(), signing: await C.generateKeyPair() };
    await kvPut("keys", keys);
    return keys;
  }
  async function proof(kind, privateKey) {
    return C.jwsSign({ t: kind, uid: state.user_id, iat: Math.floor(Date.now() / 1000) }, privateKey);
  }
  function deviceName() {
    const ua = navigator.userAgent;
    const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Windows/.test(ua) ? "Windows" : /Mac/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "";
    return `PatentDesk App${os ? ` (${os})` : ""}`;
  }
  async function bindDevice(keys) {
    const body = {
      name: deviceName(),
      device_public_key: await C.publicPem(keys.device.publicKey),
      signing_public_key: await C.publicPem(keys.signing.publicKey),
      device_proof: await proof("device", keys.device.privateKey),
      signing_proof: await proof("signing", keys.signing.privateKey),
    };
    return api("POST", "/devices", body);
  }
  /** After the app's own login: this phone's keys certified by the environment's CA. */
  async function finishLogin(session, phone) {
    const previousUser = state.user_id;
    state = {
      token: session.token, user_id: session.user_id, name: session.name, phone,
      environment: session.environment,
    };
    let keys = await kvGet("keys");
    if (!keys || (previousUser && previousUser !== session.user_id)) keys = await makeKeys();
    let bound;
    try {
      bound = await bindDevice(keys);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === "DEVICE_REVOKED")) throw err;
      // Reported lost and found again: the old keys stay dead, this phone gets new ones.
      keys = await makeKeys();
      bound = await bindDevice(keys);
    }
    Object.assign(state, {
      device_id: bound.device_id, ca_pem: bound.ca_pem,
      certificate_pem: bound.certificate_pem, certificate_serial: bound.certificate_serial,
    });
    await saveState();
  }

  // ---------------------------------------------------------------- welcome, register, bind

  function welcome() {
    screen("welcome", t("welcome.title"),
      h("p", { class: "lead", text: t("welcome.lead") }),
      h("div", { class: "stack" },
        h("a", { class: "button big", href: "#/register", id: "go-register", text: t("welcome.register") }),
        h("a", { class: "button big secondary", href: "#/bind", id: "go-bind", text: t("welcome.bind") }),
        h("a", { class: "link", href: "#/recover", id: "go-recover", text: t("welcome.recover") })));
  }

  function codeStep(lead, onSubmit, resend) {
    return h("form", { id: "code-form", class: "stack", onsubmit: (ev) => { ev.preventDefault(); onSubmit(ev.submitter || document.getElementById("code-submit")); } },
      h("p", { class: "lead", id: "code-lead", text: lead }),
      field("code", t("field.code"), { inputmode: "numeric", autocomplete: "one-time-code", maxlength: "8", required: true }),
      h("button", { type: "submit", class: "button big", id: "code-submit", text: t("sms.submit") }),
      resend ? h("button", { type: "button", class: "button secondary", id: "code-resend", text: t("sms.resend"), onclick: (ev) => busy(ev.target, resend) }) : null,
      h("div", { id: "code-error" }));
  }

  function register() {
    const form = h("form", { id: "register-form", class: "stack", novalidate: true, onsubmit: (ev) => { ev.preventDefault(); submit(document.getElementById("register-submit")); } },
      field("phone", t("field.phone"), { type: "tel", inputmode: "tel", autocomplete: "tel", maxlength: "11" }),
      field("name", t("field.name"), { autocomplete: "name", maxlength: "50" }),
      field("id-number", t("field.id"), { maxlength: "18", autocapitalize: "characters" }),
      field("password", t("field.password"), { type: "password", autocomplete: "new-password" }),
      h("p", { class: "hint", text: t("password.hint") }),
      field("password2", t("field.password2"), { type: "password", autocomplete: "new-password" }),
      h("button", { type: "submit", class: "button big", id: "register-submit", text: t("register.submit") }),
      h("div", { id: "register-error" }));
    screen("register", t("register.title"), h("p", { class: "lead", text: t("register.lead") }), form);
    let pending = null;

    function collect() {
      const data = { phone: val("phone"), name: val("name"), id_number: val("id-number").toUpperCase(), password: document.getElementById("password").value };
      const missing = [["phone", "field.phone"], ["name", "field.name"], ["id_number", "field.id"], ["password", "field.password"]].find(([k]) => !data[k]);
      if (missing) throw new Error(t("required", { field: t(missing[1]) }));
      if (data.password !== document.getElementById("password2").value) throw new Error(t("password.mismatch"));
      return data;
    }
    /** Registration proves the phone number with an SMS code (docs/api.md): the first call
     * checks the fields and sends the code (202 sms_code_required), the same body with
     * `sms_code` creates the account and, for the app, answers with its session. */
    async function create(data, code) {
      const body = { ...data, client_kind: "app", device_name: deviceName(), ...(code ? { sms_code: code } : {}) };
      const answer = await api("POST", "/identity/register", body, { auth: false });
      if (answer && answer.sms_code_required) {
        askCode(answer.phone || data.phone);
        return;
      }
      if (answer && answer.session && answer.session.token) {
        await keysThenHome(answer.session, data.phone);
        return;
      }
      await bindWith(data.phone, data.password, "register-error");
    }
    function askCode(masked) {
      view.querySelector(".screen").replaceChildren(view.querySelector(".titlebar"),
        codeStep(t("register.code.lead", { phone: masked }), (b) => busy(b, async () => {
          try { await create(pending, val("code")); } catch (e) { showError("code-error", e); }
        }), async () => {
          try {
            await api("POST", "/identity/register", { ...pending, client_kind: "app", device_name: deviceName() }, { auth: false });
            document.getElementById("code-error").replaceChildren(message("ok", t("sms.sent", { phone: masked })));
          } catch (e) { showError("code-error", e); }
        }));
    }
    async function submit(button) {
      let data;
      try { data = collect(); } catch (e) { document.getElementById("register-error").replaceChildren(message("error", e.message)); return; }
      pending = data;
      await busy(button, async () => {
        try { await create(data); } catch (err) { showError("register-error", err); }
      });
    }
  }

  function sendCode(phone, purpose) {
    return api("POST", "/identity/sms-codes", { phone, purpose }, { auth: false });
  }

  /** The app's password login (with an SMS step when the server asks for one), then keys. */
  async function bindWith(phone, password, errorBox) {
    const answer = await api("POST", "/auth/password-login", {
      account: phone, password, client_kind: "app", device_name: deviceName(),
    }, { auth: false });
    if (answer.second_factor === "sms") {
      view.querySelector(".screen").replaceChildren(view.querySelector(".titlebar"),
        codeStep(t("bind.code.lead", { phone: answer.phone }), (b) => busy(b, async () => {
          try {
            const session = await api("POST", "/auth/password-login/verify", { challenge_id: answer.challenge_id, code: val("code") }, { auth: false });
            await keysThenHome(session, phone);
          } catch (e) { showError("code-error", e); }
        }), null));
      return;
    }
    await keysThenHome(answer, phone, errorBox);
  }
  /** A QR code drawn here (vendored qrcode-generator), as an SVG of squares: no markup
   * is parsed from a string. */
  function qrSvg(text) {
    const qr = qrcode(0, "M");
    qr.addData(text);
    qr.make();
    const n = qr.getModuleCount();
    const border = 4;
    let d = "";
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + border} ${r + border}h1v1h-1z`;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${n + 2 * border} ${n + 2 * border}`);
    svg.setAttribute("shape-rendering", "crispEdges");
    const bg = document.createElementNS(ns, "rect");
    bg.setAttribute("width", "100%"); bg.setAttribute("height", "100%"); bg.setAttribute("fill", "#fff");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d); path.setAttribute("fill", "#000");
    svg.append(bg, path);
    return svg;
  }

  /** Binding approved by a phone already bound to the account (instead of an SMS code):
   * after the password, this phone shows a code that only that account's phones may
   * approve, and collects its session once one has. */
  async function bindByDevice(phone, password) {
    const answer = await api("POST", "/auth/password-login", {
      account: phone, password, client_kind: "app", device_name: deviceName(), second_factor: "device",
    }, { auth: false });
    const status = h("div", { id: "bind-status" }, message("info", t("bindDevice.waiting"), "bind-waiting"));
    screen("bind-approve", t("bindDevice.title"),
      h("p", { class: "lead", text: t("bindDevice.lead") }),
      h("div", { class: "qr-show", id: "bind-code", "data-payload": answer.payload, role: "img", "aria-label": t("bindDevice.qr") }, qrSvg(answer.payload)),
      h("p", { class: "short-code" }, h("span", { text: t("bindDevice.short") }), " ", h("strong", { id: "bind-short-code", text: answer.short_code })),
      h("p", { class: "hint", text: t("bindDevice.expires", { time: when(answer.expires_at) }) }),
      status);
    const shown = () => {
      const box = document.getElementById("bind-code");
      return box && box.dataset.payload === answer.payload;
    };
    while (shown()) {
      let result;
      try {
        result = await api("POST", `/auth/qr/${encodeURIComponent(answer.request_id)}/poll`, { secret: answer.secret, wait: 20 }, { auth: false });
      } catch (err) {
        if (err instanceof TypeError) { await new Promise((ok) => setTimeout(ok, 2000)); continue; } // offline a moment
        if (shown()) status.replaceChildren(message("error", errorText(err), "bind-refused"),
          h("a", { class: "button big", href: "#/bind", id: "bind-again", text: t("bindDevice.again") }));
        return;
      }
      if (result.status === "approved" && shown()) { await keysThenHome(result, phone); return; }
    }
  }
  async function keysThenHome(session, phone) {
    view.querySelector(".screen").append(message("info", t("bind.keys"), "keys-progress"));
    await finishLogin(session, phone);
    go("#/home", true);
  }

  function bind() {
    screen("bind", t("bind.title"),
      h("p", { class: "lead", text: t("bind.lead") }),
      h("form", { id: "bind-form", class: "stack", onsubmit: (ev) => {
        ev.preventDefault();
        const button = document.getElementById("bind-submit");
        busy(button, async () => {
          try { await bindWith(val("phone"), document.getElementById("password").value, "bind-error"); } catch (e) { showError("bind-error", e); }
        });
      } },
      field("phone", t("field.phone"), { type: "tel", inputmode: "tel", autocomplete: "username", required: true }),
      field("password", t("field.password"), { type: "password", autocomplete: "current-password", required: true }),
      h("button", { type: "submit", class: "button big", id: "bind-submit", text: t("bind.submit") }),
      h("button", { type: "button", class: "button big secondary", id: "bind-by-device", text: t("bind.byDevice"), onclick: (ev) => {
        const phone = val("phone");
        const password = document.getElementById("password").value;
        if (!phone || !password) {
          document.getElementById("bind-error").replaceChildren(message("error", t("required", { field: t(!phone ? "field.phone" : "field.password") })));
          return;
        }
        busy(ev.target, async () => {
          try { await bindByDevice(phone, password); } catch (e) { showError("bind-error", e); }
        });
      } }),
      h("p", { class: "hint", text: t("bind.byDevice.hint") }),
      h("a", { class: "link", href: "#/recover", text: t("welcome.recover") }),
      h("div", { id: "bind-error" })));
  }

  function recover() {
    let phone = "";
    screen("recover", t("recover.title"),
      h("p", { class: "lead", text: t("recover.lead") }),
      h("form", { id: "recover-form", class: "stack", onsubmit: (ev) => {
        ev.preventDefault();
        busy(document.getElementById("recover-submit"), async () => {
          try {
            if (document.getElementById("new-password").value !== document.getElementById("new-password2").value) throw new Error(t("password.mismatch"));
            await api("POST", "/identity/password-reset", { phone: val("phone"), code: val("code"), new_password: document.getElementById("new-password").value }, { auth: false });
            document.getElementById("recover-form").replaceChildren(message("ok", t("recover.done"), "recover-done"),
              h("a", { class: "button big", href: "#/bind", text: t("bind.submit") }));
          } catch (e) { showError("recover-error", e); }
        });
      } },
      field("phone", t("field.phone"), { type: "tel", inputmode: "tel", autocomplete: "username", value: state.phone || "" }),
      h("button", { type: "button", class: "button secondary", id: "recover-send", text: t("sms.send"), onclick: (ev) => busy(ev.target, async () => {
        try {
          phone = val("phone");
          if (!phone) throw new Error(t("required", { field: t("field.phone") }));
          await sendCode(phone, "recover");
          document.getElementById("recover-error").replaceChildren(message("ok", t("sms.sent", { phone })));
        } catch (e) { showError("recover-error", e); }
      }) }),
      field("code", t("field.code"), { inputmode: "numeric", autocomplete: "one-time-code", maxlength: "8" }),
      field("new-password", t("field.new"), { type: "password", autocomplete: "new-password" }),
      h("p", { class: "hint", text: t("password.hint") }),
      field("new-password2", t("field.password2"), { type: "password", autocomplete: "new-password" }),
      h("button", { type: "submit", class: "button big", id: "recover-submit", text: t("recover.submit") }),
      h("div", { id: "recover-error" })));
  }

  // ---------------------------------------------------------------- home

  function tile(href, id, label, name) {
    return h("a", { class: "tile", href, id }, icon(name), h("span", { text: label }));
  }
  function home() {
    screen("home", t("home.hello", { name: state.name }),
      h("a", { class: "scan-button", href: "#/scan", id: "go-scan" },
        icon("scan"),
        h("strong", { text: t("home.scan") }), h("small", { text: t("home.scan.hint") })),
      h("div", { class: "tiles" },
        tile("#/code", "go-code", t("home.code"), "keyboard"),
        tile("#/windows", "go-windows", t("home.windows"), "clock"),
        tile("#/sessions", "go-sessions", t("home.sessions"), "screen"),
        tile("#/inbox", "go-inbox", t("home.inbox"), "mail"),
        tile("#/account", "go-account", t("home.account"), "person")));
  }

  // ---------------------------------------------------------------- scanning

  let camera = null;
  function stopCamera() {
    if (!camera) return;
    camera.stopped = true;
    for (const track of camera.stream ? camera.stream.getTracks() : []) track.stop();
    camera = null;
  }
  async function scan() {
    const video = h("video", { id: "camera", playsinline: true, muted: true, autoplay: true });
    screen("scan", t("scan.title"),
      h("p", { class: "lead", text: t("scan.lead") }),
      h("div", { class: "viewfinder" }, video, h("div", { class: "frame", "aria-hidden": "true" })),
      h("p", { id: "scan-status", class: "muted", role: "status", text: t("scan.starting") }),
      h("a", { class: "button big secondary", href: "#/code", id: "go-code", text: t("scan.code") }));
    const status = document.getElementById("scan-status");
    const me = { stopped: false, stream: null };
    camera = me;
    try {
      me.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (err) {
      const why = err && err.name === "NotAllowedError" ? t("scan.denied") : (err && err.message) || String(err);
      status.replaceChildren(message("error", t("scan.nocamera", { why })));
      return;
    }
    if (me.stopped) { me.stream.getTracks().forEach((tr) => tr.stop()); return; }
    video.srcObject = me.stream;
    await video.play().catch(() => {});
    status.textContent = t("scan.looking");
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const tick = () => {
      if (me.stopped) return;
      if (video.readyState >= 2 && video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const found = jsQR(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" });
        if (found && found.data) {
          stopCamera();
          handlePayload(found.data);
          return;
        }
      }
      setTimeout(tick, 150);
    };
    tick();
  }

  function typeCode() {
    screen("code", t("scan.code.title"),
      h("p", { class: "lead", text: t("scan.code.lead") }),
      h("form", { id: "code-lookup", class: "stack", onsubmit: (ev) => {
        ev.preventDefault();
        const code = val("short-code").toUpperCase().replace(/[\s-]/g, "");
        if (!SHORT_CODE.test(code)) { document.getElementById("lookup-error").replaceChildren(message("error", t("scan.code.bad"))); return; }
        busy(document.getElementById("lookup-submit"), async () => {
          try {
            const found = await api("GET", `/qr/code/${code}`);
            await handlePayload(found.payload);
          } catch (e) { refusalFromApi(e, "lookup-error"); }
        });
      } },
      field("short-code", t("scan.code.field"), { autocapitalize: "characters", maxlength: "12", spellcheck: "false", class: "code-input" }),
      h("button", { type: "submit", class: "button big", id: "lookup-submit", text: t("scan.code.submit") }),
      h("div", { id: "lookup-error" })));
  }

  class Refusal extends Error {
    constructor(key, params = {}) { super(key); this.key = key; this.params = params; }
  }
  function refuse(key, params, text) {
    screen("refused", t("refuse.title"),
      h("div", { class: "result bad" }, h("span", { class: "mark", "aria-hidden": "true", text: "✕" }),
        h("p", { id: "refusal", "data-reason": key.replace("refuse.", ""), text: text || t(key, params) })),
      h("a", { class: "button big", href: "#/scan", id: "scan-again", text: t("home.scan") }),
      h("a", { class: "button big secondary", href: "#/home", text: t("home") }));
  }
  const API_REFUSALS = { QR_EXPIRED: "refuse.expired", QR_ALREADY_USED: "refuse.used", QR_DENIED: "refuse.denied", NOT_FOUND: "refuse.notyours" };
  function refusalFromApi(err, box) {
    if (err instanceof Refusal) { refuse(err.key, err.params); return; }
    if (err instanceof ApiError && API_REFUSALS[err.code]) { refuse(API_REFUSALS[err.code]); return; }
    if (err instanceof ApiError && err.status === 401) { loggedOut(); return; }
    if (box && document.getElementById(box)) showError(box, err);
    else refuse(`refuse.${err instanceof ApiError ? err.code.toLowerCase() : "error"}`, {}, errorText(err));
  }
  /** The app's session ended elsewhere (password changed, phone reported lost): log in again. */
  function loggedOut() {
    go("#/welcome", true);
    view.querySelector(".screen").prepend(message("error", t("session.ended"), "session-gone"));
  }

  let office = null;
  async function officeKey() {
    if (office) return office;
    const ca = C.parseCertificate(C.pemToDer(state.ca_pem));
    const cert = C.parseCertificate(C.pemToDer(await api("GET", "/pki/office.pem", undefined, { auth: false, text: true })));
    if (!(await C.issuedBy(cert, ca))) throw new Refusal("refuse.office");
    office = await C.importPublic(cert.spki);
    return office;
  }

  /** Everything the CLI phone checks before it shows a request (MobileApp.inspect). */
  async function inspect(text) {
    let claims;
    try { claims = C.jwsPeek(text).claims; } catch (e) { throw new Refusal("refuse.malformed"); }
    const mine = state.environment;
    if (typeof claims.env === "string" && claims.env !== mine) {
      // Only to word the refusal: a forged claim gains nothing, the code is refused.
      throw new Refusal("refuse.environment", { other: envName(claims.env.slice(0, 32)), mine: envName(mine) });
    }
    let verified;
    try { verified = await C.jwsVerify(text, await officeKey()); } catch (e) {
      if (e instanceof Refusal) throw e;
      throw new Refusal("refuse.malformed");
    }
    if (!verified) throw new Refusal("refuse.signature");
    if (String(verified.srv || "").replace(/\/+$/, "") !== location.origin) throw new Refusal("refuse.server", { srv: String(verified.srv).slice(0, 80) });
    if (verified.env !== mine) throw new Refusal("refuse.environment", { other: envName(String(verified.env)), mine: envName(mine) });
    if (typeof verified.exp !== "number" || verified.exp * 1000 < Date.now()) throw new Refusal("refuse.expired");
    if (verified.t !== "login" && verified.t !== "sign") throw new Refusal("refuse.malformed");
    const details = await api("GET", `/qr/${encodeURIComponent(verified.id)}`);
    if (details.status === "denied") throw new Refusal("refuse.denied");
    if (details.status !== "pending") throw new Refusal("refuse.used"); // a replayed code
    if (verified.t === "sign" && verified.dg !== undefined && verified.dg !== details.digest) throw new Refusal("refuse.digest");
    return { claims: verified, details };
  }

  async function handlePayload(text) {
    screen("checking", t("scan.title"), h("p", { class: "muted", id: "checking", role: "status", text: t("scan.checking") }));
    try {
      const request = await inspect(text);
      if (request.claims.t === "sign") confirmSign(request); else confirmLogin(request);
    } catch (err) {
      refusalFromApi(err, null);
    }
  }

  function row(label, value, id) {
    return h("div", { class: "row" }, h("dt", { text: label }), h("dd", { id: id || null, text: value }));
  }
  function decisionButtons(request, approveLabel) {
    return h("div", { class: "decide" },
      h("button", { type: "button", class: "button big", id: "approve", text: approveLabel, onclick: (ev) => decide(ev.target, request, true) }),
      h("button", { type: "button", class: "button big danger", id: "deny", text: t("deny"), onclick: (ev) => decide(ev.target, request, false) }),
      h("div", { id: "decide-error" }));
  }
  function confirmLogin(request) {
    const d = request.details;
    // A new phone of this account asking to be bound says so, not «log in».
    const binding = d.client_kind === "app";
    screen("confirm-login", t(binding ? "bindApprove.title" : "login.title"),
      h("p", { class: "lead", id: "confirm-lead", text: t(binding ? "bindApprove.lead" : "login.lead") }),
      h("dl", { class: "facts", id: "requester" },
        row(t("who.client"), clientName(d.client_kind), "who-client"),
        row(t("who.device"), deviceLabel(d.device_name) || "—", "who-device"),
        row(t("who.ip"), d.ip || "—", "who-ip"),
        row(t("who.role"), roleName(d.requested_role), "who-role"),
        row(t("who.time"), when(d.created_at)),
        row(t("who.expires"), when(d.expires_at))),
      decisionButtons(request, t(binding ? "bindApprove.approve" : "approve.login")));
  }
  function confirmSign(request) {
    const d = request.details;
    const applicants = Array.isArray(d.applicants) && d.applicants.length ? d.applicants.join(lang === "zh" ? "、" : ", ") : t("sign.none");
    screen("confirm-sign", t("sign.title"),
      h("p", { class: "lead", text: t("sign.lead") }),
      h("dl", { class: "facts", id: "signing" },
        row(t("sign.business"), businessName(d.business_type), "sign-business"),
        row(t("sign.case"), d.title || t("sign.none"), "sign-title"),
        row(t("sign.applicants"), applicants, "sign-applicants"),
        row(t("sign.package"), d.package_id || t("sign.none"), "sign-package"),
        row(t("sign.files"), d.file_count === undefined || d.file_count === null ? t("sign.none") : String(d.file_count), "sign-files"),
        row(t("sign.digest"), (d.digest || "").replace(/(.{16})/g, "$1 ").trim(), "sign-digest"),
        row(t("who.client"), clientName(d.client_kind)),
        row(t("who.ip"), d.ip || "—")),
      request.claims.dg ? message("ok", t("sign.digest.ok"), "digest-ok") : null,
      decisionButtons(request, t("approve.sign")));
  }

  async function decide(button, request, approve) {
    await busy(button, async () => {
      try {
        const c = request.claims;
        const approval = await C.jwsSign({ id: c.id, n: c.n, d: approve ? "approve" : "deny", iat: Math.floor(Date.now() / 1000) }, (await kvGet("keys")).device.privateKey);
        const body = { approval };
        let path = `/auth/qr/${encodeURIComponent(c.id)}/decision`;
        if (c.t === "sign") {
          path = `/signing-requests/${encodeURIComponent(c.id)}/decision`;
          if (approve) {
            const keys = await kvGet("keys");
            const cms = await C.signDigest(C.unhex(request.details.digest), state.certificate_pem, keys.signing.privateKey);
            body.signature = C.b64(cms);
          }
        }
        await api("POST", path, body);
        const text = approve ? t(c.t === "sign" ? "approved.sign" : "approved.login") : t("denied");
        screen("decided", approve ? t(c.t === "sign" ? "sign.title" : "login.title") : t("deny"),
          h("div", { class: `result ${approve ? "good" : "bad"}` }, h("span", { class: "mark", "aria-hidden": "true", text: approve ? "✓" : "✕" }),
            h("p", { id: "decided", "data-decision": approve ? "approved" : "denied", text })),
          h("a", { class: "button big", href: "#/home", id: "done", text: t("done") }));
      } catch (err) { refusalFromApi(err, "decide-error"); }
    });
  }

  // ---------------------------------------------------------------- no-scan window (C6)

  async function windows() {
    screen("windows", t("windows.title"), h("p", { class: "lead", text: t("windows.lead") }), h("div", { id: "windows-body" }, h("p", { class: "muted", text: t("busy") })));
    const body = document.getElementById("windows-body");
    try {
      const [sessions, open] = await Promise.all([api("GET", "/me/sessions"), api("GET", "/me/sign-windows")]);
      const clients = sessions.filter((s) => (s.client_kind === "desktop" || s.client_kind === "web") && s.has_session_key);
      const names = Object.fromEntries(sessions.map((s) => [s.id, [clientName(s.client_kind), deviceLabel(s.device_name), s.ip].filter(Boolean).join(" · ")]));
      const form = clients.length
        ? h("form", { id: "window-form", class: "stack card", onsubmit: (ev) => { ev.preventDefault(); openWindow(); } },
          h("h2", { text: t("windows.open.title") }),
          h("label", { for: "window-session" }, h("span", { text: t("windows.session") }),
            h("select", { id: "window-session" }, clients.map((s) => h("option", { value: s.id, text: names[s.id] })))),
          field("minutes", t("windows.minutes"), { type: "number", inputmode: "numeric", min: "1", max: "1440", value: "60" }),
          h("button", { type: "submit", class: "button big", id: "window-open", text: t("windows.open") }),
          h("div", { id: "window-error" }))
        : message("info", t("windows.nosession"), "no-client");
      body.replaceChildren(form,
        h("div", { class: "card" }, h("h2", { text: t("windows.list") }),
          open.length
            ? h("ul", { class: "list", id: "window-list" }, open.map((w) => h("li", { "data-window": w.window_id },
              h("span", { text: names[w.session_id] || t("windows.gone") }),
              h("small", { text: t("windows.until", { time: when(w.expires_at) }) }),
              h("button", { type: "button", class: "button danger close-one", text: t("windows.close.one"), onclick: (ev) => closeWindows(ev.target, `/sign-windows/${encodeURIComponent(w.window_id)}/close`) }))))
            : h("p", { class: "muted", id: "window-list-empty", text: t("windows.none") }),
          open.length > 1 ? h("button", { type: "button", class: "button big danger", id: "window-close", text: t("windows.close"), onclick: (ev) => closeWindows(ev.target, "/sign-windows/close") }) : null));
    } catch (e) { body.replaceChildren(message("error", errorText(e))); }

    async function closeWindows(button, path) {
      await busy(button, async () => {
        try {
          const r = await api("POST", path);
          await windows();
          document.getElementById("windows-body").prepend(message("ok", t("windows.closed", { n: r.closed }), "window-closed"));
        } catch (e) { document.getElementById("windows-body").prepend(message("error", errorText(e))); }
      });
    }
    async function openWindow() {
      const minutes = Number(val("minutes"));
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) { document.getElementById("window-error").replaceChildren(message("error", t("windows.minutes.bad"))); return; }
      await busy(document.getElementById("window-open"), async () => {
        try {
          const session = document.getElementById("window-session").value;
          const approval = await C.jwsSign({ t: "sign-window", m: minutes, s: session, iat: Math.floor(Date.now() / 1000) }, (await kvGet("keys")).device.privateKey);
          const r = await api("POST", "/sign-windows", { minutes, approval, session_id: session });
          await windows();
          document.getElementById("windows-body").prepend(message("ok", t("windows.opened", { time: when(r.expires_at) }), "window-opened"));
        } catch (e) { showError("window-error", e); }
      });
    }
  }

  // ---------------------------------------------------------------- sessions (A7)

  async function sessions() {
    screen("sessions", t("sessions.title"), h("p", { class: "lead", text: t("sessions.lead") }), h("div", { id: "sessions-body" }, h("p", { class: "muted", text: t("busy") })));
    const body = document.getElementById("sessions-body");
    try {
      const rows = await api("GET", "/me/sessions");
      body.replaceChildren(h("ul", { class: "list", id: "session-list" }, rows.map((s) => h("li", { "data-session": s.id, "data-kind": s.client_kind },
        h("div", {}, h("strong", { text: clientName(s.client_kind) }), s.current ? h("span", { class: "badge", text: t("sessions.current") }) : null),
        h("small", { text: [deviceLabel(s.device_name), s.ip, roleName(s.role)].filter(Boolean).join(" · ") }),
        h("small", { text: t("sessions.since", { time: when(s.created_at) }) }),
        s.current ? null : h("button", { type: "button", class: "button danger end", text: t("sessions.end"), onclick: (ev) => busy(ev.target, async () => {
          try { await api("DELETE", `/me/sessions/${s.id}`); await sessions(); document.getElementById("sessions-body").prepend(message("ok", t("sessions.ended"), "session-ended")); } catch (e) { body.prepend(message("error", errorText(e))); }
        }) })))), ...(rows.length > 1 ? [] : [h("p", { class: "muted", text: t("sessions.none") })]));
    } catch (e) { body.replaceChildren(message("error", errorText(e))); }
  }

  // ---------------------------------------------------------------- inbox

  async function inbox() {
    screen("inbox", t("inbox.title"), h("div", { id: "inbox-body" }, h("p", { class: "muted", text: t("busy") })));
    const body = document.getElementById("inbox-body");
    const me = await api("GET", "/me").catch((e) => e);
    const notices = await api("GET", "/notices?unconfirmed=true&limit=20").catch((e) => e);
    const due = await api("GET", "/deadlines?days=30").catch((e) => e);
    const list = (rows, empty, id, render) => (rows instanceof Error
      ? h("p", { class: "muted", text: rows.status === 403 ? t("inbox.unavailable") : errorText(rows) })
      : rows.length ? h("ul", { class: "list", id }, rows.map(render)) : h("p", { class: "muted", id: `${id}-empty`, text: t(empty) }));
    // Notices belong to a permission domain: someone who works for agencies picks whose.
    let chooser = null;
    if (!(me instanceof Error) && Array.isArray(me.roles) && me.roles.length > 1) {
      const current = me.role === "natural" ? "natural" : me.role === "sub" ? `sub:${me.account_id}` : `${me.role}:${me.org_id}`;
      chooser = h("label", { for: "inbox-role", class: "card" }, h("span", { text: t("inbox.identity") }),
        h("select", { id: "inbox-role", onchange: async (ev) => {
          ev.target.disabled = true;
          try { await api("POST", "/me/role", { role: ev.target.value }); await inbox(); } catch (e) { body.prepend(message("error", errorText(e))); ev.target.disabled = false; }
        } }, me.roles.map((r) => h("option", { value: r.spec, selected: r.spec === current, text: r.label }))));
    }
    body.replaceChildren(
      ...(chooser ? [chooser] : []),
      h("div", { class: "card" }, h("h2", { text: t("inbox.notices") }),
        list(notices, "inbox.none.notices", "notice-list", (n) => h("li", {}, h("strong", { text: n.name || n.code }), h("small", { text: [n.application_number, n.title].filter(Boolean).join(" · ") }), n.deadline ? h("small", { text: t("inbox.due", { date: n.deadline }) }) : null))),
      h("div", { class: "card" }, h("h2", { text: t("inbox.deadlines") }),
        list(due, "inbox.none.deadlines", "deadline-list", (n) => h("li", { class: n.overdue ? "overdue" : null }, h("strong", { text: t("inbox.due", { date: n.deadline }) }), h("small", { text: [n.application_number, n.name || n.code].filter(Boolean).join(" · ") })))));
  }

  // ---------------------------------------------------------------- account (A4, lost phone)

  async function account() {
    const cert = state.certificate_pem ? C.parseCertificate(C.pemToDer(state.certificate_pem)) : null;
    screen("account", t("account.title"),
      h("dl", { class: "facts" },
        row(t("field.name"), state.name), row(t("field.phone"), state.phone || "—"),
        cert ? row(t("account.cert.serial"), cert.serialHex, "cert-serial") : null,
        cert ? row(t("account.cert.until"), when(cert.notAfter.toISOString())) : null),
      h("form", { id: "password-form", class: "card stack", onsubmit: (ev) => {
        ev.preventDefault();
        busy(document.getElementById("password-submit"), async () => {
          try {
            if (document.getElementById("new-password").value !== document.getElementById("new-password2").value) throw new Error(t("password.mismatch"));
            await api("POST", "/me/password", { current_password: document.getElementById("current-password").value, new_password: document.getElementById("new-password").value, end_other_sessions: true });
            document.getElementById("password-form").reset();
            document.getElementById("password-error").replaceChildren(message("ok", t("account.password.done"), "password-done"));
          } catch (e) { showError("password-error", e); }
        });
      } },
        h("h2", { text: t("account.password") }),
        field("current-password", t("field.current"), { type: "password", autocomplete: "current-password" }),
        field("new-password", t("field.new"), { type: "password", autocomplete: "new-password" }),
        h("p", { class: "hint", text: t("password.hint") }),
        field("new-password2", t("field.password2"), { type: "password", autocomplete: "new-password" }),
        h("button", { type: "submit", class: "button big", id: "password-submit", text: t("account.password") }),
        h("div", { id: "password-error" })),
      h("div", { class: "card" }, h("h2", { text: t("account.devices") }), h("p", { class: "muted", text: t("account.devices.lead") }), h("div", { id: "devices" }), h("div", { id: "devices-msg" })),
      h("div", { class: "stack" },
        h("button", { type: "button", class: "button big secondary", id: "toggle-lang", text: t("account.language"), onclick: switchLang }),
        h("button", { type: "button", class: "button big secondary", id: "logout", text: t("account.logout"), onclick: (ev) => busy(ev.target, logout) })));
    await loadDevices();
  }
  async function loadDevices() {
    const box = document.getElementById("devices");
    try {
      const rows = await api("GET", "/me/devices");
      box.replaceChildren(h("ul", { class: "list", id: "device-list" }, rows.map((d) => h("li", { "data-device": d.device_id },
        h("div", {}, h("strong", { text: d.name }), d.device_id === state.device_id ? h("span", { class: "badge", text: t("account.thisphone") }) : null,
          d.revoked_at ? h("span", { class: "badge bad", text: t("account.revoked") }) : null),
        h("small", { text: when(d.created_at) }),
        d.revoked_at ? null : h("button", { type: "button", class: "button danger lost", text: t("account.lost"), onclick: (ev) => reportLost(ev.target, d) })))));
    } catch (e) { box.replaceChildren(message("error", errorText(e))); }
  }
  async function reportLost(button, device) {
    if (!window.confirm(t("account.lost.confirm", { name: device.name }))) return;
    await busy(button, async () => {
      try {
        await api("POST", `/me/devices/${device.device_id}/lost`);
        if (device.device_id === state.device_id) {
          await kvDelete("keys");
          state = { phone: state.phone };
          await saveState();
          welcome();
          view.querySelector(".screen").prepend(message("ok", t("account.lost.self"), "lost-self"));
          return;
        }
        await loadDevices();
        document.getElementById("devices-msg").replaceChildren(message("ok", t("account.lost.done"), "lost-done"));
      } catch (e) { showError("devices-msg", e); }
    });
  }
  async function logout() {
    try { await api("POST", "/auth/logout"); } catch (e) { /* already ended: log out here anyway */ }
    state = { phone: state.phone, user_id: state.user_id };
    await saveState();
    go("#/welcome", true);
  }

  // ---------------------------------------------------------------- routing

  async function switchLang() {
    lang = lang === "zh" ? "en" : "zh";
    await kvPut("lang", lang);
    route();
  }
  function go(hash, replace) {
    if (replace) history.replaceState(null, "", hash); else history.pushState(null, "", hash);
    route();
  }
  const PUBLIC = { welcome, register, bind, recover };
  const PRIVATE = { home, scan, code: typeCode, windows, sessions, inbox, account };
  function route() {
    const name = (location.hash.replace(/^#\/?/, "") || "").split("?")[0];
    const loggedIn = Boolean(state.token && state.device_id);
    if (PRIVATE[name] && loggedIn) return PRIVATE[name]();
    if (PUBLIC[name] && !(loggedIn && name !== "recover")) return PUBLIC[name]();
    return go(loggedIn ? "#/home" : "#/welcome", true);
  }

  async function start() {
    document.getElementById("lang").addEventListener("click", switchLang);
    if (!(self.crypto && self.crypto.subtle && self.indexedDB)) {
      view.replaceChildren(message("error", PD_TEXT.zh.unsupported), message("error", PD_TEXT.en.unsupported));
      return;
    }
    state = (await kvGet("state")) || {};
    lang = (await kvGet("lang")) || "zh";
    window.addEventListener("hashchange", route);
    route();
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => {});
  }
  start();
})();
