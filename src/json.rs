//! A small JSON value for validating untyped input, and the one JSON codec of the crate.
//!
//! On wasm32 the codec reads through the host's `JSON.parse` (then `js_value::from_js`) and
//! writes with [`Writer`], this module's serde `Serializer` of JSON text, which is also how
//! every value goes back to JS (one text, one `JSON.parse`); natively it is serde_json.
//! Everything else in the crate calls [`to_string`] and [`from_str`] and never knows which one
//! it got.

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
    // A value that writes nothing (`None`, `()`) has no JSON text, as `JSON.stringify` gives
    // none for `undefined`.
    write(value).ok().flatten().ok_or(CodecError::Encode)
}

#[cfg(target_arch = "wasm32")]
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, CodecError> {
    // Checked before the host parses: `js_value::from_js` recurses per level, and a deep
    // enough answer would overflow the wasm stack and poison the instance.
    if nests_deeper_than(text, MAX_DEPTH) {
        return Err(CodecError::TooDeep);
    }
    let js = js_sys::JSON::parse(text).map_err(|_| CodecError::Decode)?;
    crate::js_value::from_js(js).map_err(|_| CodecError::Decode)
}

// ---- JSON text out ----

/// The largest integer a JS number holds exactly (2^53 - 1). A larger one is refused rather
/// than rounded by the reader's `JSON.parse`, as serde-wasm-bindgen refused it.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Writes `value` as JSON text, the shapes JS gets from it: structs and maps as objects (map
/// keys as strings), sequences and tuples as arrays, unit variants as their name, the others
/// as `{ "variant": value }`. `None` and `()` write nothing: an object leaves the key out (as
/// `JSON.stringify` drops an `undefined` property), an array holds `null`, and the whole value
/// is `Ok(None)` (the caller's `undefined`). Integers beyond ±2^53 - 1, bytes and keys that
/// are not strings or numbers are refused. Whole numbers of an `f64` are written as integers;
/// any other is formatted by the host on wasm32 (the wasm carries no float formatting), and
/// NaN and the infinities, which JSON cannot hold, as `null`.
pub fn write<T: Serialize + ?Sized>(value: &T) -> Result<Option<String>, Unwritable> {
    let mut out = String::new();
    let wrote = value.serialize(Writer { out: &mut out })?;
    Ok(wrote.then_some(out))
}

/// Why a value has no JSON text (see [`write`]). Carries nothing, so no formatting code is
/// pulled into the wasm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unwritable;

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("not writable as JSON")
    }
}

impl std::error::Error for Unwritable {}

impl serde::ser::Error for Unwritable {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unwritable
    }
}

/// `text` as a JSON string: `"` and `\\` escaped, control characters as `\b`, `\t`, `\n`, `\f`,
/// `\r` or `\u00XX` (as `JSON.stringify` and serde_json write them), everything else as it is.
/// A Rust string holds no lone surrogate (the copy from JS made each one U+FFFD).
pub fn write_string(out: &mut String, text: &str) {
    // One reservation, one table look-up a byte, and each run between escapes copied once:
    // `signRequest` writes its result through here on every call.
    out.reserve(text.len() + 2);
    out.push('"');
    let mut start = 0;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        let escape = ESCAPES[byte as usize];
        if escape == 0 {
            continue;
        }
        // The byte at `at` is ASCII, so `start..at` falls on character boundaries.
        out.push_str(text.get(start..at).unwrap_or(""));
        start = at + 1;
        let code = if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            [b'\\', b'u', b'0', b'0', HEX[(byte >> 4) as usize], HEX[(byte & 15) as usize]]
        } else {
            [b'\\', escape, 0, 0, 0, 0]
        };
        let len = if escape == b'u' { 6 } else { 2 };
        out.push_str(std::str::from_utf8(code.get(..len).unwrap_or(&[])).unwrap_or(""));
    }
    out.push_str(text.get(start..).unwrap_or(""));
    out.push('"');
}

/// For each byte, the letter after `\` that JSON writes it with (`u` for `\u00XX`), or 0 when
/// it is written as it is.
static ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'\n' as usize] = b'n';
    table[b'\t' as usize] = b't';
    table[b'\r' as usize] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// `n` in decimal, `-` first when `negative`, refused beyond [`MAX_SAFE_INTEGER`].
