//! The simulated project's model: the settings, groups, servers and jobs of the world, its
//! indexes, and the lookups every other part builds on (which job a server is in, its
//! sessions now). What is done with the model lives next to it, one concern per module:
//!
//! - [`super::filters`]: which servers, groups and sub-jobs a query selects, and the page of
//!   them it returns (indexes only, so filtering is tested without building answers);
//! - [`super::views`]: what the API answers, the JSON shapes built from the model at a time;
//! - [`super::commands`]: the changes: batch-update-tsvi, batch-maint, settings and
//!   `/_sim/servers`.
//!
//! Servers live in a `Vec` whose indexes never change (jobs point into it), with a second
//! index sorted by id for stable paging and a map from id to index. Only the few fields that
//! change over time (task and VM status, the last job, sessions) are computed per read, and
//! only for the servers a page returns.

use super::jobs::{Job, JobIds, SubJobRec};
use super::prng::Prng;
use super::sessions::Sessions;
use serde::Serialize;
use std::collections::HashMap;
use std::ops::Range;
use workspace_tsvi::model::{ServerStatus, VmStatus};

/// What the world is generated from; `POST /_sim/reset` may change any of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub seed: u64,
    pub servers: usize,
    pub groups: usize,
    /// One server's TSVI update plus reboot, in simulated milliseconds.
    pub job_ms: u64,
    pub sub_job_failure_rate: f64,
    /// A draining server loses one session per step; others move one session per step.
    pub session_step_ms: u64,
}

pub const MAX_SERVERS: usize = 100_000;
pub const MAX_GROUPS: usize = 1_000;
pub const DEFAULT_SESSION_STEP_MS: u64 = 20_000;

