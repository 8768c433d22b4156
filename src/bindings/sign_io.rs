//! `signRequest`'s conversions, kept to a few crossings because the call is a hot path: its
//! text fields read with one catching `Reflect.get` and one string copy each, and its result
//! handed back as one JSON text that the host's `JSON.parse` turns into the object. The rules
//! (what a field must be, what is refused) are `sign.rs`'s and `convert.rs`'s readers'.

use super::convert::{invalid, read_body};
use crate::validate;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The host's UTF-8 encoder: for a body of a kilobyte or more, encoding in the host and
    /// copying the bytes once is faster than the glue's character-by-character string copy.
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method)]
    fn encode(this: &TextEncoder, text: &JsValue) -> Uint8Array;
}

/// The input's keys as JS strings, made once: each `JsValue::from_str` is a crossing and a
/// string copy, and every call reads the same keys.
pub(super) struct SignKeys {
    pub(super) method: JsValue,
    pub(super) url: JsValue,
    pub(super) ak: JsValue,
    pub(super) sk: JsValue,
    pub(super) security_token: JsValue,
    pub(super) query: JsValue,
    pub(super) headers: JsValue,
    pub(super) body: JsValue,
    pub(super) sdk_date: JsValue,
}

thread_local! {
    pub(super) static SIGN_KEYS: SignKeys = SignKeys {
        method: JsValue::from_str("method"),
        url: JsValue::from_str("url"),
        ak: JsValue::from_str("ak"),
        sk: JsValue::from_str("sk"),
        security_token: JsValue::from_str("securityToken"),
        query: JsValue::from_str("query"),
        headers: JsValue::from_str("headers"),
        body: JsValue::from_str("body"),
        sdk_date: JsValue::from_str("sdkDate"),
    };
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// A property of the (object) input, `None` when `undefined` or `null`; a getter or proxy trap
/// that throws is refused by name, as [`super::convert::input_field`] refuses it.
pub(super) fn field_of(input: &JsValue, key: &JsValue, name: &str) -> Result<Option<JsValue>, JsValue> {
    match Reflect::get(input, key) {
        Ok(v) if v.is_undefined() || v.is_null() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(_) => Err(invalid(&validate::pointer("", name), "value.unreadable", "reading it threw (a getter or a proxy)")),
    }
}

/// A text property of the input, in two crossings when it is a string (the common case): the
/// read and the copy. Anything else but `undefined` and `null` is refused at `/{name}`.
pub(super) fn text_of(input: &JsValue, key: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    let value = match Reflect::get(input, key) {
        Ok(v) => v,
        Err(_) => return Err(invalid(&validate::pointer("", name), "value.unreadable", "reading it threw (a getter or a proxy)")),
    };
    if let Some(text) = value.as_string() {
        return Ok(Some(text));
    }
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    Err(invalid(&format!("/{name}"), "value.not_string", "must be a string"))
}

/// The body's bytes: a string as UTF-8 (lone surrogates as U+FFFD, as every string copy
/// encodes them), anything else as [`read_body`] reads it.
pub(super) fn body_of(body: Option<JsValue>) -> Result<Vec<u8>, JsValue> {
    match body {
        Some(text) if text.is_string() => Ok(ENCODER.with(|encoder| encoder.encode(&text)).to_vec()),
        other => read_body(other),
    }
}