fn write_integer(out: &mut String, negative: bool, n: u64) -> Result<bool, Unwritable> {
    if n > MAX_SAFE_INTEGER {
        return Err(Unwritable);
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if negative {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or("0"));
    Ok(true)
}

fn write_float(out: &mut String, n: f64) -> Result<bool, Unwritable> {
    if !n.is_finite() {
        out.push_str("null");
    } else if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER as f64 {
        // -0 stays -0 through `JSON.parse`.
        return write_integer(out, n.is_sign_negative(), n.abs() as u64);
    } else {
        out.push_str(&float_text(n));
    }
    Ok(true)
}

/// A finite number that is not a safe integer, as the host writes it (`String(n)`: the
/// shortest text that reads back the same number).
#[cfg(target_arch = "wasm32")]
fn float_text(n: f64) -> String {
    #[wasm_bindgen::prelude::wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = String)]
        fn host_number_text(n: f64) -> String;
    }
    host_number_text(n)
}

/// Natively (only the writer's tests get here; the native codec is serde_json): Rust's
/// shortest round-trip text, which never uses an exponent.
#[cfg(not(target_arch = "wasm32"))]
fn float_text(n: f64) -> String {
    n.to_string()
}

/// The serde `Serializer` of [`write`]. `Ok` is whether it wrote a value: `None` and `()`
/// write nothing, and the object or array around them decides what that means.
pub struct Writer<'a> {
    out: &'a mut String,
}

/// An array or an object being written, closed by `close` (`]`, `}`, or `]}`/`}}` for a
/// variant's array or object inside `{ "variant": … }`).
pub struct Compound<'a> {
    out: &'a mut String,
    first: bool,
    close: &'static str,
    /// Where the entry being written began, to take it back when its value writes nothing.
    entry_start: usize,
}

impl<'a> Writer<'a> {
    fn open(self, open: &str, close: &'static str) -> Compound<'a> {
        self.out.push_str(open);
        Compound { out: self.out, first: true, close, entry_start: 0 }
    }

    /// `{"variant":` for the variants that hold something.
    fn open_variant(self, variant: &str, open: &str, close: &'static str) -> Compound<'a> {
        self.out.push('{');
        write_string(self.out, variant);
        self.out.push(':');
        self.open(open, close)
    }
}

impl Compound<'_> {
    /// An array item: `null` where the value writes nothing.
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        if !value.serialize(Writer { out: self.out })? {
            self.out.push_str("null");
        }
        Ok(())
    }

    /// An object entry's `"key":` (the comma first when it is not the first).
    fn key(&mut self, key: &str) {
        self.entry_start = self.out.len();
        if !self.first {
            self.out.push(',');
        }
        write_string(self.out, key);
        self.out.push(':');
    }

    /// An object entry's value; an entry whose value writes nothing is taken back.
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        if value.serialize(Writer { out: self.out })? {
            self.first = false;
        } else {
            self.out.truncate(self.entry_start);
        }
        Ok(())
    }

    fn close(self) -> Result<bool, Unwritable> {
        self.out.push_str(self.close);
        Ok(true)
    }
}

