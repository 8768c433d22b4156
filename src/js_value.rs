//! (wasm32) The JS value helpers the core's host modules share, below `json`, `fetch` and
//! `bindings`, so no import runs back up the layers: the boundary's serializer, a property
//! reader, and the one serde `Deserializer` over JS values ([`from_js`]), used for a caller's
//! input and for the service's parsed answers alike.

use js_sys::Reflect;
use serde::Deserializer;
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;
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

// Every read of a value goes through an import marked `catch` (a throw comes back as an
// `Err`) or through a `typeof`/`instanceof` check, which cannot throw: see
// `bindings::convert` for why.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    pub(crate) fn checked_is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    pub(crate) fn checked_keys(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = ArrayBuffer, js_name = isView)]
    pub(crate) fn checked_is_view(value: &JsValue) -> Result<bool, JsValue>;
}

/// How deep a value may nest: the same bound as JSON read from the service.
pub(crate) const MAX_INPUT_DEPTH: usize = crate::json::MAX_DEPTH;
/// How many values one value may hold (a listing of 100,000 servers holds about 3 million).
pub(crate) const MAX_INPUT_VALUES: usize = 10_000_000;

/// Reads a JS value into a Rust type through catching reads only, within
/// [`MAX_INPUT_DEPTH`] and [`MAX_INPUT_VALUES`]; only the fields the type has are read.
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, Refused> {
    let budget = Cell::new(MAX_INPUT_VALUES);
    T::deserialize(SafeReader { value, depth: 0, budget: &budget })
}

/// The struct name [`SafeReader`] takes for "hand over the JS value itself" ([`js_value`]).
const PASS_THROUGH: &str = "workspace-tsvi::PassThrough";

thread_local! {
    /// The value [`SafeReader`] hands to [`js_value`]'s visitor (wasm32 has one thread).
    static PASSED: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

thread_local! {
    /// Struct field names as JS strings, each made once: reading 5,000 servers for a plan
    /// decoded 40,000 names otherwise. Keyed by the name's address and length (`&'static str`).
    static FIELD_NAMES: RefCell<Vec<((usize, usize), JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// `object[field]` through a catching read, the name made into a JS string once. A getter that
/// calls back into the module while a name is borrowed only misses the cache (`try_borrow*`).
fn get_field(object: &JsValue, field: &'static str) -> Result<JsValue, JsValue> {
    let id = (field.as_ptr() as usize, field.len());
    FIELD_NAMES.with(|names| {
        if let Ok(names) = names.try_borrow() {
            if let Some((_, key)) = names.iter().find(|(at, _)| *at == id) {
                return Reflect::get(object, key);
            }
        }
        let key = JsValue::from_str(field);
        let value = Reflect::get(object, &key);
        if let Ok(mut names) = names.try_borrow_mut() {
            names.push((id, key));
        }
        value
    })
}

/// Deserializes the JS value itself, untouched (with [`from_js`]): an answer keeps every
/// field the service sent, and no code reads what is only passed on. Any other deserializer
/// refuses it.
pub(crate) fn js_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<JsValue, D::Error> {
    struct Taken;
    impl<'de> serde::de::Visitor<'de> for Taken {
        type Value = JsValue;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JS value")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<JsValue, E> {
            PASSED.with(|passed| passed.borrow_mut().take()).ok_or_else(|| E::custom("no JS value"))
        }
    }
    deserializer.deserialize_newtype_struct(PASS_THROUGH, Taken)
}

/// Why a typed read failed. It carries nothing: the caller gets one coded issue, and no
/// formatting code is pulled into the wasm.
#[derive(Debug)]
pub(crate) struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("refused")
    }
}

impl std::error::Error for Refused {}

// Each constructor overridden: serde's defaults would build a message (with float
// formatting behind `Unexpected::Float`) only for it to be thrown away.
impl serde::de::Error for Refused {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Refused
    }
    fn invalid_type(_: serde::de::Unexpected, _: &dyn serde::de::Expected) -> Self {
        Refused
    }
    fn invalid_value(_: serde::de::Unexpected, _: &dyn serde::de::Expected) -> Self {
        Refused
    }
    fn invalid_length(_: usize, _: &dyn serde::de::Expected) -> Self {
        Refused
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Refused
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Refused
    }
    fn missing_field(_: &'static str) -> Self {
        Refused
    }
    fn duplicate_field(_: &'static str) -> Self {
        Refused
    }
}

/// A serde `Deserializer` over a caller's JS value that reads only through catching imports.
pub(crate) struct SafeReader<'a> {
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
            Shape::Object => visitor.visit_map(FieldReader { object: &self, fields: fields.iter().enumerate(), pending: None }),
            Shape::Array(_) => Err(Refused),
        }
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Refused> {
        if name == PASS_THROUGH {
            self.spend()?;
            PASSED.with(|passed| *passed.borrow_mut() = Some(self.value));
            return visitor.visit_unit();
        }
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

    // The types read most often each get a method that hands its visitor only what it
    // accepts, so `deserialize_any`'s every branch is not compiled again per visitor type.
    // Each refuses exactly what `deserialize_any` would have made its visitor refuse.
    fn deserialize_string<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.spend()?;
        visitor.visit_string(self.value.as_string().ok_or(Refused)?)
    }

    fn deserialize_str<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bool<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.spend()?;
        visitor.visit_bool(self.value.as_bool().ok_or(Refused)?)
    }

    fn deserialize_u64<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.spend()?;
        match self.value.as_f64() {
            Some(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => visitor.visit_i64(n as i64),
            _ => Err(Refused),
        }
    }

    fn deserialize_u32<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_i64<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_seq<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.spend()?;
        match self.shape()? {
            Shape::Array(length) => visitor.visit_seq(ItemReader { array: &self, index: 0, length }),
            Shape::Object => Err(Refused),
        }
    }

    fn deserialize_map<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.spend()?;
        match self.shape()? {
            Shape::Object => visitor.visit_map(self.object_keys()?),
            Shape::Array(_) => Err(Refused),
        }
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u128 f32 f64 char bytes byte_buf unit unit_struct tuple
        tuple_struct identifier ignored_any
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

/// Only the fields a struct has; a field that is `undefined` counts as missing. Each field
/// is named to the struct's visitor by its index in `fields` (serde's derives number them in
/// that order), so the derived name matching (`visit_str`) is left out of the wasm.
struct FieldReader<'r, 'a> {
    object: &'r SafeReader<'a>,
    fields: std::iter::Enumerate<std::slice::Iter<'static, &'static str>>,
    pending: Option<JsValue>,
}

impl<'de> serde::de::MapAccess<'de> for FieldReader<'_, '_> {
    type Error = Refused;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Refused> {
        use serde::de::IntoDeserializer;
        for (index, field) in self.fields.by_ref() {
            let value = get_field(&self.object.value, field).map_err(|_| Refused)?;
            if !value.is_undefined() {
                self.pending = Some(value);
                return seed.deserialize((index as u64).into_deserializer()).map(Some);
            }
        }
        Ok(None)
    }

    fn next_value_seed<S: serde::de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Refused> {
        let value = self.pending.take().ok_or(Refused)?;
        seed.deserialize(self.object.child(value))
    }
}
