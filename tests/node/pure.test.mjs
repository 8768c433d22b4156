// The pure exports, through the package's Node entry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { planBatches, signRequest, validateClientConfig } from "workspace-tsvi";

const vectors = JSON.parse(readFileSync(new URL("../vectors/signing.json", import.meta.url), "utf8"));

test("signRequest matches every official-SDK vector through the JS boundary", () => {
  for (const { name, input, expected } of vectors.cases) {
    const signed = signRequest({
      method: input.method,
      url: input.url,
      query: input.query,
      headers: input.headers,
      // Bytes and strings must sign alike.
      body: name.includes("20-items") ? new TextEncoder().encode(input.body) : input.body,
      ak: input.ak,
      sk: input.sk,
      securityToken: input.security_token ?? undefined,
      sdkDate: input.sdk_date,
    });
    assert.equal(signed.signature, expected.signature, name);
    assert.equal(signed.signedHeaders, expected.signed_headers, name);
    assert.equal(signed.headers.Authorization, expected.authorization, name);
    assert.equal(new URL(signed.url).search.slice(1), expected.canonical_query, name);
    assert.equal(signed.headers["X-Sdk-Date"], input.sdk_date, name);
    assert.ok(!("Host" in signed.headers), name);
  }
});

test("signRequest takes the query as an object too, and defaults the date to now", () => {
  const signed = signRequest({ method: "GET", url: "https://h.example/v1/p/app-servers", query: { limit: 10, tag: ["b", "a"] }, ak: "A", sk: "S" });
  assert.equal(signed.url, "https://h.example/v1/p/app-servers?limit=10&tag=a&tag=b");
  const date = signed.headers["X-Sdk-Date"];
  const now = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15) + "Z";
  assert.ok(Math.abs(Number(date.slice(9, 13)) - Number(now.slice(9, 13))) <= 1, `${date} vs ${now}`);
});

test("signRequest refuses bad input with a ValidationError, and keeps working afterwards", () => {
  const base = { method: "GET", url: "https://h/x", ak: "A", sk: "S", sdkDate: "20240102T030405Z" };
  for (const [change, code] of [
    [{ url: "https://h/x?q=1" }, "url.has_query"],
    [{ url: "not a url" }, "url.invalid"],
    [{ sdkDate: "2024-01-02" }, "sdkDate.invalid"],
    [{ sk: "" }, "credentials.missing"],
    [{ body: 42 }, "body.invalid"],
    [{ query: [["k", { nested: true }]] }, "query.invalid_value"],
    [{ query: [["k", 1.5]] }, "query.invalid_value"],
    [{ method: "GE T" }, "method.invalid"],
  ]) {
    assert.throws(() => signRequest({ ...base, ...change }), (e) => e.name === "ValidationError" && e.errors[0].code === code, code);
  }
  assert.ok(signRequest(base).signature.length === 64, "the instance is not poisoned");
});

test("planBatches drops duplicates and chunks", () => {
  const ids = Array.from({ length: 45 }, (_, i) => `s${i}`);
  const plan = planBatches([...ids, "s3", "s4"], { batchSize: 20 });
  assert.deepEqual(plan.batches.map((b) => b.length), [20, 20, 5]);
  assert.deepEqual(plan.duplicates, [
    { id: "s3", index: 45, first_index: 3 },
    { id: "s4", index: 46, first_index: 4 },
  ]);
  assert.equal(planBatches(ids).batches.length, 3);
  assert.throws(() => planBatches(ids, { batchSize: 21 }), (e) => e.errors[0].code === "batchSize.out_of_range");
  assert.throws(() => planBatches(["ok", "not ok"]), (e) => e.errors[0].path === "/ids/1");
});

test("validateClientConfig lists problems without creating a client", () => {
  const result = validateClientConfig({ endpoint: "https://h", projectId: "0123456789abcdef0123456789abcdef", auth: {} });
  assert.deepEqual(result.errors.map((e) => e.code), ["auth.missing"]);
  assert.equal(validateClientConfig({ endpoint: "https://h", projectId: "0123456789abcdef0123456789abcdef", auth: { none: true } }).ok, true);
});
