// Row 6, the admin page in headless Chromium (Debian's, through playwright-core) against the
// gateway with 5,000 servers and --latency-ms 20, HTTP cache off (every run loads the page, the
// glue and the wasm again). Read by the page's own clock (performance.now(), 0 at navigation):
// navigation to every server listed (the Connect click included; the connect-to-listed part
// beside it), then a click on "Select all filtered" and on "Review" to the plan shown, then the
// JS heap (CDP Runtime.getHeapUsage). Median of the runs. No peer: the targets are absolute.
import { launch } from "../../tests/browser/chromium.mjs";
import { RUNS, SMOKE, emit, median, ms, round, startGateway, verdict } from "../lib.mjs";

const SERVERS = SMOKE ? 200 : 5000;
const runs = SMOKE ? 1 : RUNS;

// Installed before the page's scripts: stamps the Connect submit and the moment the table says
// every server is loaded.
const STAMPS = () => {
  window.__bench = {};
  document.addEventListener("submit", () => (window.__bench.connect ??= performance.now()), true);
  new MutationObserver(() => {
    const host = document.getElementById("servers-table-host");
    if (host && /^\d+$/.test(host.dataset.loaded ?? "")) window.__bench.listed ??= performance.now();
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-loaded"], childList: true });
};

// In the page: select all, review, until the plan's tiles show; ms from the first click.
const SELECT_AND_PLAN = () =>
  new Promise((resolve) => {
    const done = () => document.querySelector("#plan-summary [data-planned]");
    const started = performance.now();
    const observer = new MutationObserver(() => {
      if (done()) {
        observer.disconnect();
        resolve({ ms: performance.now() - started, planned: Number(done().dataset.planned) });
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    document.getElementById("select-filtered").click();
    document.getElementById("review-button").click();
  });

const gw = await startGateway(["--servers", String(SERVERS), "--groups", "8", "--seed", "11", "--latency-ms", SMOKE ? "5" : "20"]);
const browser = await launch();
try {
  const settings = await gw.sim("GET", "settings");
  const figures = { listedMs: [], connectToListedMs: [], planMs: [], heapMb: [], planned: [] };
  for (let r = 0; r < runs; r++) {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await page.addInitScript(STAMPS);
    await page.goto(`${gw.url}/`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.waitForSelector(`#servers-table-host[data-loaded="${SERVERS}"]`, { state: "attached", timeout: 30_000 });
    const stamps = await page.evaluate(() => window.__bench);
    figures.listedMs.push(stamps.listed);
    figures.connectToListedMs.push(stamps.listed - stamps.connect);
    await page.getByRole("button", { name: "Choose servers" }).click();
    await page.waitForSelector("#step-servers:not([hidden])");
    const plan = await page.evaluate(SELECT_AND_PLAN);
    figures.planMs.push(plan.ms);
    figures.planned.push(plan.planned);
    const heap = await cdp.send("Runtime.getHeapUsage");
    figures.heapMb.push(heap.usedSize / 1e6);
    await page.close();
  }
  const [listed, plan, heap] = [median(figures.listedMs), median(figures.planMs), median(figures.heapMb)];
  emit({
    id: "page",
    title: `6. The page (headless Chromium, ${SERVERS.toLocaleString("en-US")} servers, gateway --latency-ms ${settings.latency_ms}, HTTP cache off; median of ${runs})`,
    smoke: SMOKE,
    entries: [
      { measure: "navigation → every server listed (Connect click included)", ours: `${ms(listed)} (from Connect ${ms(median(figures.connectToListedMs))})`, peer: "", peerFigure: "", ratio: "", target: "< 1 s", met: verdict(listed < 1000) },
      { measure: `select all, Review → plan ready (${figures.planned[0].toLocaleString("en-US")} servers planned)`, ours: ms(plan), peer: "", peerFigure: "", ratio: "", target: "< 100 ms", met: verdict(plan < 100) },
      { measure: "JS heap used after the plan", ours: `${heap.toFixed(1)} MB`, peer: "", peerFigure: "", ratio: "", target: "", met: null },
    ],
    raw: Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, v.map((x) => round(x))])),
    numbers: { listedMs: round(listed), planMs: round(plan), heapMb: round(heap) },
    notes: [],
  });
} finally {
  await browser.close();
  await gw.stop();
}
