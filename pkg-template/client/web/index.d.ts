export * from "./workspace_tsvi.js";
