//! Planning a rollout: which servers to update, which to leave alone and why, and in what
//! waves, so that no server group loses more than `maxUnavailable` servers at once.
//!
//! The plan is data: the run executes exactly the plan it is given, so a dry run shows what
//! will happen. Planning is pure; reading the servers and groups is the caller's job.

use crate::json::Value;
use crate::model::{deserialize_fields, AppServer, IpVirtual, JobStatus, JobType, ServerGroup, ServerStatus, TaskStatus, VmStatus};
use crate::order::SortedMap;
use crate::validate::{check_unknown_fields, Issue, MAX_BATCH_ITEMS};
use serde::{Deserialize, Serialize};

/// What the planner needs of a server; read from ListServers items (other fields ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServerState {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ServerStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_status: Option<VmStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_status: Option<TaskStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintain_status: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_type: Option<JobType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_status: Option<JobStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_time: Option<String>,
}

deserialize_fields!(ServerState {
    id: req,
    name: opt,
    server_group_id: opt,
    status: opt,
    vm_status: opt,
    task_status: opt,
    maintain_status: opt,
    session_count: opt,
    job_id: opt,
    job_type: opt,
    job_status: opt,
    job_time: opt,
});

impl From<&AppServer> for ServerState {
    fn from(s: &AppServer) -> Self {
        ServerState {
            id: s.id.clone().unwrap_or_default(),
            name: s.name.clone(),
            server_group_id: s.server_group_id.clone(),
            status: s.status.clone(),
            vm_status: s.vm_status.clone(),
            task_status: s.task_status.clone(),
            maintain_status: s.maintain_status,
            session_count: s.session_count,
            job_id: s.job_id.clone(),
            job_type: s.job_type.clone(),
            job_status: s.job_status.clone(),
            job_time: s.job_time.clone(),
        }
    }
}

impl crate::model::ServerRecord for ServerState {
    fn server_id(&self) -> Option<String> {
        Some(self.id.clone())
    }
}

impl ServerState {
    pub fn sessions(&self) -> u32 {
        self.session_count.unwrap_or(0)
    }

    pub fn in_maintenance(&self) -> bool {
        self.maintain_status == Some(true)
    }

    /// Whether the server is busy with a job or a task now. Tasks that only record how the
    /// last one ended are not busy; task values this crate does not know are.
    pub fn has_running_job(&self) -> bool {
        if matches!(self.job_status, Some(JobStatus::Waiting | JobStatus::Running)) {
            return true;
        }
        match &self.task_status {
            None => false,
            Some(TaskStatus::Unknown(task)) => !task.is_empty(),
            Some(task) => !matches!(
                task,
                TaskStatus::Null
                    | TaskStatus::UpdatingTsviFailed
                    | TaskStatus::RebuildFail
                    | TaskStatus::DeleteFailed
                    | TaskStatus::MigrateFailed
                    | TaskStatus::InstallAppFailed
                    | TaskStatus::UpgradAccessAgentFail
                    | TaskStatus::UpgradAccessAgentSuccess
            ),
        }
    }

    /// Why the server cannot be rebooted in its current state, if it cannot.
    pub fn state_problem(&self) -> Option<String> {
        if matches!(self.status, Some(ServerStatus::Freeze)) {
            return Some("the server is frozen".into());
        }
        match &self.vm_status {
            // A SHUTOFF server takes the change without a reboot, and has no users.
            Some(VmStatus::Active | VmStatus::Shutoff) => None,
            Some(other) => Some(format!("vm_status {} cannot be rebooted now", other.as_str())),
            None => Some("vm_status is unknown".into()),
        }
    }
}

/// What the planner needs of a server group; reads a ShowServerGroup answer as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupState {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `None` when the group has no `ip_virtual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_virtual: Option<IpVirtual>,
    /// The group's size, for percentages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_server_count: Option<u32>,
}

deserialize_fields!(GroupState { id: req, name: opt, ip_virtual: opt, app_server_count: opt });

impl From<&ServerGroup> for GroupState {
    fn from(g: &ServerGroup) -> Self {
        GroupState {
            id: g.id.clone().unwrap_or_default(),
            name: g.name.clone(),
            ip_virtual: g.ip_virtual,
            app_server_count: g.app_server_count,
        }
    }
}

/// A count, or a percentage of a whole.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    Count(u32),
    Percent(f64),
}

