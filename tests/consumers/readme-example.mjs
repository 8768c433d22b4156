// Writes the README's browser example into a folder, its files exactly as the README shows them:
// each fenced block of "Using the package" whose first line names a file (`<!-- index.html -->`,
// `// app.js`). Fails when there are not exactly those two, so the test follows the README.
// Usage: node readme-example.mjs README.md OUT_DIR
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [readme, out] = process.argv.slice(2);
const text = readFileSync(readme, "utf8");
const section = text.slice(text.indexOf("\n## Using the package"), text.indexOf("\n### What is exported"));
const files = {};
for (const [, body] of section.matchAll(/^```(?:html|js)\n([\s\S]*?)^```$/gm)) {
  const name = body.match(/^(?:<!-- ([\w.-]+) -->|\/\/ ([\w.-]+))\n/)?.slice(1).find(Boolean);
  if (name) files[name] = body;
}
const names = Object.keys(files).sort().join();
if (names !== "app.js,index.html") throw new Error(`the README's browser example should be index.html and app.js, found: ${names}`);
for (const [name, body] of Object.entries(files)) writeFileSync(join(out, name), body);
console.log("consumers: the README's browser example is index.html and app.js");