impl<'a> Serializer for Writer<'a> {
    type Ok = bool;
    type Error = Unwritable;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<bool, Unwritable> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(true)
    }
    fn serialize_i8(self, v: i8) -> Result<bool, Unwritable> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<bool, Unwritable> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<bool, Unwritable> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<bool, Unwritable> {
        write_integer(self.out, v < 0, v.unsigned_abs())
    }
    fn serialize_u8(self, v: u8) -> Result<bool, Unwritable> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<bool, Unwritable> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<bool, Unwritable> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<bool, Unwritable> {
        write_integer(self.out, false, v)
    }
    fn serialize_f32(self, v: f32) -> Result<bool, Unwritable> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<bool, Unwritable> {
        write_float(self.out, v)
    }
    fn serialize_char(self, v: char) -> Result<bool, Unwritable> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<bool, Unwritable> {
        write_string(self.out, v);
        Ok(true)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<bool, Unwritable> {
        Err(Unwritable)
    }
    fn serialize_none(self) -> Result<bool, Unwritable> {
        Ok(false)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<bool, Unwritable> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<bool, Unwritable> {
        Ok(false)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<bool, Unwritable> {
        Ok(false)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<bool, Unwritable> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<bool, Unwritable> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<bool, Unwritable> {
        let mut object = self.open("{", "}");
        object.key(variant);
        object.value(value)?;
        object.close()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open("[", "]"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open("[", "]"))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open("[", "]"))
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open_variant(variant, "[", "]}"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open("{", "}"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open("{", "}"))
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open_variant(variant, "{", "}}"))
    }
}

/// Sequences, tuples and tuple structs and variants are all written as arrays, item by item.
macro_rules! array_like {
    ($($trait:ident::$method:ident),+) => {$(
        impl serde::ser::$trait for Compound<'_> {
            type Ok = bool;
            type Error = Unwritable;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
                self.item(value)
            }
            fn end(self) -> Result<bool, Unwritable> {
                self.close()
            }
        }
    )+};
}
array_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl serde::ser::SerializeMap for Compound<'_> {
    type Ok = bool;
    type Error = Unwritable;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unwritable> {
        self.entry_start = self.out.len();
        if !self.first {
            self.out.push(',');
        }
        // A key is a string; a number (or a boolean) becomes its text, as a JS property key.
        let start = self.out.len();
        if !key.serialize(Writer { out: self.out })? {
            return Err(Unwritable);
        }
        if !self.out.get(start..).is_some_and(|key| key.starts_with('"')) {
            self.out.insert(start, '"');
            self.out.push('"');
        }
        self.out.push(':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        self.value(value)
    }
    fn end(self) -> Result<bool, Unwritable> {
        self.close()
    }
}

