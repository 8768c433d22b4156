//! The Workspace APP calls this tool makes, on top of any [`Transport`].
//!
//! Read calls are generic over what the answer is read into: the typed models of
//! [`crate::model`], or (in the bindings) the host's own parsed object, which keeps every
//! field the service sent.
//!
//! Every call checks its input first and sends nothing when it is wrong. No call is ever
//! retried here: batch-update-tsvi reboots servers, and whether a retry is safe is the
//! rollout engine's decision, made with what it can prove about the servers.

use crate::config::{Auth, ClientConfig};
use crate::error::{ApiError, Error};
use crate::json::{self, Value};
use crate::model::*;
use crate::sign::{self, canonical_query, wire_path, QueryValue, SignInput};
use crate::transport::{HttpRequest, HttpResponse, Transport};
use crate::validate::{self, validate_batch_request, validate_query, Issue};
use futures_util::stream::{self, StreamExt};
use serde::de::DeserializeOwned;

/// The largest page ListServers serves.
pub const MAX_PAGE: u32 = 100;
pub const DEFAULT_PAGE_CONCURRENCY: usize = 4;
pub const MAX_PAGE_CONCURRENCY: usize = 16;

/// A decoded answer and the request id it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    pub value: T,
    pub request_id: Option<String>,
}

pub struct Client<T: Transport> {
    config: ClientConfig,
    transport: T,
}

fn issues_to_error(issues: Vec<Issue>) -> Error {
    Error::Validation(issues)
}

fn to_query(pairs: Vec<validate::QueryPair>) -> Vec<(String, QueryValue)> {
    pairs.into_iter().map(|(k, v)| (k, QueryValue::Text(v))).collect()
}

impl<T: Transport> Client<T> {
    pub fn new(config: ClientConfig, transport: T) -> Self {
        Client { config, transport }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Builds the request exactly as it goes on the wire, signed when the auth asks for it.
    pub fn build_request(
        &self,
        method: &'static str,
        path: &str,
        query: &[(String, QueryValue)],
        body: Option<String>,
    ) -> Result<HttpRequest, Error> {
        let mut headers: Vec<(String, String)> = vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-Project-Id".into(), self.config.project_id.clone()),
        ];
        headers.extend(self.config.headers.iter().cloned());
        let url = match &self.config.auth {
            Auth::AkSk(credentials) => {
                let sdk_date = sign::sdk_date_from_unix(self.transport.now_ms() / 1000);
                let signed = sign::sign(&SignInput {
                    method,
                    url: &format!("{}{path}", self.config.origin),
                    query,
                    headers: &headers,
                    body: body.as_deref().unwrap_or("").as_bytes(),
                    credentials,
                    sdk_date: &sdk_date,
                })
                .map_err(|e| Error::validation("", e.code(), e.message()))?;
                headers = signed.headers;
                signed.url
            }
            other => {
                if let Auth::Token(token) = other {
                    headers.push(("X-Auth-Token".into(), token.clone()));
                }
                let query = canonical_query(query);
                let mut url = format!("{}{}", self.config.origin, wire_path(path));
                if !query.is_empty() {
                    url.push('?');
                    url.push_str(&query);
                }
                url
            }
        };
        Ok(HttpRequest { method, url, headers, body })
    }

    async fn call<R: DeserializeOwned>(
        &self,
        method: &'static str,
        path: &str,
        query: &[(String, QueryValue)],
        body: Option<String>,
        signal: Option<&T::Signal>,
    ) -> Result<Answer<R>, Error> {
        let request = self.build_request(method, path, query, body)?;
        let HttpResponse { status, request_id, retry_after, body } =
            self.transport.send(request, self.config.timeout_ms, signal).await?;
        if status >= 400 {
            let mut error = ApiError::from_response(status, &body, request_id);
            error.retry_after_ms = retry_after.as_deref().and_then(crate::rollout::retry::parse_retry_after_ms);
            return Err(Error::Api(Box::new(error)));
        }
        // Some calls (batch-maint) answer with no body at all.
        let text = if body.trim().is_empty() { "{}" } else { body.as_str() };
        match json::from_str::<R>(text) {
            Ok(value) => Ok(Answer { value, request_id }),
            Err(_) => Err(Error::Api(Box::new(ApiError::unreadable(
                status,
                "response.invalid",
                "the service answered with a body this client cannot read",
                request_id,
                &body,
            )))),
        }
    }

    fn project_path(&self, rest: &str) -> String {
        format!("/v1/{}/{rest}", self.config.project_id)
    }

