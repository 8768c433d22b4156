//! The rollout engine's exports, only in builds with the `rollout` feature (the main entry;
//! the lean `workspace-tsvi/client` leaves them out): `planRollout`, `runRollout` and
//! `resumeRollout` on the `Client` class, and the free functions `reportToCsv` and `blockReason`.

use super::client::{Core, JsClient};
use super::convert::*;
use crate::error::Error;
use crate::rollout::plan::{parse_options, skip_reason, Plan, ServerState, SkipReason};
use crate::rollout::report::Report;
use crate::rollout::run::{resume_rollout, run_rollout, Event, Hooks, RunOptions};
use crate::rollout::{plan_with_groups, retry::Backoff};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

/// What runRollout and resumeRollout take besides the plan or report.
struct RunSetup {
    options: RunOptions,
    signal: Option<AbortSignal>,
    on_event: Option<Function>,
    on_report: Option<Function>,
}

fn run_setup(options: &JsValue) -> Result<RunSetup, JsValue> {
    let mut run = RunOptions::default();
    if let Some(ms) = number_option(options, "pollIntervalMs", 10.0, 600_000.0)? {
        run.poll_interval_ms = ms as u32;
    }
    if let Some(ms) = number_option(options, "jobTimeoutMs", 1000.0, 86_400_000.0)? {
        run.job_timeout_ms = ms as u32;
    }
    if let Some(seed) = number_option(options, "seed", 0.0, 9_007_199_254_740_991.0)? {
        run.seed = seed as u64;
    }
    run.backoff = Backoff { base_ms: run.poll_interval_ms.min(1000), ..Backoff::default() };
    Ok(RunSetup {
        options: run,
        signal: signal_of(options)?,
        on_event: callback(options, "onEvent")?,
        on_report: callback(options, "onReport")?,
    })
}

/// Where a run starts from.
enum Start {
    Fresh(Plan),
    Resume(Report),
}

async fn run_with(client: Core, setup: RunSetup, start: Start) -> Result<JsValue, Error> {
    // What a hook throws goes to the engine, which records it and goes on.
    let on_event = |event: &Event| match &setup.on_event {
        Some(f) => f.call1(&JsValue::NULL, &to_js(event)).map(drop).map_err(|thrown| thrown_message(&thrown)),
        None => Ok(()),
    };
    let on_report = |report: &Report| match &setup.on_report {
        Some(f) => f.call1(&JsValue::NULL, &to_js(report)).map(drop).map_err(|thrown| thrown_message(&thrown)),
        None => Ok(()),
    };
    let hooks = Hooks { on_event: &on_event, on_report: &on_report };
    let report = match start {
        Start::Fresh(plan) => run_rollout(&client, &plan, setup.options, setup.signal.as_ref(), hooks).await,
        Start::Resume(report) => resume_rollout(&client, report, setup.options, setup.signal.as_ref(), hooks).await,
    };
    Ok(to_js(&report))
}

#[wasm_bindgen(js_class = Client)]
impl JsClient {
    /// Plans a rollout of `servers` (as listed by listServers/listAllServers) in waves that keep
    /// each group within `maxUnavailable`, reading each group's `ip_virtual`. Sends nothing
    /// that changes anything: the plan is what runRollout will do.
    #[wasm_bindgen(js_name = planRollout, unchecked_return_type = "Promise<Plan>")]
    pub fn plan_rollout(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AppServer[]")] servers: JsValue,
        options: Option<RolloutOptionsArg>,
    ) -> Promise {
        self.spawn(|client| {
            let servers: Vec<ServerState> =
                read_typed(servers, "/servers", "servers.invalid", "servers must be an array of server objects, each with an id")?;
            let options =
                parse_options(optional_value(arg(options), "")?.as_ref()).map_err(|issues| js_error(Error::Validation(issues)))?;
            Ok(async move { Ok(to_js(&plan_with_groups(&client, &servers, &options).await?)) })
        })
    }

    /// Runs a plan: each wave's batches sent together, each job followed to the end before the
    /// next wave. Resolves to the report; never rejects once started (failures are in it).
    #[wasm_bindgen(js_name = runRollout, unchecked_return_type = "Promise<Report>")]
    pub fn run_rollout(&self, #[wasm_bindgen(unchecked_param_type = "Plan")] plan: JsValue, options: Option<RunOptionsArg>) -> Promise {
        self.spawn(|client| {
            let plan: Plan = read_typed(plan, "/plan", "plan.invalid", "not a plan made by planRollout")?;
            Ok(run_with(client, run_setup(&arg(options))?, Start::Fresh(plan)))
        })
    }

    /// Continues an interrupted run from its report: follows what was sent, re-checks what is
    /// unknown, and sends what never was. Never sends a server that has a job from this run.
    #[wasm_bindgen(js_name = resumeRollout, unchecked_return_type = "Promise<Report>")]
    pub fn resume_rollout(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue,
        options: Option<RunOptionsArg>,
    ) -> Promise {
        self.spawn(|client| {
            let report: Report = read_typed(report, "/report", "report.invalid", "not a rollout report")?;
            Ok(run_with(client, run_setup(&arg(options))?, Start::Resume(report)))
        })
    }
}

/// The report as CSV, one line per server, formulas defused for spreadsheets.
#[wasm_bindgen(js_name = reportToCsv)]
pub fn report_to_csv(#[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue) -> Result<String, JsValue> {
    let report: Report = read_typed(report, "", "report.invalid", "not a rollout report")?;
    Ok(report.to_csv())
}

/// Why `server` cannot be updated now under `options`: the planner's own rule (the one
/// planRollout skips by), as `{ reason, detail }`, or `null` when it can be.
#[wasm_bindgen(js_name = blockReason, unchecked_return_type = "BlockReason | null")]
pub fn block_reason_js(
    #[wasm_bindgen(unchecked_param_type = "AppServer")] server: JsValue,
    options: Option<RolloutOptionsArg>,
) -> Result<JsValue, JsValue> {
    let server: ServerState = read_typed(server, "/server", "server.invalid", "server must be a server object with an id")?;
    let options = parse_options(optional_value(arg(options), "")?.as_ref()).map_err(|issues| js_error(Error::Validation(issues)))?;
    #[derive(serde::Serialize)]
    struct BlockReason {
        reason: SkipReason,
        detail: String,
    }
    Ok(match skip_reason(&server, &options) {
        None => JsValue::NULL,
        Some((reason, detail)) => to_js(&BlockReason { reason, detail }),
    })
}
