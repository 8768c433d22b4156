//! The free functions of the module: validation, batch planning and signing (the rollout
//! engine's are in [`super::rollout`]).

use super::convert::*;
use super::sign_io::{body_of, field_of, headers_of, raw_field_of, text_of, SIGN_KEYS};
use crate::batch::{check_batch_size, plan_batches};
use crate::config::parse_client_config;
use crate::error::Error;
use crate::fetch::FetchTransport;
use crate::json::Value;
use crate::sign::{self, AkSk, SignInput};
use crate::transport::Transport;
use crate::validate::{self, validate_batch_request, Issue};
use wasm_bindgen::prelude::*;

/// Checks a batch-update-tsvi body and lists every problem: `{ ok, errors: [{ path, code, message }] }`.
#[wasm_bindgen(js_name = validateBatchRequest, unchecked_return_type = "ValidationResult")]
pub fn validate_batch_request_js(#[wasm_bindgen(unchecked_param_type = "unknown")] body: JsValue) -> JsValue {
    match read_plain(&body, "") {
        Ok(value) => validation_result(validate_batch_request(&value)),
        Err(issue) => validation_result(vec![issue]),
    }
}

/// Checks a client configuration the way `new Client()` does, without creating one.
#[wasm_bindgen(js_name = validateClientConfig, unchecked_return_type = "ValidationResult")]
pub fn validate_client_config_js(#[wasm_bindgen(unchecked_param_type = "unknown")] config: JsValue) -> JsValue {
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

/// Signs a request with SDK-HMAC-SHA256, byte for byte as Huawei's official SDK does.
#[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequest")]
pub fn sign_request_js(#[wasm_bindgen(unchecked_param_type = "SignRequestInput")] input: JsValue) -> Result<JsValue, JsValue> {
    if !input.is_object() {
        return Err(invalid("", "input.not_object", "signRequest takes an object"));
    }
    // The keys are made once (see `sign_io`); the reads keep the order and the refusals of
    // `convert`'s readers.
    let (method, url, credentials, query, headers, body, sdk_date) = SIGN_KEYS.with(|keys| -> Result<_, JsValue> {
        let method = text_of(&input, &keys.method, "method")?.unwrap_or_default();
        let url = text_of(&input, &keys.url, "url")?.unwrap_or_default();
        let credentials = AkSk {
            ak: text_of(&input, &keys.ak, "ak")?.unwrap_or_default(),
            sk: text_of(&input, &keys.sk, "sk")?.unwrap_or_default(),
            security_token: text_of(&input, &keys.security_token, "securityToken")?,
        };
        let query = read_query(field_of(&input, &keys.query, "query")?)?;
        let headers = headers_of(keys, raw_field_of(&input, &keys.headers, "headers")?)?;
        let body = body_of(raw_field_of(&input, &keys.body, "body")?)?;
        let sdk_date = text_of(&input, &keys.sdk_date, "sdkDate")?;
        Ok((method, url, credentials, query, headers, body, sdk_date))
    })?;
    // The date is `sdkDate`, else an `X-Sdk-Date` header (as the official signer takes it),
    // else now; the signer refuses the two when they disagree.
    let sdk_date = match sdk_date {
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
    // One crossing for the whole result (see `Signed::to_json`).
    js_sys::JSON::parse(&signed.to_json()).map_err(|_| invalid("", "signature.unavailable", "the signed request could not be returned"))
}