impl Settings {
    /// Every problem with these settings at once, as one message.
    pub fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.servers > MAX_SERVERS {
            problems.push(format!("servers must be at most {MAX_SERVERS}"));
        }
        if !(1..=MAX_GROUPS).contains(&self.groups) {
            problems.push(format!("groups must be from 1 to {MAX_GROUPS}"));
        }
        if !(0.0..=1.0).contains(&self.sub_job_failure_rate) {
            problems.push("sub_job_failure_rate must be between 0 and 1".into());
        }
        if self.session_step_ms == 0 {
            problems.push("session_step_ms must be at least 1".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimGroup {
    pub id: String,
    pub name: String,
    pub description: String,
    pub os_type: String,
    pub os_version: String,
    pub ip_virtual: bool,
    pub app_type: String,
    pub image_id: String,
    pub image_name: String,
    pub product_id: String,
    pub flavor_id: String,
    pub cpu: u32,
    pub memory_mb: u32,
    pub max_sessions: u32,
    pub vpc_id: String,
    pub subnet_id: String,
    pub subnet_name: String,
    pub department: String,
    pub create_time: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobRef {
    pub job: u32,
    pub sub: u32,
}

#[derive(Debug, Clone)]
pub struct SimServer {
    pub id: String,
    /// Change with [`SimServer::set_name`], which keeps the search key in step.
    pub name: String,
    pub machine_name: String,
    /// Lower-case `name` and `machine_name`, for the partial-match filters.
    name_key: String,
    machine_key: String,
    pub description: Option<String>,
    pub group: u32,
    pub ip: String,
    pub mac: String,
    pub port_id: String,
    pub instance_id: String,
    pub sid: String,
    pub availability_zone: String,
    pub create_time: String,
    pub scaling_auto_create: bool,
    pub status: ServerStatus,
    /// The VM state when no job is touching it.
    pub base_vm: VmStatus,
    pub maintain: bool,
    pub sessions: Sessions,
    pub last_job: Option<JobRef>,
    /// Every TSVI update of this server fails (set through `/_sim/servers`).
    pub fail_updates: bool,
    /// TSVI updates submitted so far; with the seed it decides injected failures.
    pub updates: u32,
}

/// A new server's identity; everything else starts plain and is set by the caller.
pub struct NewServer {
    pub id: String,
    pub name: String,
    pub machine_name: String,
    pub group: u32,
    pub ip: String,
}

impl SimServer {
    pub fn new(identity: NewServer, details: ServerDetails, sessions: Sessions) -> Self {
        let NewServer { id, name, machine_name, group, ip } = identity;
        SimServer {
            name_key: name.to_lowercase(),
            machine_key: machine_name.to_lowercase(),
            id,
            name,
            machine_name,
            description: None,
            group,
            ip,
            mac: details.mac,
            port_id: details.port_id,
            instance_id: details.instance_id,
            sid: details.sid,
            availability_zone: details.availability_zone,
            create_time: details.create_time,
            scaling_auto_create: details.scaling_auto_create,
            status: ServerStatus::Registered,
            base_vm: VmStatus::Active,
            maintain: false,
            sessions,
            last_job: None,
            fail_updates: false,
            updates: 0,
        }
    }

    pub fn set_name(&mut self, name: String) {
        self.name_key = name.to_lowercase();
        self.name = name;
    }

    pub fn set_machine_name(&mut self, machine_name: String) {
        self.machine_key = machine_name.to_lowercase();
        self.machine_name = machine_name;
    }

    /// Lower-case `name`, for the partial-match filter.
    pub(super) fn name_key(&self) -> &str {
        &self.name_key
    }

    /// Lower-case `machine_name`, for the partial-match filter.
    pub(super) fn machine_key(&self) -> &str {
        &self.machine_key
    }
}

/// The fields of a server that only decorate it.
pub struct ServerDetails {
    pub mac: String,
    pub port_id: String,
    pub instance_id: String,
    pub sid: String,
    pub availability_zone: String,
    pub create_time: String,
    pub scaling_auto_create: bool,
}

#[derive(Debug)]
pub struct World {
    pub project_id: String,
    pub settings: Settings,
    pub groups: Vec<SimGroup>,
    pub servers: Vec<SimServer>,
    /// Server indexes sorted by id: the order of every listing.
    pub sorted: Vec<u32>,
    pub by_id: HashMap<String, u32>,
    pub jobs: Vec<Job>,
    pub job_by_id: HashMap<String, u32>,
    pub job_ids: JobIds,
    pub rng: Prng,
}

impl World {
    pub fn step_ms(&self) -> u64 {
        self.settings.session_step_ms
    }

    pub(super) fn sub_of(&self, job_ref: JobRef) -> Option<(&Job, &SubJobRec)> {
        let job = self.jobs.get(job_ref.job as usize)?;
        Some((job, job.subs.get(job_ref.sub as usize)?))
    }

    pub(super) fn last_sub(&self, server: u32) -> Option<(&Job, &SubJobRec)> {
        self.servers.get(server as usize)?.last_job.and_then(|r| self.sub_of(r))
    }

    pub(super) fn reboot_of(&self, server: u32) -> Option<Range<u64>> {
        self.last_sub(server).and_then(|(_, sub)| sub.reboot_window())
    }

    pub fn session_count(&self, server: u32, now_ms: u64) -> u32 {
        let s = &self.servers[server as usize];
        s.sessions.count(now_ms, self.step_ms(), self.reboot_of(server))
    }

    /// The job still running on a server, if any.
    pub fn running_job(&self, server: u32, now_ms: u64) -> Option<&Job> {
        self.last_sub(server).filter(|(_, sub)| !sub.phase(now_ms).is_finished()).map(|(job, _)| job)
    }

    pub fn group_index(&self, id: &str) -> Option<u32> {
        self.groups.iter().position(|g| g.id == id).map(|i| i as u32)
    }

    /// Resolves ids to indexes; the unknown ones are the error.
    pub fn resolve(&self, ids: &[String]) -> Result<Vec<u32>, Vec<String>> {
        let unknown: Vec<String> = ids.iter().filter(|id| !self.by_id.contains_key(*id)).cloned().collect();
        if !unknown.is_empty() {
            return Err(unknown);
        }
        Ok(ids.iter().filter_map(|id| self.by_id.get(id).copied()).collect())
    }

    /// Adds a server at the end of `servers` and to both indexes; returns its index.
    pub(super) fn add_server(&mut self, server: SimServer) -> u32 {
        let index = self.servers.len() as u32;
        let at = self.sorted.partition_point(|&i| self.servers[i as usize].id < server.id);
        self.sorted.insert(at, index);
        self.by_id.insert(server.id.clone(), index);
        self.servers.push(server);
        index
    }

    /// Starts a new session segment for a server now, before anything changes its rules.
    pub(super) fn settle_sessions(&mut self, server: u32, now_ms: u64) {
        let reboot = self.reboot_of(server);
        let step = self.step_ms();
        let s = &mut self.servers[server as usize];
        let draining = s.maintain;
        s.sessions.settle(now_ms, step, reboot, draining);
    }
}

/// Small worlds with servers named by the test, for the unit tests of every part of the model.
#[cfg(test)]
pub(super) mod testing {
    use super::{Settings, World, DEFAULT_SESSION_STEP_MS};

    pub const NOW_MS: u64 = 1_000_000;

    /// A world of `groups` groups (the seeded kinds, in order) and no server; jobs take 1 s
    /// and never fail at random.
    pub fn empty_world(groups: usize) -> World {
        let settings =
            Settings { seed: 7, servers: 0, groups, job_ms: 1_000, sub_job_failure_rate: 0.0, session_step_ms: DEFAULT_SESSION_STEP_MS };
        super::super::data::generate(&settings, "0123456789abcdef0123456789abcdef", NOW_MS)
    }

    /// Adds a plain ACTIVE server, not in maintenance, not auto-created, with no session.
    pub fn add_server(world: &mut World, id: &str, name: &str, machine_name: &str, group: u32, ip: &str) -> u32 {
        let n = world.servers.len();
        let mut server = super::super::data::new_server(&mut world.rng, &world.groups[group as usize], group, n, NOW_MS);
        server.id = id.to_owned();
        server.set_name(name.to_owned());
        server.set_machine_name(machine_name.to_owned());
        server.ip = ip.to_owned();
        server.scaling_auto_create = false;
        server.sessions.set(0, NOW_MS);
        world.add_server(server)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{add_server, empty_world, NOW_MS};
    use super::*;

    fn settings() -> Settings {
        Settings { seed: 1, servers: 10, groups: 2, job_ms: 1_000, sub_job_failure_rate: 0.1, session_step_ms: 1 }
    }

    #[test]
    fn settings_checks_table() {
        let cases: Vec<(Settings, Result<(), &str>)> = vec![
            (settings(), Ok(())),
            (Settings { servers: MAX_SERVERS, groups: MAX_GROUPS, sub_job_failure_rate: 1.0, ..settings() }, Ok(())),
            (Settings { servers: 0, sub_job_failure_rate: 0.0, ..settings() }, Ok(())),
            (Settings { servers: MAX_SERVERS + 1, ..settings() }, Err("servers must be at most 100000")),
            (Settings { groups: 0, ..settings() }, Err("groups must be from 1 to 1000")),
            (Settings { groups: MAX_GROUPS + 1, ..settings() }, Err("groups must be from 1 to 1000")),
            (Settings { sub_job_failure_rate: -0.1, ..settings() }, Err("sub_job_failure_rate must be between 0 and 1")),
            (Settings { sub_job_failure_rate: f64::NAN, ..settings() }, Err("sub_job_failure_rate must be between 0 and 1")),
            (Settings { session_step_ms: 0, ..settings() }, Err("session_step_ms must be at least 1")),
            (
                Settings { servers: MAX_SERVERS + 1, session_step_ms: 0, ..settings() },
                Err("servers must be at most 100000; session_step_ms must be at least 1"),
            ),
        ];
        for (s, want) in cases {
            assert_eq!(s.check(), want.map_err(str::to_owned), "{s:?}");
        }
    }

    #[test]
    fn added_servers_keep_the_indexes_in_step() {
        let mut w = empty_world(2);
        for (k, id) in ["m", "c", "x", "a"].into_iter().enumerate() {
            assert_eq!(add_server(&mut w, id, id, id, 1, "10.0.0.1"), k as u32, "indexes never move");
        }
        let sorted: Vec<&str> = w.sorted.iter().map(|&i| w.servers[i as usize].id.as_str()).collect();
        assert_eq!(sorted, ["a", "c", "m", "x"]);
        assert!(w.by_id.iter().all(|(id, &i)| w.servers[i as usize].id == *id) && w.by_id.len() == 4);
    }

    #[test]
    fn ids_resolve_all_or_report_the_unknown_ones() {
        let mut w = empty_world(1);
        add_server(&mut w, "a", "a", "A", 0, "10.0.0.1");
        add_server(&mut w, "b", "b", "B", 0, "10.0.0.2");
        let ids = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(w.resolve(&ids(&["b", "a", "b"])), Ok(vec![1, 0, 1]));
        assert_eq!(w.resolve(&ids(&["z", "a", "y"])), Err(ids(&["z", "y"])));
        assert_eq!(w.resolve(&[]), Ok(vec![]));
    }

    #[test]
    fn names_keep_their_search_keys() {
        let mut w = empty_world(1);
        let i = add_server(&mut w, "a", "Mixed-Case", "MACHINE-A", 0, "10.0.0.1") as usize;
        assert_eq!((w.servers[i].name_key(), w.servers[i].machine_key()), ("mixed-case", "machine-a"));
        w.servers[i].set_name("Ünïcode-X".into());
        w.servers[i].set_machine_name("Other".into());
        assert_eq!((w.servers[i].name_key(), w.servers[i].machine_key()), ("ünïcode-x", "other"));
    }

    #[test]
    fn a_running_job_and_its_reboot_are_read_from_the_last_sub_job() {
        let mut w = empty_world(1);
        add_server(&mut w, "a", "a", "A", 0, "10.0.0.1");
        w.servers[0].sessions.set(2, NOW_MS);
        assert!(w.running_job(0, NOW_MS).is_none() && w.reboot_of(0).is_none() && w.last_sub(0).is_none());
        let (job_id, _) = w.submit_tsvi(&[("a".into(), true)], NOW_MS).unwrap();
        let sub = w.jobs[0].subs[0].clone();
        assert_eq!(w.reboot_of(0), Some(sub.work_end_ms..sub.end_ms));
        let cases = [
            (NOW_MS, Some(job_id.as_str()), 2),
            (sub.work_end_ms, Some(job_id.as_str()), 0),
            (sub.end_ms - 1, Some(job_id.as_str()), 0),
            (sub.end_ms, None, 0),
            (sub.end_ms + 2 * w.step_ms(), None, 2),
        ];
        for (at, running, sessions) in cases {
            assert_eq!(w.running_job(0, at).map(|j| j.id.as_str()), running, "at {at}");
            assert_eq!(w.session_count(0, at), sessions, "at {at}");
        }
        assert!(w.running_job(9, NOW_MS).is_none() && w.last_sub(9).is_none(), "no such server");
    }

    #[test]
    fn group_ids_resolve_to_indexes() {
        let w = empty_world(3);
        assert_eq!(w.group_index(&w.groups[2].id), Some(2));
        assert_eq!(w.group_index("nope"), None);
    }
}