impl Limit {
    /// The limit for a whole of `total`: at least 1, so a small group still progresses.
    pub fn of(self, total: u32) -> u32 {
        match self {
            Limit::Count(n) => n.max(1),
            Limit::Percent(p) => ((total as f64 * p / 100.0).floor() as u32).max(1),
        }
    }

    fn parse(value: &Value, path: &str, issues: &mut Vec<Issue>) -> Option<Limit> {
        let bad = || Issue::new(path, "limit.invalid", "must be a whole number of servers or a percentage such as \"25%\"");
        match value {
            Value::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n <= 1e6 => Some(Limit::Count(*n as u32)),
            Value::String(s) => match s.strip_suffix('%').and_then(|p| crate::pacing::decimal(p.trim())) {
                Some(p) if p > 0.0 && p <= 100.0 => Some(Limit::Percent(p)),
                _ => {
                    issues.push(bad());
                    None
                }
            },
            _ => {
                issues.push(bad());
                None
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutOptions {
    pub batch_size: usize,
    /// Batches submitted together in one wave.
    pub concurrency: usize,
    pub max_unavailable: Limit,
    /// Update servers that have sessions (their users are disconnected).
    pub include_busy: bool,
    /// Update servers that are already in maintenance mode (they stay in it).
    pub include_maintained: bool,
    /// Put each wave in maintenance and wait for its sessions to end before rebooting it.
    pub drain: bool,
    pub drain_timeout_ms: u32,
    /// Stop starting waves once more servers than this have failed.
    pub halt_after_failures: Option<Limit>,
    /// Forces `enable`; by default each group's `ip_virtual.enable` is sent.
    pub enable: Option<bool>,
}

deserialize_fields!(RolloutOptions {
    batch_size: req,
    concurrency: req,
    max_unavailable: req(Limit::Count(0)),
    include_busy: req,
    include_maintained: req,
    drain: req,
    drain_timeout_ms: req,
    halt_after_failures: option,
    enable: option,
});

impl Default for RolloutOptions {
    fn default() -> Self {
        RolloutOptions {
            batch_size: MAX_BATCH_ITEMS,
            concurrency: 4,
            max_unavailable: Limit::Percent(25.0),
            include_busy: false,
            include_maintained: false,
            drain: false,
            drain_timeout_ms: 600_000,
            halt_after_failures: None,
            enable: None,
        }
    }
}

const OPTION_NAMES: &[&str] = &[
    "batchSize",
    "concurrency",
    "maxUnavailable",
    "includeBusy",
    "includeMaintained",
    "drain",
    "drainTimeoutMs",
    "haltAfterFailures",
    "enable",
];

// Bounds are integers so the message formats no float (float formatting costs the wasm ~20 KB).
fn whole(value: &Value, path: &str, min: u32, max: u32, issues: &mut Vec<Issue>) -> Option<f64> {
    match value {
        Value::Number(n) if n.fract() == 0.0 && *n >= f64::from(min) && *n <= f64::from(max) => Some(*n),
        _ => {
            issues.push(Issue::new(path, "option.out_of_range", format!("must be a whole number from {min} to {max}")));
            None
        }
    }
}

fn flag(value: &Value, path: &str, issues: &mut Vec<Issue>) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        _ => {
            issues.push(Issue::new(path, "option.not_boolean", "must be true or false"));
            None
        }
    }
}

/// Reads rollout options (camelCase, as JS gives them), listing every problem.
pub fn parse_options(value: Option<&Value>) -> Result<RolloutOptions, Vec<Issue>> {
    let mut options = RolloutOptions::default();
    let mut issues = Vec::new();
    let fields = match value {
        None | Some(Value::Null) => return Ok(options),
        Some(Value::Object(fields)) => fields,
        Some(_) => return Err(vec![Issue::new("", "options.not_object", "options must be an object")]),
    };
    check_unknown_fields(fields, OPTION_NAMES, "", "options.unknown_field", &mut issues);
    for (key, value) in fields {
        if *value == Value::Null {
            continue;
        }
        let path = format!("/{key}");
        let issues = &mut issues;
        match key.as_str() {
            "batchSize" => {
                if let Some(n) = whole(value, &path, 1, MAX_BATCH_ITEMS as u32, issues) {
                    options.batch_size = n as usize;
                }
            }
            "concurrency" => {
                if let Some(n) = whole(value, &path, 1, 50, issues) {
                    options.concurrency = n as usize;
                }
            }
            "drainTimeoutMs" => {
                if let Some(n) = whole(value, &path, 0, 86_400_000, issues) {
                    options.drain_timeout_ms = n as u32;
                }
            }
            "maxUnavailable" => {
                if let Some(limit) = Limit::parse(value, &path, issues) {
                    options.max_unavailable = limit;
                }
            }
            "haltAfterFailures" => {
                // 0 is allowed here: halt at the first failure.
                options.halt_after_failures = match value {
                    Value::Number(n) if *n == 0.0 => Some(Limit::Count(0)),
                    other => Limit::parse(other, &path, issues),
                };
            }
            "includeBusy" => options.include_busy = flag(value, &path, issues).unwrap_or(false),
            "includeMaintained" => options.include_maintained = flag(value, &path, issues).unwrap_or(false),
            "drain" => options.drain = flag(value, &path, issues).unwrap_or(false),
            "enable" => options.enable = flag(value, &path, issues),
            _ => {}
        }
    }
    if issues.is_empty() {
        Ok(options)
    } else {
        Err(issues)
    }
}

/// Why a selected server is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Listed twice in the selection.
    Duplicate,
    /// A job or task is already running on it.
    JobRunning,
    /// Already in maintenance mode, and `includeMaintained` is off.
    Maintenance,
    /// Its state does not allow a reboot (not ACTIVE, frozen, ...).
    State,
    /// It has sessions, and neither `includeBusy` nor `drain` is on.
    Busy,
    /// Not found when the run read the servers again.
    NotFound,
    /// The run stopped starting waves (`haltAfterFailures`) before its turn.
    Halted,
    /// The caller aborted the run before its turn.
    Aborted,
    /// Its state changed since the plan in a way that makes the plan wrong for it (another
    /// group, a new job, maintenance).
    Changed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub reason: SkipReason,
    pub detail: String,
}

deserialize_fields!(Skipped { id: req, name: opt, reason: req(SkipReason::Duplicate), detail: req });

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_group_id: Option<String>,
}

