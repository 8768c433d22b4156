//! The wasm32 transport: the global `fetch` (browsers, workers and Node 18+ alike, never
//! `window.fetch`), with a timeout and the caller's `AbortSignal` wired into one
//! `AbortController`. Redirects are never followed (`redirect: "manual"`): the API never
//! sends one, and following it would carry the credentials and the body to another host.
//! Bodies are read as a stream and given up past the request's `max_response_bytes`.

use crate::error::{ApiError, Error};
use crate::js_value::field;
use crate::transport::{is_read_header, HttpRequest, HttpResponse, Transport};
use js_sys::Function;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, RequestInit, RequestRedirect};

#[wasm_bindgen]
extern "C" {
    // Bound as globals, so the same code runs where there is no `window`.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_request(request: &web_sys::Request) -> js_sys::Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
}

/// Node's error codes for a connection that provably never carried the request.
const NOT_SENT_CODES: &[&str] = &["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "UND_ERR_CONNECT_TIMEOUT"];

pub struct FetchTransport;

/// Ends the timer and unhooks the caller's signal whichever way the call ends.
struct Deadline {
    timer: JsValue,
    _on_timeout: Closure<dyn FnMut()>,
    caller: Option<(AbortSignal, Closure<dyn FnMut()>)>,
}

impl Drop for Deadline {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        if let Some((signal, listener)) = &self.caller {
            let _ = signal.remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
    }
}

impl FetchTransport {
    fn failure(error: JsValue, timed_out: bool, caller: Option<&AbortSignal>, timeout_ms: u32) -> Error {
        if timed_out {
            return Error::Timeout { timeout_ms };
        }
        if caller.is_some_and(AbortSignal::aborted) {
            return Error::Aborted;
        }
        let message = field(&error, "message").and_then(|m| m.as_string()).unwrap_or_else(|| "fetch failed".into());
        let cause_code = field(&error, "cause").and_then(|cause| field(&cause, "code")).and_then(|c| c.as_string());
        match cause_code {
            Some(code) => Error::Network { message: format!("{message} ({code})"), sent: !NOT_SENT_CODES.contains(&code.as_str()) },
            // A browser says only "TypeError: Failed to fetch": the request may have left.
            None => Error::Network { message, sent: true },
        }
    }
}

/// Calls `object[name]()` and returns what it gives.
fn call_method(object: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    let method: Function = js_sys::Reflect::get(object, &JsValue::from_str(name))?.dyn_into()?;
    method.call0(object)
}

/// Reads a response body chunk by chunk, giving up (`Err(None)`) as soon as it passes `max`
/// bytes, so a huge answer never sits in memory. `Err(Some(e))`: the read itself failed.
async fn read_capped(response: &web_sys::Response, max: usize) -> Result<Vec<u8>, Option<JsValue>> {
    let Some(stream) = field(response.as_ref(), "body") else { return Ok(Vec::new()) };
    let reader = call_method(&stream, "getReader").map_err(Some)?;
    let mut bytes = Vec::new();
    loop {
        let promise: js_sys::Promise = call_method(&reader, "read").map_err(Some)?.dyn_into().map_err(Some)?;
        let chunk = JsFuture::from(promise).await.map_err(Some)?;
        if field(&chunk, "done").is_some_and(|done| done.is_truthy()) {
            return Ok(bytes);
        }
        let Some(value) = field(&chunk, "value") else { continue };
        let array = js_sys::Uint8Array::new(&value);
        if bytes.len() + array.length() as usize > max {
            if let Ok(cancelled) = call_method(&reader, "cancel") {
                // Nobody waits for the cancellation; its rejection must not go unhandled.
                if let Ok(promise) = cancelled.dyn_into::<js_sys::Promise>() {
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = JsFuture::from(promise).await;
                    });
                }
            }
            return Err(None);
        }
        let start = bytes.len();
        bytes.resize(start + array.length() as usize, 0);
        array.copy_to(&mut bytes[start..]);
    }
}