    /// `PATCH /v1/{project_id}/app-servers/actions/batch-update-tsvi`. Reboots every listed
    /// server. Sent once, never retried.
    pub async fn batch_update_tsvi(&self, items: &[UpdateTsvi], signal: Option<&T::Signal>) -> Result<Answer<String>, Error> {
        let issues = validate_batch_request(&batch_value(items));
        if !issues.is_empty() {
            return Err(issues_to_error(issues));
        }
        let body = json::to_string(&UpdateTsviReq { items: items.to_vec() })
            .map_err(|_| Error::validation("", "body.unserializable", "the request could not be written as JSON"))?;
        let answer: Answer<BatchUpdateTsviResponse> = self
            .call("PATCH", &self.project_path("app-servers/actions/batch-update-tsvi"), &[], Some(body), signal)
            .await?;
        match answer.value.job_id {
            Some(job_id) if !job_id.is_empty() => Ok(Answer { value: job_id, request_id: answer.request_id }),
            // The servers may be rebooting already; the caller must treat this as ambiguous.
            _ => Err(Error::Api(Box::new(ApiError::unreadable(
                200,
                "response.no_job_id",
                "the service accepted the batch but returned no job_id",
                answer.request_id,
                "",
            )))),
        }
    }

    /// `PATCH /v1/{project_id}/app-servers/actions/batch-maint`: puts servers into maintenance
    /// mode (no new sessions) or takes them out.
    pub async fn batch_change_maintain_mode(&self, ids: &[String], maintain: bool, signal: Option<&T::Signal>) -> Result<Answer<()>, Error> {
        let request = BatchMaintReq { items: ids.to_vec(), maintain_status: maintain };
        let as_value = Value::Object(vec![
            ("items".into(), Value::Array(ids.iter().cloned().map(Value::String).collect())),
            ("maintain_status".into(), Value::Bool(maintain)),
        ]);
        let issues = validate::validate_maint_request(&as_value);
        if !issues.is_empty() {
            return Err(issues_to_error(issues));
        }
        let body = json::to_string(&request)
            .map_err(|_| Error::validation("", "body.unserializable", "the request could not be written as JSON"))?;
        let answer: Answer<Value> =
            self.call("PATCH", &self.project_path("app-servers/actions/batch-maint"), &[], Some(body), signal).await?;
        Ok(Answer { value: (), request_id: answer.request_id })
    }

    /// `GET /v1/{project_id}/app-servers`, one page ([`ListServersResponse`]).
    pub async fn list_servers<R: DeserializeOwned>(&self, query: Option<&Value>, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        let pairs = validate_query(query, validate::LIST_SERVERS_QUERY).map_err(issues_to_error)?;
        self.call("GET", &self.project_path("app-servers"), &to_query(pairs), None, signal).await
    }

    /// Every server matching the filters: the first page at limit 100, then the other pages
    /// `concurrency` at a time. Servers that moved between pages while paging are listed once.
    /// `on_page(loaded, total)` reports progress after each page.
    pub async fn list_all_servers<R: ServerRecord>(
        &self,
        query: Option<&Value>,
        concurrency: usize,
        signal: Option<&T::Signal>,
        on_page: &dyn Fn(u32, u32),
    ) -> Result<Page<R>, Error> {
        if let Some(Value::Object(fields)) = query {
            if let Some((key, _)) = fields.iter().find(|(k, _)| k == "offset" || k == "limit") {
                return Err(Error::validation(&validate::pointer("", key), "query.paging", "listAllServers sets offset and limit itself"));
            }
        }
        let filters = validate_query(query, validate::LIST_SERVERS_QUERY).map_err(issues_to_error)?;
        let path = self.project_path("app-servers");
        let page_query = |offset: u32| {
            let mut q = to_query(filters.clone());
            q.push(("offset".into(), QueryValue::Int(offset as i64)));
            q.push(("limit".into(), QueryValue::Int(MAX_PAGE as i64)));
            q
        };
        let first: Answer<Page<R>> = self.call("GET", &path, &page_query(0), None, signal).await?;
        let total = first.value.count;
        let mut items = first.value.items;
        let loaded = std::cell::Cell::new(items.len() as u32);
        on_page(loaded.get(), total);

        let offsets: Vec<u32> = (1..total.div_ceil(MAX_PAGE)).map(|page| page * MAX_PAGE).collect();
        let mut pages: Vec<(u32, Vec<R>)> = Vec::with_capacity(offsets.len());
        let mut results = stream::iter(offsets.into_iter().map(|offset| {
            let q = page_query(offset);
            let path = &path;
            async move {
                let page: Answer<Page<R>> = self.call("GET", path, &q, None, signal).await?;
                Ok::<_, Error>((offset, page.value.items))
            }
        }))
        .buffer_unordered(concurrency.clamp(1, MAX_PAGE_CONCURRENCY));
        while let Some(result) = results.next().await {
            let (offset, page) = result?;
            loaded.set(loaded.get() + page.len() as u32);
            on_page(loaded.get().min(total), total);
            pages.push((offset, page));
        }
        pages.sort_by_key(|(offset, _)| *offset);
        let mut seen: std::collections::HashSet<String> = items.iter().filter_map(R::server_id).collect();
        for (_, page) in pages {
            for server in page {
                // A server that moved to a later page while paging is listed once.
                let first_time = server.server_id().is_none_or(|id| seen.insert(id));
                if first_time {
                    items.push(server);
                }
            }
        }
        Ok(Page { count: total, items })
    }

