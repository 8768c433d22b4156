//! (wasm32) The JS value helpers the core's host modules share, below `json`, `fetch` and
//! `bindings`, so no import runs back up the layers: a property reader, and the one serde
//! `Deserializer` over JS values ([`from_js`]), used for a caller's input and for the
//! service's parsed answers alike. (Values go back to JS as JSON text: `json::write`.)

use crate::json::Value;
use js_sys::Reflect;
use serde::{Deserialize, Deserializer};
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsValue;

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
    let read = Read::new();
    T::deserialize(SafeReader { value, depth: 0, read: &read })
}

/// A caller's plain data as a [`Value`] (with [`from_js`]), or which rule it broke and where:
/// the keys and indexes down to the value refused.
pub(crate) fn read_json_like(value: JsValue) -> Result<Value, (Why, Vec<String>)> {
    let read = Read::new();
    Value::deserialize(SafeReader { value, depth: 0, read: &read }).map_err(|_| {
        let mut path = read.path.take();
        path.reverse();
        (read.why.get(), path)
    })
}

/// What one read shares: the values still allowed, and why and where it failed. The reason
/// is set where the value is refused, and the path noted from the failing value up as the
/// error returns through each array and object (nothing is noted while reading succeeds).
/// Both live here, not in [`Refused`]: an error that carries nothing keeps every generic
/// reader function small.
struct Read {
    budget: Cell<usize>,
    why: Cell<Why>,
    path: RefCell<Vec<String>>,
}

impl Read {
    #[inline(never)]
    fn new() -> Read {
        Read { budget: Cell::new(MAX_INPUT_VALUES), why: Cell::new(Why::Type), path: RefCell::new(Vec::new()) }
    }
}

/// Which rule a refused value broke: a value of the wrong type for a typed read (`Type`, from
/// serde), or a rule of plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    Type,
    /// More than [`MAX_INPUT_VALUES`] values.
    TooLarge,
    BigInt,
    /// A symbol or a function.
    NotJson,
    /// An object that is not plain data (iterable, a typed array, an `ArrayBuffer`).
    NotPlain,
    /// Nested deeper than [`MAX_INPUT_DEPTH`].
    TooDeep,
    /// Reading it threw (a getter or a proxy trap).
    Unreadable,
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

/// A read failed. It carries nothing (why and where are kept by the read, see [`Read`]): the
/// caller gets one coded issue, and no formatting code is pulled into the wasm.
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
    /// What the whole read shares.
    read: &'a Read,
}

/// What a JS object is to a reader: an array with its length, or a plain object.
enum Shape {
    Array(u32),
    Object,
}

