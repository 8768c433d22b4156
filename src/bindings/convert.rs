//! Every conversion between JS values and Rust ones, in one place: a caller's input read by the
//! one catching reader (`js_value::read_json_like` into a [`Value`], with the path of what it
//! refuses; `js_value::from_js` into a typed value), the readers of options, and what goes
//! back to JS (values as one JSON text each, answers and errors).

use crate::error::Error;
use crate::js_value::{checked_is_view, field, from_js, read_json_like, Why};
use crate::json::Value;
use crate::model::ServerRecord;
use crate::sign::QueryValue;
use crate::validate::{self, Issue};
use js_sys::{Function, Object, Reflect, Uint8Array};
use serde::{Deserialize, Deserializer, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

/// An answer exactly as the host's `JSON.parse` read it: JS gets every field the service sent,
/// unknown ones included, and the wasm carries no code to read what it only passes on.
pub(super) struct Raw(pub(super) JsValue);

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::js_value::js_value(deserializer).map(Raw)
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
pub(super) fn arg<T: Into<JsValue>>(value: Option<T>) -> JsValue {
    value.map(Into::into).unwrap_or(JsValue::UNDEFINED)
}

/// A value as JS gets it: written as one JSON text in the wasm, made into the object by the
/// host's `JSON.parse` in one crossing (not property by property), which defines every key it
/// reads (a key `__proto__` stays a key). `None` fields are left out, as `JSON.stringify`
/// leaves out `undefined` (see `json::write`).
pub(super) fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    // Our own types always write; undefined would only hide a bug, never a secret.
    match crate::json::write(value) {
        Ok(Some(text)) => parse_text(&text),
        _ => JsValue::UNDEFINED,
    }
}

/// Not generic: one copy of the crossing for every type [`to_js`] writes.
fn parse_text(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// listAllServers' result: `{ count, items, stopped? }`, the items the very objects the host
/// parsed from the pages (nothing of them is read or written again).
pub(super) fn listing_to_js(listing: crate::client::Listing<Raw>) -> JsValue {
    let result: JsValue = Object::new().into();
    set(&result, "count", listing.count);
    set(&result, "items", listing.items.into_iter().map(|raw| raw.0).collect::<js_sys::Array>());
    if let Some(stopped) = listing.stopped {
        set(&result, "stopped", to_js(&stopped));
    }
    result
}

pub(super) fn set(target: &JsValue, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &value.into());
}

// The exported error classes (`instanceof ApiError`), one JS file shared by every build.
#[wasm_bindgen(module = "/src/bindings/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = newError)]
    fn new_error(name: &str, message: &str) -> js_sys::Error;
}

