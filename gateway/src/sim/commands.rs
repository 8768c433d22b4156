//! The changes to the model: batch-update-tsvi, batch-maint, the settings `/_sim/settings`
//! changes without a reset, and the servers `/_sim/servers` adds or edits.
//!
//! Each command is all or nothing: it checks everything first and returns why it refused
//! before it changes anything. Whatever changes how a server's sessions move (maintenance,
//! a reboot, a new session step, an edit) settles its sessions at the current time first, so
//! no count jumps.

use super::jobs::{Failure, Job, SubJobRec};
use super::prng::{hash2, hash_str};
use super::state::{JobRef, World};
use serde::Serialize;
use workspace_tsvi::model::{JobType, TaskStatus, VmStatus};

/// Why a batch cannot be applied; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchRefusal {
    UnknownIds(Vec<String>),
    /// (server id, job id, job type) of each server with a job still running.
    JobRunning(Vec<(String, String, String)>),
}

/// A server to add or change through `POST /_sim/servers`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSeed {
    pub id: Option<String>,
    pub name: Option<String>,
    pub machine_name: Option<String>,
    pub description: Option<String>,
    pub server_group_id: Option<String>,
    pub session_count: Option<u32>,
    pub maintain_status: Option<bool>,
    pub vm_status: Option<String>,
    pub ip_addr: Option<String>,
    pub fail_updates: Option<bool>,
}

/// A sub-job result as recorded for the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedItem {
    pub id: String,
    pub enable_requested: bool,
    pub enable_effective: bool,
}

/// What `POST /_sim/settings` may change in the world without a reset; `None` keeps the
/// current value.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SettingsChange {
    pub job_ms: Option<u64>,
    pub sub_job_failure_rate: Option<f64>,
    pub session_step_ms: Option<u64>,
}

/// One TSVI sub-job's timeline for a `job_ms` setting: queued for a tenth of it, started up to
/// a fifth later (jitter), then the update and its reboot take `job_ms`. In one place, so that
/// `GET /_sim/settings` can tell the longest job (what `make bench` measures rollouts against).
pub struct TsviJobTiming {
    pub queue_ms: u64,
    pub max_jitter_ms: u64,
    pub job_ms: u64,
}

impl TsviJobTiming {
    pub fn new(job_ms: u64) -> Self {
        let job_ms = job_ms.max(2);
        TsviJobTiming { queue_ms: job_ms / 10, max_jitter_ms: job_ms / 5, job_ms }
    }

    /// From the batch call to the end of the slowest sub-job it can create.
    pub fn longest_ms(&self) -> u64 {
        self.queue_ms + self.max_jitter_ms + self.job_ms
    }
}