deserialize_fields!(Warning { code: req, message: req, server_group_id: opt });

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wave {
    pub index: usize,
    /// Each batch is one batch-update-tsvi call of at most 20 servers.
    pub batches: Vec<Vec<String>>,
}

deserialize_fields!(Wave { index: req, batches: req });

impl Wave {
    pub fn server_ids(&self) -> impl Iterator<Item = &String> {
        self.batches.iter().flatten()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    pub selected: usize,
    pub planned: usize,
    pub skipped: usize,
    /// Planned servers whose users will be disconnected.
    pub with_sessions: usize,
    pub sessions: u64,
    pub waves: usize,
    pub batches: usize,
}

deserialize_fields!(PlanSummary { selected: req, planned: req, skipped: req, with_sessions: req, sessions: req, waves: req, batches: req });

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    pub options: RolloutOptions,
    /// The `enable` each group's servers are sent.
    pub enable_by_group: SortedMap<bool>,
    /// How many servers of each group may reboot at once.
    pub max_unavailable_by_group: SortedMap<u32>,
    pub waves: Vec<Wave>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<Warning>,
    /// The state each selected server was planned from, so the run can tell what changed.
    pub snapshot: Vec<ServerState>,
    pub summary: PlanSummary,
    #[serde(skip)]
    pub snapshot_index: super::IdIndex,
}

deserialize_fields!(Plan {
    options: req, enable_by_group: req, max_unavailable_by_group: req, waves: req, skipped: req, warnings: req, snapshot: req, summary: req,
} skipped { snapshot_index });

impl Plan {
    pub fn planned_ids(&self) -> impl Iterator<Item = &String> {
        self.waves.iter().flat_map(Wave::server_ids)
    }

    pub fn snapshot_of(&self, id: &str) -> Option<&ServerState> {
        let i = self.snapshot_index.position(&self.snapshot, |s| &s.id, id)?;
        self.snapshot.get(i)
    }

    /// The `enable` to send for a server.
    pub fn enable_for(&self, server: &ServerState) -> bool {
        let group = server.server_group_id.as_deref().unwrap_or("");
        self.enable_by_group.get(group).copied().unwrap_or(false)
    }
}

