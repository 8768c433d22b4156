/** One problem with an input: a JSON pointer, a stable code and a message. */
export interface Issue { path: string; code: string; message: string }
export interface ValidationResult { ok: boolean; errors: Issue[] }
export interface UpdateTsvi { id: string; enable: boolean }
export type Auth = { token: string } | { ak: string; sk: string; securityToken?: string } | { none: true };
export interface ClientConfig {
  /** `https://host[:port]`; http only for loopback hosts unless `allowInsecureHttp`. */
  endpoint?: string;
  /** A Workspace APP region id such as `cn-north-4`, instead of `endpoint`. */
  region?: string;
  /** 32 hexadecimal characters. */
  projectId: string;
  auth: Auth;
  /** Per call, default 30000. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  allowInsecureHttp?: boolean;
  /** Reads (GET) retried on 429, 5xx, timeouts and network errors: default 5 attempts, 1000 ms base, 20000 ms cap; `false` for none. batchUpdateTsvi is never retried. */
  retry?: false | true | { maxAttempts?: number; baseMs?: number; maxMs?: number };
  /** Larger answers fail with ApiError `response.too_large` (default 16 MB). */
  maxResponseBytes?: number;
}
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
/** The `code` of every error this module throws (see the README's error table). */
export type ErrorCode = "validation" | "auth" | "service" | "timeout" | "network" | "aborted";
/**
 * The errors every export throws, one class per kind (`instanceof ApiError`), each a real `Error`
 * with a stable `code`. Only the module creates them.
 */
export declare class ValidationError extends Error {
  protected constructor();
  readonly name: "ValidationError";
  readonly code: "validation";
  /** Every problem at once. */
  readonly errors: Issue[];
}
export declare class ApiError extends Error {
  protected constructor();
  readonly name: "ApiError";
  /** `auth` for 401 and 403. */
  readonly code: "auth" | "service";
  readonly status: number;
  readonly error_code: string;
  readonly error_msg: string;
  /** From `X-Request-Id`. */
  readonly request_id: string | null;
  /** The raw body, cut to 2 KB, when it was not JSON or had no error code. */
  readonly body?: string;
  readonly retryAfterMs?: number;
  readonly encoded_authorization_message?: string;
  /** When the signing clock was corrected for this call and it still failed. */
  readonly clockSkewMs?: number;
}
export declare class TimeoutError extends Error {
  protected constructor();
  readonly name: "TimeoutError";
  readonly code: "timeout";
  readonly timeoutMs: number;
}
export declare class NetworkError extends Error {
  protected constructor();
  readonly name: "NetworkError";
  readonly code: "network";
  /** `false` only when the runtime proves the request never left. */
  readonly sent: boolean;
}
export declare class AbortError extends Error {
  protected constructor();
  readonly name: "AbortError";
  readonly code: "aborted";
}
/** Any error the module throws, told apart by `name` (or `instanceof`). */
export type TsviError = ValidationError | ApiError | TimeoutError | NetworkError | AbortError;
/** What the client tells about itself: a read retried, its signing clock corrected, throttling. */
export type ClientEvent =
  | { type: "retry"; method: HttpMethod; path: string; attempt: number; delay_ms: number; status?: number; code: ErrorCode }
  | { type: "clock_skew"; offset_ms: number; path: string }
  | { type: "throttled"; rate?: number; max_in_flight: number };
export interface ClientOptions { onEvent?: (event: ClientEvent) => void }
export interface CallOptions { signal?: AbortSignal }
export interface ListAllOptions extends CallOptions {
  /** Pages fetched at once after the first, 1 to 16 (default 4). */
  concurrency?: number;
  onProgress?: (loaded: number, total: number) => void;
}
export interface BatchPlan { batches: string[][]; duplicates: { id: string; index: number; first_index: number }[] }
export type QueryScalar = string | number | boolean;
export interface SignRequestInput {
  method: string;
  /** `scheme://host[:port]/path`: no query, fragment, user-info, control characters or `\`; the path raw or percent-encoded. */
  url: string;
  query?: [string, QueryScalar | QueryScalar[]][] | Record<string, QueryScalar | QueryScalar[]>;
  /**
   * Sent and signed as given (names with `_` are sent unsigned, as Huawei's signer does).
   * `X-Security-Token`, `X-Sdk-Date` and `Host` may be given here if they agree with
   * `securityToken`, `sdkDate` and the URL; `Authorization`, a name given twice in any case,
   * and CR, LF, control or non-ASCII characters are refused.
   */
  headers?: Record<string, string> | [string, string][];
  body?: string | Uint8Array;
  /** Letters, digits, `-`, `_` and `.`. */
  ak: string;
  sk: string;
  securityToken?: string;
  /** A real `YYYYMMDDTHHMMSSZ` date and time; defaults to an `X-Sdk-Date` header, else now. */
  sdkDate?: string;
}
export interface SignedRequest {
  /** The URL to send: the path normalized and the canonical query appended. */
  url: string;
  /** Every header to send (Host excepted: it was signed from the URL). */
  headers: Record<string, string>;
  signedHeaders: string;
  signature: string;
  canonicalRequest: string;
}
/** A server as the API returns it: `id` always, the rest as the service sends it. */
export interface AppServer {
  id: string; name?: string; machine_name?: string; server_group_id?: string; server_group_name?: string;
  status?: string; vm_status?: string; task_status?: string; maintain_status?: boolean; session_count?: number;
  job_id?: string; job_type?: string; job_status?: string; job_time?: string;
  host_address?: { addr?: string; version?: number; [field: string]: unknown }[];
  [field: string]: unknown;
}
export interface ServerGroup {
  id: string; name?: string; os_type?: string; app_server_count?: number;
  /** Only showServerGroup returns it. */
  ip_virtual?: { enable: boolean };
  [field: string]: unknown;
}
export interface SubJob {
  id: string; job_type?: string; status?: string; error_code?: string; error_message?: string; job_id?: string;
  begin_time?: string; end_time?: string;
  job_resource_info?: { resource_id?: string; resource_name?: string; [field: string]: unknown };
  [field: string]: unknown;
}
export interface JobDetail {
  id: string; job_type?: string; status?: string; begin_time?: string; end_time?: string;
  sub_jobs_total?: number; sub_jobs?: SubJob[];
  [field: string]: unknown;
}
export interface Page<T> { count: number; items: T[] }
/** listAllServers' answer: `stopped` says why it ended before the pages `count` promised. */
export interface Listing<T> extends Page<T> { stopped?: "no_new_servers" | "page_limit" }
export interface ListServersQuery {
  offset?: number; limit?: number; server_group_id?: string; server_name?: string; machine_name?: string;
  ip_addr?: string; server_id?: string; maintain_status?: boolean | "true" | "false";
  scaling_auto_create?: boolean | "true" | "false";
}
export interface ListServerGroupsQuery {
  offset?: number; limit?: number; server_group_name?: string; server_group_id?: string; app_type?: string;
  tags?: string; enterprise_project_id?: string; is_secondary_server_group?: boolean | "true" | "false";
}
export interface ListSubJobsQuery { job_id?: string; job_type?: string; status?: string; offset?: number; limit?: number }
export interface PlanBatchesOptions { batchSize?: number }
