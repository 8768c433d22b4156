// Starts the gateway binary on 127.0.0.1 with a free port, and talks to its /_sim/ API.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const GATEWAY_BIN = process.env.TSVI_GATEWAY_BIN ?? path.join(root, "target/debug/tsvi-gateway");
export const PROJECT = "0123456789abcdef0123456789abcdef";
export const TOKEN = "node-test-token";
export const AK = "NODETESTAK";
export const SK = "node-test-sk";

export async function startGateway(args = []) {
  const child = spawn(
    GATEWAY_BIN,
    ["--listen", "127.0.0.1:0", "--project-id", PROJECT, "--token", TOKEN, "--ak", AK, "--sk", SK, ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start:\n${output}`)), 20_000);
    const onData = (chunk) => {
      output += chunk;
      const found = output.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`the gateway exited with ${code}:\n${output}`)));
  });
  const sim = async (method, route, body) => {
    const answer = await fetch(`${url}/_sim/${route}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!answer.ok) throw new Error(`/_sim/${route}: HTTP ${answer.status} ${await answer.text()}`);
    const text = await answer.text();
    return text ? JSON.parse(text) : null;
  };
  return {
    url,
    sim,
    ledger: () => sim("GET", "ledger"),
    faults: (f) => sim("POST", "faults", f),
    advance: (ms) => sim("POST", "clock", { advance_ms: ms }),
    reset: () => sim("POST", "reset", {}),
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on("exit", resolve)));
    },
  };
}
