//! A small JSON value for validating untyped input, and the one JSON codec of the crate.
//!
//! On wasm32 the codec goes through the host's `JSON.parse`/`JSON.stringify`, read with
//! `js_value::from_js` and written with serde-wasm-bindgen's serializer, which costs little
//! code; natively it is serde_json. Everything else
//! in the crate calls [`to_string`] and [`from_str`] and never knows which one it got.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::fmt;

/// Any JSON value. Objects keep their keys in the order they came in.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(fields) => Some(fields),
            _ => None,
        }
    }

    /// The JSON type name, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::String(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::String(v))
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Value::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut fields = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    fields.push((key, value));
                }
                Ok(Value::Object(fields))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => serializer.serialize_f64(*n),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// JSON text could not be read into the expected shape, or a value could not be written.
/// Deliberately carries no foreign error text: formatting serde errors costs wasm size,
/// and callers only need to know which direction failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodecError {
    Decode,
    Encode,
    /// Nested deeper than [`MAX_DEPTH`]: refused before parsing.
    TooDeep,
}

/// The deepest nesting of arrays and objects read from text (serde_json stops at 128, so
/// both codecs agree below that). Far below what any stack can
/// take (a few thousand levels overflow wasm's), and far above what the API ever sends.
pub const MAX_DEPTH: usize = 100;

/// Whether JSON text nests arrays and objects deeper than `max`, found in one pass without
/// recursion (brackets inside strings do not count). Malformed text is left to the parser.
pub fn nests_deeper_than(text: &str, max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for byte in text.bytes() {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(not(target_arch = "wasm32"))]
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, CodecError> {
    serde_json::to_string(value).map_err(|_| CodecError::Encode)
}

#[cfg(not(target_arch = "wasm32"))]
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, CodecError> {
    if nests_deeper_than(text, MAX_DEPTH) {
        return Err(CodecError::TooDeep);
    }
    serde_json::from_str(text).map_err(|_| CodecError::Decode)
}

#[cfg(target_arch = "wasm32")]
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, CodecError> {
    let js = value.serialize(&crate::js_value::serializer()).map_err(|_| CodecError::Encode)?;
    js_sys::JSON::stringify(&js).ok().and_then(|s| s.as_string()).ok_or(CodecError::Encode)
}

#[cfg(target_arch = "wasm32")]
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, CodecError> {
    // Checked before the host parses: serde-wasm-bindgen recurses per level, and a deep
    // enough answer would overflow the wasm stack and poison the instance.
    if nests_deeper_than(text, MAX_DEPTH) {
        return Err(CodecError::TooDeep);
    }
    let js = js_sys::JSON::parse(text).map_err(|_| CodecError::Decode)?;
    crate::js_value::from_js(js).map_err(|_| CodecError::Decode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_round_trips_and_keeps_key_order() {
        let text = r#"{"b":1,"a":[true,null,"x"],"c":{"d":2.5}}"#;
        let value: Value = from_str(text).unwrap();
        assert_eq!(value.get("b"), Some(&Value::Number(1.0)));
        let keys: Vec<_> = value.as_object().unwrap().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(to_string(&value).unwrap(), r#"{"b":1.0,"a":[true,null,"x"],"c":{"d":2.5}}"#);
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let at_limit = format!("{}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(from_str::<Value>(&at_limit).is_ok());
        let deep = |n: usize| format!("{}1{}", r#"{"x":"#.repeat(n), "}".repeat(n));
        assert_eq!(from_str::<Value>(&deep(MAX_DEPTH + 1)), Err(CodecError::TooDeep));
        assert_eq!(from_str::<Value>(&deep(100_000)), Err(CodecError::TooDeep));
        // Brackets inside strings, escaped quotes included, are not nesting.
        let text = format!(r#"{{"a":"{}\"{}"}}"#, "[".repeat(1000), "{".repeat(1000));
        assert!(!nests_deeper_than(&text, 2));
        assert!(from_str::<Value>(&text).is_ok());
        // Unclosed brackets count too.
        assert!(nests_deeper_than(&"[".repeat(200), MAX_DEPTH));
    }

    #[test]
    fn malformed_text_is_a_decode_error() {
        assert_eq!(from_str::<Value>("{"), Err(CodecError::Decode));
    }
}