const RANDOM_FAILURES: &[(&str, &str)] = &[
    ("WKS.1204", "No free IP address is left in the subnet for the virtual session IPs."),
    ("WKS.1205", "The access agent on the server did not confirm the virtual IP configuration."),
    ("WKS.1206", "Applying the virtual IP configuration timed out."),
];
impl World {
    /// batch-update-tsvi: all or nothing. Creates one UPDATE_SERVER_TSVI job with a sub-job
    /// per server and returns its id and what was applied.
    pub fn submit_tsvi(&mut self, items: &[(String, bool)], now_ms: u64) -> Result<(String, Vec<AppliedItem>), BatchRefusal> {
        let ids: Vec<String> = items.iter().map(|(id, _)| id.clone()).collect();
        let indexes = self.resolve(&ids).map_err(BatchRefusal::UnknownIds)?;
        let busy: Vec<(String, String, String)> = indexes
            .iter()
            .filter_map(|&i| {
                self.running_job(i, now_ms)
                    .map(|job| (self.servers[i as usize].id.clone(), job.id.clone(), job.job_type.as_str().to_owned()))
            })
            .collect();
        if !busy.is_empty() {
            return Err(BatchRefusal::JobRunning(busy));
        }

        let job_index = self.jobs.len() as u32;
        let job_id = self.job_ids.next(now_ms);
        let TsviJobTiming { queue_ms, max_jitter_ms, job_ms } = TsviJobTiming::new(self.settings.job_ms);
        let mut subs = Vec::with_capacity(items.len());
        let mut applied = Vec::with_capacity(items.len());
        for (k, (&server, (_, requested))) in indexes.iter().zip(items).enumerate() {
            self.settle_sessions(server, now_ms);
            let jitter = self.rng.below(max_jitter_ms + 1);
            let sub_id = self.job_ids.next(now_ms);
            let seed = self.settings.seed;
            let rate = self.settings.sub_job_failure_rate;
            let s = &mut self.servers[server as usize];
            let group = &self.groups[s.group as usize];
            let effective = group.ip_virtual;
            s.updates += 1;
            let draw = hash2(seed ^ hash_str(&s.id), s.updates as u64);
            let failure = match s.base_vm {
                VmStatus::Active | VmStatus::Shutoff => (s.fail_updates || unit(draw) < rate).then(|| {
                    let (code, message) = RANDOM_FAILURES[(draw % RANDOM_FAILURES.len() as u64) as usize];
                    Failure { code: code.into(), message: message.into() }
                }),
                ref other => Some(Failure {
                    code: "WKS.1201".into(),
                    message: format!("The server is in state {} and its virtual IP configuration cannot be updated.", other.as_str()),
                }),
            };
            let reboot = s.base_vm == VmStatus::Active;
            let start_ms = now_ms + queue_ms + jitter;
            let work_end_ms = start_ms + job_ms / 2;
            let end_ms = if reboot && failure.is_none() { start_ms + job_ms } else { work_end_ms };
            s.last_job = Some(JobRef { job: job_index, sub: k as u32 });
            applied.push(AppliedItem { id: s.id.clone(), enable_requested: *requested, enable_effective: effective });
            subs.push(SubJobRec {
                id: sub_id,
                server,
                start_ms,
                work_end_ms,
                end_ms,
                reboot,
                failure,
                task: TaskStatus::UpdatingTsvi,
                enable_requested: Some(*requested),
                enable_effective: Some(effective),
            });
        }
        self.job_by_id.insert(job_id.clone(), job_index);
        self.jobs.push(Job { id: job_id.clone(), job_type: JobType::UpdateServerTsvi, created_ms: now_ms, subs });
        Ok((job_id, applied))
    }

    /// batch-maint: all or nothing; the unknown ids are the error.
    pub fn set_maintenance(&mut self, ids: &[String], on: bool, now_ms: u64) -> Result<(), Vec<String>> {
        for server in self.resolve(ids)? {
            self.settle_sessions(server, now_ms);
            let s = &mut self.servers[server as usize];
            s.maintain = on;
            s.sessions.segment.draining = on;
        }
        Ok(())
    }

    /// Changes the session step; every count is settled first, so none jumps.
    pub fn set_session_step(&mut self, step_ms: u64, now_ms: u64) {
        if step_ms != self.settings.session_step_ms {
            for server in 0..self.servers.len() as u32 {
                self.settle_sessions(server, now_ms);
            }
            self.settings.session_step_ms = step_ms;
        }
    }
    /// `POST /_sim/settings`: checks the changed settings as a whole, then applies them, the
    /// session step through [`World::set_session_step`]. Nothing changes on an error.
    pub fn change_settings(&mut self, change: &SettingsChange, now_ms: u64) -> Result<(), String> {
        let mut settings = self.settings.clone();
        settings.job_ms = change.job_ms.unwrap_or(settings.job_ms);
        settings.sub_job_failure_rate = change.sub_job_failure_rate.unwrap_or(settings.sub_job_failure_rate);
        settings.session_step_ms = change.session_step_ms.unwrap_or(settings.session_step_ms);
        settings.check()?;
        self.set_session_step(settings.session_step_ms, now_ms);
        self.settings = settings;
        Ok(())
    }

