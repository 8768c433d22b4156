// A tiny HTTP stand-in for the Workspace APP API, on 127.0.0.1 with a free port. Each test
// scripts its answers and reads back what the client sent.
import http from "node:http";

export async function startStub(handler) {
  const received = [];
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const request = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(request);
      handler(request, res);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export function reply(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", "x-request-id": `req-${status}`, ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

/** Starts stubs for one test file and closes them all after it (`after(pool.close)`). */
export function stubPool() {
  const stubs = [];
  return {
    async start(handler) {
      const stub = await startStub(handler);
      stubs.push(stub);
      return stub;
    },
    close: () => Promise.all(stubs.map((s) => s.close())),
  };
}
