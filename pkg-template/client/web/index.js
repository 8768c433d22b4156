// The lean browser and bundler entry, workspace-tsvi/client: the client, validation, batching and
// signing, without the rollout engine. Instantiates its module once, as the main entry does.
import init from "./workspace_tsvi.js";

await init({ module_or_path: new URL("./workspace_tsvi_bg.wasm", import.meta.url) });

export * from "./workspace_tsvi.js";
