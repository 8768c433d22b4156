// Browser and bundler entry: instantiates the module once, so a plain `import` is ready to use.
// For control over where the .wasm comes from, import "workspace-tsvi/web" and call its
// default export (init) yourself.
import init from "./workspace_tsvi.js";

await init({ module_or_path: new URL("./workspace_tsvi_bg.wasm", import.meta.url) });

export * from "./workspace_tsvi.js";
