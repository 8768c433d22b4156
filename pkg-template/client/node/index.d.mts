export * from "./workspace_tsvi.cjs";
