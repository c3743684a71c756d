/* Local Slack-like workspace page: polls /ui/state and renders Block Kit. No build step. */
"use strict";

const S = {
  boot: null, user: null, channel: null, thread: null, since: null,
  modalKey: null, polling: false, people: {}, groups: {}, channels: {},
};
const $ = (id) => document.getElementById(id);

/* ---------- helpers ---------- */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "html") node.innerHTML = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
  .replace(/"/g, "&quot;");
const decode = (s) => String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const resp = await fetch(path, opts);
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok || data.ok === false) toast(data.error || `HTTP ${resp.status}`);
  return data;
}

let toastTimer = null;
function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.classList.remove("hidden");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.add("hidden"), 4000);
}

/* ---------- mrkdwn ---------- */
// Slack's shortcodes (iamcal emoji-data, as Slack uses), sent once with /ui/bootstrap.
let EMOJI = {};

/* Slack's `<!date^epoch^format[^link]|fallback>`: every reader sees their own time zone. */
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const ordinal = (n) => n + ((n % 100 >= 11 && n % 100 <= 13) ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th"));
function slackDate(epoch, format) {
  const d = new Date(epoch * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  const hour = d.getHours() % 12 || 12, ampm = d.getHours() < 12 ? "AM" : "PM";
  const dayDiff = Math.round((new Date(d).setHours(0, 0, 0, 0) - new Date().setHours(0, 0, 0, 0)) / 86400000);
  const relative = { 0: "today", [-1]: "yesterday", 1: "tomorrow" }[dayDiff];
  const date = `${MONTHS[d.getMonth()]} ${ordinal(d.getDate())}, ${d.getFullYear()}`;
  const dateShort = `${MONTHS[d.getMonth()].slice(0, 3)} ${d.getDate()}, ${d.getFullYear()}`;
  const dateLong = `${DAYS[d.getDay()]}, ${date}`;
  const secs = Math.round((Date.now() - d.getTime()) / 1000);
  const ago = secs < 60 ? "just now" : secs < 3600 ? `${Math.floor(secs / 60)} minutes ago`
    : secs < 86400 ? `${Math.floor(secs / 3600)} hours ago` : `${Math.floor(secs / 86400)} days ago`;
  const tokens = {
    date_num: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`, date, date_short: dateShort,
    date_long: dateLong, date_pretty: relative || date, date_short_pretty: relative || dateShort,
    date_long_pretty: relative || dateLong, time: `${hour}:${pad(d.getMinutes())} ${ampm}`,
    time_secs: `${hour}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${ampm}`, ago,
  };
  return format.replace(/\{(\w+)\}/g, (m, t) => (t in tokens ? tokens[t] : m));
}

function controlSeq(inner) {
  const [target, label] = inner.split("|", 2);
  if (target.startsWith("@U") || target.startsWith("@W")) {
    const u = S.people[target.slice(1)];
    return `<span class="mention">@${esc(label || (u ? u.name : target.slice(1)))}</span>`;
  }
  if (target.startsWith("#C")) {
    const c = S.channels[target.slice(1)];
    return `<span class="mention">#${esc(label || (c ? c.name : target.slice(1)))}</span>`;
  }
  if (target.startsWith("!subteam^")) {
    const g = S.groups[target.slice(9)];
    return `<span class="mention">${esc(label || (g ? "@" + g.handle : "@group"))}</span>`;
  }
  if (target.startsWith("!date^")) {
    const [, epoch, format] = target.split("^");
    if (/^\d+$/.test(epoch || "") && format) return `<time>${esc(slackDate(Number(epoch), decode(format)))}</time>`;
    return esc(decode(label || target));
  }
  if (target.startsWith("!")) {
    const word = target.slice(1).split("^")[0];
    const text = label || (["here", "channel", "everyone"].includes(word) ? "@" + word : word);
    return `<span class="mention">${esc(text)}</span>`;
  }
  const url = decode(target);
  if (!/^(https?:|mailto:)/i.test(url)) return esc(decode(label || target));
  return `<a href="${esc(url)}" target="_blank" rel="noopener">${esc(decode(label || target))}</a>`;
}

function mrkdwn(text) {
  const slots = [];
  const keep = (html) => `\u0000${slots.push(html) - 1}\u0000`;
  let s = String(text || "");
  s = s.replace(/```([\s\S]*?)```/g, (_, c) => keep(`<pre class="md-pre">${esc(decode(c.replace(/^\n/, "")))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, c) => keep(`<code class="md-code">${esc(decode(c))}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (_, inner) => keep(controlSeq(inner)));
  s = esc(decode(s));
  const wrap = (mark, tag) => {
    const m = mark === "*" ? "\\*" : mark;
    const re = new RegExp(`(^|[^\\w${m}])${m}(?=\\S)([^${m}\\n]*?[^\\s${m}])${m}(?![\\w${m}])`, "g");
    s = s.replace(re, `$1<${tag}>$2</${tag}>`);
  };
  wrap("*", "b"); wrap("_", "i"); wrap("~", "s");
  s = s.replace(/:([a-z0-9_+\-]+):/g, (m, name) => EMOJI[name] || m);
  s = s.replace(/(^|\n)&gt; ?([^\n]*)/g, '$1<span class="md-quote">$2</span>');
  s = s.replace(/\n/g, "<br>");
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => slots[Number(i)]);
}

function textObj(obj, cls) {
  if (!obj) return null;
  if (obj.type === "mrkdwn") return el("div", { class: cls || "md", html: mrkdwn(obj.text) });
  const t = String(obj.text || "").replace(/:([a-z0-9_+\-]+):/g, (m, n) => EMOJI[n] || m);
  return el("div", { class: cls || "md" }, t);
}

/* ---------- elements ---------- */
function sendAction(ctx, block, elem, value) {
  const body = { user: S.user, action_id: elem.action_id, block_id: block.block_id, value };
  if (ctx.view_id) body.view_id = ctx.view_id;
  else Object.assign(body, { channel: S.channel, ts: ctx.ts });
  return api("/ui/action", body);
}

function confirmThen(conf, run) {
  if (!conf) return run();
  $("confirm-title").textContent = (conf.title && conf.title.text) || "Are you sure?";
  const t = $("confirm-text");
  t.innerHTML = "";
  t.append(textObj(conf.text));
  $("confirm-yes").textContent = (conf.confirm && conf.confirm.text) || "Yes";
  $("confirm-no").textContent = (conf.deny && conf.deny.text) || "Cancel";
  $("confirm-yes").className = conf.style === "danger" ? "btn btn-danger" : "btn btn-primary";
  $("confirm-overlay").classList.remove("hidden");
  const done = (ok) => {
    $("confirm-overlay").classList.add("hidden");
    $("confirm-yes").onclick = $("confirm-no").onclick = null;
    if (ok) run();
  };
  $("confirm-yes").onclick = () => done(true);
  $("confirm-no").onclick = () => done(false);
}

function options(elem) {
  const flat = [...(elem.options || [])];
  for (const g of elem.option_groups || []) flat.push(...(g.options || []));
  return flat;
}

function selectEl(elem, onchange, extraOptions) {
  const sel = el("select", { class: "select", "data-testid": `select-${elem.action_id}`,
    "data-action-id": elem.action_id, onchange });
  const ph = (elem.placeholder && elem.placeholder.text) || "Select an option";
  sel.append(el("option", { value: "" }, elem.type === "overflow" ? "⋯" : ph));
  for (const o of extraOptions || options(elem)) sel.append(el("option", { value: o.value }, o.text.text));
  const init = elem.initial_option && elem.initial_option.value;
  if (init) sel.value = init;
  return sel;
}

function renderElement(elem, block, ctx) {
  const interactive = !ctx.form || block.dispatch_action;
  switch (elem.type) {
    case "button": {
      const cls = "btn" + (elem.style ? ` btn-${elem.style}` : "");
      return el("button", { class: cls, type: "button", "data-testid": `button-${elem.action_id}`,
        "data-action-id": elem.action_id, "data-value": elem.value,
        onclick: () => {
          if (elem.url) window.open(elem.url, "_blank", "noopener");
          confirmThen(elem.confirm, () => sendAction(ctx, block, elem, elem.value));
        } }, elem.text ? elem.text.text : "");
    }
    case "static_select": case "overflow": case "radio_buttons":
      return selectEl(elem, interactive ? (e) => {
        const v = e.target.value;
        if (v) confirmThen(elem.confirm, () => sendAction(ctx, block, elem, v));
      } : null);
    case "users_select":
      return selectEl(elem, interactive ? (e) => sendAction(ctx, block, elem, e.target.value) : null,
        Object.values(S.people).filter((u) => !u.is_bot).map((u) => ({ value: u.id, text: { text: u.real_name } })));
    case "plain_text_input": {
      const attrs = { class: "input", "data-testid": `input-${block.block_id}`,
        "data-action-id": elem.action_id,
        placeholder: elem.placeholder ? elem.placeholder.text : "" };
      const node = elem.multiline ? el("textarea", Object.assign(attrs, { rows: 3 })) : el("input", attrs);
      if (elem.initial_value) node.value = elem.initial_value;
      return node;
    }
    case "datepicker":
      return el("input", { type: "date", class: "input", "data-action-id": elem.action_id,
        value: elem.initial_date, onchange: interactive ? (e) => sendAction(ctx, block, elem, e.target.value) : null });
    case "checkboxes": case "multi_static_select": {
      const box = el("div", { class: "checks", "data-action-id": elem.action_id });
      for (const o of options(elem)) {
        box.append(el("label", { class: "check" }, el("input", { type: "checkbox", value: o.value }), o.text.text));
      }
      return box;
    }
    case "image":
      return el("img", { class: "ctx-img", src: elem.image_url, alt: elem.alt_text || "" });
    default:
      return el("span", { class: "unsupported" }, `[${elem.type}]`);
  }
}

/* ---------- blocks ---------- */
function renderBlock(b, ctx) {
  const wrap = el("div", { class: `block b-${b.type}`, "data-block-id": b.block_id });
  switch (b.type) {
    case "header": wrap.append(el("div", { class: "b-header-text" }, textObj(b.text, "plain"))); break;
    case "section": {
      const body = el("div", { class: "section-body" });
      if (b.text) body.append(textObj(b.text));
      if (b.fields && b.fields.length) {
        body.append(el("div", { class: "fields" }, b.fields.map((f) => textObj(f, "md field"))));
      }
      wrap.append(body);
      if (b.accessory) wrap.append(el("div", { class: "accessory" }, renderElement(b.accessory, b, ctx)));
      break;
    }
    case "context":
      for (const e of b.elements || []) {
        wrap.append(e.type === "image" ? renderElement(e, b, ctx) : textObj(e, "ctx-text"));
      }
      break;
    case "divider": wrap.append(el("hr")); break;
    case "image":
      if (b.title) wrap.append(el("div", { class: "img-title" }, b.title.text));
      wrap.append(el("img", { src: b.image_url, alt: b.alt_text || "", class: "b-img" }));
      break;
    case "actions":
      for (const e of b.elements || []) wrap.append(renderElement(e, b, ctx));
      break;
    case "input": {
      const err = ctx.errors && ctx.errors[b.block_id];
      wrap.append(el("label", { class: "input-label" }, b.label ? b.label.text : "",
        b.optional ? el("span", { class: "muted" }, " (optional)") : null));
      wrap.append(renderElement(b.element, b, ctx));
      if (b.hint) wrap.append(el("div", { class: "hint" }, b.hint.text));
      if (err) wrap.append(el("div", { class: "field-error", "data-testid": `error-${b.block_id}` }, err));
      break;
    }
    case "rich_text": wrap.append(el("div", { class: "md" }, richText(b))); break;
    default: wrap.append(el("span", { class: "unsupported" }, `[unsupported block: ${b.type}]`));
  }
  return wrap;
}

function richText(b) {
  const out = [];
  const walk = (n) => {
    if (!n) return;
    if (n.type === "text" || n.type === "link") out.push(n.text || n.url || "");
    else if (n.type === "user") out.push("@" + ((S.people[n.user_id] || {}).name || n.user_id));
    (n.elements || []).forEach(walk);
  };
  walk(b);
  return out.join("");
}

/* ---------- messages ---------- */
function fmtTime(ts) {
  const d = new Date(parseFloat(ts) * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function avatar(person, msg) {
  const name = person ? person.name : msg.username || "?";
  const isBot = msg.bot_id || (person && person.is_bot);
  let hue = 0;
  for (const ch of name) hue = (hue * 31 + ch.charCodeAt(0)) % 360;
  return el("div", { class: "avatar" + (isBot ? " bot" : ""), style: isBot ? null : `background:hsl(${hue},45%,45%)` },
    isBot ? "⚙" : name[0].toUpperCase());
}

function renderMessage(msg, inThread) {
  const person = S.people[msg.user];
  const ctx = { ts: msg.ts };
  const node = el("div", { class: "message" + (msg.ephemeral ? " ephemeral" : ""),
    "data-testid": "message", "data-ts": msg.ts, "data-user": msg.user });
  if (msg.ephemeral) {
    node.append(el("div", { class: "eph-mark", "data-testid": "ephemeral-mark" }, "Only visible to you",
      el("a", { class: "dismiss", href: "#", onclick: (e) => { e.preventDefault(); api("/ui/dismiss", { user: S.user, ts: msg.ts }); } }, "Dismiss")));
  }
  const body = el("div", { class: "msg-body" });
  const who = person ? (person.is_bot ? person.name : person.real_name) : msg.username || msg.user || "unknown";
  body.append(el("div", { class: "msg-head" }, el("span", { class: "author" }, who),
    msg.bot_id ? el("span", { class: "app-tag" }, "APP") : null,
    el("span", { class: "time" }, fmtTime(msg.ts))));
  const content = el("div", { class: "msg-content", "data-testid": "message-content" });
  if (msg.blocks && msg.blocks.length) msg.blocks.forEach((b) => content.append(renderBlock(b, ctx)));
  else content.append(el("div", { class: "md", html: mrkdwn(msg.text) }));
  if (msg.edited) content.append(el("span", { class: "edited" }, "(edited)"));
  (msg.files || []).forEach((f) => content.append(el("a", { class: "file", "data-testid": "file-link",
    href: f.url_private_download, download: f.name }, `\u{1F4CE} ${f.title || f.name}`)));
  if (msg.pinned_to) content.append(el("div", { class: "pinned", "data-testid": "pinned-mark" }, "\u{1F4CC} Pinned"));
  body.append(content);
  if (!inThread && msg.reply_count) {
    body.append(el("a", { class: "replies", href: "#", "data-testid": "replies-link",
      onclick: (e) => { e.preventDefault(); openThread(msg.ts); } },
    `${msg.reply_count} ${msg.reply_count === 1 ? "reply" : "replies"}`));
  }
  if (!inThread && !msg.ephemeral && msg.subtype !== "tombstone") {
    body.append(el("button", { class: "reply-btn", title: "Reply in thread", "data-testid": "reply-in-thread",
      onclick: () => openThread(msg.ts) }, "Reply"));
  }
  node.append(el("div", { class: "msg-row" }, avatar(person, msg), body));
  return node;
}

function renderList(container, msgs, inThread) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  container.innerHTML = "";
  if (!msgs.length) container.append(el("div", { class: "empty" }, "No messages yet."));
  for (const m of msgs) container.append(renderMessage(m, inThread));
  if (atBottom || !container.dataset.rendered) container.scrollTop = container.scrollHeight;
  container.dataset.rendered = "1";
}

/* ---------- thread ---------- */
function openThread(ts) {
  S.thread = ts;
  $("thread").classList.remove("hidden");
  $("thread-messages").dataset.rendered = "";
  S.since = null;
  poll();
}
function closeThread() { S.thread = null; $("thread").classList.add("hidden"); }

/* ---------- modal ---------- */
function renderModal(modal) {
  const overlay = $("modal-overlay");
  if (!modal) { overlay.classList.add("hidden"); S.modalKey = null; return; }
  const v = modal.view;
  const key = v.id + v.hash;
  const errKey = JSON.stringify(modal.errors || {});
  if (S.modalKey === key + errKey) return;
  const box = $("modal");
  if (S.modalKey && S.modalKey.startsWith(key)) {
    // Same view, new errors: update messages in place so typed values survive.
    box.querySelectorAll(".field-error, .modal-error").forEach((n) => n.remove());
    showModalErrors(box, modal.errors || {});
    S.modalKey = key + errKey;
    return;
  }
  S.modalKey = key + errKey;
  box.innerHTML = "";
  box.dataset.viewId = v.id;
  const ctx = { view_id: v.id, form: true, errors: {} };
  box.append(el("div", { class: "modal-header" }, el("h2", { "data-testid": "modal-title" }, v.title ? v.title.text : ""),
    el("button", { class: "icon-btn", type: "button", onclick: closeModal, title: "Close" }, "×")));
  box.append(el("div", { class: "modal-body" }, (v.blocks || []).map((b) => renderBlock(b, ctx))));
  box.append(el("div", { class: "modal-footer" },
    el("button", { class: "btn", type: "button", "data-testid": "modal-close", onclick: closeModal }, v.close ? v.close.text : "Cancel"),
    v.submit ? el("button", { class: "btn btn-primary", type: "button", "data-testid": "modal-submit", onclick: submitModal }, v.submit.text) : null));
  showModalErrors(box, modal.errors || {});
  overlay.classList.remove("hidden");
  const first = box.querySelector("input, textarea, select");
  if (first) first.focus();
}

function showModalErrors(box, errors) {
  for (const [blockId, text] of Object.entries(errors)) {
    const block = blockId && box.querySelector(`.b-input[data-block-id="${CSS.escape(blockId)}"]`);
    const note = el("div", { class: blockId ? "field-error" : "modal-error", "data-testid": `error-${blockId || "modal"}` }, text);
    if (block) block.append(note); else box.querySelector(".modal-body").prepend(note);
  }
}

function modalValues(box) {
  const values = {};
  const missing = [];
  box.querySelectorAll(".b-input").forEach((block) => {
    const field = block.querySelector("[data-action-id]");
    if (!field) return;
    let value;
    if (field.classList.contains("checks")) value = [...field.querySelectorAll("input:checked")].map((i) => i.value);
    else value = field.value;
    const empty = value === "" || (Array.isArray(value) && !value.length);
    if (empty && !block.querySelector(".input-label .muted")) missing.push(block);
    values[block.dataset.blockId] = empty ? null : value;
  });
  return { values, missing };
}

async function submitModal() {
  const box = $("modal");
  box.querySelectorAll(".field-error").forEach((n) => n.remove());
  const { values, missing } = modalValues(box);
  if (missing.length) {
    // Slack's client refuses to submit with required fields empty.
    missing.forEach((b) => b.append(el("div", { class: "field-error" }, "Please complete this required field.")));
    return;
  }
  await api("/ui/submit", { user: S.user, view_id: box.dataset.viewId, values });
  S.since = null;
  poll();
}

async function closeModal() {
  await api("/ui/close", { user: S.user, view_id: $("modal").dataset.viewId });
  S.since = null;
  poll();
}

/* ---------- state polling ---------- */
async function poll() {
  if (!S.user) return;
  const q = new URLSearchParams({ channel: S.channel, user: S.user });
  if (S.home) q.set("home", "1");
  if (S.since !== null) q.set("since", S.since);
  if (S.thread) q.set("thread", S.thread);
  let data;
  try {
    data = await (await fetch(`/ui/state?${q}`)).json();
  } catch (e) { return; }
  if (!data.changed) return;
  S.since = data.version;
  (data.channels || []).forEach(addChannel);
  if (S.home) { renderHome(data.home); renderModal(data.modal); return; }
  $("channel-title").textContent = `# ${data.channel.name}`;
  $("channel-topic").textContent = data.channel.topic || "";
  renderList($("messages"), data.messages, false);
  if (S.thread && data.thread) {
    $("thread-channel").textContent = `#${data.channel.name}`;
    renderList($("thread-messages"), [data.thread.parent, ...data.thread.replies], true);
  } else if (S.thread) closeThread();
  renderModal(data.modal);
}

async function loop() {
  if (!S.polling) {
    S.polling = true;
    try { await poll(); } finally { S.polling = false; }
  }
  setTimeout(loop, 500);
}

/* ---------- composer & navigation ---------- */
function addChannel(c) {
  if (S.channels[c.id] && document.querySelector(`.channel[data-id="${c.id}"]`)) return;
  S.channels[c.id] = c;
  $("channels").append(el("button", { class: "channel", "data-id": c.id, "data-testid": `channel-${c.name}`,
    onclick: () => selectChannel(c.id) }, el("span", { class: "hash" }, "#"), c.name));
}

function renderHome(view) {
  $("channel-title").textContent = "Opsbot Home";
  $("channel-topic").textContent = "";
  const box = $("messages");
  box.innerHTML = "";
  const node = el("div", { class: "home", "data-testid": "home-view" });
  if (view) view.blocks.forEach((b) => node.append(renderBlock(b, { ts: null, view: view.id })));
  else node.append(el("div", { class: "empty" }, "Opening Home…"));
  box.append(node);
}

function openHome() {
  S.home = true;
  S.since = null;
  closeThread();
  document.querySelectorAll(".channel").forEach((n) => n.classList.toggle("active", n.id === "home-tab"));
  $("composer-form").classList.add("hidden");
  api("/ui/home", { user: S.user });
  poll();
}

function selectChannel(id) {
  S.home = false;
  $("composer-form").classList.remove("hidden");
  S.channel = id;
  S.since = null;
  closeThread();
  $("messages").dataset.rendered = "";
  document.querySelectorAll(".channel").forEach((n) => n.classList.toggle("active", n.dataset.id === id));
  const name = S.channels[id].name;
  $("composer").placeholder = `Message #${name}  —  try ${S.boot.command} help`;
  remember();
  poll();
}

function remember() {
  const params = new URLSearchParams({ user: S.people[S.user].name, channel: S.channels[S.channel].name });
  history.replaceState(null, "", `?${params}`);
}

async function submitText(textarea, threadTs) {
  const text = textarea.value.trim();
  if (!text) return;
  textarea.value = "";
  textarea.disabled = true;
  try {
    await api("/ui/send", { user: S.user, channel: S.channel, text, thread_ts: threadTs || undefined });
  } finally {
    textarea.disabled = false;
    textarea.focus();
  }
  S.since = null;
  poll();
}

function wireComposer(form, textarea, threadTs) {
  form.addEventListener("submit", (e) => { e.preventDefault(); submitText(textarea, threadTs()); });
  textarea.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submitText(textarea, threadTs()); }
  });
}

