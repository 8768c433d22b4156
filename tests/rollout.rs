//! The rollout engine against a small in-memory Workspace APP service with a virtual clock:
//! exact scenarios for retries, ambiguity, drains, halts, aborts and resumes. The gateway's
//! simulator runs the same engine at scale in the soak test.

use futures_executor::block_on;
use futures_util::FutureExt;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::collections::{BTreeSet, HashMap};
use workspace_tsvi::config::parse_client_config;
use workspace_tsvi::json::{self, Value};
use workspace_tsvi::model::{IpVirtual, VmStatus};
use workspace_tsvi::rollout::plan::{parse_options, plan_rollout, GroupState, Plan, ServerState};
use workspace_tsvi::rollout::report::{Outcome, Reason, Report, RunStatus};
use workspace_tsvi::rollout::retry::Backoff;
use workspace_tsvi::rollout::run::{resume_rollout, run_rollout, Event, Hook, Hooks, RunOptions};
use workspace_tsvi::transport::{HttpRequest, HttpResponse, Transport};
use workspace_tsvi::{Client, Error};

/// A report entry's reason as the word its JSON carries.
fn word(reason: &Option<Reason>) -> Option<String> {
    reason.as_ref().map(Reason::to_string)
}

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const JOB_MS: u64 = 5_000;

