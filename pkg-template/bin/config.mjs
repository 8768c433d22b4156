// Command-line flags and Huawei's environment variables -> a Client configuration.
// The module validates the result (validateClientConfig, the Client constructor): nothing is
// checked here that the module checks itself.
import { readFileSync } from "node:fs";

/** Flags every command that calls the API takes. */
export const CONNECTION_OPTIONS = {
  endpoint: { type: "string" },
  region: { type: "string" },
  "project-id": { type: "string" },
  ak: { type: "string" },
  token: { type: "string" },
  sk: { type: "string" },
  "token-stdin": { type: "boolean" },
  "sk-stdin": { type: "boolean" },
  "timeout-ms": { type: "string" },
};

export const CONNECTION_HELP = `Connection (flags win over the environment):
  --endpoint URL        the API endpoint, e.g. https://workspace-app.cn-north-4.myhuaweicloud.com
  --region R            a Workspace APP region such as cn-north-4; the endpoint is
                        HUAWEICLOUD_SDK_REGION_WORKSPACEAPP_<R> (R upper case, - as _) when set,
                        else the module's region table
  --project-id ID       or HUAWEICLOUD_SDK_PROJECT_ID
  --ak AK               or HUAWEICLOUD_SDK_AK, with the secret key in HUAWEICLOUD_SDK_SK
                        (and HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary credentials)
  --sk-stdin            read the secret key from the first line of stdin
  --token-stdin         read an IAM token from the first line of stdin (else HUAWEICLOUD_SDK_TOKEN);
                        a token, when given, is used instead of AK/SK
  --token T, --sk S     accepted with a warning: a flag value shows in the process list
  --timeout-ms N        per API call (the module's default: 30000)`;

/** The env name Huawei's SDKs read a region's endpoint from. */
export const regionEnvName = (region) => `HUAWEICLOUD_SDK_REGION_WORKSPACEAPP_${region.replaceAll("-", "_").toUpperCase()}`;

/** Builds the Client configuration; `warn` hears what the user should know (never a secret). */
export function clientConfig(values, env, warn) {
  const config = {};
  if (values.endpoint !== undefined) config.endpoint = values.endpoint;
  if (values.region !== undefined) {
    // Huawei's SDKs take a comma-separated list there and use the first endpoint.
    const fromEnv = env[regionEnvName(values.region)]?.split(",")[0].trim();
    if (fromEnv && values.endpoint === undefined) config.endpoint = fromEnv;
    else config.region = values.region;
  }
  config.projectId = values["project-id"] ?? env.HUAWEICLOUD_SDK_PROJECT_ID;
  if (values["timeout-ms"] !== undefined) config.timeoutMs = numeric(values["timeout-ms"]);

  for (const name of ["token", "sk"]) {
    if (values[name] !== undefined) {
      warn(`--${name} puts a secret in the process list and the shell history; prefer the environment or --${name}-stdin`);
    }
  }
  const stdin = values["token-stdin"] || values["sk-stdin"] ? firstLineOfStdin() : undefined;
  const token = values["token-stdin"] ? stdin : values.token ?? env.HUAWEICLOUD_SDK_TOKEN;
  if (token !== undefined && token !== "") {
    config.auth = { token };
  } else {
    const ak = values.ak ?? env.HUAWEICLOUD_SDK_AK;
    const sk = values["sk-stdin"] ? stdin : values.sk ?? env.HUAWEICLOUD_SDK_SK;
    const securityToken = env.HUAWEICLOUD_SDK_SECURITY_TOKEN;
    if (ak !== undefined || sk !== undefined) {
      config.auth = { ak, sk };
      if (securityToken) config.auth.securityToken = securityToken;
    }
  }
  return config;
}

function firstLineOfStdin() {
  let text;
  try {
    text = readFileSync(0, "utf8");
  } catch {
    text = "";
  }
  return text.split(/\r?\n/)[0];
}

/** A whole decimal number becomes a number; anything else stays a string for the module to refuse. */
export function numeric(value) {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}