impl<'a> SafeReader<'a> {
    fn child(&self, value: JsValue) -> SafeReader<'a> {
        SafeReader { value, depth: self.depth + 1, read: self.read }
    }

    fn spend(&self) -> Result<(), Refused> {
        let left = self.read.budget.get().checked_sub(1).ok_or_else(|| self.refuse(Why::TooLarge))?;
        self.read.budget.set(left);
        Ok(())
    }

    /// Refuses this value for `why` (not generic, as the two below: one copy for every reader).
    fn refuse(&self, why: Why) -> Refused {
        self.read.why.set(why);
        Refused
    }

    /// Notes `key` on the path of a failure returning through this object.
    fn note_key(&self, key: &JsValue) -> Refused {
        if let Ok(mut path) = self.read.path.try_borrow_mut() {
            path.push(key.as_string().unwrap_or_default());
        }
        Refused
    }

    /// Notes `index` on the path of a failure returning through this array.
    fn note_index(&self, index: u32) -> Refused {
        if let Ok(mut path) = self.read.path.try_borrow_mut() {
            path.push(index.to_string());
        }
        Refused
    }

    /// The shape of an object: an array or a plain object, and nothing else.
    fn shape(&self) -> Result<Shape, Refused> {
        let value = &self.value;
        if !value.is_object() {
            return Err(self.refuse(if value.is_bigint() { Why::BigInt } else { Why::NotJson }));
        }
        if self.depth >= MAX_INPUT_DEPTH {
            return Err(self.refuse(Why::TooDeep));
        }
        if checked_is_array(value).map_err(|_| self.refuse(Why::Unreadable))? {
            let length = Reflect::get(value, &JsValue::from_str("length")).map_err(|_| self.refuse(Why::Unreadable))?;
            return match length.as_f64() {
                Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= self.read.budget.get() as f64 => Ok(Shape::Array(n as u32)),
                _ => Err(self.refuse(Why::TooLarge)),
            };
        }
        // Typed arrays, Maps, Sets, String objects and whatever else iterates are not plain
        // data; neither is an object whose prototype is one of them.
        let iterable = Reflect::has(value, &js_sys::Symbol::iterator()).map_err(|_| self.refuse(Why::Unreadable))?;
        if iterable || value.is_instance_of::<js_sys::ArrayBuffer>() || checked_is_view(value).unwrap_or(true) {
            return Err(self.refuse(Why::NotPlain));
        }
        Ok(Shape::Object)
    }

    // What the `deserialize_*` methods do before their visitor takes over, out of the generic
    // methods: one copy for every visitor type.

    /// `undefined` or `null` (then counted as a value).
    #[inline(never)]
    fn is_absent(&self) -> Result<bool, Refused> {
        if self.value.is_undefined() || self.value.is_null() {
            self.spend()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// A struct's `fields` of a plain object.
    #[inline(never)]
    fn fields(&self, fields: &'static [&'static str]) -> Result<FieldReader<'_, 'a>, Refused> {
        self.spend()?;
        match self.shape()? {
            Shape::Object => Ok(FieldReader { object: self, fields: fields.iter().enumerate(), pending: None }),
            Shape::Array(_) => Err(Refused),
        }
    }

    /// The items of an array.
    #[inline(never)]
    fn items(&self) -> Result<ItemReader<'_, 'a>, Refused> {
        self.spend()?;
        match self.shape()? {
            Shape::Array(length) => Ok(ItemReader { array: self, index: 0, length }),
            Shape::Object => Err(Refused),
        }
    }

    /// An enum's variant: a word, or a plain object whose one entry is a variant and its data.
    #[inline(never)]
    #[allow(clippy::type_complexity)]
    fn variant(&self) -> Result<Result<String, KeyedReader<'_, 'a>>, Refused> {
        self.spend()?;
        if let Some(word) = self.value.as_string() {
            return Ok(Ok(word));
        }
        match self.shape()? {
            Shape::Object => self.object_keys().map(Err),
            Shape::Array(_) => Err(Refused),
        }
    }

    /// The entries of a plain object.
    #[inline(never)]
    fn entries(&self) -> Result<KeyedReader<'_, 'a>, Refused> {
        self.spend()?;
        match self.shape()? {
            Shape::Object => self.object_keys(),
            Shape::Array(_) => Err(Refused),
        }
    }

    fn object_keys(&self) -> Result<KeyedReader<'_, 'a>, Refused> {
        let keys = checked_keys(&self.value).map_err(|_| self.refuse(Why::Unreadable))?;
        Ok(KeyedReader { object: self, keys, index: 0, pending: None })
    }
}