/// What the next batch-update-tsvi call meets.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Status(u16),
    /// Applied, then the answer is lost in a timeout.
    AppliedThenTimeout,
    /// Not applied, and the answer is a timeout all the same.
    LostBeforeService,
    Refused,
    /// Another admin's job starts on this server just before the call arrives.
    JobStartsOn(&'static str),
    /// Not applied, the answer is lost, and meanwhile a job of another kind (not TSVI) ran on
    /// this server, so its job id changed.
    LostWhileOtherJobOn(&'static str),
}

#[derive(Debug, Clone)]
struct SimServer {
    group: String,
    sessions: u32,
    maintenance: bool,
    job_id: Option<String>,
    running_until: Option<u64>,
    fails: bool,
    /// The last job on it was not a TSVI update.
    other_kind: bool,
}

#[derive(Default)]
struct Service {
    now: Cell<u64>,
    servers: RefCell<BTreeMap<String, SimServer>>,
    jobs: RefCell<BTreeMap<String, (u64, Vec<String>)>>,
    faults: RefCell<VecDeque<Fault>>,
    applied: RefCell<Vec<String>>,
    maint_calls: RefCell<Vec<(Vec<String>, bool)>>,
    /// Aborts the run once this many batches were applied.
    abort_after: Cell<Option<usize>>,
    aborted: Cell<bool>,
    /// The highest number of a group's servers rebooting at once.
    peak_down: RefCell<BTreeMap<String, usize>>,
    /// Servers rebooted while they still had sessions.
    rebooted_busy: RefCell<Vec<String>>,
    /// API calls received so far.
    calls: Cell<usize>,
    /// The process dies at the call this picks (by its number and the request): the call is
    /// handled first when `crash_applies`, and from then on nothing answers or ticks.
    crash_when: RefCell<Option<CrashPoint>>,
    crash_applies: Cell<bool>,
    crashed: Cell<bool>,
    /// The caller aborts right after this call.
    abort_at_call: Cell<Option<usize>>,
    /// The next this-many lifts (batch-maint false) are refused with a 403.
    refuse_lifts: Cell<usize>,
    /// Marks (batch-maint true) are applied, then answered 500: the run cannot know they were.
    marks_then_500: Cell<bool>,
    /// The last report handed to onReport before a crash, as a file would hold it.
    saved: RefCell<Option<Report>>,
    /// Checks every change against `saved`: a mark or an update must be in the saved report
    /// before its call arrives (the write-ahead rule).
    check_write_ahead: Cell<bool>,
    /// batch-update-tsvi calls that carried each server.
    update_calls: RefCell<HashMap<String, u32>>,
    /// Every GET of one server is answered 503, and counted here.
    show_server_fails: Cell<bool>,
    show_server_calls: Cell<usize>,
}

type CrashPoint = Box<dyn Fn(usize, &HttpRequest) -> bool>;

fn reply(status: u16, body: String) -> Result<HttpResponse, Error> {
    Ok(HttpResponse { status, request_id: Some("r".into()), retry_after: None, headers: Vec::new(), body })
}

impl Service {
    fn with_servers(groups: &[(&str, usize, u32)]) -> Service {
        let service = Service { now: Cell::new(1_700_000_000_000), ..Default::default() };
        for (group, count, sessions) in groups {
            for i in 0..*count {
                service.servers.borrow_mut().insert(
                    format!("{group}-{i:02}"),
                    SimServer {
                        group: group.to_string(),
                        sessions: *sessions,
                        maintenance: false,
                        job_id: None,
                        running_until: None,
                        fails: false,
                        other_kind: false,
                    },
                );
            }
        }
        service
    }

    fn states(&self) -> Vec<ServerState> {
        self.servers.borrow().keys().map(|id| self.state(id)).collect()
    }

    fn state(&self, id: &str) -> ServerState {
        let s = &self.servers.borrow()[id];
        let running = s.running_until.is_some_and(|t| t > self.now.get());
        ServerState {
            id: id.into(),
            name: Some(format!("name of {id}")),
            server_group_id: Some(s.group.clone()),
            vm_status: Some(if running { VmStatus::Reboot } else { VmStatus::Active }),
            task_status: None,
            maintain_status: Some(s.maintenance),
            session_count: Some(s.sessions),
            job_id: s.job_id.clone(),
            job_type: s.job_id.as_ref().map(|_| {
                if s.other_kind {
                    workspace_tsvi::model::JobType::RejoinDomain
                } else {
                    workspace_tsvi::model::JobType::UpdateServerTsvi
                }
            }),
            job_status: Some(if running { workspace_tsvi::model::JobStatus::Running } else { workspace_tsvi::model::JobStatus::Success })
                .filter(|_| s.job_id.is_some()),
            ..Default::default()
        }
    }

    fn apply(&self, ids: &[String]) -> String {
        let now = self.now.get();
        let job = format!("{}", 575_768_277_444_198_400u64 + self.jobs.borrow().len() as u64);
        let mut servers = self.servers.borrow_mut();
        for id in ids {
            let s = servers.get_mut(id).unwrap();
            if s.sessions > 0 {
                self.rebooted_busy.borrow_mut().push(id.clone());
            }
            s.job_id = Some(job.clone());
            s.running_until = Some(now + JOB_MS);
            s.sessions = 0;
            self.applied.borrow_mut().push(id.clone());
        }
        // How many of each group are down right now.
        let mut down: BTreeMap<String, usize> = BTreeMap::new();
        for s in servers.values().filter(|s| s.running_until.is_some_and(|t| t > now)) {
            *down.entry(s.group.clone()).or_default() += 1;
        }
        for (g, n) in down {
            let mut peak = self.peak_down.borrow_mut();
            let p = peak.entry(g).or_default();
            *p = (*p).max(n);
        }
        self.jobs.borrow_mut().insert(job.clone(), (now, ids.to_vec()));
        if let Some(limit) = self.abort_after.get() {
            if self.jobs.borrow().len() >= limit {
                self.aborted.set(true);
            }
        }
        job
    }

    fn handle(&self, req: &HttpRequest) -> Result<HttpResponse, Error> {
        let path = req.url.split('?').next().unwrap().trim_start_matches("http://127.0.0.1:1");
        let query = req.url.split_once('?').map(|(_, q)| q).unwrap_or("");
        let param = |k: &str| query.split('&').find_map(|p| p.strip_prefix(&format!("{k}="))).map(str::to_owned);
        let now = self.now.get();
        if path.ends_with("/actions/batch-update-tsvi") {
            let body: Value = json::from_str(req.body.as_deref().unwrap()).unwrap();
            let Value::Array(items) = body.get("items").unwrap() else { panic!() };
            let ids: Vec<String> = items.iter().map(|i| i.get("id").unwrap().as_str().unwrap().to_owned()).collect();
            for id in &ids {
                let mut calls = self.update_calls.borrow_mut();
                let n = calls.entry(id.clone()).or_default();
                *n += 1;
                if self.check_write_ahead.get() {
                    let saved = self.saved.borrow();
                    let attempts = saved.as_ref().and_then(|r| r.server(id)).map_or(0, |s| s.attempts);
                    assert!(attempts >= *n, "{id} was sent before the report saved that it would be");
                }
            }
            if let Some(Fault::JobStartsOn(id)) = self.faults.borrow().front().copied() {
                let mut servers = self.servers.borrow_mut();
                let s = servers.get_mut(id).unwrap();
                (s.job_id, s.running_until) = (Some("someone-else".into()), Some(u64::MAX));
            }
            if matches!(self.faults.borrow().front(), Some(Fault::JobStartsOn(_))) {
                self.faults.borrow_mut().pop_front();
            }
            if let Some(missing) = ids.iter().find(|id| !self.servers.borrow().contains_key(*id)) {
                return reply(404, format!(r#"{{"error_code":"WKS.0404","error_msg":"server {missing} not found"}}"#));
            }
            if ids.iter().any(|id| self.servers.borrow()[id].running_until.is_some_and(|t| t > now)) {
                return reply(409, r#"{"error_code":"WKS.0409","error_msg":"a job is running"}"#.into());
            }
            return match self.faults.borrow_mut().pop_front() {
                Some(Fault::Status(status)) => reply(status, r#"{"error_code":"X","error_msg":"injected"}"#.into()),
                Some(Fault::AppliedThenTimeout) => {
                    self.apply(&ids);
                    Err(Error::Timeout { timeout_ms: 1 })
                }
                Some(Fault::LostBeforeService) => Err(Error::Timeout { timeout_ms: 1 }),
                Some(Fault::Refused) => Err(Error::Network { message: "refused".into(), sent: false }),
                Some(Fault::JobStartsOn(_)) => unreachable!(),
                Some(Fault::LostWhileOtherJobOn(id)) => {
                    let mut servers = self.servers.borrow_mut();
                    let s = servers.get_mut(id).unwrap();
                    (s.job_id, s.other_kind) = (Some("rejoin-domain-job".into()), true);
                    Err(Error::Timeout { timeout_ms: 1 })
                }
                None => reply(200, format!(r#"{{"job_id":"{}"}}"#, self.apply(&ids))),
            };
        }
        if path.ends_with("/actions/batch-maint") {
            let body: Value = json::from_str(req.body.as_deref().unwrap()).unwrap();
            let Value::Array(items) = body.get("items").unwrap() else { panic!() };
            let ids: Vec<String> = items.iter().map(|i| i.as_str().unwrap().to_owned()).collect();
            let on = body.get("maintain_status") == Some(&Value::Bool(true));
            if self.check_write_ahead.get() {
                let saved = self.saved.borrow();
                for id in &ids {
                    let drain = saved.as_ref().and_then(|r| r.server(id)).and_then(|s| s.drain.clone()).unwrap_or_default();
                    assert!(
                        drain.marked_by_run && !drain.already_in_maintenance,
                        "{id}: maintenance {on} for a mark the saved report does not hold"
                    );
                }
            }
            if !on && self.refuse_lifts.get() > 0 {
                self.refuse_lifts.set(self.refuse_lifts.get() - 1);
                return reply(403, r#"{"error_code":"WKS.0403","error_msg":"refused"}"#.into());
            }
            for id in &ids {
                self.servers.borrow_mut().get_mut(id).unwrap().maintenance = on;
            }
            self.maint_calls.borrow_mut().push((ids, on));
            if on && self.marks_then_500.get() {
                return reply(500, r#"{"error_code":"WKS.0500","error_msg":"injected"}"#.into());
            }
            return reply(200, String::new());
        }
        if let Some(job) = path.strip_prefix(&format!("/v2/{PROJECT}/job/")) {
            let jobs = self.jobs.borrow();
            let (start, ids) = &jobs[job];
            let done = now >= start + JOB_MS;
            let servers = self.servers.borrow();
            let subs: Vec<String> = ids
                .iter()
                .map(|id| {
                    let status = if !done {
                        "RUNNING"
                    } else if servers[id].fails {
                        "FAILED"
                    } else {
                        "SUCCESS"
                    };
                    let error = if status == "FAILED" { r#","error_code":"WKS.9001","error_message":"reboot failed""# } else { "" };
                    format!(
                        r#"{{"id":"sub-{id}","status":"{status}","job_id":"{job}","job_resource_info":{{"resource_id":"{id}"}}{error}}}"#
                    )
                })
                .collect();
            let status = if !done {
                "RUNNING"
            } else if ids.iter().any(|id| servers[id].fails) {
                "FAILED"
            } else {
                "SUCCESS"
            };
            return reply(200, format!(r#"{{"id":"{job}","status":"{status}","sub_jobs":[{}]}}"#, subs.join(",")));
        }
        if path.ends_with("/app-server-sub-jobs") {
            let _ = param("job_type");
            return reply(200, r#"{"count":0,"items":[]}"#.into());
        }
        if let Some(id) = path.strip_prefix(&format!("/v1/{PROJECT}/app-servers/")) {
            if self.show_server_fails.get() {
                self.show_server_calls.set(self.show_server_calls.get() + 1);
                return reply(503, r#"{"error_code":"WKS.0503","error_msg":"busy"}"#.into());
            }
            if !self.servers.borrow().contains_key(id) {
                return reply(404, r#"{"error_code":"WKS.0404","error_msg":"no such server"}"#.into());
            }
            return reply(200, json::to_string(&self.state(id)).unwrap());
        }
        panic!("unexpected request {} {}", req.method, req.url)
    }
}

impl Transport for &Service {
    type Signal = ();

    async fn send(&self, request: HttpRequest, _timeout_ms: u32, _signal: Option<&()>) -> Result<HttpResponse, Error> {
        if self.crashed.get() {
            std::future::pending::<()>().await;
        }
        let n = self.calls.get() + 1;
        self.calls.set(n);
        if self.crash_when.borrow().as_ref().is_some_and(|crash| crash(n, &request)) {
            if self.crash_applies.get() {
                let _ = self.handle(&request);
            }
            self.crashed.set(true);
            std::future::pending::<()>().await;
        }
        let answer = self.handle(&request);
        if self.abort_at_call.get() == Some(n) {
            self.aborted.set(true);
        }
        answer
    }

    fn now_ms(&self) -> u64 {
        self.now.get()
    }

    async fn sleep(&self, ms: u32) {
        if self.crashed.get() {
            std::future::pending::<()>().await;
        }
        // Sessions on servers in maintenance end one per second of virtual time.
        let steps = ms / 1000;
        self.now.set(self.now.get() + ms as u64);
        for s in self.servers.borrow_mut().values_mut().filter(|s| s.maintenance) {
            s.sessions = s.sessions.saturating_sub(steps);
        }
    }

    fn is_aborted(&self, _: &()) -> bool {
        self.aborted.get()
    }
}

fn client(service: &Service) -> Client<&Service> {
    let config: Value =
        json::from_str(&format!(r#"{{"endpoint":"http://127.0.0.1:1","projectId":"{PROJECT}","auth":{{"token":"t"}}}}"#)).unwrap();
    Client::new(parse_client_config(&config).unwrap(), service)
}

fn plan_for(service: &Service, options: &str) -> Plan {
    let groups: Vec<GroupState> = ["g1", "g2"]
        .iter()
        .map(|g| GroupState { id: g.to_string(), name: None, ip_virtual: Some(IpVirtual { enable: true }), app_server_count: None })
        .collect();
    let value: Value = json::from_str(options).unwrap();
    plan_rollout(&service.states(), &groups, &parse_options(Some(&value)).unwrap())
}

fn fast() -> RunOptions {
    RunOptions { poll_interval_ms: 1000, backoff: Backoff { base_ms: 100, cap_ms: 1000, max_resends: 4 }, ..RunOptions::default() }
}

fn run(service: &Service, plan: &Plan) -> (Report, Vec<Event>) {
    let events = RefCell::new(Vec::new());
    let on_event = |e: &Event| {
        events.borrow_mut().push(e.clone());
        Ok(())
    };
    let client = client(service);
    let report = block_on(run_rollout(&client, plan, fast(), Some(&()), Hooks { on_event: &on_event, on_report: &|_| Ok(()) }));
    (report, events.into_inner())
}

#[test]
fn later_waves_see_their_jobs_end_within_a_quarter_poll_interval() {
    // Jobs take 5 s, polls come every 2 s: the first job is seen done at 6 s (polls at 2, 4
    // and 6 s). It was last seen running at 4 s, so later jobs are polled every 500 ms from
    // 4 s on, and seen done at 5 s: a wave no longer waits out most of an interval.
    let service = Service::with_servers(&[("g1", 3, 0)]);
    let plan = plan_for(&service, r#"{"maxUnavailable":1}"#);
    assert_eq!(plan.waves.len(), 3);
    let seen: RefCell<Vec<(u64, u64)>> = RefCell::new(Vec::new());
    let on_event = |e: &Event| {
        match e {
            Event::BatchSubmitted { .. } => seen.borrow_mut().push((service.now.get(), 0)),
            Event::ServerDone { .. } => seen.borrow_mut().last_mut().unwrap().1 = service.now.get(),
            _ => {}
        }
        Ok(())
    };
    let options = RunOptions { poll_interval_ms: 2000, ..fast() };
    let client = client(&service);
    let report = block_on(run_rollout(&client, &plan, options, Some(&()), Hooks { on_event: &on_event, on_report: &|_| Ok(()) }));
    assert_eq!(report.counts.succeeded, 3);
    assert_applied_once(&service);
    let waits: Vec<u64> = seen.borrow().iter().map(|(accepted, done)| done - accepted).collect();
    assert_eq!(waits, [6000, 5000, 5000]);
}

fn outcomes(report: &Report) -> BTreeMap<&'static str, usize> {
    let mut map = BTreeMap::new();
    for s in &report.servers {
        *map.entry(s.outcome.as_str()).or_default() += 1;
    }
    map
}

fn assert_applied_once(service: &Service) {
    let applied = service.applied.borrow();
    let mut seen = std::collections::BTreeSet::new();
    for id in applied.iter() {
        assert!(seen.insert(id), "server {id} was applied twice");
    }
}

#[test]
fn a_clean_run_updates_every_server_once_within_the_limits() {
    let service = Service::with_servers(&[("g1", 40, 0), ("g2", 8, 0)]);
    let plan = plan_for(&service, "{}");
    let (report, events) = run(&service, &plan);
    assert_eq!(report.status, RunStatus::Completed);
    assert_eq!(report.counts.succeeded, 48);
    assert_eq!(service.applied.borrow().len(), 48);
    assert_applied_once(&service);
    assert!(service.peak_down.borrow()["g1"] <= 10);
    assert!(service.peak_down.borrow()["g2"] <= 2);
    assert!(report.servers.iter().all(|s| s.attempts == 1 && s.job_id.is_some() && s.finished_at.is_some()));
    assert!(matches!(events.first(), Some(Event::Plan { planned: 48, .. })));
    assert!(matches!(events.last(), Some(Event::RunDone { status: RunStatus::Completed, succeeded: 48, .. })));
    let waves_started = events.iter().filter(|e| matches!(e, Event::WaveStarted { .. })).count();
    assert_eq!(waves_started, plan.waves.len());
}

#[test]
fn a_failing_read_is_retried_by_the_client_policy_alone_not_again_by_the_engine() {
    // One server: the run re-reads it with ShowServer before its wave. The client retries a
    // read up to its policy's attempts (5 by default); the engine must not multiply that.
    let service = Service::with_servers(&[("g1", 1, 0)]);
    let plan = plan_for(&service, "{}");
    service.show_server_fails.set(true);
    let _ = run(&service, &plan);
    assert_eq!(service.show_server_calls.get(), 5);
}

#[test]
fn safe_failures_are_resent_and_ambiguous_ones_are_resolved_without_a_second_reboot() {
    let service = Service::with_servers(&[("g1", 20, 0)]);
    let plan = plan_for(&service, r#"{"batchSize":5,"maxUnavailable":"100%"}"#);
    service.faults.borrow_mut().extend([
        Fault::Status(429),
        Fault::Status(503),
        Fault::Refused,
        Fault::AppliedThenTimeout, // applied: must be followed, not resent
        Fault::LostBeforeService,  // not applied: must be resent
        Fault::Status(500),        // not applied here either
    ]);
    let (report, events) = run(&service, &plan);
    assert_eq!(report.counts.succeeded, 20, "{:?}", outcomes(&report));
    assert_applied_once(&service);
    assert_eq!(service.applied.borrow().len(), 20);
    let failures = events.iter().filter(|e| matches!(e, Event::BatchFailed { .. })).count();
    assert_eq!(failures, 6);
    assert!(report.servers.iter().any(|s| s.attempts > 1));
}

#[test]
fn a_409_drops_the_server_that_became_busy_and_resends_the_rest() {
    let service = Service::with_servers(&[("g1", 4, 0)]);
    let plan = plan_for(&service, r#"{"maxUnavailable":"100%"}"#);
    service.faults.borrow_mut().push_back(Fault::JobStartsOn("g1-01"));
    let (report, events) = run(&service, &plan);
    let busy = report.server("g1-01").unwrap();
    assert_eq!((busy.outcome, word(&busy.reason).as_deref()), (Outcome::Skipped, Some("job_running")));
    assert_eq!(busy.detail.as_deref(), Some("job someone-else started meanwhile"));
    assert_eq!(report.counts.succeeded, 3);
    assert!(events.iter().any(|e| matches!(e, Event::BatchFailed { status: Some(409), .. })));
    assert_applied_once(&service);
}

#[test]
fn a_server_that_changed_since_the_plan_is_rechecked_and_skipped() {
    let service = Service::with_servers(&[("g1", 4, 0)]);
    let plan = plan_for(&service, r#"{"maxUnavailable":"100%"}"#);
    // Another admin starts a job on one server after the plan was made.
    service.servers.borrow_mut().get_mut("g1-02").unwrap().running_until = Some(u64::MAX);
    service.servers.borrow_mut().get_mut("g1-02").unwrap().job_id = Some("other".into());
    let (report, events) = run(&service, &plan);
    let busy = report.server("g1-02").unwrap();
    assert_eq!((busy.outcome, word(&busy.reason).as_deref()), (Outcome::Skipped, Some("job_running")));
    assert_eq!(report.counts.succeeded, 3);
    assert!(events.iter().any(|e| matches!(e, Event::Changed { server_id, skipped: true, .. } if server_id == "g1-02")));
}

#[test]
fn a_new_job_of_another_kind_is_not_taken_for_ours() {
    let service = Service::with_servers(&[("g1", 3, 0)]);
    let plan = plan_for(&service, r#"{"maxUnavailable":"100%"}"#);
    service.faults.borrow_mut().push_back(Fault::LostWhileOtherJobOn("g1-01"));
    let (report, _) = run(&service, &plan);
    let other = report.server("g1-01").unwrap();
    assert_eq!((other.outcome, word(&other.reason).as_deref()), (Outcome::Unknown, Some("ambiguous")));
    assert_eq!(report.counts.succeeded, 2, "the two proven untouched were resent");
    assert_applied_once(&service);
    assert!(!service.applied.borrow().contains(&"g1-01".to_string()));
}

#[test]
fn final_refusals_fail_the_batch_with_the_error() {
    let service = Service::with_servers(&[("g1", 3, 0)]);
    let plan = plan_for(&service, r#"{"maxUnavailable":"100%"}"#);
    service.faults.borrow_mut().push_back(Fault::Status(403));
    let (report, _) = run(&service, &plan);
    assert_eq!(report.counts.failed, 3);
    let s = &report.servers[0];
    assert_eq!((word(&s.reason).as_deref(), s.error_code.as_deref()), (Some("refused"), Some("X")));
    assert_eq!(s.request_id.as_deref(), Some("r"), "the refusing answer's request id is kept");
    assert!(service.applied.borrow().is_empty());
}

#[test]
fn sub_job_failures_are_reported_and_halt_after_failures_stops_the_next_waves() {
    let service = Service::with_servers(&[("g1", 12, 0)]);
    for i in 0..3 {
        service.servers.borrow_mut().get_mut(&format!("g1-{i:02}")).unwrap().fails = true;
    }
    // 3 per wave (25% of 12): the first wave fails entirely.
    let plan = plan_for(&service, r#"{"haltAfterFailures":2}"#);
    let (report, events) = run(&service, &plan);
    assert_eq!(report.status, RunStatus::Halted);
    assert_eq!(report.counts.failed, 3);
    assert_eq!(report.counts.skipped, 9);
    assert!(report.servers.iter().filter(|s| s.outcome == Outcome::Skipped).all(|s| word(&s.reason).as_deref() == Some("halted")));
    let failed = report.server("g1-00").unwrap();
    assert_eq!((failed.error_code.as_deref(), failed.error_msg.as_deref()), (Some("WKS.9001"), Some("reboot failed")));
    assert!(events.iter().any(|e| matches!(e, Event::Halted { .. })));
    assert_eq!(service.applied.borrow().len(), 3);
}

#[test]
fn a_halted_run_resumes_without_counting_the_old_failures_again() {
    let service = Service::with_servers(&[("g1", 12, 0)]);
    for i in 0..3 {
        service.servers.borrow_mut().get_mut(&format!("g1-{i:02}")).unwrap().fails = true;
    }
    let plan = plan_for(&service, r#"{"haltAfterFailures":2}"#);
    let (halted, _) = run(&service, &plan);
    assert_eq!(halted.status, RunStatus::Halted);
    let client = client(&service);
    let resumed = block_on(resume_rollout(&client, halted, fast(), Some(&()), Hooks { on_event: &|_| Ok(()), on_report: &|_| Ok(()) }));
    assert_eq!(resumed.status, RunStatus::Completed);
    assert_eq!((resumed.counts.succeeded, resumed.counts.failed), (9, 3));
    assert_applied_once(&service);
}

#[test]
fn drain_waits_for_sessions_and_always_lifts_maintenance() {
    let service = Service::with_servers(&[("g1", 4, 3)]);
    service.servers.borrow_mut().get_mut("g1-03").unwrap().sessions = 500; // will not drain in time
    let plan = plan_for(&service, r#"{"drain":true,"drainTimeoutMs":20000,"maxUnavailable":"100%"}"#);
    let (report, _) = run(&service, &plan);
    assert_eq!(report.counts.succeeded, 4);
    let rebooted_busy = service.rebooted_busy.borrow().clone();
    assert_eq!(rebooted_busy, ["g1-03"], "only the server whose deadline passed rebooted with sessions");
    let stubborn = report.server("g1-03").unwrap().drain.clone().unwrap();
    assert!(stubborn.deadline_passed && stubborn.sessions_at_reboot > 0);
    assert!(!report.server("g1-00").unwrap().drain.clone().unwrap().deadline_passed);
    assert!(service.servers.borrow().values().all(|s| !s.maintenance), "nobody left in maintenance");
    let calls = service.maint_calls.borrow();
    assert_eq!(calls.len(), 2);
    assert!(calls[0].1 && !calls[1].1);
}

#[test]
fn servers_already_in_maintenance_stay_in_it() {
    let service = Service::with_servers(&[("g1", 2, 0)]);
    service.servers.borrow_mut().get_mut("g1-00").unwrap().maintenance = true;
    let plan = plan_for(&service, r#"{"drain":true,"includeMaintained":true,"maxUnavailable":"100%"}"#);
    let (report, _) = run(&service, &plan);
    assert_eq!(report.counts.succeeded, 2);
    assert!(service.servers.borrow()["g1-00"].maintenance);
    assert!(!service.servers.borrow()["g1-01"].maintenance);
}

#[test]
fn an_abort_gives_a_complete_report_and_the_resume_finishes_without_duplicates() {
    let service = Service::with_servers(&[("g1", 40, 0)]);
    let plan = plan_for(&service, r#"{"batchSize":5,"concurrency":2}"#); // 10 per wave
    service.abort_after.set(Some(3));
    let (report, events) = run(&service, &plan);
    assert_eq!(report.status, RunStatus::Aborted);
    assert!(report.servers.iter().all(|s| s.outcome.is_final()), "a complete report");
    let sent = service.applied.borrow().len();
    // Wave 1 (10 servers) ran; the abort came as wave 2's first batch was accepted, so its
    // second batch was never sent, and the accepted jobs were still followed to the end.
    assert_eq!(sent, 15);
    assert_eq!(report.counts.succeeded, sent);
    assert!(events.iter().any(|e| matches!(e, Event::Aborted)));

    service.aborted.set(false);
    service.abort_after.set(None);
    let stored: Report = json::from_str(&json::to_string(&report).unwrap()).unwrap();
    let client = client(&service);
    let resumed = block_on(resume_rollout(&client, stored, fast(), Some(&()), Hooks { on_event: &|_| Ok(()), on_report: &|_| Ok(()) }));
    assert_eq!(resumed.status, RunStatus::Completed);
    assert_eq!(resumed.counts.succeeded, 40);
    assert_applied_once(&service);
    assert_eq!(service.applied.borrow().len(), 40);
}

#[test]
fn a_hook_that_fails_is_an_event_and_a_note_and_the_run_goes_on() {
    let service = Service::with_servers(&[("g1", 8, 0)]);
    let plan = plan_for(&service, r#"{"maxUnavailable":"50%"}"#);
    let events = RefCell::new(Vec::new());
    let on_event = |e: &Event| {
        events.borrow_mut().push(e.clone());
        Ok(())
    };
    let on_report = |_: &Report| Err("QuotaExceededError: the storage is full".to_string());
    let report = block_on(run_rollout(&client(&service), &plan, fast(), Some(&()), Hooks { on_event: &on_event, on_report: &on_report }));
    assert_eq!(report.counts.succeeded, 8);
    let failures: Vec<_> =
        events.borrow().iter().filter(|e| matches!(e, Event::HookFailed { hook: Hook::OnReport, .. })).cloned().collect();
    assert!(failures.len() > 1, "every failed save is told");
    assert!(matches!(&failures[0], Event::HookFailed { message, .. } if message == "QuotaExceededError: the storage is full"));
    let notes: Vec<_> = report.notes.iter().filter(|n| n.starts_with("onReport failed: QuotaExceededError")).collect();
    assert_eq!(notes.len(), 1, "noted once: {:?}", report.notes);
    assert_applied_once(&service);

    // A throwing onEvent: the run finishes, the report says so.
    let service = Service::with_servers(&[("g1", 4, 0)]);
    let plan = plan_for(&service, r#"{"maxUnavailable":"50%"}"#);
    let client = client(&service);
    let report =
        block_on(run_rollout(&client, &plan, fast(), Some(&()), Hooks { on_event: &|_| Err("boom".into()), on_report: &|_| Ok(()) }));
    assert_eq!(report.counts.succeeded, 4);
    assert!(report.notes.iter().any(|n| n.starts_with("onEvent failed: boom")), "{:?}", report.notes);
}

#[test]
fn a_resume_after_a_reload_follows_jobs_in_flight_and_never_resends_them() {
    let service = Service::with_servers(&[("g1", 8, 0)]);
    let plan = plan_for(&service, r#"{"maxUnavailable":"50%"}"#);
    // Keep the report as it was saved right after the first submission, as a page would.
    let saved = RefCell::new(None);
    let on_report = |r: &Report| {
        if saved.borrow().is_none() && r.counts.in_progress > 0 {
            *saved.borrow_mut() = Some(r.clone());
        }
        Ok(())
    };
    service.abort_after.set(Some(1));
    let client = client(&service);
    let _ = block_on(run_rollout(&client, &plan, fast(), Some(&()), Hooks { on_event: &|_| Ok(()), on_report: &on_report }));
    let snapshot = saved.into_inner().expect("a report was saved mid-run");
    assert_eq!(snapshot.counts.in_progress, 4);

    service.aborted.set(false);
    service.abort_after.set(None);
    let resumed = block_on(resume_rollout(&client, snapshot, fast(), Some(&()), Hooks { on_event: &|_| Ok(()), on_report: &|_| Ok(()) }));
    assert_eq!(resumed.counts.succeeded, 8);
    assert_applied_once(&service);
}

#[test]
fn unknown_servers_are_rechecked_before_a_resume_sends_anything() {
    let service = Service::with_servers(&[("g1", 2, 0)]);
    let plan = plan_for(&service, r#"{"maxUnavailable":"100%"}"#);
    let mut report = Report::new(&plan, 0);
    // g1-00 was applied by a job of this run whose answer never arrived; g1-01 never was.
    let job = service.apply(&["g1-00".to_string()]);
    report.job_ids.push(job.clone());
    for s in &mut report.servers {
        s.outcome = Outcome::Unknown;
        s.attempts = 1;
    }
    let client = client(&service);
    let resumed = block_on(resume_rollout(&client, report, fast(), Some(&()), Hooks { on_event: &|_| Ok(()), on_report: &|_| Ok(()) }));
    assert_eq!(resumed.counts.succeeded, 2);
    assert_eq!(resumed.server("g1-00").unwrap().job_id.as_deref(), Some(job.as_str()));
    assert_applied_once(&service);
}

// ------------------------------------------------------------------------------------------
// Crash safety of drains: the process dies at any call (or an abort comes), and a resume from
// the last report handed to onReport finishes the work without stranding a server in
// maintenance or rebooting one twice.

/// Nine servers in two groups, two of them in maintenance before the run, several with
/// sessions (one too many to drain in time). Waves of two per group, one server per batch:
/// several batches and marks run side by side.
fn drain_world() -> (Service, Plan) {
    drain_world_with(true)
}

/// `include_maintained`: the two servers in maintenance are planned (drained but never marked
/// nor lifted), or skipped (and then the resume's re-check must not take the run's own marks
/// for a reason to skip).
fn drain_world_with(include_maintained: bool) -> (Service, Plan) {
    let service = Service::with_servers(&[("g1", 6, 0), ("g2", 3, 0)]);
    {
        let mut servers = service.servers.borrow_mut();
        for (id, sessions) in [("g1-00", 3), ("g1-01", 2), ("g1-03", 40), ("g1-04", 1), ("g2-01", 2)] {
            servers.get_mut(id).unwrap().sessions = sessions;
        }
        for id in PRE_MAINTAINED {
            servers.get_mut(id).unwrap().maintenance = true;
        }
    }
    let options =
        format!(r#"{{"drain":true,"drainTimeoutMs":10000,"includeMaintained":{include_maintained},"maxUnavailable":2,"batchSize":1}}"#);
    let plan = plan_for(&service, &options);
    assert_eq!(plan.summary.planned, if include_maintained { 9 } else { 7 });
    service.check_write_ahead.set(true);
    (service, plan)
}

const PRE_MAINTAINED: [&str; 2] = ["g1-02", "g2-02"];

enum Start<'a> {
    Fresh(&'a Plan),
    Resume(Box<Report>),
}

/// Runs until the service crashes (or the run ends), keeping what onReport was handed last, as
/// a file would: the report is stored as JSON. Returns the run's own report if it ended.
fn run_keeping_reports(service: &Service, start: Start) -> Option<Report> {
    let client = client(service);
    let on_report = |r: &Report| {
        if !service.crashed.get() {
            let stored: Report = json::from_str(&json::to_string(r).unwrap()).unwrap();
            *service.saved.borrow_mut() = Some(stored);
        }
        Ok(())
    };
    let hooks = Hooks { on_event: &|_| Ok(()), on_report: &on_report };
    // Waiting costs no real time here, so one poll runs until the end or the crash.
    match start {
        Start::Fresh(plan) => run_rollout(&client, plan, fast(), Some(&()), hooks).now_or_never(),
        Start::Resume(report) => resume_rollout(&client, *report, fast(), Some(&()), hooks).now_or_never(),
    }
}

/// Crashes the run at the first call `crash` picks, and returns the last saved report.
fn crash(service: &Service, start: Start, applies: bool, crash: impl Fn(usize, &HttpRequest) -> bool + 'static) -> Option<Report> {
    *service.crash_when.borrow_mut() = Some(Box::new(crash));
    service.crash_applies.set(applies);
    let ended = run_keeping_reports(service, start);
    assert!(ended.is_none() && service.crashed.get(), "the crash point was never reached");
    *service.crash_when.borrow_mut() = None;
    service.crashed.set(false);
    service.saved.borrow_mut().take()
}

fn resume(service: &Service, report: Report) -> Report {
    run_keeping_reports(service, Start::Resume(Box::new(report))).expect("the resume ran to its end")
}

fn is_mark(request: &HttpRequest, on: bool) -> bool {
    request.url.ends_with("/batch-maint") && request.body.as_deref().is_some_and(|b| b.contains(&format!(r#""maintain_status":{on}"#)))
}

fn is_update(request: &HttpRequest) -> bool {
    request.url.ends_with("/batch-update-tsvi")
}

/// What must hold once a drained run is over, however often it was interrupted: every server
/// updated exactly once, none left in maintenance by the run, the ones in maintenance before
/// still in it and never lifted, and the report saying so.
fn assert_drained_run_is_whole(service: &Service, report: &Report, context: &str) {
    assert_eq!(report.status, RunStatus::Completed, "{context}");
    assert!(report.servers.iter().all(|s| s.outcome.is_final()), "{context}: {:?}", outcomes(report));
    let planned = report.plan.summary.planned;
    assert_eq!(report.counts.succeeded, planned, "{context}: {:?}", report.servers);
    let applied = service.applied.borrow();
    assert_eq!(applied.iter().collect::<BTreeSet<_>>().len(), applied.len(), "{context}: applied twice: {applied:?}");
    assert_eq!(applied.len(), planned, "{context}");
    for (id, s) in service.servers.borrow().iter() {
        assert_eq!(s.maintenance, PRE_MAINTAINED.contains(&id.as_str()), "{context}: {id} maintenance");
    }
    for (ids, on) in service.maint_calls.borrow().iter() {
        assert!(ids.iter().all(|id| !PRE_MAINTAINED.contains(&id.as_str())), "{context}: a mark the run did not set was touched ({on})");
    }
    for s in &report.servers {
        let drain = s.drain.clone().unwrap_or_default();
        let before = PRE_MAINTAINED.contains(&s.id.as_str());
        if before && s.outcome == Outcome::Skipped {
            assert_eq!((word(&s.reason).as_deref(), &s.drain), (Some("maintenance"), &None), "{context}");
            continue;
        }
        assert_eq!((drain.already_in_maintenance, drain.marked_by_run), (before, !before), "{context}: {}", s.id);
        assert!(!s.holds_run_mark(), "{context}: {} still holds the run's mark", s.id);
        assert_eq!(drain.lifted_at.is_some(), !before, "{context}: {}", s.id);
    }
    assert!(!report.notes.iter().any(|n| n.contains("LEFT IN MAINTENANCE")), "{context}: {:?}", report.notes);
    let busy: Vec<String> = service.rebooted_busy.borrow().iter().filter(|id| *id != "g1-03").cloned().collect();
    assert!(busy.is_empty(), "{context}: rebooted with sessions: {busy:?}");
}

#[test]
fn an_uninterrupted_drain_records_marks_before_setting_them_and_lifts() {
    let (service, plan) = drain_world();
    let report = run_keeping_reports(&service, Start::Fresh(&plan)).unwrap();
    assert_drained_run_is_whole(&service, &report, "no crash");
    let mark = report.server("g1-00").unwrap().drain.clone().unwrap();
    assert!(mark.marked_at.unwrap() <= mark.lifted_at.unwrap());
    assert!(report.server("g1-03").unwrap().drain.clone().unwrap().deadline_passed);
}

#[test]
fn a_crash_before_the_mark_call_is_sent_resumes_the_drain() {
    let (service, plan) = drain_world();
    let saved = crash(&service, Start::Fresh(&plan), false, |_, r| is_mark(r, true)).unwrap();
    // The write-ahead entry is there, though the service never saw the mark.
    // The first wave: the idle servers, two per group, one of each already in maintenance.
    let marked: Vec<&str> = saved.servers.iter().filter(|s| s.holds_run_mark()).map(|s| s.id.as_str()).collect();
    assert_eq!(marked, ["g1-05", "g2-00"]);
    assert_eq!(service.servers.borrow().values().filter(|s| s.maintenance).count(), 2, "only the servers in maintenance before");
    let report = resume(&service, saved);
    assert_drained_run_is_whole(&service, &report, "crash before the mark");
}

#[test]
fn a_crash_while_waiting_for_sessions_resumes_the_drain_instead_of_skipping_its_own_marks() {
    let (service, plan) = drain_world();
    // The first read of the wait after g1-01 (2 sessions) was marked: sessions are draining.
    let marked = std::rc::Rc::new(Cell::new(false));
    let seen = marked.clone();
    let saved = crash(&service, Start::Fresh(&plan), true, move |_, r| {
        if is_mark(r, true) && r.body.as_deref().unwrap_or("").contains("g1-01") {
            seen.set(true);
        }
        seen.get() && r.method == "GET" && r.url.ends_with("/app-servers/g1-01")
    })
    .unwrap();
    assert!(marked.get());
    assert!(service.servers.borrow()["g1-01"].maintenance && service.servers.borrow()["g1-01"].sessions > 0, "crashed mid-drain");
    let mark = saved.server("g1-01").unwrap().drain.clone().unwrap();
    assert!(mark.marked_by_run && mark.marked_at.is_some() && mark.lifted_at.is_none());
    let report = resume(&service, saved);
    // The defect: the resume took the run's own mark for a change and skipped the servers as
    // `maintenance`, leaving them in it.
    let g101 = report.server("g1-01").unwrap();
    assert_eq!((g101.outcome, word(&g101.reason).as_deref()), (Outcome::Succeeded, None));
    assert_eq!(g101.drain.clone().unwrap().sessions_at_reboot, 0, "the resumed drain waited for its sessions");
    assert!(!report.notes.iter().any(|n| n.contains("maintenance false -> true")), "{:?}", report.notes);
    assert_drained_run_is_whole(&service, &report, "crash while draining");
}

#[test]
fn a_crash_after_the_update_was_sent_but_before_its_job_was_recorded_follows_that_job() {
    let (service, plan) = drain_world();
    let saved = crash(&service, Start::Fresh(&plan), true, |_, r| is_update(r)).unwrap();
    assert_eq!(service.applied.borrow().len(), 1, "the service applied the batch");
    let sent = saved.servers.iter().find(|s| s.attempts == 1).unwrap().clone();
    assert_eq!((sent.outcome, sent.job_id.as_deref()), (Outcome::Pending, None), "the answer was never recorded");
    let report = resume(&service, saved);
    assert_eq!(report.server(&sent.id).unwrap().attempts, 1, "not sent again");
    assert!(report.job_ids.contains(report.server(&sent.id).unwrap().job_id.as_ref().unwrap()));
    assert_drained_run_is_whole(&service, &report, "crash after the update was sent");
}

#[test]
fn a_crash_after_an_unapplied_update_sends_it_once_on_resume() {
    let (service, plan) = drain_world();
    let saved = crash(&service, Start::Fresh(&plan), false, |_, r| is_update(r)).unwrap();
    assert!(service.applied.borrow().is_empty());
    let report = resume(&service, saved);
    assert_drained_run_is_whole(&service, &report, "crash as the update left");
}

#[test]
fn a_crash_while_lifting_is_finished_by_the_resume() {
    for applies in [false, true] {
        let (service, plan) = drain_world();
        let saved = crash(&service, Start::Fresh(&plan), applies, |_, r| is_mark(r, false)).unwrap();
        assert!(saved.servers.iter().any(|s| s.holds_run_mark() && s.outcome == Outcome::Succeeded));
        let report = resume(&service, saved);
        assert_drained_run_is_whole(&service, &report, &format!("crash while lifting (applied: {applies})"));
    }
}

#[test]
fn a_lift_that_fails_is_reported_and_a_resume_of_the_finished_report_lifts_it() {
    let (service, plan) = drain_world();
    service.refuse_lifts.set(usize::MAX); // every lift, and the end-of-run sweep
    let report = run_keeping_reports(&service, Start::Fresh(&plan)).unwrap();
    assert_eq!((report.status, report.counts.succeeded), (RunStatus::Completed, 9));
    let stranded: Vec<&str> = report.servers.iter().filter(|s| s.holds_run_mark()).map(|s| s.id.as_str()).collect();
    assert_eq!(stranded.len(), 7);
    assert!(stranded.iter().all(|id| service.servers.borrow()[*id].maintenance));
    let note = report.notes.iter().find(|n| n.starts_with("LEFT IN MAINTENANCE")).expect("a note names them");
    assert!(stranded.iter().all(|id| note.contains(id)), "{note}");
    service.refuse_lifts.set(0);
    let report = resume(&service, report);
    assert_drained_run_is_whole(&service, &report, "lift refused, then resumed");
}

#[test]
fn a_crash_at_any_call_of_a_drained_run_and_then_of_its_resume_strands_nothing() {
    crash_everywhere(true, true);
}

#[test]
fn a_crash_at_any_call_of_a_drained_run_never_skips_its_own_marks_as_maintenance() {
    crash_everywhere(false, false);
}

/// Crashes the run at each of its calls, before and after the service handled it, resumes,
/// and checks the whole; with `twice`, also crashes some of those resumes at their calls.
fn crash_everywhere(include_maintained: bool, twice: bool) {
    let drain_world = || drain_world_with(include_maintained);
    let total = {
        let (service, plan) = drain_world();
        run_keeping_reports(&service, Start::Fresh(&plan)).unwrap();
        service.calls.get()
    };
    assert!(total > 30, "{total} calls");
    let mut crashes = 0;
    for at in 1..=total {
        for applies in [false, true] {
            let (service, plan) = drain_world();
            let context = format!("crash at call {at} of {total} (applied: {applies})");
            let Some(saved) = crash(&service, Start::Fresh(&plan), applies, move |n, _| n == at) else {
                // Nothing saved yet: nothing may have changed either.
                assert!(service.applied.borrow().is_empty() && service.maint_calls.borrow().is_empty(), "{context}");
                continue;
            };
            // The resume dies too, at each of its calls in turn, and is resumed again.
            let resumed_calls = {
                let before = service.calls.get();
                let report = resume(&service, saved.clone());
                assert_drained_run_is_whole(&service, &report, &context);
                service.calls.get() - before
            };
            crashes += 1;
            // Every eighth first crash, at every fifth call of its resume: enough to cross each
            // stage twice, quick enough for every run of the suite.
            if !twice || at % 8 != 0 {
                continue;
            }
            for again in (1..=resumed_calls).step_by(5) {
                for applies_again in [false, true] {
                    let (service, plan) = drain_world();
                    let saved = crash(&service, Start::Fresh(&plan), applies, move |n, _| n == at).unwrap();
                    let base = service.calls.get();
                    let context = format!("{context}, then at call {again} of its resume (applied: {applies_again})");
                    let saved = crash(&service, Start::Resume(Box::new(saved.clone())), applies_again, move |n, _| n == base + again)
                        .unwrap_or(saved);
                    let report = resume(&service, saved);
                    assert_drained_run_is_whole(&service, &report, &context);
                }
            }
        }
    }
    assert!(crashes > 40, "{crashes}");
}

#[test]
fn an_abort_at_any_call_of_a_drained_run_lifts_its_marks_and_the_resume_finishes() {
    let total = {
        let (service, plan) = drain_world();
        run_keeping_reports(&service, Start::Fresh(&plan)).unwrap();
        service.calls.get()
    };
    for at in 1..=total {
        let (service, plan) = drain_world();
        service.abort_at_call.set(Some(at));
        let report = run_keeping_reports(&service, Start::Fresh(&plan)).unwrap();
        let context = format!("abort after call {at}");
        assert!(report.servers.iter().all(|s| s.outcome.is_final() && !s.holds_run_mark()), "{context}");
        for (id, s) in service.servers.borrow().iter() {
            assert_eq!(s.maintenance, PRE_MAINTAINED.contains(&id.as_str()), "{context}: {id}");
        }
        service.abort_at_call.set(None);
        service.aborted.set(false);
        let resumed = resume(&service, report);
        assert_drained_run_is_whole(&service, &resumed, &context);
    }
}

#[test]
fn a_mark_whose_answer_is_lost_is_still_lifted() {
    let (service, plan) = drain_world();
    service.marks_then_500.set(true); // applied every time, never confirmed
    let report = run_keeping_reports(&service, Start::Fresh(&plan)).unwrap();
    assert!(report.notes.iter().any(|n| n.starts_with("could not put")), "{:?}", report.notes);
    assert!(report.servers.iter().filter(|s| s.drain.as_ref().is_some_and(|d| d.marked_by_run)).all(|s| s
        .drain
        .clone()
        .unwrap()
        .marked_at
        .is_none()));
    assert_drained_run_is_whole(&service, &report, "marks answered 500");
}