    /// `POST /_sim/servers`: changes the server with `seed.id`, or adds one. Returns its index.
    pub fn upsert_server(&mut self, seed: ServerSeed, now_ms: u64) -> Result<u32, String> {
        let group = match &seed.server_group_id {
            Some(id) => Some(self.group_index(id).ok_or_else(|| format!("no server group with id {id}"))?),
            None => None,
        };
        let vm = match &seed.vm_status {
            Some(text) => match VmStatus::parse(text) {
                VmStatus::Unknown(_) => return Err(format!("vm_status {text:?} is not an AppServerStatus value")),
                vm => Some(vm),
            },
            None => None,
        };
        let existing = seed.id.as_ref().and_then(|id| self.by_id.get(id).copied());
        let index = match existing {
            Some(index) => index,
            None => {
                let id = match &seed.id {
                    Some(id) if workspace_tsvi::validate::is_valid_id(id) => id.clone(),
                    Some(_) => return Err("id must be 1 to 64 letters, digits, '-' or '_'".into()),
                    None => self.rng.uuid(),
                };
                let group = match group.or((!self.groups.is_empty()).then_some(0)) {
                    Some(g) => g,
                    None => return Err("the world has no server group to put the server in".into()),
                };
                let n = self.servers.len();
                let mut server = super::data::new_server(&mut self.rng, &self.groups[group as usize], group, n, now_ms);
                server.id = id;
                self.add_server(server)
            }
        };
        self.settle_sessions(index, now_ms);
        let s = &mut self.servers[index as usize];
        if let Some(name) = seed.name {
            s.set_name(name);
        }
        if let Some(machine_name) = seed.machine_name {
            s.set_machine_name(machine_name);
        }
        if let Some(description) = seed.description {
            s.description = Some(description);
        }
        if let Some(g) = group {
            s.group = g;
        }
        if let Some(ip) = seed.ip_addr {
            s.ip = ip;
        }
        if let Some(vm) = vm {
            s.base_vm = vm;
        }
        if let Some(fail) = seed.fail_updates {
            s.fail_updates = fail;
        }
        if let Some(on) = seed.maintain_status {
            s.maintain = on;
            s.sessions.segment.draining = on;
        }
        if let Some(count) = seed.session_count {
            s.sessions.set(count, now_ms);
        }
        Ok(index)
    }
}

