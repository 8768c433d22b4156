// What a browser downloads for one entry of the package: its JS (the glue, index.js, the error
// classes and wasm.js, the module inlined as gzip + base64), gzip -9; and the .wasm alone as it
// was before inlining. The one definition of the size figures: `make pkg` prints it
// (`node scripts/entry-size.mjs NAME DIR`) and `make bench`'s size row imports it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const gzip9 = (bytes) => execFileSync("gzip", ["-9nc"], { input: bytes, maxBuffer: 64 << 20 }).length;

export function entrySize(dir) {
  const web = path.join(dir, "web");
  const read = (file) => readFileSync(path.join(web, file));
  const inlined = read("wasm.js").toString("utf8").match(/^export default "([A-Za-z0-9+/=]*)";\s*$/);
  if (!inlined) throw new Error(`${web}/wasm.js is not the inlined module`);
  const wasm = gunzipSync(Buffer.from(inlined[1], "base64"));
  const glue = Buffer.concat(["workspace_tsvi.js", "index.js", "errors.js"].map(read));
  return {
    wasm: wasm.length,
    wasmGz: gzip9(wasm),
    glue: glue.length,
    glueGz: gzip9(glue),
    total: gzip9(Buffer.concat([glue, read("wasm.js")])),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, dir] = process.argv.slice(2);
  const s = entrySize(dir);
  console.log(`pkg: ${name}: wasm ${s.wasm} B raw, ${s.wasmGz} B gzip; JS glue ${s.glue} B raw, ${s.glueGz} B gzip; entry with the inlined module ${s.total} B gzip`);
}
