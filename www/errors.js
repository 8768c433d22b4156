// Showing errors: every API error with its status, error_code, error_msg and request id;
// validation errors next to the field they are about; nothing swallowed.
import { h, icon } from "./dom.js";

const HINTS = {
  401: "The credential was refused. Check the token, or the access key and secret key, and the project ID.",
  403: "The credential is valid but may not do this (a read-only credential, or a request from another origin).",
  404: "Not found. Check the project ID and the endpoint.",
  409: "A listed server has a job running. Nothing was applied.",
  429: "The service is throttling requests. Wait a moment and try again.",
};

/** Title and hint for an error thrown by the package (or anything else). */
export function describe(error, context = "") {
  const where = context ? `${context}: ` : "";
  switch (error?.name) {
    case "ApiError": {
      const auth = error.status === 401 ? "Authentication failed" : error.status === 403 ? "Not allowed" : "The service answered with an error";
      return { title: `${where}${auth} (HTTP ${error.status})`, hint: HINTS[error.status] ?? (error.status >= 500 ? "The service failed. It may work if you try again." : "") };
    }
    case "NetworkError":
      return {
        title: `${where}Could not reach the endpoint`,
        hint: "The request failed in transit. Check that the gateway is running and that the endpoint is right. This page may only call its own origin (its Content-Security-Policy), so a cloud region is reached through the gateway in proxy mode.",
      };
    case "TimeoutError":
      return { title: `${where}No answer in time`, hint: `The call took longer than ${error.timeoutMs ?? "the allowed"} ms. A change may still have been applied.` };
    case "AbortError":
      return { title: `${where}Cancelled`, hint: "" };
    case "ValidationError":
      return { title: `${where}Some values are not valid`, hint: "Nothing was sent." };
    default:
      return { title: `${where}Something went wrong`, hint: "This is a bug in the page or the package; the details below help to report it." };
  }
}

function detailRow(label, value, copy) {
  if (value === undefined || value === null || value === "") return null;
  const dd = h("dd", {}, h("code", { class: "selectable" }, String(value)));
  if (copy) {
    dd.append(
      h("button", {
        type: "button",
        class: "btn-icon",
        "aria-label": `Copy ${label.toLowerCase()}`,
        title: `Copy ${label.toLowerCase()}`,
        onclick: (e) => {
          const button = e.currentTarget;
          const done = (text) => {
            button.title = text;
            button.setAttribute("aria-label", text);
          };
          if (!navigator.clipboard) return done("Copying is not available here: select the text instead");
          navigator.clipboard.writeText(String(value)).then(() => done(`Copied the ${label.toLowerCase()}`), (error) => done(`Could not copy: ${error.message}`));
        },
      }, icon("copy")),
    );
  }
  return [h("dt", {}, label), dd];
}

/** An alert box for an error. `onRetry` adds a "Try again" button. */
export function errorBox(error, { context = "", onRetry, extra } = {}) {
  const { title, hint } = describe(error, context);
  const details = h("dl", { class: "error-details" });
  if (error?.name === "ApiError") {
    details.append(
      ...[
        detailRow("Status", error.status),
        detailRow("Error code", error.error_code),
        detailRow("Message", error.error_msg),
        detailRow("Request ID", error.request_id ?? "(none sent)", Boolean(error.request_id)),
      ].flat().filter(Boolean),
    );
    if (error.body && error.body !== error.error_msg) details.append(...(detailRow("Body", error.body) ?? []));
  } else if (error?.name === "ValidationError") {
    const list = h("ul", { class: "issue-list" }, (error.errors ?? []).map((i) => h("li", {}, h("code", {}, i.path || "/"), " ", i.message, " ", h("span", { class: "muted" }, `(${i.code})`))));
    details.append(h("dt", {}, "Problems"), h("dd", {}, list));
  } else {
    details.append(...[detailRow("Type", error?.name ?? typeof error), detailRow("Code", error?.code), detailRow("Message", error?.message ?? String(error))].flat().filter(Boolean));
    if (error?.name === "NetworkError") details.append(...(detailRow("Sent", error.sent === false ? "no (proved not sent)" : "perhaps") ?? []));
  }
  const box = h(
    "div",
    { class: "callout callout-bad error-box", role: "alert" },
    icon("alert", "callout-icon"),
    h("div", { class: "callout-body" }, h("p", { class: "callout-title" }, title), hint ? h("p", {}, hint) : null, extra ?? null, details),
  );
  if (onRetry) box.querySelector(".callout-body").append(h("div", { class: "actions" }, h("button", { type: "button", class: "btn", onclick: onRetry }, "Try again")));
  return box;
}

/**
 * Puts validation problems next to their fields. `fields` maps a JSON pointer (or its start)
 * to an input; returns the problems that have no field, and focuses the first bad field.
 */
export function showFieldErrors(issues, fields) {
  const left = [];
  let first = null;
  for (const issue of issues) {
    const key = Object.keys(fields).filter((p) => issue.path === p || issue.path.startsWith(`${p}/`)).sort((a, b) => b.length - a.length)[0];
    const input = key ? fields[key] : null;
    if (!input) {
      left.push(issue);
      continue;
    }
    setFieldError(input, issue.message);
    first ??= input;
  }
  first?.focus();
  return left;
}

export function setFieldError(input, message) {
  const id = `${input.id}-error`;
  let note = document.getElementById(id);
  if (!note) {
    note = h("p", { class: "field-error", id });
    (input.closest(".field") ?? input.parentElement).append(note);
  }
  note.replaceChildren(icon("alert"), document.createTextNode(` ${message}`));
  note.hidden = false;
  input.setAttribute("aria-invalid", "true");
  const described = new Set((input.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean));
  described.add(id);
  input.setAttribute("aria-describedby", [...described].join(" "));
}

export function clearFieldErrors(root) {
  for (const input of root.querySelectorAll("[aria-invalid=true]")) input.removeAttribute("aria-invalid");
  for (const note of root.querySelectorAll(".field-error")) note.hidden = true;
}