/// Why a server must be left out now, given the options; `None` if it may be updated.
pub fn skip_reason(server: &ServerState, options: &RolloutOptions) -> Option<(SkipReason, String)> {
    if server.has_running_job() {
        let what = match (&server.job_status, &server.task_status) {
            (Some(job @ (JobStatus::Waiting | JobStatus::Running)), _) => {
                format!("job {} is {}", server.job_id.as_deref().unwrap_or("?"), job.as_str())
            }
            (_, Some(task)) => format!("task {} is in progress", task.as_str()),
            _ => "a job is running".into(),
        };
        return Some((SkipReason::JobRunning, what));
    }
    if server.in_maintenance() && !options.include_maintained {
        return Some((SkipReason::Maintenance, "already in maintenance mode".into()));
    }
    if let Some(problem) = server.state_problem() {
        return Some((SkipReason::State, problem));
    }
    if server.sessions() > 0 && !options.include_busy && !options.drain {
        return Some((SkipReason::Busy, format!("{} active sessions", server.sessions())));
    }
    None
}

/// Plans a rollout of `servers` (the selection, in the order the user chose) given the
/// groups they belong to.
pub fn plan_rollout(servers: &[ServerState], groups: &[GroupState], options: &RolloutOptions) -> Plan {
    let mut warnings = Vec::new();
    let mut skipped = Vec::new();
    // Owned ids: the one set type of the engine (a set of `&str` would be another in the wasm).
    let mut seen: crate::hash::HashSet<String> = crate::hash::HashSet::default();
    let mut eligible: Vec<&ServerState> = Vec::new();
    let mut snapshot = Vec::new();
    for server in servers {
        if !seen.insert(server.id.clone()) {
            skipped.push(Skipped {
                id: server.id.clone(),
                name: server.name.clone(),
                reason: SkipReason::Duplicate,
                detail: "listed more than once".into(),
            });
            continue;
        }
        snapshot.push(server.clone());
        match skip_reason(server, options) {
            Some((reason, detail)) => skipped.push(Skipped { id: server.id.clone(), name: server.name.clone(), reason, detail }),
            None => eligible.push(server),
        }
    }

    // Group settings: what to send, and how many may be down at once.
    let mut enable_by_group = SortedMap::default();
    let mut max_unavailable_by_group = SortedMap::default();
    let mut group_ids: Vec<&str> = eligible.iter().map(|s| s.server_group_id.as_deref().unwrap_or("")).collect();
    crate::order::sort_dedup(&mut group_ids);
    for group_id in group_ids {
        let group = groups.iter().find(|g| g.id == group_id);
        let group_enable = group.and_then(|g| g.ip_virtual).map(|v| v.enable);
        if group.is_none() || group_enable.is_none() {
            warnings.push(Warning {
                code: "group.ip_virtual_unknown".into(),
                message: format!(
                    "group {} has no ip_virtual setting; its servers get the virtual IP switched off",
                    display_group(group_id)
                ),
                server_group_id: Some(group_id.to_owned()),
            });
        }
        let group_enable = group_enable.unwrap_or(false);
        let enable = options.enable.unwrap_or(group_enable);
        if enable != group_enable {
            warnings.push(Warning {
                code: "enable.differs_from_group".into(),
                message: format!(
                    "enable={enable} differs from group {}'s ip_virtual ({group_enable}); the service applies the group's setting",
                    display_group(group_id)
                ),
                server_group_id: Some(group_id.to_owned()),
            });
        }
        enable_by_group.insert(group_id.to_owned(), enable);
        let size = group
            .and_then(|g| g.app_server_count)
            .unwrap_or_else(|| servers.iter().filter(|s| s.server_group_id.as_deref().unwrap_or("") == group_id).count() as u32);
        max_unavailable_by_group.insert(group_id.to_owned(), options.max_unavailable.of(size));
    }
    if eligible.iter().any(|s| s.server_group_id.is_none()) {
        warnings.push(Warning {
            code: "server.no_group".into(),
            message: "some servers report no server group; they are limited together as one group".into(),
            server_group_id: None,
        });
    }

    // Idle servers first, the busiest last; otherwise the user's order.
    crate::order::sort_by(&mut eligible, |a, b| a.sessions().cmp(&b.sessions()));
    let waves = build_waves(&eligible, &max_unavailable_by_group, options);

    let planned: Vec<&&ServerState> = eligible.iter().collect();
    let summary = PlanSummary {
        selected: servers.len(),
        planned: planned.len(),
        skipped: skipped.len(),
        with_sessions: planned.iter().filter(|s| s.sessions() > 0).count(),
        sessions: planned.iter().map(|s| s.sessions() as u64).sum(),
        waves: waves.len(),
        batches: waves.iter().map(|w| w.batches.len()).sum(),
    };
    if options.include_busy && summary.with_sessions > 0 && !options.drain {
        warnings.push(Warning {
            code: "users.disconnected".into(),
            message: format!(
                "{} servers have {} active sessions in all; their users will be disconnected",
                summary.with_sessions, summary.sessions
            ),
            server_group_id: None,
        });
    }
    Plan {
        options: options.clone(),
        enable_by_group,
        max_unavailable_by_group,
        waves,
        skipped,
        warnings,
        snapshot,
        summary,
        snapshot_index: Default::default(),
    }
}