/// A hash as a uniform number in `[0, 1)`.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A handful of ids for an error message, and how many more there are.
pub fn id_list(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = ids.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::state::testing::{add_server, empty_world, NOW_MS};

    const STEP: u64 = crate::sim::state::DEFAULT_SESSION_STEP_MS;

    /// Three groups (virtual IP on, on, off); servers s-1 and s-2 in the first, s-3 in the third.
    fn world() -> World {
        let mut w = empty_world(3);
        add_server(&mut w, "s-1", "one", "ONE", 0, "10.0.0.1");
        add_server(&mut w, "s-2", "two", "TWO", 0, "10.0.0.2");
        add_server(&mut w, "s-3", "three", "THREE", 2, "10.0.2.3");
        w
    }

    fn items(ids: &[&str]) -> Vec<(String, bool)> {
        ids.iter().map(|id| (id.to_string(), true)).collect()
    }

    fn strings(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|id| id.to_string()).collect()
    }

    #[test]
    fn a_batch_makes_one_job_with_a_sub_job_per_server() {
        let mut w = world();
        let (job_id, applied) = w.submit_tsvi(&[("s-3".into(), true), ("s-1".into(), false)], NOW_MS).unwrap();
        assert_eq!(
            applied,
            [
                AppliedItem { id: "s-3".into(), enable_requested: true, enable_effective: false },
                AppliedItem { id: "s-1".into(), enable_requested: false, enable_effective: true },
            ],
            "the group's ip_virtual decides, not the request"
        );
        assert_eq!(w.jobs.len(), 1);
        let job = &w.jobs[0];
        assert_eq!((job.id.as_str(), &job.job_type, job.created_ms), (job_id.as_str(), &JobType::UpdateServerTsvi, NOW_MS));
        assert_eq!(w.job_by_id[&job_id], 0);
        assert_eq!(job.subs.iter().map(|s| s.server).collect::<Vec<_>>(), [2, 0]);
        for (k, sub) in job.subs.iter().enumerate() {
            assert!(sub.start_ms >= NOW_MS + 100 && sub.start_ms <= NOW_MS + 300, "queued then jittered: {}", sub.start_ms);
            assert_eq!((sub.work_end_ms, sub.end_ms), (sub.start_ms + 500, sub.start_ms + 1_000));
            assert!(sub.reboot && sub.failure.is_none());
            assert_eq!(w.servers[sub.server as usize].last_job, Some(JobRef { job: 0, sub: k as u32 }));
            assert_eq!(w.servers[sub.server as usize].updates, 1);
        }
        assert_eq!(w.servers[1].last_job, None, "s-2 was not in the batch");
        let (second, _) = w.submit_tsvi(&items(&["s-2"]), NOW_MS).unwrap();
        assert_ne!(second, job_id);
    }

    #[test]
    fn a_refused_batch_changes_nothing() {
        let mut w = world();
        assert_eq!(w.submit_tsvi(&items(&["s-1", "x-9", "s-2", "x-8"]), NOW_MS), Err(BatchRefusal::UnknownIds(strings(&["x-9", "x-8"]))));
        assert!(w.jobs.is_empty() && w.servers.iter().all(|s| s.last_job.is_none() && s.updates == 0));
        let (job_id, _) = w.submit_tsvi(&items(&["s-2"]), NOW_MS).unwrap();
        assert_eq!(
            w.submit_tsvi(&items(&["s-1", "s-2"]), NOW_MS + 1),
            Err(BatchRefusal::JobRunning(vec![("s-2".into(), job_id, "UPDATE_SERVER_TSVI".into())]))
        );
        assert_eq!((w.jobs.len(), w.servers[0].last_job, w.servers[0].updates), (1, None, 0), "s-1 untouched");
        let done = w.jobs[0].subs[0].end_ms;
        assert!(w.submit_tsvi(&items(&["s-1", "s-2"]), done).is_ok(), "a finished job no longer blocks");
    }

    #[test]
    fn what_a_sub_job_does_depends_on_the_server() {
        let cases: [(&str, VmStatus, bool, Option<&str>, bool); 5] = [
            ("active", VmStatus::Active, false, None, true),
            ("active, failing", VmStatus::Active, true, Some("WKS.120"), false),
            ("shut off: no reboot", VmStatus::Shutoff, false, None, false),
            ("shut off, failing", VmStatus::Shutoff, true, Some("WKS.120"), false),
            ("in error: refused by the server", VmStatus::Error, false, Some("WKS.1201"), false),
        ];
        for (name, vm, fail, code, reboots) in cases {
            let mut w = world();
            w.servers[0].base_vm = vm;
            w.servers[0].fail_updates = fail;
            w.submit_tsvi(&items(&["s-1"]), NOW_MS).unwrap();
            let sub = &w.jobs[0].subs[0];
            let got = sub.failure.as_ref().map(|f| f.code.as_str());
            assert_eq!(got.map(|c| c.starts_with(code.unwrap_or("-"))), code.map(|_| true), "{name}: {got:?}");
            assert_eq!(sub.reboot_window().is_some(), reboots, "{name}");
            assert_eq!(sub.end_ms, if reboots { sub.start_ms + 1_000 } else { sub.work_end_ms }, "{name}");
        }
        let mut w = world();
        w.servers[0].base_vm = VmStatus::Error;
        w.submit_tsvi(&items(&["s-1"]), NOW_MS).unwrap();
        let failure = w.jobs[0].subs[0].failure.clone().unwrap();
        assert!(failure.message.contains("ERROR"), "{}", failure.message);
    }

    #[test]
    fn the_failure_rate_decides_from_the_seed() {
        let run = |rate: f64, seed: u64| {
            let mut w = world();
            w.settings.sub_job_failure_rate = rate;
            w.settings.seed = seed;
            let mut failed = 0;
            for round in 0..20 {
                let at = NOW_MS + round * 10_000;
                w.submit_tsvi(&items(&["s-1", "s-2", "s-3"]), at).unwrap();
                failed += w.jobs.last().unwrap().subs.iter().filter(|s| s.failure.is_some()).count();
            }
            failed
        };
        assert_eq!(run(0.0, 1), 0);
        assert_eq!(run(1.0, 1), 60);
        assert_eq!(run(0.5, 3), run(0.5, 3), "the same seed fails the same sub-jobs");
        assert!((10..=50).contains(&run(0.5, 3)));
    }

    #[test]
    fn no_sub_job_ends_later_than_the_longest_job_the_settings_tell() {
        for job_ms in [0, 7, 400, 3_000] {
            let mut w = world();
            w.settings.job_ms = job_ms;
            let longest = TsviJobTiming::new(job_ms).longest_ms();
            let mut latest = 0;
            for round in 0..40 {
                let at = NOW_MS + round * 100_000;
                w.submit_tsvi(&items(&["s-1", "s-2", "s-3"]), at).unwrap();
                latest = latest.max(w.jobs.last().unwrap().subs.iter().map(|s| s.end_ms - at).max().unwrap());
            }
            assert!(latest <= longest, "job_ms {job_ms}: a sub-job took {latest} ms, longer than {longest}");
            assert!(latest * 10 >= longest * 9, "job_ms {job_ms}: {latest} ms is near the longest, {longest}");
        }
    }

    #[test]
    fn maintenance_is_all_or_nothing_and_drains() {
        let mut w = world();
        w.servers[0].sessions.set(3, NOW_MS);
        assert_eq!(w.set_maintenance(&strings(&["s-1", "nope"]), true, NOW_MS), Err(strings(&["nope"])));
        assert!(!w.servers[0].maintain);
        assert_eq!(w.set_maintenance(&strings(&["s-1"]), true, NOW_MS + STEP / 2), Ok(()));
        assert!(w.servers[0].maintain && w.servers[0].sessions.segment.draining);
        let counts: Vec<u32> = (0..5).map(|k| w.session_count(0, NOW_MS + STEP / 2 + k * STEP)).collect();
        assert_eq!(counts, [3, 2, 1, 0, 0], "one session ends per step, none starts");
        w.set_maintenance(&strings(&["s-1"]), false, NOW_MS + 10 * STEP).unwrap();
        assert!(!w.servers[0].maintain && !w.servers[0].sessions.segment.draining);
        assert_eq!(w.session_count(0, NOW_MS + 10 * STEP), 0, "settled where it was");
        assert_eq!(w.session_count(0, NOW_MS + 12 * STEP), 2, "then grows back");
    }

    #[test]
    fn settings_change_as_a_whole_or_not_at_all() {
        /// `job_ms`, `sub_job_failure_rate` and `session_step_ms` after the change.
        type Values = (u64, f64, u64);
        let cases: Vec<(SettingsChange, Result<Values, &str>)> = vec![
            (SettingsChange::default(), Ok((1_000, 0.0, STEP))),
            (SettingsChange { job_ms: Some(50), sub_job_failure_rate: Some(0.25), session_step_ms: Some(5) }, Ok((50, 0.25, 5))),
            (SettingsChange { job_ms: Some(50), sub_job_failure_rate: Some(1.5), ..Default::default() }, Err("sub_job_failure_rate")),
            (SettingsChange { session_step_ms: Some(0), ..Default::default() }, Err("session_step_ms")),
        ];
        for (change, want) in cases {
            let mut w = world();
            let got = w.change_settings(&change, NOW_MS);
            let s = &w.settings;
            match want {
                Ok(values) => {
                    assert_eq!(got, Ok(()), "{change:?}");
                    assert_eq!((s.job_ms, s.sub_job_failure_rate, s.session_step_ms), values);
                }
                Err(word) => {
                    assert!(got.unwrap_err().contains(word), "{change:?}");
                    assert_eq!((s.job_ms, s.sub_job_failure_rate, s.session_step_ms), (1_000, 0.0, STEP), "unchanged");
                }
            }
        }
    }

    #[test]
    fn a_new_session_step_keeps_every_count_where_it_is() {
        let mut w = world();
        w.servers[0].sessions.set(6, NOW_MS);
        w.set_maintenance(&strings(&["s-1"]), true, NOW_MS).unwrap();
        let now = NOW_MS + 2 * STEP;
        assert_eq!(w.session_count(0, now), 4);
        w.change_settings(&SettingsChange { session_step_ms: Some(STEP * 10), ..Default::default() }, now).unwrap();
        assert_eq!(w.session_count(0, now), 4, "no jump");
        assert_eq!(w.session_count(0, now + 2 * STEP), 4, "the slower step");
        assert_eq!(w.session_count(0, now + 10 * STEP), 3);
    }

    #[test]
    fn upserts_refuse_bad_seeds_and_change_nothing() {
        let cases: Vec<(ServerSeed, &str)> = vec![
            (ServerSeed { server_group_id: Some("nope".into()), ..Default::default() }, "no server group with id nope"),
            (ServerSeed { vm_status: Some("SLEEPING".into()), ..Default::default() }, "vm_status \"SLEEPING\""),
            (ServerSeed { id: Some("bad id!".into()), ..Default::default() }, "id must be"),
            (
                ServerSeed { id: Some("s-1".into()), vm_status: Some("x".into()), name: Some("new".into()), ..Default::default() },
                "vm_status",
            ),
        ];
        for (seed, want) in cases {
            let mut w = world();
            let err = w.upsert_server(seed.clone(), NOW_MS).unwrap_err();
            assert!(err.contains(want), "{seed:?}: {err}");
            assert_eq!((w.servers.len(), w.servers[0].name.as_str()), (3, "one"));
        }
        let mut groupless = empty_world(1);
        groupless.groups.clear();
        assert!(groupless.upsert_server(ServerSeed::default(), NOW_MS).unwrap_err().contains("no server group"));
    }

    #[test]
    fn upserts_add_servers_in_id_order_and_edit_them() {
        let mut w = world();
        let group2 = w.groups[2].id.clone();
        let added = w
            .upsert_server(
                ServerSeed { id: Some("s-0".into()), name: Some("Zero".into()), server_group_id: Some(group2), ..Default::default() },
                NOW_MS,
            )
            .unwrap();
        assert_eq!(added, 3);
        assert_eq!((w.servers[3].group, w.by_id["s-0"]), (2, 3));
        assert_eq!(w.sorted.iter().map(|&i| w.servers[i as usize].id.as_str()).collect::<Vec<_>>(), ["s-0", "s-1", "s-2", "s-3"]);
        let anonymous = w.upsert_server(ServerSeed::default(), NOW_MS).unwrap();
        assert_eq!((w.servers[anonymous as usize].group, w.servers.len()), (0, 5), "a random id, in the first group");

        let seed = ServerSeed {
            id: Some("s-1".into()),
            name: Some("Renamed".into()),
            machine_name: Some("MACHINE".into()),
            description: Some("d".into()),
            ip_addr: Some("10.9.9.9".into()),
            vm_status: Some("SHUTOFF".into()),
            fail_updates: Some(true),
            maintain_status: Some(true),
            session_count: Some(4),
            ..Default::default()
        };
        assert_eq!(w.upsert_server(seed, NOW_MS), Ok(0));
        let s = &w.servers[0];
        assert_eq!(
            (s.name.as_str(), s.machine_name.as_str(), s.description.as_deref(), s.ip.as_str()),
            ("Renamed", "MACHINE", Some("d"), "10.9.9.9")
        );
        assert_eq!((&s.base_vm, s.fail_updates, s.maintain, s.sessions.segment.draining), (&VmStatus::Shutoff, true, true, true));
        assert_eq!(w.session_count(0, NOW_MS), 4);
        assert_eq!(w.servers.len(), 5, "an edit adds nothing");
        let by_name = crate::sim::filters::ServerFilter { server_name: Some("renamed".into()), ..Default::default() };
        assert_eq!(w.server_page(&by_name, 0, 10).items, [0], "the search key follows the new name");
    }

    #[test]
    fn id_lists_show_five_and_count_the_rest() {
        let cases: [(&[&str], &str); 4] = [
            (&[], ""),
            (&["a"], "a"),
            (&["a", "b", "c", "d", "e"], "a, b, c, d, e"),
            (&["a", "b", "c", "d", "e", "f", "g"], "a, b, c, d, e and 2 more"),
        ];
        for (ids, want) in cases {
            assert_eq!(id_list(&strings(ids)), want);
        }
    }
}
