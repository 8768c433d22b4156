//! The `Client` class: each method converts its arguments, hands them to the core's
//! [`Client`], and converts the answer back. The async methods share [`JsClient::spawn`].

use super::convert::*;
use crate::client::{Client, Read, DEFAULT_PAGE_CONCURRENCY, MAX_PAGE_CONCURRENCY};
use crate::config::{parse_client_config, ClientConfig};
use crate::error::Error;
use crate::fetch::FetchTransport;
use crate::json::Value;
use js_sys::{Function, Promise};
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

/// A Workspace APP client. Every method validates its input first (sending nothing when it is
/// wrong) and rejects with a `ValidationError`, `ApiError`, `TimeoutError`, `NetworkError` or
/// `AbortError`.
#[wasm_bindgen(js_name = Client)]
pub struct JsClient {
    pub(super) inner: Rc<Client<FetchTransport>>,
}

/// One call's work. Boxed so that the promise machinery is compiled once, not per method.
type Call = std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, Error>>>>;

/// The Promise of a call's work. Not generic (nor inside a generic function, whose async
/// blocks would be compiled once per method): the promise machinery exists once.
fn promise_of(work: Call) -> Promise {
    future_to_promise(async move { work.await.map_err(js_error) })
}

/// The core client every method hands its work to.
pub(super) type Core = Rc<Client<FetchTransport>>;

/// One of the six reads: its input checked now (a problem rejects, nothing is sent), then
/// sent by one future type for all of them, the answer handed to JS as the host parsed it.
fn read_raw(client: Core, read: Read<'_>, signal: Option<AbortSignal>) -> Result<impl Future<Output = Result<JsValue, Error>>, JsValue> {
    let request = client.prepare_read(read).map_err(js_error)?;
    Ok(async move { client.read::<Raw>(&request, signal.as_ref()).await.map(|answer| answer.value.0) })
}

#[wasm_bindgen(js_class = Client)]
impl JsClient {
    /// The one shape of every async method: `prepare` converts the arguments (a problem
    /// rejects the promise and nothing is sent), and the core's work runs as a Promise whose
    /// errors become JS errors.
    pub(super) fn spawn<F>(&self, prepare: impl FnOnce(Core) -> Result<F, JsValue>) -> Promise
    where
        F: std::future::Future<Output = Result<JsValue, Error>> + 'static,
    {
        match prepare(self.inner.clone()) {
            Ok(work) => promise_of(Box::pin(work)),
            Err(error) => Promise::reject(&error),
        }
    }

