// The lean browser and bundler entry, workspace-tsvi/client: the client, validation, batching and
// signing, without the rollout engine. Instantiates its inlined module once, as the main entry does.
import init from "./workspace_tsvi.js";
import wasm from "./wasm.js";

const gzipped = Uint8Array.from(atob(wasm), (c) => c.charCodeAt(0));
const stream = new Blob([gzipped]).stream().pipeThrough(new DecompressionStream("gzip"));
await init({ module_or_path: await new Response(stream).arrayBuffer() });

export * from "./workspace_tsvi.js";