    /// `GET /v1/{project_id}/app-servers/{server_id}` ([`AppServer`]).
    pub async fn show_server<R: DeserializeOwned>(&self, id: &str, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        check_path_id(id, "/id")?;
        self.call("GET", &self.project_path(&format!("app-servers/{id}")), &[], None, signal).await
    }

    /// `GET /v1/{project_id}/app-server-groups`, one page ([`ListServerGroupsResponse`]).
    pub async fn list_server_groups<R: DeserializeOwned>(&self, query: Option<&Value>, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        let pairs = validate_query(query, validate::LIST_SERVER_GROUPS_QUERY).map_err(issues_to_error)?;
        self.call("GET", &self.project_path("app-server-groups"), &to_query(pairs), None, signal).await
    }

    /// `GET /v1/{project_id}/app-server-groups/{server_group_id}`, the only call that returns
    /// the group's `ip_virtual` ([`ServerGroup`]).
    pub async fn show_server_group<R: DeserializeOwned>(&self, id: &str, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        check_path_id(id, "/id")?;
        self.call("GET", &self.project_path(&format!("app-server-groups/{id}")), &[], None, signal).await
    }

    /// `GET /v2/{project_id}/job/{job_id}`: the job detail ([`JobDetail`]; the v1 form is deprecated).
    pub async fn show_job<R: DeserializeOwned>(&self, job_id: &str, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        check_path_id(job_id, "/jobId")?;
        let path = format!("/v2/{}/job/{job_id}", self.config.project_id);
        self.call("GET", &path, &[], None, signal).await
    }

    /// `GET /v1/{project_id}/app-server-sub-jobs` ([`ListSubJobsResponse`]); `job_type` defaults
    /// to UPDATE_SERVER_TSVI.
    pub async fn list_sub_jobs<R: DeserializeOwned>(&self, query: Option<&Value>, signal: Option<&T::Signal>) -> Result<Answer<R>, Error> {
        let mut pairs = validate_query(query, validate::LIST_SUB_JOBS_QUERY).map_err(issues_to_error)?;
        if !pairs.iter().any(|(k, _)| k == "job_type") {
            pairs.insert(0, ("job_type".into(), JobType::UpdateServerTsvi.as_str().into()));
        }
        self.call("GET", &self.project_path("app-server-sub-jobs"), &to_query(pairs), None, signal).await
    }
}

fn check_path_id(id: &str, path: &str) -> Result<(), Error> {
    let mut issues = Vec::new();
    validate::check_id(id, path, &mut issues);
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues_to_error(issues))
    }
}

/// The untyped form of a batch, so typed callers get the same checks as JS callers.
pub fn batch_value(items: &[UpdateTsvi]) -> Value {
    let list = items
        .iter()
        .map(|item| {
            Value::Object(vec![("id".into(), Value::String(item.id.clone())), ("enable".into(), Value::Bool(item.enable))])
        })
        .collect();
    Value::Object(vec![("items".into(), Value::Array(list))])
}

/// Reads a batch that [`validate_batch_request`] accepted.
pub fn batch_items(body: &Value) -> Vec<UpdateTsvi> {
    let Some(Value::Array(items)) = body.get("items") else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| {
            Some(UpdateTsvi {
                id: item.get("id")?.as_str()?.to_owned(),
                enable: matches!(item.get("enable"), Some(Value::Bool(true))),
            })
        })
        .collect()
}
