// signRequest's string bodies take two paths (encoded in place up to 2^20 UTF-16 units, by
// TextEncoder.encode beyond): both must sign the same bytes as the body given as a Uint8Array.
import { test } from "node:test";
import assert from "node:assert/strict";
import { signRequest } from "workspace-tsvi";
import { signRequest as leanSignRequest } from "workspace-tsvi/client";

const BASE = { method: "PUT", url: "https://h.example/v1/x", ak: "AK", sk: "SK", sdkDate: "20240102T030405Z" };

test("string bodies sign as their UTF-8 bytes, short and long, ASCII or not, lone surrogates as U+FFFD", () => {
  const bodies = [
    "",
    "{}",
    "x".repeat(1211),
    "h\u00e9llo \u4e16\u754c \ud83d\ude00 end",
    "lone \ud800 surrogate \udfff",
    "\u00e9".repeat((1 << 20) - 1) + "\ud83d",
    "y".repeat((1 << 20) + 1),
    "\u4e16".repeat((1 << 20) + 7),
  ];
  for (const sign of [signRequest, leanSignRequest]) {
    for (const body of bodies) {
      const fromString = sign({ ...BASE, body });
      const fromBytes = sign({ ...BASE, body: new TextEncoder().encode(body) });
      assert.equal(fromString.signature, fromBytes.signature, `${body.length} units`);
      assert.equal(fromString.canonicalRequest, fromBytes.canonicalRequest);
    }
  }
});