impl Transport for FetchTransport {
    type Signal = AbortSignal;

    async fn send(&self, request: HttpRequest, timeout_ms: u32, signal: Option<&AbortSignal>) -> Result<HttpResponse, Error> {
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(Error::Aborted);
        }
        let not_built = |_| Error::Network { message: "the request could not be built".into(), sent: false };
        let controller = AbortController::new().map_err(not_built)?;
        let timed_out = Rc::new(Cell::new(false));
        let on_timeout = {
            let (controller, timed_out) = (controller.clone(), timed_out.clone());
            Closure::<dyn FnMut()>::new(move || {
                timed_out.set(true);
                controller.abort();
            })
        };
        let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), timeout_ms.min(i32::MAX as u32) as i32);
        let caller = signal.map(|signal| {
            let controller = controller.clone();
            let listener = Closure::<dyn FnMut()>::new(move || controller.abort());
            let _ = signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
            (signal.clone(), listener)
        });
        let _deadline = Deadline { timer, _on_timeout: on_timeout, caller };

        // The request built directly (gloo-net's builder added only code): every method
        // spelled out by `Method`, a header the host refuses is an error, not a throw.
        let init = RequestInit::new();
        init.set_method(request.method.as_str());
        init.set_signal(Some(&controller.signal()));
        init.set_redirect(RequestRedirect::Manual);
        let headers = Headers::new().map_err(not_built)?;
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(not_built)?;
        }
        init.set_headers(&headers);
        if let Some(body) = &request.body {
            init.set_body(&JsValue::from_str(body));
        }
        let raw = web_sys::Request::new_with_str_and_init(&request.url, &init).map_err(not_built)?;

        let answer = JsFuture::from(fetch_with_request(&raw)).await.map_err(|e| Self::failure(e, timed_out.get(), signal, timeout_ms))?;
        let response = answer
            .dyn_into::<web_sys::Response>()
            .map_err(|_| Error::Network { message: "fetch returned something that is not a Response".into(), sent: true })?;
        // A browser's manual redirect is an opaque answer with status 0; Node's keeps the 3xx.
        let status = response.status();
        let headers = response.headers();
        let header = |name: &str| headers.get(name).ok().flatten();
        let (request_id, retry_after) = (header("x-request-id"), header("retry-after"));
        let mut read_headers = Vec::new();
        if let Ok(Some(entries)) = js_sys::try_iter(&headers) {
            for entry in entries.flatten() {
                let pair = js_sys::Array::from(&entry);
                if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                    if is_read_header(&name) {
                        read_headers.push((name.to_ascii_lowercase(), value));
                    }
                }
            }
        }
        let too_large = |request_id: Option<String>| {
            controller.abort();
            Error::Api(Box::new(ApiError::unreadable(
                status,
                "response.too_large",
                &format!("the answer is larger than maxResponseBytes ({} bytes); it was not read", request.max_response_bytes),
                request_id,
                "",
            )))
        };
        let declared = header("content-length").and_then(|n| n.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > request.max_response_bytes as u64) {
            return Err(too_large(request_id));
        }
        let bytes = match read_capped(&response, request.max_response_bytes as usize).await {
            Ok(bytes) => bytes,
            Err(None) => return Err(too_large(request_id)),
            Err(Some(e)) => return Err(Self::failure(e, timed_out.get(), signal, timeout_ms)),
        };
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Ok(HttpResponse { status, request_id, retry_after, headers: read_headers, body })
    }

    fn now_ms(&self) -> u64 {
        date_now() as u64
    }

    async fn sleep(&self, ms: u32) {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            set_timeout(&resolve, ms.min(i32::MAX as u32) as i32);
        });
        let _ = JsFuture::from(promise).await;
    }

    fn is_aborted(&self, signal: &AbortSignal) -> bool {
        signal.aborted()
    }
}
