// The admin page: connect, look at the groups, pick servers, review the plan, run it, read the
// results. Plain ES modules over the package's web build (/pkg/web/index.js), no framework.
//
// Credentials live only in the Client object and the connect form, in this tab's memory.
// The rollout report (no secrets) is kept in localStorage so that a reload can resume a run.
import { h, $, clear, icon, fmt, plural, time } from "./dom.js";
import { errorBox, showFieldErrors, clearFieldErrors, describe } from "./errors.js";
import { loadReport, forgetReport } from "./store.js";
import { holdsRunMark } from "./rules.js";
import { initServers } from "./servers.js";
import { initReview } from "./review.js";
import { initRun } from "./run.js";

const STEPS = ["connect", "groups", "servers", "review", "run", "results"];

/** How often a running job is read: ?poll=50 (tests, demos) or the gateway's config; else 2 s. */
function pollInterval(config) {
  const ok = (n) => Number.isInteger(n) && n >= 10 && n <= 600_000;
  const fromUrl = Number(new URLSearchParams(location.search).get("poll") ?? NaN);
  if (ok(fromUrl)) return fromUrl;
  return ok(config?.pollIntervalMs) ? config.pollIntervalMs : 2000;
}

export const app = {
  pkg: null,
  config: null,
  client: null,
  connection: null, // { endpoint, projectId, authMode } — never a secret
  step: "connect",
  groups: [],
  groupDetails: new Map(),
  servers: [],
  selected: new Set(),
  pollIntervalMs: pollInterval(null),
  runActive: false,
  lastReport: null,

  go(step, { focus = true } = {}) {
    if (!STEPS.includes(step)) return;
    this.step = step;
    for (const name of STEPS) {
      const section = document.getElementById(`step-${name}`);
      section.hidden = name !== step;
    }
    for (const button of document.querySelectorAll("#steps button")) {
      if (button.dataset.step === step) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    }
    this.updateSteps();
    const heading = document.getElementById(`h-${step}`);
    document.title = `${heading?.textContent ?? step} · Virtual session IP · Workspace APP`;
    if (focus) heading?.focus({ preventScroll: false });
    window.scrollTo({ top: 0 });
    this.onShow[step]?.();
  },

  onShow: {},

  updateSteps() {
    const connected = Boolean(this.client);
    const allowed = {
      connect: true,
      groups: connected,
      servers: connected,
      review: connected && (this.review?.hasServers() ?? false) && !this.runActive,
      run: this.run?.hasRun() ?? false,
      results: Boolean(this.lastReport && this.lastReport.status !== "running"),
    };
    const order = STEPS.indexOf(this.step);
    for (const button of document.querySelectorAll("#steps button")) {
      const name = button.dataset.step;
      button.disabled = !allowed[name] || (this.runActive && ["connect", "groups", "servers", "review"].includes(name));
      button.classList.toggle("done", STEPS.indexOf(name) < order);
    }
  },

  toast(message, tone = "info", { sticky = tone === "bad" } = {}) {
    const box = h("div", { class: `toast toast-${tone}`, role: tone === "bad" ? "alert" : "status" }, icon(tone === "ok" ? "check" : tone === "bad" ? "alert" : "info"), h("span", {}, message));
    const close = h("button", { type: "button", class: "btn-icon", "aria-label": "Dismiss", onclick: () => box.remove() }, icon("x"));
    box.append(close);
    $("#toasts").append(box);
    if (!sticky) setTimeout(() => box.remove(), 7000);
  },

  /** The page's own failures: shown, never swallowed. */
  fail(error, context) {
    console.error(context, error?.name, error?.message); // no credential ever reaches an error
    const { title } = describe(error, context);
    this.toast(`${title}: ${error?.error_msg ?? error?.message ?? String(error)}`, "bad");
  },

  groupName(id) {
    if (!id) return "(no group)";
    return this.groups.find((g) => g.id === id)?.name ?? this.servers.find((s) => s.server_group_id === id)?.server_group_name ?? id;
  },
};

window.addEventListener("error", (e) => app.fail(e.error ?? e.message, "Unexpected error"));
window.addEventListener("unhandledrejection", (e) => app.fail(e.reason, "Unexpected error"));

// ---------------------------------------------------------------------------------------
// Connect

