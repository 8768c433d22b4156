// The rollout report in localStorage, so a reload can resume an interrupted run. The report
// holds no secret (ids, names, outcomes, job ids); credentials are never stored anywhere.

const KEY = "workspace-tsvi.rollout";

export function saveReport(report, connection) {
  const entry = { v: 1, savedAt: Date.now(), projectId: connection?.projectId ?? null, endpoint: connection?.endpoint ?? null, report };
  try {
    localStorage.setItem(KEY, JSON.stringify(entry));
    return null;
  } catch (error) {
    return error; // the caller shows it: a run that cannot be resumed after a reload must say so
  }
}

export function loadReport() {
  let text;
  try {
    text = localStorage.getItem(KEY);
  } catch {
    return null;
  }
  if (!text) return null;
  try {
    const entry = JSON.parse(text);
    if (entry?.v !== 1 || !entry.report || !Array.isArray(entry.report.servers)) return { broken: true };
    return entry;
  } catch {
    return { broken: true };
  }
}

export function forgetReport() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    /* nothing stored */
  }
}
