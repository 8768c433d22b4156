// Browser and bundler entry: instantiates the module once, so a plain `import` is ready to use.
// The module is inlined in wasm.js (gzip, base64), so Vite, webpack and esbuild bundle it as
// plain JS with no configuration, and a page needs no asset path.
import init from "./workspace_tsvi.js";
import wasm from "./wasm.js";

const gzipped = Uint8Array.from(atob(wasm), (c) => c.charCodeAt(0));
const stream = new Blob([gzipped]).stream().pipeThrough(new DecompressionStream("gzip"));
await init({ module_or_path: await new Response(stream).arrayBuffer() });

export * from "./workspace_tsvi.js";