/// Deserializer methods that only hand their visitor to another one.
macro_rules! forward_to {
    ($target:ident: $($method:ident)+) => {$(
        fn $method<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
            self.$target(visitor)
        }
    )+};
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
            // As serde-wasm-bindgen reads numbers: whole ones within 2^53 are integers, but -0
            // stays a float, so a `json::Value` keeps it as the caller wrote it (typed numbers
            // are read by `deserialize_u64` and `deserialize_f64`, not here).
            return if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 && !(n == 0.0 && n.is_sign_negative()) {
                visitor.visit_i64(n as i64)
            } else {
                visitor.visit_f64(n)
            };
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
        if self.is_absent()? {
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
        visitor.visit_map(self.fields(fields)?)
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
        match self.variant()? {
            Ok(word) => visitor.visit_enum(word.into_deserializer()),
            Err(entries) => visitor.visit_enum(serde::de::value::MapAccessDeserializer::new(entries)),
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

    fn deserialize_f64<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.spend()?;
        match self.value.as_f64() {
            Some(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => visitor.visit_i64(n as i64),
            Some(n) => visitor.visit_f64(n),
            None => Err(Refused),
        }
    }

    serde::forward_to_deserialize_any! {
        char bytes byte_buf unit unit_struct tuple tuple_struct identifier ignored_any
    }

    fn deserialize_seq<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_seq(self.items()?)
    }

    fn deserialize_map<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_map(self.entries()?)
    }

    // Every integer width is read as the one integer reader reads it (it checks the range
    // through the visitor), and f32 as f64.
    forward_to!(deserialize_u64: deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u128);
    forward_to!(deserialize_f64: deserialize_f32);
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
        match self.next_item()? {
            None => Ok(None),
            Some(item) => seed.deserialize(item).map(Some).map_err(|_| self.array.note_index(self.index - 1)),
        }
    }
}

impl<'a> ItemReader<'_, 'a> {
    /// The next item's reader (not generic: one copy for every item type).
    #[inline(never)]
    fn next_item(&mut self) -> Result<Option<SafeReader<'a>>, Refused> {
        if self.index == self.length {
            return Ok(None);
        }
        let index = self.index;
        let item = Reflect::get_u32(&self.array.value, index).map_err(|_| {
            self.array.refuse(Why::Unreadable);
            self.array.note_index(index)
        })?;
        self.index += 1;
        Ok(Some(self.array.child(item)))
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
        match self.next_key()? {
            None => Ok(None),
            Some(key) => seed.deserialize(key.into_deserializer()).map(Some),
        }
    }

    fn next_value_seed<S: serde::de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Refused> {
        let value = self.take_value()?;
        seed.deserialize(value).map_err(|_| self.note_current())
    }
}

impl<'a> KeyedReader<'_, 'a> {
    /// The reader of the value of the key just read (not generic).
    #[inline(never)]
    fn take_value(&mut self) -> Result<SafeReader<'a>, Refused> {
        let value = self.pending.take().ok_or(Refused)?;
        Ok(self.object.child(value))
    }

    /// The next key, its value read and kept for `next_value_seed` (not generic).
    #[inline(never)]
    fn next_key(&mut self) -> Result<Option<String>, Refused> {
        if self.index >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.index);
        self.index += 1;
        let value = Reflect::get(&self.object.value, &key).map_err(|_| {
            self.object.refuse(Why::Unreadable);
            self.object.note_key(&key)
        });
        self.pending = Some(value?);
        Ok(Some(key.as_string().unwrap_or_default()))
    }

    /// Notes the key whose value failed.
    #[inline(never)]
    fn note_current(&self) -> Refused {
        self.object.note_key(&self.keys.get(self.index.wrapping_sub(1)))
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
        match self.next_field()? {
            None => Ok(None),
            Some(index) => seed.deserialize((index as u64).into_deserializer()).map(Some),
        }
    }

    fn next_value_seed<S: serde::de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Refused> {
        seed.deserialize(self.take_value()?)
    }
}

impl<'a> FieldReader<'_, 'a> {
    /// The index of the next field the object has, its value read and kept (not generic).
    #[inline(never)]
    fn next_field(&mut self) -> Result<Option<usize>, Refused> {
        for (index, field) in self.fields.by_ref() {
            let value = get_field(&self.object.value, field).map_err(|_| self.object.refuse(Why::Unreadable))?;
            if !value.is_undefined() {
                self.pending = Some(value);
                return Ok(Some(index));
            }
        }
        Ok(None)
    }

    /// The reader of the value of the field just read (not generic).
    #[inline(never)]
    fn take_value(&mut self) -> Result<SafeReader<'a>, Refused> {
        let value = self.pending.take().ok_or(Refused)?;
        Ok(self.object.child(value))
    }
}