/// An error of the class named after its kind, with `name`, `code` and the fields of its kind.
pub(super) fn js_error(error: Error) -> JsValue {
    let js = new_error(error.name(), &error.to_string());
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

pub(super) fn invalid(path: &str, code: &'static str, message: &str) -> JsValue {
    js_error(Error::validation(path, code, message))
}

// Input conversion. A JS exception that unwinds through wasm frames (an import not marked
// `catch`) leaves the shadow stack pointer and the JS value slots of those frames behind, and
// serde-wasm-bindgen's `from_value` reads objects through such imports (`Object.entries`, an
// indexing getter, `in`, `TypedArray.prototype.length`). A few thousand throwing getters,
// proxy traps or `Object.create(new Uint8Array(1))` inputs used to exhaust the stack and trap
// every later call. So every read of a caller's value goes through an import marked `catch`
// (the throw comes back as an `Err`, everything is dropped normally) or through a `typeof` or
// `instanceof` check, which cannot throw: `js_value`'s one reader, for plain data and typed
// inputs alike.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Object, js_name = getOwnPropertyNames)]
    fn checked_own_names(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    /// A fresh `Uint8Array` copied from a real typed array through its internal slots, so
    /// no getter of the caller's object runs.
    #[wasm_bindgen(js_name = Uint8Array)]
    type ByteCopy;
    #[wasm_bindgen(catch, constructor, js_class = "Uint8Array")]
    fn copy_of(source: &JsValue) -> Result<ByteCopy, JsValue>;
}

/// Reads any JS value as JSON-like data. Functions, symbols, BigInts, typed arrays, values
/// that throw when read, and data nested deeper than [`MAX_INPUT_DEPTH`] are refused with a
/// `ValidationError` whose path points at the value.
pub(super) fn read_value(value: JsValue, path: &str) -> Result<Value, JsValue> {
    read_plain(&value, path).map_err(|issue| js_error(Error::Validation(vec![issue])))
}

/// [`read_value`] with the problem as an [`Issue`]: the one reader of JS values
/// (`js_value::read_json_like`), which says which rule the value broke and where.
pub(super) fn read_plain(value: &JsValue, path: &str) -> Result<Value, Issue> {
    read_json_like(value.clone()).map_err(|(why, segments)| {
        let path = segments.iter().fold(path.to_owned(), |path, segment| validate::pointer(&path, segment));
        let (code, message) = match why {
            Why::TooLarge => ("value.too_large", "holds too many values"),
            Why::BigInt => ("value.bigint", "a BigInt is not JSON data; pass a number or a string"),
            Why::NotJson => ("value.not_json", "must be plain JSON-like data"),
            Why::NotPlain => ("value.not_json", "must be plain JSON-like data (objects, arrays, strings, numbers, booleans, null)"),
            Why::TooDeep => ("value.too_deep", "nests deeper than 100 levels (or refers to itself)"),
            // A `Value` takes every type: only a read that threw is left.
            Why::Unreadable | Why::Type => ("value.unreadable", "reading it threw (a getter or a proxy)"),
        };
        Issue::new(path, code, message)
    })
}

/// Reads a caller's value into a Rust type, through the same catching reads as
/// [`read_value`] and within the same depth and size limits; only the fields the type has are
/// read. Any problem is refused with `code` and `message` at `path`.
pub(super) fn read_typed<T: serde::de::DeserializeOwned>(
    value: JsValue,
    path: &str,
    code: &'static str,
    message: &str,
) -> Result<T, JsValue> {
    from_js(value).map_err(|_| invalid(path, code, message))
}

/// A property of a caller's object (see [`field`]); a getter or proxy trap that throws is a
/// `ValidationError` naming the property rather than a value silently left out.
pub(super) fn input_field(object: &JsValue, key: &str) -> Result<Option<JsValue>, JsValue> {
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

/// `{ ok, errors }` of the validators.
pub(super) fn validation_result(issues: Vec<Issue>) -> JsValue {
    #[derive(Serialize)]
    struct ValidationResult {
        ok: bool,
        errors: Vec<Issue>,
    }
    to_js(&ValidationResult { ok: issues.is_empty(), errors: issues })
}

pub(super) fn query_value(value: Value, path: &str, out: &mut Vec<QueryValue>) -> Result<(), JsValue> {
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

pub(super) fn read_query(query: Option<JsValue>) -> Result<Vec<(String, QueryValue)>, JsValue> {
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

pub(super) fn read_headers(headers: Option<JsValue>) -> Result<Vec<(String, String)>, JsValue> {
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

pub(super) fn read_body(body: Option<JsValue>) -> Result<Vec<u8>, JsValue> {
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

#[cfg(feature = "rollout")]
pub(super) fn number_option(options: &JsValue, key: &str, min: f64, max: f64) -> Result<Option<f64>, JsValue> {
    match input_field(options, key)? {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= min && n <= max => Ok(Some(n)),
            _ => Err(invalid(&format!("/{key}"), "option.out_of_range", "must be a whole number in range")),
        },
    }
}

pub(super) fn callback(options: &JsValue, key: &str) -> Result<Option<Function>, JsValue> {
    input_field(options, key)?
        .map(|f| f.dyn_into::<Function>().map_err(|_| invalid(&format!("/{key}"), "option.not_function", "must be a function")))
        .transpose()
}

pub(super) fn signal_of(options: &JsValue) -> Result<Option<AbortSignal>, JsValue> {
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

pub(super) fn optional_value(value: JsValue, path: &str) -> Result<Option<Value>, JsValue> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        read_value(value, path).map(Some)
    }
}

pub(super) fn id_text(id: &JsValue, path: &str) -> Result<String, JsValue> {
    id.as_string().ok_or_else(|| invalid(path, "id.not_string", "must be a string"))
}

/// `{ request_id }` plus whatever the caller adds.
pub(super) fn answer_object(request_id: Option<String>) -> JsValue {
    let object: JsValue = Object::new().into();
    set(&object, "request_id", request_id.map(JsValue::from).unwrap_or(JsValue::NULL));
    object
}

/// What a caller's callback threw, as text for an event and a note: `name: message` for an
/// `Error`, the string itself for a string, at most 200 characters.
#[cfg(feature = "rollout")]
pub(super) fn thrown_message(thrown: &JsValue) -> String {
    let text = |key| field(thrown, key).and_then(|v| v.as_string());
    let message = match (text("name"), text("message"), thrown.as_string()) {
        (_, _, Some(s)) => s,
        (Some(name), Some(message), _) => format!("{name}: {message}"),
        (None, Some(message), _) => message,
        _ => "a value that is not an Error".to_owned(),
    };
    message.chars().take(200).collect()
}