const form = $("#connect-form");
const fields = {
  endpoint: $("#endpoint"),
  projectId: $("#project-id"),
  token: $("#token"),
  ak: $("#ak"),
  sk: $("#sk"),
};

function authMode() {
  return form.querySelector("input[name=auth]:checked")?.value ?? "token";
}

function setAuthMode(mode) {
  const radio = form.querySelector(`input[name=auth][value="${mode}"]`);
  if (radio) radio.checked = true;
  for (const el of form.querySelectorAll("[data-auth]")) el.hidden = el.dataset.auth !== mode;
}

function fillFromConfig({ secrets = true } = {}) {
  const c = app.config ?? {};
  fields.endpoint.value = c.endpoint || location.origin;
  fields.projectId.value = c.projectId ?? "";
  const mode = c.auth === "none" ? "none" : c.auth === "aksk" ? "aksk" : "token";
  setAuthMode(mode);
  if (secrets) {
    fields.token.value = c.token ?? "";
    fields.ak.value = c.ak ?? "";
    fields.sk.value = c.sk ?? "";
  }
  updateFillDemo();
}

/** Offers the simulator's demo credentials when the secret fields are empty (after Disconnect). */
function updateFillDemo() {
  const c = app.config ?? {};
  const empty = !fields.token.value && !fields.sk.value;
  $("#fill-demo").hidden = Boolean(app.client) || !(c.mode === "simulator" && (c.token || c.ak) && empty);
}

function readConnectForm() {
  const mode = authMode();
  const auth = mode === "token" ? { token: fields.token.value.trim() } : mode === "aksk" ? { ak: fields.ak.value.trim(), sk: fields.sk.value } : { none: true };
  return { endpoint: fields.endpoint.value.trim(), projectId: fields.projectId.value.trim(), auth, timeoutMs: 30_000 };
}

function setConnecting(on) {
  const button = $("#connect-button");
  button.disabled = on || Boolean(app.client);
  button.setAttribute("aria-busy", String(on));
  button.classList.toggle("is-busy", on);
}

async function connect(event) {
  event.preventDefault();
  if (!app.pkg) return;
  clearFieldErrors(form);
  const errorHost = clear($("#connect-error"));
  const config = readConnectForm();
  let client;
  try {
    client = new app.pkg.Client(config);
  } catch (error) {
    if (error?.name === "ValidationError") {
      const rest = showFieldErrors(error.errors ?? [], {
        "/endpoint": fields.endpoint,
        "/region": fields.endpoint,
        "/projectId": fields.projectId,
        "/auth/token": fields.token,
        "/auth/ak": fields.ak,
        "/auth/sk": fields.sk,
        "/auth": authMode() === "token" ? fields.token : authMode() === "aksk" ? fields.ak : form.querySelector("input[name=auth]:checked"),
      });
      if (rest.length) errorHost.append(errorBox({ name: "ValidationError", errors: rest }, { context: "Connect" }));
    } else {
      errorHost.append(errorBox(error, { context: "Connect" }));
    }
    return;
  }
  setConnecting(true);
  try {
    // A cheap read that proves the endpoint, the project and the credential together.
    const firstPage = await client.listServerGroups({ limit: 100 }, {});
    app.client = client;
    app.connection = { endpoint: client.endpoint, projectId: config.projectId, authMode: authMode() };
    // The secrets now live in the client object only; the form forgets them.
    fields.token.value = "";
    fields.sk.value = "";
    showConnected();
    app.servers_.start(firstPage);
    renderBanners();
    app.go("groups");
  } catch (error) {
    client.free?.();
    const box = errorBox(error, { context: "Connect" });
    box.setAttribute("tabindex", "-1");
    errorHost.append(box);
    // A refused credential: back to its field. Anything else: to the message.
    const field = error?.status === 401 ? (authMode() === "aksk" ? fields.sk : authMode() === "token" ? fields.token : null) : null;
    (field ?? box).focus();
    box.scrollIntoView({ block: "nearest" });
  } finally {
    setConnecting(false);
  }
}

