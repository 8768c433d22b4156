// Step 4: the plan from the rollout engine (planRollout), its options, and the explicit
// acknowledgement of the reboot that enables Submit. Nothing is sent before Submit.
import { h, $, clear, icon, fmt, plural, pill, debounce } from "./dom.js";
import { errorBox, showFieldErrors, clearFieldErrors } from "./errors.js";
import { reasonText } from "./rules.js";

export function initReview(app) {
  const form = $("#options-form");
  const inputs = {
    maxUnavailable: $("#opt-max-unavailable"),
    concurrency: $("#opt-concurrency"),
    batchSize: $("#opt-batch-size"),
    includeBusy: $("#opt-include-busy"),
    drain: $("#opt-drain"),
    drainMinutes: $("#opt-drain-minutes"),
    includeMaintained: $("#opt-include-maintained"),
    haltAfterFailures: $("#opt-halt"),
  };
  const fieldFor = {
    "/maxUnavailable": inputs.maxUnavailable,
    "/concurrency": inputs.concurrency,
    "/batchSize": inputs.batchSize,
    "/drainTimeoutMs": inputs.drainMinutes,
    "/haltAfterFailures": inputs.haltAfterFailures,
    "/includeBusy": inputs.includeBusy,
    "/drain": inputs.drain,
    "/includeMaintained": inputs.includeMaintained,
  };
  const ack = $("#ack");
  const submit = $("#submit-button");
  const planHost = $("#plan-host");
  const status = $("#plan-status");

  let servers = [];
  let plan = null;
  let planning = false;
  let seq = 0;
  let note = "";

  /**
   * The options as typed: whole numbers become numbers, anything else goes to the engine as
   * typed (such as "25%"), and an empty field is left to the engine's default. The ranges are
   * the engine's own (parse_options): planRollout refuses what is out of range, and its
   * errors are shown at their paths.
   */
  const typed = (text) => {
    const t = text.trim();
    return t === "" ? undefined : /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
  };

  function readOptions() {
    const options = {
      maxUnavailable: typed(inputs.maxUnavailable.value) ?? "",
      concurrency: typed(inputs.concurrency.value),
      batchSize: typed(inputs.batchSize.value),
      includeBusy: inputs.includeBusy.checked,
      includeMaintained: inputs.includeMaintained.checked,
      drain: inputs.drain.checked,
    };
    if (options.drain) {
      const minutes = typed(inputs.drainMinutes.value);
      options.drainTimeoutMs = typeof minutes === "number" ? minutes * 60_000 : minutes;
    }
    const halt = typed(inputs.haltAfterFailures.value);
    if (halt !== undefined) options.haltAfterFailures = halt;
    return options;
  }

  function resetAck() {
    ack.checked = false;
    updateSubmit();
  }

  function updateSubmit() {
    const ready = Boolean(plan) && !planning && plan.summary.planned > 0 && !app.runActive;
    ack.disabled = !ready;
    if (!ready) ack.checked = false;
    submit.disabled = !(ready && ack.checked);
    $("#submit-hint").textContent = !plan || planning
      ? "Waiting for the plan…"
      : plan.summary.planned === 0
        ? "Nothing to update: every selected server is skipped."
        : ack.checked
          ? `Sends ${plural(plan.summary.batches, "batch", "batches")} in ${plural(plan.summary.waves, "wave")}.`
          : "Confirm above to enable Submit.";
  }

  async function makePlan() {
    const mySeq = ++seq;
    clearFieldErrors(form);
    clear($("#options-error"));
    const options = readOptions();
    planning = true;
    updateSubmit();
    status.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), " Planning…");
    planHost.classList.add("stale");
    try {
      const result = await app.client.planRollout(servers, options);
      if (mySeq !== seq) return;
      plan = result;
      planning = false;
      status.textContent = `Plan ready: ${plural(plan.summary.planned, "server")} in ${plural(plan.summary.waves, "wave")}.`;
      planHost.classList.remove("stale");
      renderPlan();
    } catch (error) {
      if (mySeq !== seq) return;
      planning = false;
      plan = null;
      status.textContent = "";
      planHost.classList.remove("stale");
      if (error?.name === "ValidationError") {
        status.textContent = "Fix the options to see the plan.";
        const rest = showFieldErrors(error.errors ?? [], fieldFor);
        if (rest.length) $("#options-error").append(errorBox({ ...error, name: "ValidationError", errors: rest }, { context: "Planning" }));
        planHost.replaceChildren();
      } else {
        planHost.replaceChildren(errorBox(error, { context: "Planning", onRetry: makePlan }));
      }
    }
    updateSubmit();
  }

  const replan = debounce(() => {
    resetAck();
    makePlan();
  }, 250);

  form.addEventListener("input", (e) => {
    if (e.target === inputs.drain) inputs.drainMinutes.disabled = !inputs.drain.checked;
    plan = null;
    updateSubmit();
    replan();
  });
  form.addEventListener("submit", (e) => e.preventDefault());
  ack.addEventListener("change", updateSubmit);
  $("#review-back").addEventListener("click", () => app.go("servers"));
  submit.addEventListener("click", () => {
    if (!plan || !ack.checked || submit.disabled) return;
    const chosen = plan;
    plan = null;
    resetAck();
    app.run.start(chosen);
  });

  // -------------------------------------------------------------- rendering the plan

  function tile(label, value, caption, tone = "") {
    return h("div", { class: `tile ${tone ? `tile-${tone}` : ""}` }, h("div", { class: "tile-label" }, label), h("div", { class: "tile-value" }, value), caption ? h("div", { class: "tile-caption" }, caption) : null);
  }

  function renderPlan() {
    const s = plan.summary;
    const names = new Map((plan.snapshot ?? []).map((x) => [x.id, x]));
    const nameOf = (id) => names.get(id)?.name ?? id;
    const byGroup = new Map();
    for (const wave of plan.waves) for (const id of wave.batches.flat()) {
      const g = names.get(id)?.server_group_id ?? "";
      byGroup.set(g, (byGroup.get(g) ?? 0) + 1);
    }
    const sessionsTone = s.with_sessions > 0 ? (plan.options?.drain ? "info" : "warn") : "";
    const usersCaption = s.with_sessions > 0
      ? plan.options?.drain
        ? `${plural(s.sessions, "session")} now; drained before the reboot`
        : `${plural(s.sessions, "session")}: these users will be disconnected`
      : "No user is connected to them now";

    const tiles = h("div", { class: "tiles", id: "plan-summary" },
      tile("Servers to update", fmt(s.planned), `of ${fmt(s.selected)} selected`, "primary"),
      tile("Waves", fmt(s.waves), "one after the other"),
      tile("Batches", fmt(s.batches), `at most ${plan.options?.batch_size ?? 20} servers each`),
      tile("With active sessions", fmt(s.with_sessions), usersCaption, sessionsTone),
      tile("Skipped", fmt(s.skipped), s.skipped ? "see the reasons below" : "none", s.skipped ? "warn" : ""),
    );
    tiles.querySelector(".tile-primary")?.setAttribute("data-planned", String(s.planned));

    // Groups: the virtual-IP setting each group's servers get, and how many reboot at once.
    const groupRows = [...byGroup.keys()].sort().map((g) => {
      const enable = plan.enable_by_group?.[g];
      return h("tr", {},
        h("td", {}, app.groupName(g)),
        h("td", { class: "num" }, fmt(byGroup.get(g))),
        h("td", { class: "num" }, fmt(plan.max_unavailable_by_group?.[g])),
        h("td", {}, enable === true ? pill("On", "ok") : pill("Off", "muted")));
    });
    const groupsCard = h("div", { class: "card" },
      h("h2", { class: "card-title" }, "Groups in this rollout"),
      h("div", { class: "table-scroll" }, h("table", { class: "data-table compact" },
        h("caption", { class: "visually-hidden" }, "Groups in this rollout"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Group"), h("th", { scope: "col", class: "num" }, "Servers"), h("th", { scope: "col", class: "num" }, "At once"), h("th", { scope: "col" }, "Virtual IP applied"))),
        h("tbody", {}, groupRows.length ? groupRows : h("tr", {}, h("td", { colspan: "4", class: "empty" }, "No server will be updated."))))),
      h("p", { class: "help" }, "Each server gets its group's virtual IP setting: the service ignores any other value."));

    const warnings = (plan.warnings ?? []).map((w) =>
      h("div", { class: "callout callout-warn", role: "note" }, icon("alert", "callout-icon"), h("div", { class: "callout-body" }, h("p", {}, w.message), h("p", { class: "muted small" }, w.code))));
    if (s.with_sessions > 0 && !plan.options?.drain && !(plan.warnings ?? []).some((w) => w.code === "users.disconnected")) {
      warnings.push(h("div", { class: "callout callout-warn" }, icon("alert", "callout-icon"), h("div", { class: "callout-body" }, h("p", {}, `${plural(s.with_sessions, "server")} ${s.with_sessions === 1 ? "has" : "have"} active sessions; their users will be disconnected.`))));
    }

    const skipped = plan.skipped ?? [];
    const skippedCard = skipped.length
      ? h("details", { class: "card details-card", id: "plan-skipped", open: skipped.length <= 20 },
        h("summary", {}, h("span", { class: "card-title" }, `Skipped: ${plural(skipped.length, "server")}`), h("span", { class: "muted" }, " Not sent; the reasons are below.")),
        h("div", { class: "table-scroll limited" }, h("table", { class: "data-table compact" },
          h("caption", { class: "visually-hidden" }, "Skipped servers"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Server"), h("th", { scope: "col" }, "Reason"), h("th", { scope: "col" }, "Detail"))),
          h("tbody", {}, skipped.slice(0, 500).map((k) => h("tr", {}, h("td", {}, k.name ?? k.id), h("td", {}, pill(reasonText(k.reason), "warn")), h("td", { class: "muted" }, k.detail ?? "")))))),
        skipped.length > 500 ? h("p", { class: "help" }, `…and ${fmt(skipped.length - 500)} more (all of them are in the report).`) : null)
      : null;

    const waveList = h("ol", { class: "waves", id: "plan-waves" });
    const shown = Math.min(plan.waves.length, 100);
    for (const wave of plan.waves.slice(0, shown)) {
      const count = wave.batches.reduce((n, b) => n + b.length, 0);
      const details = h("details", { class: "wave" },
        h("summary", {},
          h("span", { class: "wave-title" }, `Wave ${wave.index + 1}`),
          h("span", { class: "wave-servers" }, plural(count, "server")),
          h("span", { class: "wave-batches" }, plural(wave.batches.length, "batch", "batches")),
          h("span", { class: "batch-bars", "aria-hidden": "true" }, wave.batches.map((b) => {
            const bar = h("span", { class: "batch-bar" });
            bar.style.width = `${Math.max(8, Math.round((b.length / (plan.options?.batch_size ?? 20)) * 44))}px`;
            return bar;
          }))));
      details.addEventListener("toggle", () => {
        if (!details.open || details.dataset.filled) return;
        details.dataset.filled = "1";
        details.append(h("ol", { class: "batches" }, wave.batches.map((b, i) =>
          h("li", { class: "batch", "data-size": String(b.length) }, h("span", { class: "batch-title" }, `Batch ${i + 1} · ${plural(b.length, "server")}`), h("span", { class: "batch-names" }, b.map(nameOf).join(", "))))));
      });
      waveList.append(h("li", { "data-wave": String(wave.index), "data-servers": String(count), "data-batches": String(wave.batches.length) }, details));
    }
    const wavesCard = h("div", { class: "card" },
      h("h2", { class: "card-title" }, "Waves and batches"),
      h("p", { class: "help" }, "Each wave's batches are sent together; the next wave starts when every server of the wave has finished. Open a wave to see its servers."),
      plan.waves.length ? waveList : h("p", { class: "empty" }, "No wave: nothing will be sent."),
      plan.waves.length > shown ? h("p", { class: "help" }, `…and ${fmt(plan.waves.length - shown)} more waves.`) : null);

    planHost.replaceChildren(tiles, ...warnings, wavesCard, groupsCard, skippedCard ?? "");

    const sessionsText = s.with_sessions > 0 ? ` and disconnects the users of ${plural(s.with_sessions, "server")} (${plural(s.sessions, "session")})` : "";
    $("#ack-text").textContent = `I understand that submitting reboots ${plural(s.planned, "server")}${sessionsText}.`;
  }

  return {
    open(list, { message = "" } = {}) {
      servers = list;
      note = message;
      plan = null;
      planHost.replaceChildren();
      resetAck();
      $("#review-lead").textContent = note || `Nothing has been sent yet. ${plural(servers.length, "server")} selected: check the plan, then confirm.`;
      app.go("review");
      makePlan();
    },
    reset() {
      servers = [];
      plan = null;
      planHost.replaceChildren();
      status.textContent = "";
      resetAck();
    },
    hasServers: () => servers.length > 0,
    refreshSubmit: updateSubmit,
  };
}
