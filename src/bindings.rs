//! Every `#[wasm_bindgen]` export. This module only converts values between JS and the core
//! modules and decides nothing: the rules live in `validate`, `batch`, `sign` and `client`.

use crate::batch::{check_batch_size, plan_batches};
use crate::client::{batch_items, Client, DEFAULT_PAGE_CONCURRENCY};
use crate::config::{parse_client_config, ClientConfig};
use crate::error::Error;
use crate::fetch::FetchTransport;
use crate::json::Value;
use crate::model::ServerRecord;
#[cfg(feature = "rollout")]
use crate::rollout::plan::{parse_options, Plan, ServerState};
#[cfg(feature = "rollout")]
use crate::rollout::report::Report;
#[cfg(feature = "rollout")]
use crate::rollout::run::{resume_rollout, run_rollout, Event, Hooks, RunOptions};
#[cfg(feature = "rollout")]
use crate::rollout::{plan_with_groups, retry::Backoff};
use crate::sign::{self, AkSk, QueryValue, SignInput};
use crate::transport::Transport;
use crate::validate::{self, validate_batch_request, Issue};
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
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
/** What the client tells about itself: a read retried, its signing clock corrected, throttling. */
export type ClientEvent =
  | { type: "retry"; method: string; path: string; attempt: number; delay_ms: number; status: number | null; code: string }
  | { type: "clock_skew"; offset_ms: number; path: string }
  | { type: "throttled"; rate: number | null; max_in_flight: number };
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
export interface AppServer {
  id?: string; name?: string; machine_name?: string; server_group_id?: string; server_group_name?: string;
  status?: string; vm_status?: string; task_status?: string; maintain_status?: boolean; session_count?: number;
  job_id?: string; job_type?: string; job_status?: string; job_time?: string;
  host_address?: { addr?: string; version?: number }[];
  [field: string]: unknown;
}
export interface ServerGroup {
  id?: string; name?: string; os_type?: string; app_server_count?: number;
  /** Only showServerGroup returns it. */
  ip_virtual?: { enable: boolean };
  [field: string]: unknown;
}
export interface SubJob {
  id?: string; job_type?: string; status?: string; error_code?: string; error_message?: string; job_id?: string;
  begin_time?: string; end_time?: string;
  job_resource_info?: { resource_id?: string; resource_name?: string };
}
export interface JobDetail {
  id?: string; job_type?: string; status?: string; begin_time?: string; end_time?: string;
  sub_jobs_total?: number; sub_jobs?: SubJob[];
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
"#;

#[cfg(feature = "rollout")]
#[wasm_bindgen(typescript_custom_section)]
const ROLLOUT_TYPES: &'static str = r#"
export interface RolloutOptions {
  /** 1 to 20, default 20. */
  batchSize?: number;
  /** Batches sent together in one wave, default 4. */
  concurrency?: number;
  /** Per server group: a count, or a share such as "25%" (the default). */
  maxUnavailable?: number | string;
  /** Update servers with sessions (their users are disconnected). */
  includeBusy?: boolean;
  /** Update servers already in maintenance mode (they stay in it). */
  includeMaintained?: boolean;
  /** Maintenance mode first, until the sessions end or drainTimeoutMs passes. */
  drain?: boolean;
  drainTimeoutMs?: number;
  /** Stop starting waves once more servers than this (a count or a share) have failed. */
  haltAfterFailures?: number | string;
  /** Forces enable; by default each group's ip_virtual.enable. */
  enable?: boolean;
}
export interface Plan {
  waves: { index: number; batches: string[][] }[];
  skipped: { id: string; name?: string; reason: string; detail: string }[];
  warnings: { code: string; message: string; server_group_id?: string }[];
  enable_by_group: Record<string, boolean>;
  max_unavailable_by_group: Record<string, number>;
  summary: { selected: number; planned: number; skipped: number; with_sessions: number; sessions: number; waves: number; batches: number };
  [field: string]: unknown;
}
export type Outcome = "pending" | "in_progress" | "succeeded" | "failed" | "skipped" | "unknown";
export interface ServerReport {
  id: string; name?: string; server_group_id?: string; outcome: Outcome; reason?: string; detail?: string;
  wave?: number; job_id?: string; sub_job_status?: string; error_code?: string; error_msg?: string;
  request_id?: string; attempts: number; submitted_at?: number; finished_at?: number;
  drain?: {
    sessions_before: number; sessions_at_reboot: number; waited_ms: number; deadline_passed: boolean;
    /** In maintenance before the run: never marked nor lifted by it. */
    already_in_maintenance: boolean;
    /** Recorded before the run asks for the mark; with no `lifted_at`, the mark may still be on. */
    marked_by_run: boolean; marked_at?: number; lifted_at?: number;
  };
  /** The job the server had before this run sent it (to recognize this run's job on resume). */
  job_before?: string;
}
export interface Report {
  status: "running" | "completed" | "halted" | "aborted";
  halt_reason?: string; started_at: number; finished_at?: number; job_ids: string[];
  servers: ServerReport[]; notes: string[];
  counts: { succeeded: number; failed: number; skipped: number; unknown: number; pending: number; in_progress: number };
  plan: Plan;
  [field: string]: unknown;
}
export type RolloutEvent = { type: string; [field: string]: unknown };
export interface RunOptions extends CallOptions {
  onEvent?: (event: RolloutEvent) => void;
  /** The report after each change worth saving (it holds no secret). */
  onReport?: (report: Report) => void;
  pollIntervalMs?: number;
  jobTimeoutMs?: number;
  /** Seeds the backoff jitter. */
  seed?: number;
}
"#;

/// An answer exactly as the host's `JSON.parse` read it: JS gets every field the service sent,
/// unknown ones included, and the wasm carries no code to read what it only passes on.
struct Raw(JsValue);

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_wasm_bindgen::preserve::deserialize(deserializer).map(Raw)
    }
}