/// Structs and struct variants are written as objects, field by field.
macro_rules! object_like {
    ($($trait:ident),+) => {$(
        impl serde::ser::$trait for Compound<'_> {
            type Ok = bool;
            type Error = Unwritable;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Unwritable> {
                self.key(key);
                self.value(value)
            }
            fn end(self) -> Result<bool, Unwritable> {
                self.close()
            }
        }
    )+};
}
object_like!(SerializeStruct, SerializeStructVariant);

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

    /// What [`write`] gives, or `"undefined"` when it writes nothing.
    fn text<T: Serialize + ?Sized>(value: &T) -> String {
        write(value).unwrap().unwrap_or_else(|| "undefined".into())
    }

    /// serde_json's value of `value` as JS reads it: the object entries whose value is `null`
    /// left out (where [`write`] leaves out a `None`, as `JSON.stringify` leaves out
    /// `undefined`), every number a float.
    fn as_js_sees_it<T: Serialize>(value: &T) -> serde_json::Value {
        js_numbers(serde_json::to_value(value).unwrap(), true)
    }

    /// What [`write`] wrote, read back, every number a float (its `null`s kept).
    fn written<T: Serialize>(value: &T) -> serde_json::Value {
        js_numbers(serde_json::from_str(&text(value)).unwrap(), false)
    }

    fn js_numbers(value: serde_json::Value, drop_nulls: bool) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                map.into_iter().filter(|(_, v)| !(drop_nulls && v.is_null())).map(|(k, v)| (k, js_numbers(v, drop_nulls))).collect()
            }
            serde_json::Value::Array(items) => items.into_iter().map(|v| js_numbers(v, drop_nulls)).collect(),
            // A JS number is a number: 10 and 10.0 are one value.
            serde_json::Value::Number(n) => n.as_f64().map(serde_json::Value::from).unwrap_or_default(),
            other => other,
        }
    }

    #[test]
    fn strings_are_escaped_as_json_stringify_and_serde_json_escape_them() {
        let mut every: String = (0u8..0x80).map(char::from).collect();
        every.push_str("\u{7f}\u{80}\u{fc}\u{2028}\u{2029}\u{fffd}\u{feff}\u{1f600}");
        for text in [every.as_str(), "", "plain", "\"", "\\", "a\u{0}b", "\r\n\t\u{8}\u{c}\u{b}\u{1f}", "é\"ü\\"] {
            let mut out = String::new();
            write_string(&mut out, text);
            assert_eq!(out, serde_json::to_string(text).unwrap(), "{text:?}");
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), text);
        }
        // The short forms JSON.stringify uses, and \u00XX for the rest.
        assert_eq!(text("\u{8}\u{c}\n\r\t\u{0}\u{1f}"), r#""\b\f\n\r\t\u0000\u001f""#);
    }

    #[test]
    fn every_byte_to_escape_is_escaped_wherever_it_is() {
        for special in ["\"", "\\", "\n", "\u{0}", "\u{1f}", "\u{8}"] {
            for len in 0..40 {
                for at in 0..len {
                    let mut text = "a".repeat(len);
                    text.replace_range(at..at + 1, special);
                    // Bytes just above the ranges escaped, and non-ASCII, are written as they are.
                    if at + 1 < len {
                        text.replace_range(at + 1..at + 2, "\u{7f}");
                    }
                    let mut out = String::new();
                    write_string(&mut out, &text);
                    assert_eq!(out, serde_json::to_string(&text).unwrap(), "{special:?} at {at} of {len}");
                }
            }
        }
        let plain: String = (0..40).map(|i| [' ', '#', '[', ']', '\u{7f}', 'ü', '!'][i % 7]).collect();
        assert_eq!(text(&plain), format!("\"{plain}\""));
    }

    #[test]
    fn numbers_are_integers_within_2_pow_53_and_floats_never_formatted_when_whole() {
        assert_eq!(text(&MAX_SAFE_INTEGER), "9007199254740991");
        assert_eq!(write(&(MAX_SAFE_INTEGER + 1)), Err(Unwritable), "rounded by JSON.parse: refused");
        assert_eq!(write(&u64::MAX), Err(Unwritable));
        assert_eq!(text(&-(MAX_SAFE_INTEGER as i64)), "-9007199254740991");
        assert_eq!(write(&i64::MIN), Err(Unwritable));
        assert_eq!(
            (text(&0u8), text(&-7i32), text(&65_535u16), text(&(1u64 << 40))),
            ("0".into(), "-7".into(), "65535".into(), "1099511627776".into())
        );
        assert_eq!(
            (text(&25.0f64), text(&-3.0f64), text(&-0.0f64), text(&1e15f64)),
            ("25".into(), "-3".into(), "-0".into(), "1000000000000000".into())
        );
        assert_eq!(
            (text(&12.5f64), text(&0.1f64), text(&f64::NAN), text(&f64::INFINITY)),
            ("12.5".into(), "0.1".into(), "null".into(), "null".into())
        );
        assert_eq!(serde_json::from_str::<f64>(&text(&1e300f64)).unwrap(), 1e300);
    }

    #[test]
    fn none_is_left_out_of_objects_and_null_in_arrays() {
        #[derive(serde::Serialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum Event {
            Failed { status: Option<u16>, request_id: Option<String>, code: &'static str },
            Aborted,
        }
        #[derive(serde::Serialize)]
        enum Shapes {
            Unit,
            Newtype(Option<u8>),
            Tuple(u8, Option<u8>),
            Struct { a: Option<u8>, b: u8 },
        }
        assert_eq!(text(&Event::Failed { status: None, request_id: None, code: "x" }), r#"{"type":"failed","code":"x"}"#);
        assert_eq!(
            text(&Event::Failed { status: Some(503), request_id: Some("r".into()), code: "x" }),
            r#"{"type":"failed","status":503,"request_id":"r","code":"x"}"#
        );
        assert_eq!(text(&Event::Aborted), r#"{"type":"aborted"}"#);
        assert_eq!(text(&vec![Some(1), None, Some(3)]), "[1,null,3]");
        assert_eq!((text(&None::<u8>), text(&())), ("undefined".into(), "undefined".into()));
        assert_eq!(to_string(&None::<u8>), Ok("null".into()), "natively serde_json (wasm32: Err(Encode), as JSON.stringify(undefined))");
        assert_eq!(text(&[Shapes::Unit, Shapes::Newtype(Some(1)), Shapes::Newtype(None)]), r#"["Unit",{"Newtype":1},{}]"#);
        assert_eq!(text(&Shapes::Tuple(1, None)), r#"{"Tuple":[1,null]}"#);
        assert_eq!(text(&Shapes::Struct { a: None, b: 2 }), r#"{"Struct":{"b":2}}"#);
        let map: std::collections::BTreeMap<u32, Option<&str>> = [(1, Some("a")), (2, None), (3, Some("c"))].into();
        assert_eq!(text(&map), r#"{"1":"a","3":"c"}"#, "maps are objects, keys as text");
        let map: std::collections::BTreeMap<&str, Option<u8>> = [("a", None), ("b", None)].into();
        assert_eq!(text(&map), "{}");
        assert_eq!(text(&[("__proto__", 1)].into_iter().collect::<std::collections::BTreeMap<_, _>>()), r#"{"__proto__":1}"#);
        assert_eq!(write(&serde_bytes_like()), Err(Unwritable));
    }

    /// A value serde writes as bytes, which JSON has no type for.
    fn serde_bytes_like() -> impl Serialize {
        struct Bytes;
        impl Serialize for Bytes {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_bytes(b"x")
            }
        }
        Bytes
    }

    #[test]
    fn the_values_handed_to_js_read_as_serde_json_writes_them() {
        use crate::client::ClientEvent;
        use crate::validate::Issue;
        let events = [
            ClientEvent::Retry {
                method: "GET",
                path: "/v1/p/app-servers".into(),
                attempt: 1,
                delay_ms: 250,
                status: None,
                code: "network",
            },
            ClientEvent::Retry { method: "GET", path: "/x".into(), attempt: 2, delay_ms: 500, status: Some(429), code: "api" },
            ClientEvent::ClockSkew { offset_ms: -360_000, path: "/x".into() },
            ClientEvent::Throttled { rate: Some(2.5), max_in_flight: 4 },
            ClientEvent::Throttled { rate: None, max_in_flight: 1 },
        ];
        for event in &events {
            assert_eq!(written(event), as_js_sees_it(event), "{event:?}");
        }
        let issues = vec![Issue::new("/items/0/\u{1}\"k\\", "x.y", "line\nbreak \u{fffd}")];
        assert_eq!(written(&issues), as_js_sees_it(&issues));
    }

    #[cfg(feature = "rollout")]
    #[test]
    fn plans_reports_and_run_events_read_as_serde_json_writes_them() {
        use crate::model::{IpVirtual, VmStatus};
        use crate::rollout::plan::{parse_options, plan_rollout, GroupState, ServerState};
        use crate::rollout::report::Report;
        let servers: Vec<ServerState> = (0..30)
            .map(|i| ServerState {
                id: format!("s{i}"),
                name: Some(format!("name \"{i}\"\t\u{1}\\ \u{2028}\u{fffd}")),
                server_group_id: Some(format!("g{}", i % 3)),
                vm_status: Some(if i == 7 { VmStatus::Deleting } else { VmStatus::Active }),
                session_count: Some(i % 4),
                maintain_status: Some(i == 5),
                ..Default::default()
            })
            .collect();
        let groups: Vec<GroupState> = (0..2)
            .map(|g| GroupState {
                id: format!("g{g}"),
                name: None,
                ip_virtual: Some(IpVirtual { enable: g == 0 }),
                app_server_count: Some(10),
            })
            .collect();
        for options in
            [r#"{"maxUnavailable":"12.5%","haltAfterFailures":"10%","batchSize":3}"#, r#"{"maxUnavailable":4,"enable":true,"drain":true}"#]
        {
            let options = parse_options(Some(&from_str::<Value>(options).unwrap())).unwrap();
            let plan = plan_rollout(&servers, &groups, &options);
            assert!(!plan.skipped.is_empty() && !plan.warnings.is_empty() && plan.waves.len() > 1);
            assert_eq!(written(&plan), as_js_sees_it(&plan));
            let report = Report::new(&plan, 1_700_000_000_000);
            assert_eq!(written(&report), as_js_sees_it(&report));
        }
    }

    #[test]
    fn malformed_text_is_a_decode_error() {
        assert_eq!(from_str::<Value>("{"), Err(CodecError::Decode));
    }
}