fn display_group(id: &str) -> &str {
    if id.is_empty() {
        "(none)"
    } else {
        id
    }
}

/// Fills waves greedily in order: a server joins the current wave while its group has room
/// under its limit and the wave has room for `concurrency` batches.
fn build_waves(servers: &[&ServerState], caps: &SortedMap<u32>, options: &RolloutOptions) -> Vec<Wave> {
    let wave_capacity = options.batch_size * options.concurrency;
    let mut remaining: Vec<&ServerState> = servers.to_vec();
    let mut waves = Vec::new();
    while !remaining.is_empty() {
        let mut room = caps.clone();
        let mut members = Vec::new();
        let mut rest = Vec::new();
        for server in remaining {
            let group = server.server_group_id.as_deref().unwrap_or("");
            match room.get_mut(group) {
                Some(left) if *left > 0 && members.len() < wave_capacity => {
                    *left -= 1;
                    members.push(server.id.clone());
                }
                _ => rest.push(server),
            }
        }
        if members.is_empty() {
            break; // Unreachable: every eligible server's group has a limit of at least 1.
        }
        let batches = members.chunks(options.batch_size).map(<[String]>::to_vec).collect();
        waves.push(Wave { index: waves.len(), batches });
        remaining = rest;
    }
    waves
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn server(id: &str, group: &str, sessions: u32) -> ServerState {
        ServerState {
            id: id.into(),
            name: Some(format!("name-{id}")),
            server_group_id: Some(group.into()),
            vm_status: Some(VmStatus::Active),
            session_count: Some(sessions),
            maintain_status: Some(false),
            ..Default::default()
        }
    }

    fn group(id: &str, ip_virtual: bool, count: u32) -> GroupState {
        GroupState { id: id.into(), name: None, ip_virtual: Some(IpVirtual { enable: ip_virtual }), app_server_count: Some(count) }
    }

    fn opts(text: &str) -> RolloutOptions {
        let value: Value = json::from_str(text).unwrap();
        parse_options(Some(&value)).unwrap()
    }

    /// Every wave, for every group, stays within the group's limit.
    fn assert_within_limits(plan: &Plan, servers: &[ServerState]) {
        for wave in &plan.waves {
            let mut per_group: std::collections::BTreeMap<&str, u32> = std::collections::BTreeMap::new();
            for id in wave.server_ids() {
                let s = servers.iter().find(|s| &s.id == id).unwrap();
                *per_group.entry(s.server_group_id.as_deref().unwrap()).or_default() += 1;
            }
            for (g, n) in per_group {
                assert!(n <= plan.max_unavailable_by_group[g], "wave {} has {n} of group {g}", wave.index);
            }
            assert!(wave.batches.iter().all(|b| (1..=plan.options.batch_size).contains(&b.len())));
        }
    }

    #[test]
    fn waves_respect_max_unavailable_for_every_group() {
        // 40 servers in g1 (size 40, 25% -> 10 at once) and 8 in g2 (size 8 -> 2 at once).
        let mut servers: Vec<ServerState> = (0..40).map(|i| server(&format!("a{i:02}"), "g1", 0)).collect();
        servers.extend((0..8).map(|i| server(&format!("b{i}"), "g2", 0)));
        let plan = plan_rollout(&servers, &[group("g1", true, 40), group("g2", false, 8)], &RolloutOptions::default());
        assert_eq!(plan.max_unavailable_by_group["g1"], 10);
        assert_eq!(plan.max_unavailable_by_group["g2"], 2);
        assert_within_limits(&plan, &servers);
        assert_eq!(plan.summary.planned, 48);
        assert_eq!(plan.planned_ids().count(), 48);
        // g1 needs 4 waves of 10; g2 needs 4 waves of 2: they run side by side.
        assert_eq!(plan.waves.len(), 4);
        assert_eq!(plan.waves[0].server_ids().count(), 12);
        assert!(plan.enable_by_group["g1"]);
        assert!(!plan.enable_by_group["g2"]);
    }

    #[test]
    fn counts_and_the_wave_capacity_limit() {
        let servers: Vec<ServerState> = (0..100).map(|i| server(&format!("s{i:03}"), "g", 0)).collect();
        let plan = plan_rollout(&servers, &[group("g", true, 100)], &opts(r#"{"maxUnavailable":50,"concurrency":2,"batchSize":10}"#));
        // At most 2 batches of 10 per wave, though the group allows 50.
        assert!(plan.waves.iter().all(|w| w.batches.len() <= 2 && w.server_ids().count() <= 20));
        assert_eq!(plan.waves.len(), 5);
        let plan = plan_rollout(&servers, &[group("g", true, 100)], &opts(r#"{"maxUnavailable":"3%"}"#));
        assert!(plan.waves.iter().all(|w| w.server_ids().count() == 3 || w.index == plan.waves.len() - 1));
        assert_within_limits(&plan, &servers);
    }

    #[test]
    fn a_tiny_group_still_moves_one_at_a_time() {
        let servers = vec![server("x", "g", 0), server("y", "g", 0)];
        let plan = plan_rollout(&servers, &[group("g", true, 2)], &RolloutOptions::default());
        assert_eq!(plan.max_unavailable_by_group["g"], 1);
        assert_eq!(plan.waves.len(), 2);
    }

    #[test]
    fn idle_servers_go_first_and_busy_ones_are_skipped_unless_included() {
        let servers = vec![server("busy", "g", 5), server("idle1", "g", 0), server("light", "g", 1), server("idle2", "g", 0)];
        let groups = [group("g", true, 4)];
        let plan = plan_rollout(&servers, &groups, &opts(r#"{"maxUnavailable":"100%"}"#));
        let planned: Vec<&String> = plan.planned_ids().collect();
        assert_eq!(planned, ["idle1", "idle2"]);
        assert_eq!(
            plan.skipped.iter().map(|s| (s.id.as_str(), s.reason)).collect::<Vec<_>>(),
            [("busy", SkipReason::Busy), ("light", SkipReason::Busy)]
        );

        let plan = plan_rollout(&servers, &groups, &opts(r#"{"maxUnavailable":"100%","includeBusy":true}"#));
        assert_eq!(plan.planned_ids().collect::<Vec<_>>(), ["idle1", "idle2", "light", "busy"]);
        assert_eq!((plan.summary.with_sessions, plan.summary.sessions), (2, 6));
        assert!(plan.warnings.iter().any(|w| w.code == "users.disconnected"));

        let drained = plan_rollout(&servers, &groups, &opts(r#"{"maxUnavailable":"100%","drain":true}"#));
        assert_eq!(drained.summary.planned, 4, "drain empties busy servers first");
        assert!(!drained.warnings.iter().any(|w| w.code == "users.disconnected"));
    }

    #[test]
    fn servers_that_cannot_be_updated_are_skipped_with_reasons() {
        let mut job = server("job", "g", 0);
        job.job_status = Some(JobStatus::Running);
        job.job_id = Some("77".into());
        let mut task = server("task", "g", 0);
        task.task_status = Some(TaskStatus::Rebooting);
        let mut failed_before = server("failed-before", "g", 0);
        failed_before.task_status = Some(TaskStatus::UpdatingTsviFailed);
        let mut maint = server("maint", "g", 0);
        maint.maintain_status = Some(true);
        let mut off = server("off", "g", 0);
        off.vm_status = Some(VmStatus::Error);
        let mut deleting = server("deleting", "g", 0);
        deleting.vm_status = Some(VmStatus::Deleting);
        let mut strange = server("strange", "g", 0);
        strange.vm_status = Some(VmStatus::Unknown("HIBERNATED".into()));
        let servers = vec![job, task, failed_before, maint.clone(), off, deleting, strange, server("ok", "g", 0), server("ok", "g", 0)];
        let plan = plan_rollout(&servers, &[group("g", true, 9)], &opts(r#"{"maxUnavailable":"100%"}"#));
        let reasons: Vec<(&str, SkipReason)> = plan.skipped.iter().map(|s| (s.id.as_str(), s.reason)).collect();
        assert_eq!(
            reasons,
            [
                ("job", SkipReason::JobRunning),
                ("task", SkipReason::JobRunning),
                ("maint", SkipReason::Maintenance),
                ("off", SkipReason::State),
                ("deleting", SkipReason::State),
                ("strange", SkipReason::State),
                ("ok", SkipReason::Duplicate),
            ]
        );
        assert_eq!(plan.skipped[0].detail, "job 77 is RUNNING");
        assert_eq!(plan.skipped[5].detail, "vm_status HIBERNATED cannot be rebooted now");
        assert_eq!(plan.planned_ids().collect::<Vec<_>>(), ["failed-before", "ok"]);
        let mut shutoff = server("shutoff", "g", 0);
        shutoff.vm_status = Some(VmStatus::Shutoff);
        assert_eq!(skip_reason(&shutoff, &RolloutOptions::default()), None, "updated without a reboot");
        let with_maint = plan_rollout(&[maint], &[group("g", true, 9)], &opts(r#"{"includeMaintained":true}"#));
        assert_eq!(with_maint.summary.planned, 1);
    }

    #[test]
    fn enable_follows_the_group_and_a_forced_value_is_a_warning() {
        let servers = vec![server("a", "on", 0), server("b", "off", 0), server("c", "mystery", 0)];
        let groups = [group("on", true, 1), group("off", false, 1)];
        let plan = plan_rollout(&servers, &groups, &RolloutOptions::default());
        assert!(plan.enable_for(&servers[0]));
        assert!(!plan.enable_for(&servers[1]));
        assert!(!plan.enable_for(&servers[2]));
        assert_eq!(plan.warnings.iter().map(|w| w.code.as_str()).collect::<Vec<_>>(), ["group.ip_virtual_unknown"]);

        let forced = plan_rollout(&servers, &groups, &opts(r#"{"enable":true}"#));
        assert!(forced.enable_for(&servers[1]));
        let differs: Vec<_> =
            forced.warnings.iter().filter(|w| w.code == "enable.differs_from_group").map(|w| w.server_group_id.clone().unwrap()).collect();
        assert_eq!(differs, ["mystery", "off"]);
    }

    #[test]
    fn the_plan_records_the_state_it_was_made_from_and_round_trips() {
        let servers = vec![server("a", "g", 0), server("b", "g", 3)];
        let plan = plan_rollout(&servers, &[group("g", true, 2)], &RolloutOptions::default());
        assert_eq!(plan.snapshot, servers);
        let text = json::to_string(&plan).unwrap();
        let back: Plan = json::from_str(&text).unwrap();
        assert_eq!(back, plan);
    }

    #[test]
    fn option_parsing_lists_every_problem() {
        let value: Value =
            json::from_str(r#"{"batchSize":21,"concurrency":0,"maxUnavailable":"0%","drain":"yes","haltAfterFailures":"10%","colour":1}"#)
                .unwrap();
        let codes: Vec<(String, &str)> = parse_options(Some(&value)).unwrap_err().into_iter().map(|i| (i.path, i.code)).collect();
        assert_eq!(
            codes,
            [
                ("/colour".to_string(), "options.unknown_field"),
                ("/batchSize".into(), "option.out_of_range"),
                ("/concurrency".into(), "option.out_of_range"),
                ("/maxUnavailable".into(), "limit.invalid"),
                ("/drain".into(), "option.not_boolean"),
            ]
        );
        let ok = opts(r#"{"haltAfterFailures":0,"maxUnavailable":3}"#);
        assert_eq!((ok.halt_after_failures, ok.max_unavailable), (Some(Limit::Count(0)), Limit::Count(3)));
        assert_eq!(Limit::Percent(10.0).of(2000), 200);
        assert_eq!(Limit::Percent(10.0).of(5), 1);
    }
}