impl Serialize for Raw {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_wasm_bindgen::preserve::serialize(&self.0, serializer)
    }
}

impl ServerRecord for Raw {
    fn server_id(&self) -> Option<String> {
        field(&self.0, "id").and_then(|id| id.as_string())
    }
}

// Named JS types for optional parameters, so the declarations say `options?: CallOptions`.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "CallOptions")]
    pub type CallOptionsArg;
    #[wasm_bindgen(typescript_type = "ClientOptions")]
    pub type ClientOptionsArg;
    #[wasm_bindgen(typescript_type = "ListServersQuery")]
    pub type ListServersQueryArg;
    #[wasm_bindgen(typescript_type = "ListAllOptions")]
    pub type ListAllOptionsArg;
    #[wasm_bindgen(typescript_type = "ListServerGroupsQuery")]
    pub type ListServerGroupsQueryArg;
    #[wasm_bindgen(typescript_type = "ListSubJobsQuery")]
    pub type ListSubJobsQueryArg;
    #[cfg(feature = "rollout")]
    #[wasm_bindgen(typescript_type = "RolloutOptions")]
    pub type RolloutOptionsArg;
    #[cfg(feature = "rollout")]
    #[wasm_bindgen(typescript_type = "RunOptions")]
    pub type RunOptionsArg;
    #[wasm_bindgen(typescript_type = "PlanBatchesOptions")]
    pub type PlanBatchesOptionsArg;
}

/// An optional argument as a plain value (`undefined` when left out).
fn arg<T: Into<JsValue>>(value: Option<T>) -> JsValue {
    value.map(Into::into).unwrap_or(JsValue::UNDEFINED)
}

/// The one serializer of the boundary: plain objects, never `Map`s.
pub(crate) fn serializer() -> serde_wasm_bindgen::Serializer {
    serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true)
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    // Our own types always serialize; undefined would only hide a bug, never a secret.
    value.serialize(&serializer()).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &JsValue, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &value.into());
}

/// An `Error` with `name`, `code` and the fields of its kind.
fn js_error(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name(error.name());
    let value: JsValue = js.into();
    set(&value, "code", error.code());
    match error {
        Error::Validation(issues) => set(&value, "errors", to_js(&issues)),
        Error::Api(api) => {
            set(&value, "status", api.status);
            set(&value, "error_code", api.error_code);
            set(&value, "error_msg", api.error_msg);
            set(&value, "request_id", api.request_id.map(JsValue::from).unwrap_or(JsValue::NULL));
            if let Some(body) = api.body {
                set(&value, "body", body);
            }
            if let Some(ms) = api.retry_after_ms {
                set(&value, "retryAfterMs", ms);
            }
            if let Some(message) = api.encoded_authorization_message {
                set(&value, "encoded_authorization_message", message);
            }
            if let Some(ms) = api.clock_skew_ms {
                set(&value, "clockSkewMs", ms as f64);
            }
        }
        Error::Timeout { timeout_ms } => set(&value, "timeoutMs", timeout_ms),
        Error::Network { sent, .. } => set(&value, "sent", sent),
        Error::Aborted => {}
    }
    value
}

fn invalid(path: &str, code: &'static str, message: &str) -> JsValue {
    js_error(Error::validation(path, code, message))
}

// Input conversion. A JS exception that unwinds through wasm frames (an import not marked
// `catch`) leaves the shadow stack pointer and the JS value slots of those frames behind, and
// serde-wasm-bindgen's `from_value` reads objects through such imports (`Object.entries`, an
// indexing getter, `in`, `TypedArray.prototype.length`). A few thousand throwing getters,
// proxy traps or `Object.create(new Uint8Array(1))` inputs used to exhaust the stack and trap
// every later call. So every read of a caller's value goes through an import marked `catch`
// (the throw comes back as an `Err`, everything is dropped normally) or through a `typeof` or
// `instanceof` check, which cannot throw; the data is copied into a [`Value`] first, and typed
// inputs are read from a plain copy of it.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn checked_is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn checked_keys(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = getOwnPropertyNames)]
    fn checked_own_names(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ArrayBuffer, js_name = isView)]
    fn checked_is_view(value: &JsValue) -> Result<bool, JsValue>;
    /// A fresh `Uint8Array` copied from a real typed array through its internal slots, so
    /// no getter of the caller's object runs.
    #[wasm_bindgen(js_name = Uint8Array)]
    type ByteCopy;
    #[wasm_bindgen(catch, constructor, js_class = "Uint8Array")]
    fn copy_of(source: &JsValue) -> Result<ByteCopy, JsValue>;
}

/// How deep input data may nest: the same bound as JSON read from the service.
pub(crate) const MAX_INPUT_DEPTH: usize = crate::json::MAX_DEPTH;
/// How many values one input may hold (a listing of 100,000 servers holds about 3 million).
pub(crate) const MAX_INPUT_VALUES: usize = 10_000_000;

/// Copies a caller's value into a [`Value`], refusing what JSON cannot hold and what throws.
struct InputReader {
    /// Values still allowed.
    budget: usize,
    /// The JSON pointer segments down to the value being read, for the error's path.
    segments: Vec<String>,
}

impl InputReader {
    fn refuse(&self, base: &str, code: &'static str, message: &str) -> Issue {
        let path = self.segments.iter().fold(base.to_owned(), |path, segment| validate::pointer(&path, segment));
        Issue::new(path, code, message)
    }

