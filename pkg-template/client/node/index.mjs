// The lean Node ESM entry, workspace-tsvi/client: the CommonJS build loads its .wasm
// synchronously, so no init is needed. Node reads the CommonJS build's named exports itself,
// so no export list is kept here.
export * from "./workspace_tsvi.cjs";
