// A caller's plain data (a batch body, a configuration, query and headers) is read by the same
// reader as typed input (src/js_value.rs), which says which rule a value broke and where: every
// refusal keeps its code, its JSON-pointer path and its message, and what is read is unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateBatchRequest, signRequest } from "workspace-tsvi";

const NOT_JSON = "must be plain JSON-like data";
const NOT_PLAIN = "must be plain JSON-like data (objects, arrays, strings, numbers, booleans, null)";
const UNREADABLE = "reading it threw (a getter or a proxy)";

const throwing = (key) =>
  Object.defineProperty({}, key, {
    enumerable: true,
    get() {
      throw new Error("boom");
    },
  });

test("each rule of plain data refuses with its code, path and message", () => {
  const huge = [];
  huge.length = 20_000_000;
  const throwingItem = [1, 2];
  Object.defineProperty(throwingItem, 1, {
    get() {
      throw new Error("boom");
    },
  });
  const throwingKeys = new Proxy({}, {
    ownKeys() {
      throw new Error("boom");
    },
  });
  const throwingHas = new Proxy({}, {
    has() {
      throw new Error("boom");
    },
  });
  const cases = [
    [{ items: [{ id: "a", enable: 1n }] }, "/items/0/enable", "value.bigint", "a BigInt is not JSON data; pass a number or a string"],
    [{ items: [{ id: "a", enable: () => true }] }, "/items/0/enable", "value.not_json", NOT_JSON],
    [{ a: { b: Symbol("s") } }, "/a/b", "value.not_json", NOT_JSON],
    [{ items: new Map() }, "/items", "value.not_json", NOT_PLAIN],
    [{ items: [new ArrayBuffer(2)] }, "/items/0", "value.not_json", NOT_PLAIN],
    [{ items: new Uint16Array(2) }, "/items", "value.not_json", NOT_PLAIN],
    [{ items: { "a/b": { "c~d": new Set() } } }, "/items/a~1b/c~0d", "value.not_json", NOT_PLAIN],
    [{ items: huge }, "/items", "value.too_large", "holds too many values"],
    [throwing("x"), "/x", "value.unreadable", UNREADABLE],
    [{ items: [{ id: "a" }, throwing("enable")] }, "/items/1/enable", "value.unreadable", UNREADABLE],
    [{ items: throwingItem }, "/items/1", "value.unreadable", UNREADABLE],
    [{ items: [throwingKeys] }, "/items/0", "value.unreadable", UNREADABLE],
    [{ items: [throwingHas] }, "/items/0", "value.unreadable", UNREADABLE],
    [1n, "", "value.bigint", "a BigInt is not JSON data; pass a number or a string"],
  ];
  for (const [body, path, code, message] of cases) {
    const { ok, errors } = validateBatchRequest(body);
    assert.equal(ok, false, path);
    assert.deepEqual(errors, [{ path, code, message }], path);
  }
  let deep = [];
  for (let i = 0; i < 200; i++) deep = [deep];
  const { errors } = validateBatchRequest({ items: deep });
  assert.deepEqual(errors, [{ path: "/items" + "/0".repeat(99), code: "value.too_deep", message: "nests deeper than 100 levels (or refers to itself)" }]);
  let atLimit = [];
  for (let i = 0; i < 98; i++) atLimit = [atLimit];
  assert.notEqual(validateBatchRequest({ items: atLimit }).errors[0].code, "value.too_deep");
});

test("plain data is read as it is: every kind of value", () => {
  // Each value reaches the batch validation as it was written: its errors name each field.
  const { errors } = validateBatchRequest({ items: [{ id: 7, enable: "yes", extra: null }, { id: "b", enable: true }, null, [1.5, -0, 1e300]] });
  assert.deepEqual(errors.map((e) => e.path).sort(), ["/items/0/enable", "/items/0/extra", "/items/0/id", "/items/2", "/items/3"]);
  assert.deepEqual(validateBatchRequest({ items: [{ id: "a", enable: false }] }), { ok: true, errors: [] });
  // Query values as numbers, booleans, strings and lists (signed in canonical order).
  const signed = signRequest({
    method: "GET",
    url: "https://h.example/p",
    query: { z: [2, true, "x"], a: -0, m: 9007199254740991 },
    ak: "AK",
    sk: "SK",
    sdkDate: "20240102T030405Z",
  });
  assert.equal(new URL(signed.url).search, "?a=0&m=9007199254740991&z=true&z=2&z=x");
});
