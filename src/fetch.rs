//! The wasm32 transport: the global `fetch` (browsers, workers and Node 18+ alike, never
//! `window.fetch`), with a timeout and the caller's `AbortSignal` wired into one
//! `AbortController`.

use crate::bindings::field;
use crate::error::Error;
use crate::transport::{HttpRequest, HttpResponse, Transport};
use gloo_net::http::{Method, RequestBuilder, Response};
use js_sys::Function;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

#[wasm_bindgen]
extern "C" {
    // Bound as globals, like gloo does, so the same code runs where there is no `window`.
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

fn method(name: &str) -> Method {
    match name {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        _ => Method::PATCH,
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

        let mut builder = RequestBuilder::new(&request.url).method(method(request.method)).abort_signal(Some(&controller.signal()));
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let built = match request.body {
            Some(body) => builder.body(body),
            None => builder.build(),
        }
        .map_err(|_| Error::Network { message: "the request could not be built".into(), sent: false })?;
        let raw: web_sys::Request = built.into();

        let answer = JsFuture::from(fetch_with_request(&raw))
            .await
            .map_err(|e| Self::failure(e, timed_out.get(), signal, timeout_ms))?;
        let response: Response = answer
            .dyn_into::<web_sys::Response>()
            .map_err(|_| Error::Network { message: "fetch returned something that is not a Response".into(), sent: true })?
            .into();
        let status = response.status();
        let headers = response.headers();
        let (request_id, retry_after) = (headers.get("x-request-id"), headers.get("retry-after"));
        let text_promise = web_sys::Response::from(response)
            .text()
            .map_err(|e| Self::failure(e, timed_out.get(), signal, timeout_ms))?;
        let body = JsFuture::from(text_promise)
            .await
            .map_err(|e| Self::failure(e, timed_out.get(), signal, timeout_ms))?
            .as_string()
            .unwrap_or_default();
        Ok(HttpResponse { status, request_id, retry_after, body })
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
