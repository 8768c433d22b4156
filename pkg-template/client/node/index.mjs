// The lean Node ESM entry, workspace-tsvi/client: the CommonJS build loads its .wasm
// synchronously, so no init is needed.
import { createRequire } from "node:module";

const wasm = createRequire(import.meta.url)("./workspace_tsvi.cjs");

export const { Client, validateBatchRequest, validateClientConfig, planBatches, signRequest } = wasm;