function showConnected() {
  const c = app.connection;
  const status = $("#conn-status");
  if (c) {
    status.replaceChildren(h("span", { class: "dot dot-ok", "aria-hidden": "true" }), h("span", {}, "Connected · project "), h("code", {}, c.projectId.slice(0, 8) + "…"));
    status.title = `${c.endpoint} · project ${c.projectId}`;
  } else {
    status.replaceChildren(h("span", { class: "dot", "aria-hidden": "true" }), h("span", {}, "Not connected"));
    status.title = "";
  }
  $("#disconnect").hidden = !c;
  form.querySelectorAll("input, button[type=submit]").forEach((el) => {
    el.disabled = Boolean(c);
  });
  for (const reveal of form.querySelectorAll(".reveal")) reveal.disabled = Boolean(c);
  updateFillDemo();
  let done = $("#connected-note");
  if (c) {
    if (!done) {
      done = h("div", { id: "connected-note", class: "callout callout-ok" });
      form.querySelector(".actions").before(done);
    }
    done.replaceChildren(
      icon("check", "callout-icon"),
      h("div", { class: "callout-body" },
        h("p", { class: "callout-title" }, "Connected"),
        h("p", {}, `${c.endpoint} · project ${c.projectId} · ${c.authMode === "token" ? "token" : c.authMode === "aksk" ? "AK/SK signing" : "signed by the gateway"}`),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "btn btn-primary", onclick: () => app.go("groups") }, "Continue"),
          h("button", { type: "button", class: "btn", onclick: disconnect }, "Disconnect"))));
  } else {
    done?.remove();
  }
  app.updateSteps();
}

function disconnect() {
  if (app.runActive) {
    app.toast("A rollout is running. Cancel it, or wait until it ends, before disconnecting.", "warn");
    return;
  }
  app.client?.free?.();
  app.client = null;
  app.connection = null;
  for (const f of [fields.token, fields.ak, fields.sk]) f.value = "";
  updateFillDemo();
  app.servers_.reset();
  app.review.reset();
  clear($("#connect-error"));
  showConnected();
  renderBanners();
  app.go("connect");
  app.toast("Disconnected. The credentials were forgotten.", "info");
}

form.addEventListener("submit", connect);
form.addEventListener("input", updateFillDemo);
form.addEventListener("change", (e) => {
  if (e.target.name === "auth") setAuthMode(e.target.value);
});
for (const button of form.querySelectorAll(".reveal")) {
  button.addEventListener("click", () => {
    const input = document.getElementById(button.dataset.reveal);
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    button.textContent = show ? "Hide" : "Show";
    button.setAttribute("aria-label", `${show ? "Hide" : "Show"} ${button.dataset.what}`);
  });
}
$("#fill-demo").addEventListener("click", () => fillFromConfig());
$("#disconnect").addEventListener("click", disconnect);
for (const button of document.querySelectorAll("#steps button")) button.addEventListener("click", () => app.go(button.dataset.step));

// ---------------------------------------------------------------------------------------
// Banners: a rollout saved by an earlier visit of this page.