async function start() {
  const boot = await (await fetch("/ui/bootstrap")).json();
  S.boot = boot;
  EMOJI = boot.emoji || {};
  boot.users.forEach((u) => { S.people[u.id] = u; });
  boot.usergroups.forEach((g) => { S.groups[g.id] = g; });
  boot.channels.forEach((c) => { S.channels[c.id] = c; });
  document.title = `${boot.team.name} — local workspace`;
  $("team-name").textContent = boot.team.name;
  const params = new URLSearchParams(location.search);
  const humans = boot.users.filter((u) => !u.is_bot);
  const picker = $("user-picker");
  humans.forEach((u) => picker.append(el("option", { value: u.id }, `${u.real_name} (@${u.name})`)));
  const wanted = humans.find((u) => u.name === params.get("user") || u.id === params.get("user"));
  S.user = (wanted || humans[0]).id;
  picker.value = S.user;
  picker.addEventListener("change", () => { S.user = picker.value; S.since = null; S.modalKey = null; remember();
    if (S.home) openHome(); else poll(); });
  $("home-tab").addEventListener("click", openHome);
  const nav = $("channels");
  boot.channels.forEach((c) => nav.append(el("button", { class: "channel", "data-id": c.id,
    "data-testid": `channel-${c.name}`, onclick: () => selectChannel(c.id) }, el("span", { class: "hash" }, "#"), c.name)));
  $("composer-hint").innerHTML = `<b>${esc(boot.command)}</b> sends a signed slash command to the bot · <b>Enter</b> to send · <b>Shift+Enter</b> for a new line`;
  wireComposer($("composer-form"), $("composer"), () => null);
  wireComposer($("thread-form"), $("thread-composer"), () => S.thread);
  $("thread-close").addEventListener("click", closeThread);
  const ch = boot.channels.find((c) => c.name === params.get("channel") || c.id === params.get("channel"));
  selectChannel((ch || boot.channels[0]).id);
  loop();
}

start();