    /// [`JsClient::spawn`] for a call that takes `{ signal }` in its options: the signal is
    /// read first, then `prepare` gets it with the options.
    fn spawn_call<F>(&self, options: JsValue, prepare: impl FnOnce(Core, Option<AbortSignal>, &JsValue) -> Result<F, JsValue>) -> Promise
    where
        F: std::future::Future<Output = Result<JsValue, Error>> + 'static,
    {
        self.spawn(|client| prepare(client, signal_of(&options)?, &options))
    }

    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientConfig")] config: JsValue,
        options: Option<ClientOptionsArg>,
    ) -> Result<JsClient, JsValue> {
        let options = arg(options);
        let value = read_value(config, "")?;
        let config: ClientConfig = parse_client_config(&value).map_err(|issues| js_error(Error::Validation(issues)))?;
        let mut client = Client::new(config, FetchTransport);
        if let Some(listener) = callback(&options, "onEvent")? {
            client = client.with_events(move |event| {
                let _ = listener.call1(&JsValue::NULL, &to_js(event));
            });
        }
        Ok(JsClient { inner: Rc::new(client) })
    }

    /// The endpoint origin calls go to.
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.inner.config().origin.clone()
    }

    /// `PATCH .../app-servers/actions/batch-update-tsvi`. **Reboots the servers** and
    /// disconnects their users. Sent once; never retried. Resolves to `{ job_id, request_id }`.
    #[wasm_bindgen(js_name = batchUpdateTsvi, unchecked_return_type = "Promise<{ job_id: string; request_id: string | null }>")]
    pub fn batch_update_tsvi(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UpdateTsvi[]")] items: JsValue,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        self.spawn_call(arg(options), |client, signal, _| {
            // Converted here once; the core validates it once and reads it into items once.
            let body = Value::Object(vec![("items".into(), read_value(items, "/items")?)]);
            Ok(async move {
                let answer = client.batch_update_tsvi_body(&body, signal.as_ref()).await?;
                let result = answer_object(answer.request_id);
                set(&result, "job_id", answer.value);
                Ok(result)
            })
        })
    }

    /// `PATCH .../app-servers/actions/batch-maint`: `maintain` true stops new sessions on the
    /// servers (to drain them), false lifts the mark.
    #[wasm_bindgen(js_name = batchChangeMaintainMode, unchecked_return_type = "Promise<{ request_id: string | null }>")]
    pub fn batch_change_maintain_mode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        // Not `bool`: the glue would coerce with `+maintain`, which throws a bare TypeError
        // for a Symbol or a BigInt and calls a hostile `valueOf`.
        #[wasm_bindgen(unchecked_param_type = "boolean")] maintain: JsValue,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        self.spawn_call(arg(options), |client, signal, _| {
            let maintain =
                maintain.as_bool().ok_or_else(|| invalid("/maintain", "maintain.not_boolean", "maintain must be true or false"))?;
            let ids: Vec<String> = read_typed(ids, "/items", "items.invalid", "ids must be an array of strings")?;
            Ok(async move {
                let answer = client.batch_change_maintain_mode(&ids, maintain, signal.as_ref()).await?;
                Ok(answer_object(answer.request_id))
            })
        })
    }

    /// One page of `GET .../app-servers`: `{ count, items }`.
    #[wasm_bindgen(js_name = listServers, unchecked_return_type = "Promise<Page<AppServer>>")]
    pub fn list_servers(&self, query: Option<ListServersQueryArg>, options: Option<CallOptionsArg>) -> Promise {
        self.spawn_call(arg(options), |client, signal, _| {
            let query = optional_value(arg(query), "")?;
            read_raw(client, Read::ListServers(query.as_ref()), signal)
        })
    }

    /// Every server matching the filters, the pages after the first fetched in parallel.
    #[wasm_bindgen(js_name = listAllServers, unchecked_return_type = "Promise<Listing<AppServer>>")]
    pub fn list_all_servers(&self, query: Option<ListServersQueryArg>, options: Option<ListAllOptionsArg>) -> Promise {
        self.spawn_call(arg(options), |client, signal, options| {
            let query = optional_value(arg(query), "")?;
            let concurrency = match input_field(options, "concurrency")? {
                None => DEFAULT_PAGE_CONCURRENCY,
                Some(n) => match n.as_f64() {
                    Some(n) if n.fract() == 0.0 && (1.0..=MAX_PAGE_CONCURRENCY as f64).contains(&n) => n as usize,
                    _ => {
                        return Err(invalid("/concurrency", "concurrency.out_of_range", "concurrency must be a whole number from 1 to 16"))
                    }
                },
            };
            let on_progress = match input_field(options, "onProgress")? {
                None => None,
                Some(f) => Some(
                    f.dyn_into::<Function>().map_err(|_| invalid("/onProgress", "onProgress.invalid", "onProgress must be a function"))?,
                ),
            };
            Ok(async move {
                let report = |loaded: u32, total: u32| {
                    if let Some(f) = &on_progress {
                        let _ = f.call2(&JsValue::NULL, &loaded.into(), &total.into());
                    }
                };
                let all = client.list_all_servers::<Raw>(query.as_ref(), concurrency, signal.as_ref(), &report).await?;
                Ok(listing_to_js(all))
            })
        })
    }

    /// `GET .../app-servers/{id}`.
    #[wasm_bindgen(js_name = showServer, unchecked_return_type = "Promise<AppServer>")]
    pub fn show_server(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue, options: Option<CallOptionsArg>) -> Promise {
        self.spawn_call(arg(options), |client, signal, _| read_raw(client, Read::ShowServer(&id_text(&id, "/id")?), signal))
    }

    /// One page of `GET .../app-server-groups` (without `ip_virtual`; see showServerGroup).
    #[wasm_bindgen(js_name = listServerGroups, unchecked_return_type = "Promise<Page<ServerGroup>>")]
    pub fn list_server_groups(&self, query: Option<ListServerGroupsQueryArg>, options: Option<CallOptionsArg>) -> Promise {
        self.spawn_call(arg(options), |client, signal, _| {
            let query = optional_value(arg(query), "")?;
            read_raw(client, Read::ListServerGroups(query.as_ref()), signal)
        })
    }

    /// `GET .../app-server-groups/{id}`, with the group's `ip_virtual`.
    #[wasm_bindgen(js_name = showServerGroup, unchecked_return_type = "Promise<ServerGroup>")]
    pub fn show_server_group(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        options: Option<CallOptionsArg>,
    ) -> Promise {
        self.spawn_call(arg(options), |client, signal, _| read_raw(client, Read::ShowServerGroup(&id_text(&id, "/id")?), signal))
    }

    /// `GET /v2/{project_id}/job/{job_id}`: the job and its sub-jobs.
    #[wasm_bindgen(js_name = showJob, unchecked_return_type = "Promise<JobDetail>")]
    pub fn show_job(&self, #[wasm_bindgen(unchecked_param_type = "string")] job_id: JsValue, options: Option<CallOptionsArg>) -> Promise {
        self.spawn_call(arg(options), |client, signal, _| read_raw(client, Read::ShowJob(&id_text(&job_id, "/jobId")?), signal))
    }

    /// `GET .../app-server-sub-jobs`; `job_type` defaults to `UPDATE_SERVER_TSVI`.
    #[wasm_bindgen(js_name = listSubJobs, unchecked_return_type = "Promise<Page<SubJob>>")]
    pub fn list_sub_jobs(&self, query: Option<ListSubJobsQueryArg>, options: Option<CallOptionsArg>) -> Promise {
        self.spawn_call(arg(options), |client, signal, _| {
            let query = optional_value(arg(query), "")?;
            read_raw(client, Read::ListSubJobs(query.as_ref()), signal)
        })
    }
}