    fn read(&mut self, value: &JsValue, base: &str) -> Result<Value, Issue> {
        if self.budget == 0 {
            return Err(self.refuse(base, "value.too_large", "holds too many values"));
        }
        self.budget -= 1;
        if value.is_undefined() || value.is_null() {
            return Ok(Value::Null);
        }
        if let Some(b) = value.as_bool() {
            return Ok(Value::Bool(b));
        }
        if let Some(n) = value.as_f64() {
            return Ok(Value::Number(n));
        }
        if let Some(s) = value.as_string() {
            return Ok(Value::String(s));
        }
        if value.is_bigint() {
            return Err(self.refuse(base, "value.bigint", "a BigInt is not JSON data; pass a number or a string"));
        }
        if !value.is_object() {
            // Symbols and functions.
            return Err(self.refuse(base, "value.not_json", "must be plain JSON-like data"));
        }
        if self.segments.len() >= MAX_INPUT_DEPTH {
            return Err(self.refuse(base, "value.too_deep", "nests deeper than 128 levels (or refers to itself)"));
        }
        let unreadable = |reader: &Self| reader.refuse(base, "value.unreadable", "reading it threw (a getter or a proxy)");
        if checked_is_array(value).map_err(|_| unreadable(self))? {
            let length = Reflect::get(value, &JsValue::from_str("length")).map_err(|_| unreadable(self))?;
            let length = match length.as_f64() {
                Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= self.budget as f64 => n as u32,
                _ => return Err(self.refuse(base, "value.too_large", "holds too many values")),
            };
            let mut items = Vec::new();
            for index in 0..length {
                self.segments.push(index.to_string());
                let item = Reflect::get_u32(value, index).map_err(|_| unreadable(self));
                let item = item.and_then(|item| self.read(&item, base));
                self.segments.pop();
                items.push(item?);
            }
            return Ok(Value::Array(items));
        }
        // Typed arrays, Maps, Sets, String objects and whatever else iterates are not plain
        // data; neither is an object whose prototype is one of them.
        let iterable = Reflect::has(value, &js_sys::Symbol::iterator()).map_err(|_| unreadable(self))?;
        if iterable || value.is_instance_of::<js_sys::ArrayBuffer>() || checked_is_view(value).unwrap_or(true) {
            return Err(self.refuse(base, "value.not_json", "must be plain JSON-like data (objects, arrays, strings, numbers, booleans, null)"));
        }
        let keys = checked_keys(value).map_err(|_| unreadable(self))?;
        let mut fields = Vec::with_capacity(keys.length() as usize);
        for key in keys.iter() {
            let name = key.as_string().unwrap_or_default();
            self.segments.push(name.clone());
            let field = Reflect::get(value, &key).map_err(|_| unreadable(self));
            let field = field.and_then(|field| self.read(&field, base));
            self.segments.pop();
            fields.push((name, field?));
        }
        Ok(Value::Object(fields))
    }
}

/// Reads any JS value as JSON-like data. Functions, symbols, BigInts, typed arrays, values
/// that throw when read, and data nested deeper than [`MAX_INPUT_DEPTH`] are refused with a
/// `ValidationError` whose path points at the value.
fn read_value(value: JsValue, path: &str) -> Result<Value, JsValue> {
    read_plain(&value, path).map_err(|issue| js_error(Error::Validation(vec![issue])))
}

/// [`read_value`] with the problem as an [`Issue`].
fn read_plain(value: &JsValue, path: &str) -> Result<Value, Issue> {
    InputReader { budget: MAX_INPUT_VALUES, segments: Vec::new() }.read(value, path)
}

/// Reads a caller's value into a Rust type, through the same catching reads as
/// [`read_value`] and within the same depth and size limits; only the fields the type has are
/// read. Any problem is refused with `code` and `message` at `path`.
fn read_typed<T: serde::de::DeserializeOwned>(value: JsValue, path: &str, code: &'static str, message: &str) -> Result<T, JsValue> {
    let budget = std::cell::Cell::new(MAX_INPUT_VALUES);
    T::deserialize(SafeReader { value, depth: 0, budget: &budget }).map_err(|_| invalid(path, code, message))
}

/// Why a typed read failed. It carries nothing: the caller gets one coded issue, and no
/// formatting code is pulled into the wasm.
#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("refused")
    }
}

impl std::error::Error for Refused {}

impl serde::de::Error for Refused {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Refused
    }
}

/// A serde `Deserializer` over a caller's JS value that reads only through catching imports.
struct SafeReader<'a> {
    value: JsValue,
    depth: usize,
    /// Values still allowed, shared by the whole read.
    budget: &'a std::cell::Cell<usize>,
}

/// What a JS object is to a reader: an array with its length, or a plain object.
enum Shape {
    Array(u32),
    Object,
}

impl<'a> SafeReader<'a> {
    fn child(&self, value: JsValue) -> SafeReader<'a> {
        SafeReader { value, depth: self.depth + 1, budget: self.budget }
    }

    fn spend(&self) -> Result<(), Refused> {
        let left = self.budget.get().checked_sub(1).ok_or(Refused)?;
        self.budget.set(left);
        Ok(())
    }

    /// The shape of an object, refusing what [`InputReader`] refuses.
    fn shape(&self) -> Result<Shape, Refused> {
        let value = &self.value;
        if !value.is_object() || self.depth >= MAX_INPUT_DEPTH {
            return Err(Refused);
        }
        if checked_is_array(value).map_err(|_| Refused)? {
            let length = Reflect::get(value, &JsValue::from_str("length")).map_err(|_| Refused)?;
            return match length.as_f64() {
                Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= self.budget.get() as f64 => Ok(Shape::Array(n as u32)),
                _ => Err(Refused),
            };
        }
        let iterable = Reflect::has(value, &js_sys::Symbol::iterator()).map_err(|_| Refused)?;
        if iterable || value.is_instance_of::<js_sys::ArrayBuffer>() || checked_is_view(value).unwrap_or(true) {
            return Err(Refused);
        }
        Ok(Shape::Object)
    }

    fn object_keys(&self) -> Result<KeyedReader<'_, 'a>, Refused> {
        let keys = checked_keys(&self.value).map_err(|_| Refused)?;
        Ok(KeyedReader { object: self, keys, index: 0, pending: None })
    }
}

