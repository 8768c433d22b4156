// Steps 2 and 3: the server groups (with their virtual-IP setting) and the servers, loaded
// page by page with a progress bar, filtered, sorted and selected in a virtualized table.
import { h, $, clear, icon, fmt, plural, pill, progressBar, debounce } from "./dom.js";
import { errorBox } from "./errors.js";
import { VirtualTable } from "./table.js";
import { blockReason, ipOf } from "./rules.js";

export function initServers(app) {
  // ------------------------------------------------------------------ groups
  const groupsBody = $("#groups-table tbody");
  let groupsToken = 0;

  async function loadGroups(firstPage) {
    const token = ++groupsToken;
    const errorHost = clear($("#groups-error"));
    app.groupDetails = new Map();
    try {
      let page = firstPage ?? (await app.client.listServerGroups({ limit: 100 }, {}));
      const groups = [...page.items];
      while (groups.length < page.count && page.items.length > 0) {
        page = await app.client.listServerGroups({ limit: 100, offset: groups.length }, {});
        groups.push(...page.items);
      }
      if (token !== groupsToken) return;
      app.groups = groups;
    } catch (error) {
      if (token !== groupsToken) return;
      errorHost.append(errorBox(error, { context: "Listing the server groups", onRetry: () => loadGroups() }));
      return;
    }
    renderGroups();
    fillGroupFilter();
    // ip_virtual is only in ShowServerGroup: read each group, a few at a time.
    const queue = [...app.groups];
    const failures = [];
    const worker = async () => {
      while (queue.length) {
        const g = queue.shift();
        app.groupDetails.set(g.id, { state: "loading" });
        updateGroup(g.id);
        try {
          const detail = await app.client.showServerGroup(g.id, {});
          if (token !== groupsToken) return;
          app.groupDetails.set(g.id, { state: "ok", group: detail });
        } catch (error) {
          if (token !== groupsToken) return;
          app.groupDetails.set(g.id, { state: "error", error });
          failures.push([g, error]);
        }
        updateGroup(g.id);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    if (token !== groupsToken) return;
    for (const [g, error] of failures) errorHost.append(errorBox(error, { context: `Reading group ${g.name ?? g.id}`, onRetry: () => loadGroups() }));
  }

  function virtualIpPill(id) {
    const d = app.groupDetails.get(id);
    if (!d || d.state === "loading") return pill("Reading…", "muted");
    if (d.state === "error") return pill("Could not read", "bad");
    const enable = d.group?.ip_virtual?.enable;
    if (enable === true) return pill("On", "ok");
    if (enable === false) return pill("Off", "muted");
    return pill("Not set", "warn", "The group has no ip_virtual setting: its servers get the virtual IP switched off");
  }

  const groupCells = new Map();

  function renderGroups() {
    groupsBody.replaceChildren();
    groupCells.clear();
    if (!app.groups.length) {
      groupsBody.append(h("tr", {}, h("td", { colspan: "5", class: "empty" }, "No server groups in this project.")));
      return;
    }
    for (const g of app.groups) {
      const os = h("td", { class: "col-os" }, g.os_type ?? "–");
      const count = h("td", { class: "num" }, fmt(g.app_server_count));
      const vip = h("td", {}, virtualIpPill(g.id));
      groupCells.set(g.id, { os, count, vip });
      groupsBody.append(
        h("tr", {},
          h("td", {}, h("div", { class: "cell-main" }, g.name ?? "(no name)"), h("div", { class: "cell-sub" }, g.id ?? "")),
          os, count, vip,
          h("td", { class: "cell-actions" },
            h("button", { type: "button", class: "btn btn-small", "aria-label": `Show the servers of ${g.name ?? g.id}`, onclick: () => showGroup(g.id) }, h("span", { class: "btn-text" }, "Show servers"), icon("arrow")))),
      );
    }
  }

  function updateGroup(id) {
    const cells = groupCells.get(id);
    if (!cells) return;
    const detail = app.groupDetails.get(id)?.group;
    if (detail?.os_type) cells.os.textContent = detail.os_type;
    if (detail?.app_server_count !== undefined) cells.count.textContent = fmt(detail.app_server_count);
    cells.vip.replaceChildren(virtualIpPill(id));
  }

  function showGroup(id) {
    groupFilter.value = id;
    applyFilters();
    app.go("servers");
  }

  $("#groups-next").addEventListener("click", () => app.go("servers"));
  $("#groups-refresh").addEventListener("click", () => loadGroups());

  // ------------------------------------------------------------------ servers
  const search = $("#server-search");
  const groupFilter = $("#group-filter");
  const statusFilter = $("#status-filter");
  const allowBlocked = $("#allow-blocked");
  const loadHost = $("#servers-load");
  const progress = progressBar("servers-progress", "Loading servers…");
  let loadToken = 0;
  let loading = false;
  let anchorId = null;
  let shiftDown = false;
  const blockCache = new WeakMap();
  const textCache = new WeakMap();

  const blocked = (s) => {
    if (!blockCache.has(s)) blockCache.set(s, blockReason(app.pkg, s));
    return blockCache.get(s);
  };
  const selectable = (s) => allowBlocked.checked || !blocked(s);
  const haystack = (s) => {
    let text = textCache.get(s);
    if (text === undefined) {
      text = [s.name, s.machine_name, s.id, ipOf(s), s.server_group_name].filter(Boolean).join("\n").toLowerCase();
      textCache.set(s, text);
    }
    return text;
  };

  const headerCheck = h("input", { type: "checkbox", class: "check-all", "aria-label": "Select all filtered servers" });
  headerCheck.addEventListener("click", () => {
    const rows = table.view;
    const candidates = rows.filter(selectable);
    const allOn = candidates.length > 0 && candidates.every((s) => app.selected.has(s.id));
    for (const s of candidates) allOn ? app.selected.delete(s.id) : app.selected.add(s.id);
    selectionChanged();
  });

  const columns = [
    {
      key: "select",
      label: "Select",
      width: "44px",
      className: "col-check col-sticky",
      sortable: false,
      header: () => headerCheck,
      render: (s) => {
        const input = h("input", { type: "checkbox", class: "row-check", "aria-label": `Select ${s.name ?? s.id}`, "data-id": s.id });
        input.checked = app.selected.has(s.id);
        input.disabled = !selectable(s) && !app.selected.has(s.id);
        return input;
      },
      update: (s, td) => {
        const input = td.firstChild;
        input.checked = app.selected.has(s.id);
        input.disabled = !selectable(s) && !app.selected.has(s.id);
      },
    },
    { key: "name", label: "Name", className: "col-sticky col-sticky-2", value: (s) => s.name, render: (s) => h("span", { class: "cell-main", title: s.name ?? "" }, s.name ?? "(no name)") },
    {
      key: "ready",
      label: "Can update",
      width: "116px",
      value: (s) => (blocked(s) ? `1 ${blocked(s).label}` : "0"),
      render: (s) => {
        const b = blocked(s);
        return b ? h("span", { class: "ready-cell", title: b.detail }, pill(b.label, b.reason === "state" ? "bad" : "warn"), h("span", { class: "visually-hidden" }, `: ${b.detail}`)) : pill("Ready", "ok");
      },
    },
    { key: "machine", label: "Machine name", width: "124px", value: (s) => s.machine_name },
    { key: "group", label: "Group", width: "132px", value: (s) => s.server_group_name ?? app.groupName(s.server_group_id) },
    { key: "status", label: "Status", width: "104px", value: (s) => s.status },
    { key: "vm", label: "VM status", width: "98px", value: (s) => s.vm_status, render: (s) => h("span", { class: `vm vm-${String(s.vm_status ?? "none").toLowerCase()}` }, s.vm_status ?? "–") },
    { key: "task", label: "Task", width: "92px", value: (s) => (s.task_status && s.task_status !== "null" ? s.task_status : ""), render: (s) => (s.task_status && s.task_status !== "null" ? h("span", { title: s.task_status }, s.task_status) : h("span", { class: "muted" }, "–")) },
    { key: "sessions", label: "Sessions", width: "86px", className: "num", value: (s) => s.session_count ?? 0, render: (s) => (s.session_count ? h("span", { class: "sessions-busy" }, fmt(s.session_count)) : h("span", { class: "muted" }, "0")) },
    { key: "maint", label: "Maintenance", width: "108px", value: (s) => Boolean(s.maintain_status), render: (s) => (s.maintain_status ? pill("Yes", "warn") : h("span", { class: "muted" }, "No")) },
    { key: "ip", label: "IP", width: "100px", value: (s) => ipOf(s) },
  ];

  const table = new VirtualTable({
    caption: "Servers",
    label: "Servers",
    columns,
    rowKey: (s) => s.id,
    rowHeight: 40,
    sort: { key: "name", dir: "asc" },
    minWidth: "1220px",
    emptyText: "No server matches the filters.",
    rowClass: (s) => `${blocked(s) ? "row-blocked" : ""} ${app.selected.has(s.id) ? "row-selected" : ""}`,
  });
  $("#servers-table-host").append(table.element);

  document.addEventListener("keydown", (e) => (shiftDown = e.shiftKey));
  document.addEventListener("keyup", (e) => (shiftDown = e.shiftKey));

  table.tbody.addEventListener("click", (event) => {
    const input = event.target.closest?.("input.row-check");
    if (!input) return;
    const id = input.dataset.id;
    const index = table.indexOf.get(id);
    const checked = input.checked;
    const anchorIndex = anchorId !== null ? table.indexOf.get(anchorId) : undefined;
    if ((event.shiftKey || shiftDown) && anchorIndex !== undefined && anchorIndex !== index) {
      const [from, to] = anchorIndex < index ? [anchorIndex, index] : [index, anchorIndex];
      let skipped = 0;
      for (let i = from; i <= to; i++) {
        const s = table.view[i];
        if (checked && !selectable(s)) {
          skipped++;
          continue;
        }
        checked ? app.selected.add(s.id) : app.selected.delete(s.id);
      }
      if (skipped) app.toast(`${plural(skipped, "server")} in the range cannot be updated now and ${skipped === 1 ? "was" : "were"} left out.`, "info");
    } else if (checked) {
      app.selected.add(id);
    } else {
      app.selected.delete(id);
    }
    anchorId = id;
    selectionChanged();
  });

  function filtered() {
    const q = search.value.trim().toLowerCase();
    const group = groupFilter.value;
    const status = statusFilter.value;
    return app.servers.filter((s) => {
      if (group && s.server_group_id !== group) return false;
      if (status) {
        const b = blocked(s);
        if (status === "ready" && b) return false;
        if (status === "idle" && (b || s.session_count > 0)) return false;
        if (status === "sessions" && !(s.session_count > 0)) return false;
        if (status === "blocked" && !b) return false;
        if (status.startsWith("vm:") && s.vm_status !== status.slice(3)) return false;
      }
      return !q || haystack(s).includes(q);
    });
  }

  function applyFilters() {
    table.setRows(filtered());
    table.element.scrollTop = 0;
    updateSelectionInfo();
    // What the table shows now (tests wait on it instead of on timers).
    $("#servers-table-host").dataset.view = JSON.stringify([search.value.trim().toLowerCase(), groupFilter.value, statusFilter.value]);
  }

  function fillGroupFilter() {
    const current = groupFilter.value;
    const counts = new Map();
    for (const s of app.servers) counts.set(s.server_group_id, (counts.get(s.server_group_id) ?? 0) + 1);
    const ids = new Set([...app.groups.map((g) => g.id), ...counts.keys()].filter(Boolean));
    groupFilter.replaceChildren(h("option", { value: "" }, "All groups"));
    for (const id of ids) groupFilter.append(h("option", { value: id }, `${app.groupName(id)}${counts.has(id) ? ` (${fmt(counts.get(id))})` : ""}`));
    groupFilter.value = [...ids].includes(current) ? current : "";
    const vm = $("#vm-status-options");
    const statuses = [...new Set(app.servers.map((s) => s.vm_status).filter(Boolean))].sort();
    const currentStatus = statusFilter.value;
    vm.replaceChildren(...statuses.map((v) => h("option", { value: `vm:${v}` }, v)));
    statusFilter.value = [...statusFilter.options].some((o) => o.value === currentStatus) ? currentStatus : "";
  }

  const announce = debounce((text) => ($("#selection-count").dataset.spoken = text), 300);

  function updateSelectionInfo() {
    const selected = app.servers.filter((s) => app.selected.has(s.id));
    const groups = new Set(selected.map((s) => s.server_group_id));
    const busy = selected.filter((s) => s.session_count > 0).length;
    const notBlocked = selected.filter((s) => blocked(s)).length;
    const shown = new Set(table.view.map((s) => s.id));
    const hidden = selected.filter((s) => !shown.has(s.id)).length;
    $("#selection-count").textContent = selected.length ? `${plural(selected.length, "server")} selected` : "No servers selected";
    const parts = [];
    if (selected.length) parts.push(`in ${plural(groups.size, "group")}`);
    if (busy) parts.push(`${fmt(busy)} with active sessions`);
    if (notBlocked) parts.push(`${fmt(notBlocked)} cannot be updated now`);
    if (hidden) parts.push(`${fmt(hidden)} hidden by the filters`);
    $("#selection-detail").textContent = parts.join(" · ");
    $("#review-button").disabled = selected.length === 0 || app.runActive;
    const candidates = table.view.filter(selectable);
    const on = candidates.filter((s) => app.selected.has(s.id)).length;
    headerCheck.checked = candidates.length > 0 && on === candidates.length;
    headerCheck.indeterminate = on > 0 && on < candidates.length;
    headerCheck.disabled = candidates.length === 0;
    $("#select-filtered").textContent = `Select all filtered (${fmt(candidates.length)})`;
    $("#select-filtered").disabled = candidates.length === 0 || on === candidates.length;
    announce(parts.join(", "));
    app.updateSteps();
  }

  function selectionChanged() {
    table.refresh();
    updateSelectionInfo();
  }

  search.addEventListener("input", debounce(applyFilters, 120));
  groupFilter.addEventListener("change", applyFilters);
  statusFilter.addEventListener("change", applyFilters);
  allowBlocked.addEventListener("change", () => {
    if (!allowBlocked.checked) {
      let dropped = 0;
      for (const s of app.servers) if (app.selected.has(s.id) && blocked(s)) (app.selected.delete(s.id), dropped++);
      if (dropped) app.toast(`${plural(dropped, "server")} that cannot be updated now ${dropped === 1 ? "was" : "were"} deselected.`, "info");
    }
    selectionChanged();
  });
  $("#select-filtered").addEventListener("click", () => {
    for (const s of table.view) if (selectable(s)) app.selected.add(s.id);
    selectionChanged();
  });
  $("#clear-selection").addEventListener("click", () => {
    app.selected.clear();
    anchorId = null;
    selectionChanged();
  });
  $("#review-button").addEventListener("click", () => {
    const servers = app.servers.filter((s) => app.selected.has(s.id));
    if (servers.length) app.review.open(servers);
  });
  $("#servers-refresh").addEventListener("click", () => loadServers());

  async function loadServers() {
    if (!app.client) return;
    const token = ++loadToken;
    loading = true;
    const errorHost = clear($("#servers-error"));
    loadHost.replaceChildren(progress.element);
    progress.setTone("run");
    progress.set(0, 1, "Loading servers…");
    $("#servers-table-host").dataset.loaded = "loading";
    $("#servers-refresh").disabled = true;
    try {
      const page = await app.client.listAllServers({}, {
        // A browser opens at most 6 HTTP/1.1 connections to one host: use them all.
        concurrency: 6,
        onProgress: (loaded, total) => {
          if (token === loadToken) progress.set(loaded, total, `Loading servers… ${fmt(loaded)} of ${fmt(total)}`);
        },
      });
      if (token !== loadToken) return;
      app.servers = page.items;
      const known = new Set(app.servers.map((s) => s.id));
      for (const id of [...app.selected]) if (!known.has(id)) app.selected.delete(id);
      progress.set(1, 1, `${plural(app.servers.length, "server")} loaded`);
      $("#servers-table-host").dataset.loaded = String(app.servers.length);
      progress.setTone("ok");
      setTimeout(() => {
        if (token === loadToken && !loading) loadHost.replaceChildren();
      }, 1500);
      fillGroupFilter();
      applyFilters();
    } catch (error) {
      if (token !== loadToken) return;
      loadHost.replaceChildren();
      errorHost.append(errorBox(error, { context: "Listing the servers", onRetry: () => loadServers() }));
    } finally {
      if (token === loadToken) {
        loading = false;
        $("#servers-refresh").disabled = false;
      }
    }
  }

  app.onShow.servers = () => table.schedule();

  return {
    start(firstGroupsPage) {
      loadGroups(firstGroupsPage);
      loadServers();
    },
    reload: () => loadServers(),
    reset() {
      groupsToken++;
      loadToken++;
      app.groups = [];
      app.groupDetails = new Map();
      app.servers = [];
      app.selected.clear();
      anchorId = null;
      search.value = "";
      groupFilter.value = "";
      statusFilter.value = "";
      groupsBody.replaceChildren();
      loadHost.replaceChildren();
      clear($("#servers-error"));
      clear($("#groups-error"));
      table.setRows([]);
      updateSelectionInfo();
    },
    /** Replaces some servers by fresher copies (after a run, before a retry). */
    replace(servers) {
      const byId = new Map(servers.map((s) => [s.id, s]));
      app.servers = app.servers.map((s) => byId.get(s.id) ?? s);
      applyFilters();
    },
    selectionChanged,
    isLoading: () => loading,
  };
}
