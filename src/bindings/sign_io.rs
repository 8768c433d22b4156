//! `signRequest`'s conversions, kept to a few crossings because the call is a hot path: its
//! text fields read with one catching `Reflect.get` and one string copy each, and its result
//! handed back as one JSON text that the host's `JSON.parse` turns into the object. The rules
//! (what a field must be, what is refused) are `sign.rs`'s and `convert.rs`'s readers'.

use super::convert::{invalid, read_body, read_headers};
use crate::js_value::MAX_INPUT_VALUES;
use crate::validate;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The host's UTF-8 encoder: for a body of a kilobyte or more, encoding in the host and
    /// copying the bytes once is faster than the glue's character-by-character string copy.
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method)]
    fn encode(this: &TextEncoder, text: &JsValue) -> Uint8Array;
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, text: &JsValue, into: &Uint8Array) -> EncodedInto;
    type EncodedInto;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodedInto) -> u32;

    // The catching reads of `convert`'s reader, for the headers' shape.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn checked_is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn checked_keys(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ArrayBuffer, js_name = isView)]
    fn checked_is_view(value: &JsValue) -> Result<bool, JsValue>;
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
    iterator: JsValue,
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
        iterator: js_sys::Symbol::iterator().into(),
    };
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// A property of the (object) input, `None` when `undefined` or `null`; a getter or proxy trap
/// that throws is refused by name, as [`super::convert::input_field`] refuses it.
pub(super) fn field_of(input: &JsValue, key: &JsValue, name: &str) -> Result<Option<JsValue>, JsValue> {
    raw_field_of(input, key, name).map(|v| Some(v).filter(is_set))
}

/// A property of the input as it is, `undefined` and `null` included, for a reader that
/// checks the likely type first (each check is a crossing).
pub(super) fn raw_field_of(input: &JsValue, key: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(input, key)
        .map_err(|_| invalid(&validate::pointer("", name), "value.unreadable", "reading it threw (a getter or a proxy)"))
}

fn is_set(value: &JsValue) -> bool {
    !value.is_undefined() && !value.is_null()
}

/// A text property of the input, in two crossings when it is a string (the common case): the
/// read and the copy. Anything else but `undefined` and `null` is refused at `/{name}`.
pub(super) fn text_of(input: &JsValue, key: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    let value = raw_field_of(input, key, name)?;
    if let Some(text) = value.as_string() {
        return Ok(Some(text));
    }
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    Err(invalid(&format!("/{name}"), "value.not_string", "must be a string"))
}

/// Bodies up to this many UTF-16 units are encoded in place, into a buffer of three bytes a
/// unit; longer ones by `encode`, exactly sized, so a huge body never needs three times its size.
const ENCODE_IN_PLACE_UNITS: usize = 1 << 20;

/// The body's bytes: a string as UTF-8 (lone surrogates as U+FFFD, as every string copy
/// encodes them), anything else as [`read_body`] reads it.
pub(super) fn body_of(body: JsValue) -> Result<Vec<u8>, JsValue> {
    if body.is_string() {
        let units = body.unchecked_ref::<js_sys::JsString>().length() as usize;
        if units > ENCODE_IN_PLACE_UNITS {
            return Ok(ENCODER.with(|encoder| encoder.encode(&body)).to_vec());
        }
        // Encoded straight into the wasm's memory: no `ArrayBuffer` made and copied a call
        // (about 8 % of a signature). A UTF-16 unit takes at most 3 bytes in UTF-8.
        let mut bytes = vec![0u8; units * 3];
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        let view = Uint8Array::new_with_byte_offset_and_length(&memory.buffer(), bytes.as_mut_ptr() as u32, bytes.len() as u32);
        let written = ENCODER.with(|encoder| encoder.encode_into(&body, &view)).written() as usize;
        bytes.truncate(written);
        return Ok(bytes);
    }
    read_body(Some(body).filter(is_set))
}

/// The headers, in the common shape (a plain object of strings) read with the same catching
/// reads as [`read_headers`] makes, in the same order, minus the probes for a string, a
/// number or a BigInt that an object cannot be, and each value copied straight to a string.
/// Any other shape, a read that throws or a value that is not a string goes to
/// [`read_headers`], which refuses it as it always has.
pub(super) fn headers_of(keys: &SignKeys, headers: JsValue) -> Result<Vec<(String, String)>, JsValue> {
    if headers.is_object() {
        if let Some(headers) = plain_headers(keys, &headers) {
            return Ok(headers);
        }
    }
    read_headers(Some(headers).filter(is_set))
}

fn plain_headers(keys: &SignKeys, object: &JsValue) -> Option<Vec<(String, String)>> {
    if checked_is_array(object).ok()? {
        return None;
    }
    let iterable = Reflect::has(object, &keys.iterator).ok()?;
    if iterable || object.is_instance_of::<js_sys::ArrayBuffer>() || checked_is_view(object).unwrap_or(true) {
        return None;
    }
    let names = checked_keys(object).ok()?;
    let count = names.length();
    if count as usize >= MAX_INPUT_VALUES {
        return None;
    }
    let mut headers = Vec::with_capacity(count as usize);
    for index in 0..count {
        let name = names.get(index);
        let value = Reflect::get(object, &name).ok()?.as_string()?;
        headers.push((name.as_string()?, value));
    }
    Some(headers)
}