function renderBanners() {
  const host = clear($("#banners"));
  const entry = loadReport();
  if (!entry) return;
  if (entry.broken) {
    host.append(h("div", { class: "banner banner-warn", role: "status" }, icon("alert"), h("span", {}, "A saved rollout report could not be read and was ignored."),
      h("button", { type: "button", class: "btn btn-small", onclick: () => { forgetReport(); renderBanners(); } }, "Dismiss")));
    return;
  }
  const report = entry.report;
  if (app.runActive) return; // the run on screen is the saved one
  const counts = report.counts ?? {};
  const total = report.servers.length;
  // Servers the run put in maintenance and has not taken out yet: resuming lifts them (or
  // drains and updates them), also when the run itself has ended.
  const held = report.servers.filter(holdsRunMark).length;
  if (report.status === "running" || held > 0) {
    const sent = report.servers.filter((s) => s.outcome !== "pending" && s.outcome !== "skipped").length;
    const sameProject = !app.connection || !entry.projectId || entry.projectId === app.connection.projectId;
    const resume = h("button", { type: "button", class: "btn btn-primary", id: "resume-button" }, "Resume the rollout");
    const text = app.connection
      ? sameProject
        ? report.status === "running"
          ? "Resuming follows the batches already sent, sends only the servers that were never sent, and takes the servers this run put in maintenance out of it."
          : "Resuming takes the servers this run put in maintenance out of it."
        : `It belongs to project ${entry.projectId}; connect to that project to resume it.`
      : "Connect again to resume it: credentials are never stored, so the page cannot continue on its own.";
    resume.disabled = !app.connection || !sameProject;
    resume.addEventListener("click", () => {
      host.replaceChildren();
      app.run.resume(entry.report);
    });
    const discard = h("button", { type: "button", class: "btn btn-ghost" }, "Discard");
    discard.addEventListener("click", () => {
      discard.replaceWith(
        h("span", { class: "confirm-inline" }, "Forget this run? Its servers keep whatever state they reached. ",
          h("button", { type: "button", class: "btn btn-small btn-danger", onclick: () => { forgetReport(); renderBanners(); } }, "Forget it"),
          h("button", { type: "button", class: "btn btn-small", onclick: renderBanners }, "Keep")),
      );
    });
    host.append(
      h("div", { class: "banner banner-warn", role: "region", "aria-label": "Interrupted rollout" },
        icon("alert", "banner-icon"),
        h("div", { class: "banner-body" },
          h("p", { class: "banner-title" }, report.status === "running" ? "A rollout was interrupted" : "A rollout left servers in maintenance mode"),
          h("p", {}, `Started ${time(report.started_at)} · ${plural(total, "server")} · ${fmt(sent)} sent · ${fmt(counts.succeeded ?? 0)} succeeded · ${fmt(counts.failed ?? 0)} failed. `,
            held ? h("strong", { class: "banner-held" }, `${plural(held, "server")} in maintenance mode set by this run. `) : "", text)),
        h("div", { class: "banner-actions" },
          app.connection ? null : h("button", { type: "button", class: "btn", onclick: () => { app.go("connect"); fields.projectId.focus(); } }, "Connect first"),
          resume, discard)),
    );
  } else if (!app.lastReport || app.lastReport.started_at !== report.started_at) {
    host.append(
      h("div", { class: "banner banner-info", role: "region", "aria-label": "Last rollout" },
        icon("info", "banner-icon"),
        h("div", { class: "banner-body" },
          h("p", { class: "banner-title" }, `The last rollout ${report.status === "completed" ? "finished" : report.status === "halted" ? "halted" : "was cancelled"}`),
          h("p", {}, `${time(report.finished_at ?? report.started_at)} · ${fmt(counts.succeeded ?? 0)} succeeded · ${fmt(counts.failed ?? 0)} failed · ${fmt(counts.skipped ?? 0)} skipped · ${fmt(counts.unknown ?? 0)} unknown`)),
        h("div", { class: "banner-actions" },
          h("button", { type: "button", class: "btn", onclick: () => { app.run.showResults(report); } }, "View its results"),
          h("button", { type: "button", class: "btn btn-ghost", onclick: () => { forgetReport(); renderBanners(); } }, "Dismiss"))),
    );
  }
}
app.renderBanners = renderBanners;

// ---------------------------------------------------------------------------------------
// Boot

async function boot() {
  const bootNote = $("#boot");
  try {
    app.pkg = await import("/pkg/web/index.js");
  } catch (error) {
    bootNote.replaceChildren(
      errorBox(error, {
        context: "Loading the package",
        extra: h("p", {}, "The page needs the web build of the package at /pkg/web/. Build it with ", h("code", {}, "make pkg"), " and reload."),
      }),
    );
    return;
  }
  try {
    const answer = await fetch("/config.json", { cache: "no-store" });
    if (answer.ok) app.config = await answer.json();
  } catch {
    app.config = null; // no gateway config: the form starts empty but for the endpoint
  }
  app.pollIntervalMs = pollInterval(app.config);
  if (app.config?.mode) {
    const badge = $("#mode-badge");
    badge.textContent = app.config.mode === "simulator" ? "Simulator" : "Proxy";
    badge.title = app.config.mode === "simulator" ? "The gateway simulates the service: nothing real is rebooted." : "The gateway forwards to a real region and signs the calls.";
    badge.classList.add(`mode-${app.config.mode}`);
    badge.hidden = false;
  }
  app.servers_ = initServers(app);
  app.review = initReview(app);
  app.run = initRun(app);
  fillFromConfig();
  showConnected();
  bootNote.remove();
  renderBanners();
  app.go("connect", { focus: false });
  document.body.dataset.ready = "true";
}

boot().catch((error) => app.fail(error, "Starting the page"));
