//! (wasm32) The two JS value helpers the core's host modules share: `json` serializes with
//! the boundary's serializer and `fetch` reads properties of what the host gives it. They live
//! below `json`, `fetch` and `bindings`, so no import runs back up the layers.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// The one serializer of the boundary: plain objects, never `Map`s.
pub(crate) fn serializer() -> serde_wasm_bindgen::Serializer {
    serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true)
}

/// A property of a JS object, when the value is an object and the property is set. A getter
/// or proxy trap that throws reads as unset: for values this module made or the host gave it.
pub(crate) fn field(object: &JsValue, key: &str) -> Option<JsValue> {
    if !object.is_object() {
        return None;
    }
    Reflect::get(object, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}