impl<'de> Deserializer<'de> for SafeReader<'_> {
    type Error = Refused;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.spend()?;
        let value = &self.value;
        if value.is_undefined() || value.is_null() {
            return visitor.visit_unit();
        }
        if let Some(b) = value.as_bool() {
            return visitor.visit_bool(b);
        }
        if let Some(n) = value.as_f64() {
            // As serde-wasm-bindgen reads numbers: whole ones within 2^53 are integers.
            return if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 { visitor.visit_i64(n as i64) } else { visitor.visit_f64(n) };
        }
        if let Some(s) = value.as_string() {
            return visitor.visit_string(s);
        }
        match self.shape()? {
            Shape::Array(length) => visitor.visit_seq(ItemReader { array: &self, index: 0, length }),
            Shape::Object => visitor.visit_map(self.object_keys()?),
        }
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        if self.value.is_undefined() || self.value.is_null() {
            self.spend()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        self.spend()?;
        match self.shape()? {
            Shape::Object => visitor.visit_map(FieldReader { object: &self, fields: fields.iter(), pending: None }),
            Shape::Array(_) => Err(Refused),
        }
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        use serde::de::IntoDeserializer;
        self.spend()?;
        if let Some(s) = self.value.as_string() {
            return visitor.visit_enum(s.into_deserializer());
        }
        match self.shape()? {
            Shape::Object => visitor.visit_enum(serde::de::value::MapAccessDeserializer::new(self.object_keys()?)),
            Shape::Array(_) => Err(Refused),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

/// The items of an array, each read with `Reflect.get`.
struct ItemReader<'r, 'a> {
    array: &'r SafeReader<'a>,
    index: u32,
    length: u32,
}

impl<'de> serde::de::SeqAccess<'de> for ItemReader<'_, '_> {
    type Error = Refused;

    fn next_element_seed<S: serde::de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, Refused> {
        if self.index == self.length {
            return Ok(None);
        }
        let item = Reflect::get_u32(&self.array.value, self.index).map_err(|_| Refused)?;
        self.index += 1;
        seed.deserialize(self.array.child(item)).map(Some)
    }
}

/// Every own enumerable key of an object, for maps and enums.
struct KeyedReader<'r, 'a> {
    object: &'r SafeReader<'a>,
    keys: js_sys::Array,
    index: u32,
    pending: Option<JsValue>,
}

impl<'de> serde::de::MapAccess<'de> for KeyedReader<'_, '_> {
    type Error = Refused;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Refused> {
        use serde::de::IntoDeserializer;
        if self.index >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.index);
        self.index += 1;
        self.pending = Some(Reflect::get(&self.object.value, &key).map_err(|_| Refused)?);
        seed.deserialize(key.as_string().unwrap_or_default().into_deserializer()).map(Some)
    }

    fn next_value_seed<S: serde::de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Refused> {
        let value = self.pending.take().ok_or(Refused)?;
        seed.deserialize(self.object.child(value))
    }
}

/// Only the fields a struct has; a field that is `undefined` counts as missing.
struct FieldReader<'r, 'a> {
    object: &'r SafeReader<'a>,
    fields: std::slice::Iter<'static, &'static str>,
    pending: Option<JsValue>,
}

impl<'de> serde::de::MapAccess<'de> for FieldReader<'_, '_> {
    type Error = Refused;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Refused> {
        use serde::de::IntoDeserializer;
        for field in self.fields.by_ref() {
            let value = Reflect::get(&self.object.value, &JsValue::from_str(field)).map_err(|_| Refused)?;
            if !value.is_undefined() {
                self.pending = Some(value);
                return seed.deserialize((*field).into_deserializer()).map(Some);
            }
        }
        Ok(None)
    }

    fn next_value_seed<S: serde::de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Refused> {
        let value = self.pending.take().ok_or(Refused)?;
        seed.deserialize(self.object.child(value))
    }
}

/// A property of a JS object, when the value is an object and the property is set. A getter
/// or proxy trap that throws reads as unset: for values this module made or the host gave it.
pub(crate) fn field(object: &JsValue, key: &str) -> Option<JsValue> {
    if !object.is_object() {
        return None;
    }
    Reflect::get(object, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

/// A property of a caller's object (see [`field`]); a getter or proxy trap that throws is a
/// `ValidationError` naming the property rather than a value silently left out.
fn input_field(object: &JsValue, key: &str) -> Result<Option<JsValue>, JsValue> {
    if object.is_undefined() || object.is_null() {
        return Ok(None);
    }
    if !object.is_object() {
        return Err(invalid("", "options.not_object", "options must be an object"));
    }
    match Reflect::get(object, &JsValue::from_str(key)) {
        Ok(v) => Ok(Some(v).filter(|v| !v.is_undefined() && !v.is_null())),
        Err(_) => Err(invalid(&validate::pointer("", key), "value.unreadable", "reading it threw (a getter or a proxy)")),
    }
}

fn validation_result(issues: Vec<Issue>) -> JsValue {
    let result = Object::new();
    set(&result, "ok", issues.is_empty());
    set(&result, "errors", to_js(&issues));
    result.into()
}

/// Checks a batch-update-tsvi body and lists every problem: `{ ok, errors: [{ path, code, message }] }`.
#[wasm_bindgen(js_name = validateBatchRequest, unchecked_return_type = "ValidationResult")]
pub fn validate_batch_request_js(body: JsValue) -> JsValue {
    match read_plain(&body, "") {
        Ok(value) => validation_result(validate_batch_request(&value)),
        Err(issue) => validation_result(vec![issue]),
    }
}

/// Checks a client configuration the way `new Client()` does, without creating one.
#[wasm_bindgen(js_name = validateClientConfig, unchecked_return_type = "ValidationResult")]
pub fn validate_client_config_js(#[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue) -> JsValue {
    match read_plain(&config, "") {
        Ok(value) => validation_result(parse_client_config(&value).err().unwrap_or_default()),
        Err(issue) => validation_result(vec![issue]),
    }
}

/// Drops repeated ids (keeping the first) and splits the rest into batches of at most
/// `batchSize` (1 to 20, default 20).
#[wasm_bindgen(js_name = planBatches, unchecked_return_type = "BatchPlan")]
pub fn plan_batches_js(
    #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
    options: Option<PlanBatchesOptionsArg>,
) -> Result<JsValue, JsValue> {
    let options = arg(options);
    let batch_size = input_field(&options, "batchSize")?.map(|v| v.as_f64().unwrap_or(f64::NAN));
    let mut issues = Vec::new();
    let size = check_batch_size(batch_size).map_err(|issue| issues.push(issue)).unwrap_or(1);
    let ids = match read_value(ids, "/ids")? {
        Value::Array(items) => items,
        _ => return Err(invalid("/ids", "ids.not_array", "ids must be an array of server ids")),
    };
    let mut list = Vec::with_capacity(ids.len());
    for (index, id) in ids.into_iter().enumerate() {
        match id {
            Value::String(id) if validate::is_valid_id(&id) => list.push(id),
            _ => issues.push(Issue::new(format!("/ids/{index}"), "id.invalid", "must be 1 to 64 letters, digits, '-' or '_'")),
        }
    }
    if !issues.is_empty() {
        return Err(js_error(Error::Validation(issues)));
    }
    Ok(to_js(&plan_batches(&list, size)))
}

fn query_value(value: Value, path: &str, out: &mut Vec<QueryValue>) -> Result<(), JsValue> {
    match value {
        Value::String(s) => out.push(QueryValue::Text(s)),
        Value::Bool(b) => out.push(QueryValue::Bool(b)),
        Value::Number(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => out.push(QueryValue::Int(n as i64)),
        Value::Array(items) => {
            for item in items {
                if matches!(item, Value::Array(_)) {
                    return Err(invalid(path, "query.nested_array", "query arrays hold strings, integers or booleans"));
                }
                query_value(item, path, out)?;
            }
        }
        _ => return Err(invalid(path, "query.invalid_value", "query values are strings, integers, booleans or arrays of them")),
    }
    Ok(())
}

fn read_query(query: Option<JsValue>) -> Result<Vec<(String, QueryValue)>, JsValue> {
    let entries: Vec<(String, Value)> = match query.map(|q| read_value(q, "/query")).transpose()? {
        None => Vec::new(),
        Some(Value::Object(fields)) => fields,
        Some(Value::Array(pairs)) => {
            let mut entries = Vec::with_capacity(pairs.len());
            for (i, pair) in pairs.into_iter().enumerate() {
                match pair {
                    Value::Array(mut kv) if kv.len() == 2 => {
                        let value = kv.pop().unwrap_or(Value::Null);
                        match kv.pop() {
                            Some(Value::String(key)) => entries.push((key, value)),
                            _ => return Err(invalid(&format!("/query/{i}/0"), "query.invalid_key", "query keys are strings")),
                        }
                    }
                    _ => return Err(invalid(&format!("/query/{i}"), "query.invalid_pair", "each query entry is a [key, value] pair")),
                }
            }
            entries
        }
        Some(_) => return Err(invalid("/query", "query.invalid", "query is an array of [key, value] pairs or an object")),
    };
    let mut pairs = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let mut values = Vec::new();
        query_value(value, &validate::pointer("/query", &key), &mut values)?;
        pairs.extend(values.into_iter().map(|v| (key.clone(), v)));
    }
    Ok(pairs)
}

fn read_headers(headers: Option<JsValue>) -> Result<Vec<(String, String)>, JsValue> {
    let bad = || invalid("/headers", "headers.invalid", "headers is an object of strings or an array of [name, value] pairs");
    let pairs = match headers.map(|h| read_value(h, "/headers")).transpose()? {
        None => Vec::new(),
        Some(Value::Object(fields)) => fields,
        Some(Value::Array(pairs)) => pairs
            .into_iter()
            .map(|pair| match pair {
                Value::Array(mut kv) if kv.len() == 2 => match (kv.remove(0), kv.remove(0)) {
                    (Value::String(k), v) => Ok((k, v)),
                    _ => Err(bad()),
                },
                _ => Err(bad()),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad()),
    };
    pairs
        .into_iter()
        .map(|(name, value)| match value {
            Value::String(v) => Ok((name, v)),
            _ => Err(invalid(&validate::pointer("/headers", &name), "headers.invalid_value", "header values are strings")),
        })
        .collect()
}

fn read_body(body: Option<JsValue>) -> Result<Vec<u8>, JsValue> {
    let refused = || invalid("/body", "body.invalid", "body is a string or a Uint8Array");
    match body {
        None => Ok(Vec::new()),
        Some(body) => {
            if let Some(text) = body.as_string() {
                return Ok(text.into_bytes());
            }
            // `instanceof` alone also admits `Object.create(new Uint8Array(1))` and proxies,
            // whose `length` throws; `isView` checks for a real typed array, and the copy
            // reads it through its internal slots only (a detached buffer throws, caught).
            if !body.is_instance_of::<Uint8Array>() || !checked_is_view(&body).unwrap_or(false) {
                return Err(refused());
            }
            let copy: Uint8Array = ByteCopy::copy_of(&body).map_err(|_| refused())?.unchecked_into();
            Ok(copy.to_vec())
        }
    }
}

fn text_field(input: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    match input_field(input, key)? {
        None => Ok(None),
        Some(v) => v.as_string().map(Some).ok_or_else(|| invalid(&format!("/{key}"), "value.not_string", "must be a string")),
    }
}

/// Signs a request with SDK-HMAC-SHA256, byte for byte as Huawei's official SDK does.
#[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequest")]
pub fn sign_request_js(#[wasm_bindgen(unchecked_param_type = "SignRequestInput")] input: JsValue) -> Result<JsValue, JsValue> {
    if !input.is_object() {
        return Err(invalid("", "input.not_object", "signRequest takes an object"));
    }
    let method = text_field(&input, "method")?.unwrap_or_default();
    let url = text_field(&input, "url")?.unwrap_or_default();
    let credentials = AkSk {
        ak: text_field(&input, "ak")?.unwrap_or_default(),
        sk: text_field(&input, "sk")?.unwrap_or_default(),
        security_token: text_field(&input, "securityToken")?,
    };
    let query = read_query(input_field(&input, "query")?)?;
    let headers = read_headers(input_field(&input, "headers")?)?;
    let body = read_body(input_field(&input, "body")?)?;
    // The date is `sdkDate`, else an `X-Sdk-Date` header (as the official signer takes it),
    // else now; the signer refuses the two when they disagree.
    let sdk_date = match text_field(&input, "sdkDate")? {
        Some(date) => date,
        None => match sign::header_value(&headers, "x-sdk-date") {
            Some(date) => date.trim().to_owned(),
            None => sign::sdk_date_from_unix(FetchTransport.now_ms() / 1000),
        },
    };
    let signed = sign::sign(&SignInput {
        method: &method,
        url: &url,
        query: &query,
        headers: &headers,
        body: &body,
        credentials: &credentials,
        sdk_date: &sdk_date,
    })
    .map_err(|e| invalid(&e.path(), e.code(), e.message()))?;

    let result = Object::new();
    set(&result, "url", signed.url);
    let header_object = Object::new();
    for (name, value) in signed.headers {
        // Defined, not assigned: a header named `__proto__` must stay a header.
        let descriptor = Object::new();
        set(&descriptor, "value", value);
        for flag in ["enumerable", "writable", "configurable"] {
            set(&descriptor, flag, true);
        }
        let _ = Reflect::define_property(&header_object, &JsValue::from_str(&name), &descriptor);
    }
    set(&result, "headers", header_object);
    set(&result, "signedHeaders", signed.signed_headers);
    set(&result, "signature", signed.signature);
    set(&result, "canonicalRequest", signed.canonical_request);
    Ok(result.into())
}

#[cfg(feature = "rollout")]
/// The report as CSV, one line per server, formulas defused for spreadsheets.
#[wasm_bindgen(js_name = reportToCsv)]
pub fn report_to_csv(#[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue) -> Result<String, JsValue> {
    let report: Report = read_typed(report, "", "report.invalid", "not a rollout report")?;
    Ok(report.to_csv())
}

#[cfg(feature = "rollout")]
fn number_option(options: &JsValue, key: &str, min: f64, max: f64) -> Result<Option<f64>, JsValue> {
    match input_field(options, key)? {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= min && n <= max => Ok(Some(n)),
            _ => Err(invalid(&format!("/{key}"), "option.out_of_range", "must be a whole number in range")),
        },
    }
}

fn callback(options: &JsValue, key: &str) -> Result<Option<Function>, JsValue> {
    input_field(options, key)?
        .map(|f| f.dyn_into::<Function>().map_err(|_| invalid(&format!("/{key}"), "option.not_function", "must be a function")))
        .transpose()
}

#[cfg(feature = "rollout")]
/// What runRollout and resumeRollout take besides the plan or report.
struct RunSetup {
    options: RunOptions,
    signal: Option<AbortSignal>,
    on_event: Option<Function>,
    on_report: Option<Function>,
}

#[cfg(feature = "rollout")]
fn run_setup(options: &JsValue) -> Result<RunSetup, JsValue> {
    let mut run = RunOptions::default();
    if let Some(ms) = number_option(options, "pollIntervalMs", 10.0, 600_000.0)? {
        run.poll_interval_ms = ms as u32;
    }
    if let Some(ms) = number_option(options, "jobTimeoutMs", 1000.0, 86_400_000.0)? {
        run.job_timeout_ms = ms as u32;
    }
    if let Some(seed) = number_option(options, "seed", 0.0, 9_007_199_254_740_991.0)? {
        run.seed = seed as u64;
    }
    run.backoff = Backoff { base_ms: run.poll_interval_ms.min(1000), ..Backoff::default() };
    Ok(RunSetup { options: run, signal: signal_of(options)?, on_event: callback(options, "onEvent")?, on_report: callback(options, "onReport")? })
}

#[cfg(feature = "rollout")]
/// Where a run starts from.
enum Start {
    Fresh(Plan),
    Resume(Report),
}

#[cfg(feature = "rollout")]
async fn run_with(client: Rc<Client<FetchTransport>>, setup: RunSetup, start: Start) -> Result<JsValue, Error> {
    let on_event = |event: &Event| {
        if let Some(f) = &setup.on_event {
            let _ = f.call1(&JsValue::NULL, &to_js(event));
        }
    };
    let on_report = |report: &Report| {
        if let Some(f) = &setup.on_report {
            let _ = f.call1(&JsValue::NULL, &to_js(report));
        }
    };
    let hooks = Hooks { on_event: &on_event, on_report: &on_report };
    let report = match start {
        Start::Fresh(plan) => run_rollout(&client, &plan, setup.options, setup.signal.as_ref(), hooks).await,
        Start::Resume(report) => resume_rollout(&client, report, setup.options, setup.signal.as_ref(), hooks).await,
    };
    Ok(to_js(&report))
}

/// A Workspace APP client. Every method validates its input first (sending nothing when it is
/// wrong) and rejects with a `ValidationError`, `ApiError`, `TimeoutError`, `NetworkError` or
/// `AbortError`.
#[wasm_bindgen(js_name = Client)]
pub struct JsClient {
    inner: Rc<Client<FetchTransport>>,
}

fn signal_of(options: &JsValue) -> Result<Option<AbortSignal>, JsValue> {
    let refused = || invalid("/signal", "signal.invalid", "signal must be an AbortSignal");
    let Some(signal) = input_field(options, "signal")? else {
        return Ok(None);
    };
    // The transport reads the signal through imports that do not catch, so only a plain
    // AbortSignal is taken: its prototype is AbortSignal's own, it has no own property that
    // could shadow one, and reading `aborted` gives a boolean (proxies and tampered signals fail).
    let genuine_prototype = web_sys::AbortController::new().ok().and_then(|c| Reflect::get_prototype_of(c.signal().as_ref()).ok());
    let prototype = Reflect::get_prototype_of(&signal).ok();
    let plain = signal.is_instance_of::<AbortSignal>()
        && prototype.is_some()
        && prototype.map(JsValue::from) == genuine_prototype.map(JsValue::from)
        && checked_own_names(&signal).is_ok_and(|names| names.length() == 0)
        && Reflect::get(&signal, &JsValue::from_str("aborted")).is_ok_and(|aborted| aborted.as_bool().is_some());
    if plain {
        Ok(Some(signal.unchecked_into()))
    } else {
        Err(refused())
    }
}

fn optional_value(value: JsValue, path: &str) -> Result<Option<Value>, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        read_value(value, path).map(Some)
    }
}

fn id_text(id: &JsValue, path: &str) -> Result<String, JsValue> {
    id.as_string().ok_or_else(|| invalid(path, "id.not_string", "must be a string"))
}

/// `{ request_id }` plus whatever the caller adds.
fn answer_object(request_id: Option<String>) -> JsValue {
    let object: JsValue = Object::new().into();
    set(&object, "request_id", request_id.map(JsValue::from).unwrap_or(JsValue::NULL));
    object
}

/// One call's work. Boxed so that the promise machinery is compiled once, not per method.
type Call = std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, Error>>>>;

/// Runs one call as a Promise; input problems reject it rather than throw synchronously.
fn promise(prepare: impl FnOnce() -> Result<Call, JsValue>) -> Promise {
    match prepare() {
        Ok(future) => future_to_promise(async move { future.await.map_err(js_error) }),
        Err(error) => Promise::reject(&error),
    }
}

#[wasm_bindgen(js_class = Client)]
impl JsClient {
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue,
        options: Option<ClientOptionsArg>,
    ) -> Result<JsClient, JsValue> {
        let options = arg(options);
        let value = read_value(config, "")?;
        let config: ClientConfig = parse_client_config(&value).map_err(|issues| js_error(Error::Validation(issues)))?;
        let mut client = Client::new(config, FetchTransport);
        if let Some(listener) = callback(&options, "onEvent")? {
            client = client.with_events(move |event| {
                let _ = listener.call1(&JsValue::NULL, &to_js(event));
            });
        }
        Ok(JsClient { inner: Rc::new(client) })
    }

    /// The endpoint origin calls go to.
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.inner.config().origin.clone()
    }

    /// `PATCH .../app-servers/actions/batch-update-tsvi`. **Reboots the servers** and
    /// disconnects their users. Sent once; never retried. Resolves to `{ job_id, request_id }`.
    #[wasm_bindgen(js_name = batchUpdateTsvi, unchecked_return_type = "Promise<{ job_id: string; request_id: string | null }>")]
    pub fn batch_update_tsvi(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UpdateTsvi[]")] items: JsValue,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let signal = signal_of(&options)?;
            let body = Value::Object(vec![("items".into(), read_value(items, "/items")?)]);
            let issues = validate_batch_request(&body);
            if !issues.is_empty() {
                return Err(js_error(Error::Validation(issues)));
            }
            let items = batch_items(&body);
            Ok(Box::pin(async move {
                let answer = client.batch_update_tsvi(&items, signal.as_ref()).await?;
                let result = answer_object(answer.request_id);
                set(&result, "job_id", answer.value);
                Ok(result)
            }))
        })
    }

    /// `PATCH .../app-servers/actions/batch-maint`: `maintain` true stops new sessions on the
    /// servers (to drain them), false lifts the mark.
    #[wasm_bindgen(js_name = batchChangeMaintainMode, unchecked_return_type = "Promise<{ request_id: string | null }>")]
    pub fn batch_change_maintain_mode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        // Not `bool`: the glue would coerce with `+maintain`, which throws a bare TypeError
        // for a Symbol or a BigInt and calls a hostile `valueOf`.
        #[wasm_bindgen(unchecked_param_type = "boolean")] maintain: JsValue,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let signal = signal_of(&options)?;
            let maintain = maintain.as_bool().ok_or_else(|| invalid("/maintain", "maintain.not_boolean", "maintain must be true or false"))?;
            let ids: Vec<String> = read_typed(ids, "/items", "items.invalid", "ids must be an array of strings")?;
            Ok(Box::pin(async move {
                let answer = client.batch_change_maintain_mode(&ids, maintain, signal.as_ref()).await?;
                Ok(answer_object(answer.request_id))
            }))
        })
    }

    /// One page of `GET .../app-servers`: `{ count, items }`.
    #[wasm_bindgen(js_name = listServers, unchecked_return_type = "Promise<Page<AppServer>>")]
    pub fn list_servers(
        &self,
        query: Option<ListServersQueryArg>,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let query = arg(query);
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let (signal, query) = (signal_of(&options)?, optional_value(query, "")?);
            Ok(Box::pin(async move {
                Ok(client.list_servers::<Raw>(query.as_ref(), signal.as_ref()).await?.value.0)
            }))
        })
    }

    /// Every server matching the filters, the pages after the first fetched in parallel.
    #[wasm_bindgen(js_name = listAllServers, unchecked_return_type = "Promise<Listing<AppServer>>")]
    pub fn list_all_servers(
        &self,
        query: Option<ListServersQueryArg>,
        options: Option<ListAllOptionsArg>,
    ) -> Promise {
        let query = arg(query);
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let (signal, query) = (signal_of(&options)?, optional_value(query, "")?);
            let concurrency = match input_field(&options, "concurrency")? {
                None => DEFAULT_PAGE_CONCURRENCY,
                Some(n) => match n.as_f64() {
                    Some(n) if n.fract() == 0.0 && (1.0..=16.0).contains(&n) => n as usize,
                    _ => return Err(invalid("/concurrency", "concurrency.out_of_range", "concurrency must be a whole number from 1 to 16")),
                },
            };
            let on_progress = match input_field(&options, "onProgress")? {
                None => None,
                Some(f) => Some(f.dyn_into::<Function>().map_err(|_| invalid("/onProgress", "onProgress.invalid", "onProgress must be a function"))?),
            };
            Ok(Box::pin(async move {
                let report = |loaded: u32, total: u32| {
                    if let Some(f) = &on_progress {
                        let _ = f.call2(&JsValue::NULL, &loaded.into(), &total.into());
                    }
                };
                let all = client.list_all_servers::<Raw>(query.as_ref(), concurrency, signal.as_ref(), &report).await?;
                Ok(to_js(&all))
            }))
        })
    }

    /// `GET .../app-servers/{id}`.
    #[wasm_bindgen(js_name = showServer, unchecked_return_type = "Promise<AppServer>")]
    pub fn show_server(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue, options: Option<CallOptionsArg>) -> Promise {
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let (signal, id) = (signal_of(&options)?, id_text(&id, "/id")?);
            Ok(Box::pin(async move { Ok(client.show_server::<Raw>(&id, signal.as_ref()).await?.value.0) }))
        })
    }

    /// One page of `GET .../app-server-groups` (without `ip_virtual`; see showServerGroup).
    #[wasm_bindgen(js_name = listServerGroups, unchecked_return_type = "Promise<Page<ServerGroup>>")]
    pub fn list_server_groups(
        &self,
        query: Option<ListServerGroupsQueryArg>,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let query = arg(query);
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let (signal, query) = (signal_of(&options)?, optional_value(query, "")?);
            Ok(Box::pin(async move { Ok(client.list_server_groups::<Raw>(query.as_ref(), signal.as_ref()).await?.value.0) }))
        })
    }

    /// `GET .../app-server-groups/{id}`, with the group's `ip_virtual`.
    #[wasm_bindgen(js_name = showServerGroup, unchecked_return_type = "Promise<ServerGroup>")]
    pub fn show_server_group(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue, options: Option<CallOptionsArg>) -> Promise {
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let (signal, id) = (signal_of(&options)?, id_text(&id, "/id")?);
            Ok(Box::pin(async move { Ok(client.show_server_group::<Raw>(&id, signal.as_ref()).await?.value.0) }))
        })
    }

    /// `GET /v2/{project_id}/job/{job_id}`: the job and its sub-jobs.
    #[wasm_bindgen(js_name = showJob, unchecked_return_type = "Promise<JobDetail>")]
    pub fn show_job(&self, #[wasm_bindgen(unchecked_param_type = "string")] job_id: JsValue, options: Option<CallOptionsArg>) -> Promise {
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let (signal, job_id) = (signal_of(&options)?, id_text(&job_id, "/jobId")?);
            Ok(Box::pin(async move { Ok(client.show_job::<Raw>(&job_id, signal.as_ref()).await?.value.0) }))
        })
    }

    #[cfg(feature = "rollout")]
    /// Plans a rollout of `servers` (as listed by listServers/listAllServers) in waves that keep
    /// each group within `maxUnavailable`, reading each group's `ip_virtual`. Sends nothing
    /// that changes anything: the plan is what runRollout will do.
    #[wasm_bindgen(js_name = planRollout, unchecked_return_type = "Promise<Plan>")]
    pub fn plan_rollout(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AppServer[]")] servers: JsValue,
        options: Option<RolloutOptionsArg>,
    ) -> Promise {
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let servers: Vec<ServerState> =
                read_typed(servers, "/servers", "servers.invalid", "servers must be an array of server objects, each with an id")?;
            let options = parse_options(optional_value(options, "")?.as_ref()).map_err(|issues| js_error(Error::Validation(issues)))?;
            Ok(Box::pin(async move { Ok(to_js(&plan_with_groups(&client, &servers, &options).await?)) }))
        })
    }

    #[cfg(feature = "rollout")]
    /// Runs a plan: each wave's batches sent together, each job followed to the end before the
    /// next wave. Resolves to the report; never rejects once started (failures are in it).
    #[wasm_bindgen(js_name = runRollout, unchecked_return_type = "Promise<Report>")]
    pub fn run_rollout(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Plan")] plan: JsValue,
        options: Option<RunOptionsArg>,
    ) -> Promise {
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let plan: Plan = read_typed(plan, "/plan", "plan.invalid", "not a plan made by planRollout")?;
            let setup = run_setup(&options)?;
            Ok(Box::pin(run_with(client, setup, Start::Fresh(plan))))
        })
    }

    #[cfg(feature = "rollout")]
    /// Continues an interrupted run from its report: follows what was sent, re-checks what is
    /// unknown, and sends what never was. Never sends a server that has a job from this run.
    #[wasm_bindgen(js_name = resumeRollout, unchecked_return_type = "Promise<Report>")]
    pub fn resume_rollout(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue,
        options: Option<RunOptionsArg>,
    ) -> Promise {
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let report: Report = read_typed(report, "/report", "report.invalid", "not a rollout report")?;
            let setup = run_setup(&options)?;
            Ok(Box::pin(run_with(client, setup, Start::Resume(report))))
        })
    }

    /// `GET .../app-server-sub-jobs`; `job_type` defaults to `UPDATE_SERVER_TSVI`.
    #[wasm_bindgen(js_name = listSubJobs, unchecked_return_type = "Promise<Page<SubJob>>")]
    pub fn list_sub_jobs(
        &self,
        query: Option<ListSubJobsQueryArg>,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        let query = arg(query);
        let options = arg(options);
        let client = self.inner.clone();
        promise(|| {
            let (signal, query) = (signal_of(&options)?, optional_value(query, "")?);
            Ok(Box::pin(async move { Ok(client.list_sub_jobs::<Raw>(query.as_ref(), signal.as_ref()).await?.value.0) }))
        })
    }
}
