//! The simulated project: groups, servers and jobs, and the views the API returns.
//!
//! Servers live in a `Vec` whose indexes never change (jobs point into it), with a second
//! index sorted by id for stable paging and a map from id to index. Only the few fields that
//! change over time (task and VM status, the last job, sessions) are computed per read, and
//! only for the servers a page returns.

use super::clock::iso_from_ms;
use super::jobs::{failed_task_for, Failure, Job, JobIds, Phase, SubJobRec};
use super::prng::{hash2, hash_str, Prng};
use super::sessions::Sessions;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use workspace_tsvi::json::Value;
use workspace_tsvi::model::{
    AppServer, EcsNetwork, Flavor, IpVirtual, JobDetail, JobStatus, JobType, ServerGroup, ServerStatus, SubJob,
    SubJobStatus, TaskStatus, TmsTag, VmStatus,
};

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
        let NewServer {
            id,
            name,
            machine_name,
            group,
            ip,
        } = identity;
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

/// The server filters with their partial-match needles lower-cased once per request.
struct ServerMatcher<'a> {
    filter: &'a ServerFilter,
    group: Option<u32>,
    name: Option<String>,
    machine_name: Option<String>,
}

impl ServerMatcher<'_> {
    fn matches(&self, s: &SimServer) -> bool {
        let f = self.filter;
        self.group.is_none_or(|g| s.group == g)
            && self.name.as_deref().is_none_or(|n| s.name_key.contains(n))
            && self.machine_name.as_deref().is_none_or(|n| s.machine_key.contains(n))
            && f.ip_addr.as_deref().is_none_or(|ip| s.ip.contains(ip))
            && f.server_id.as_deref().is_none_or(|id| s.id == id)
            && f.maintain_status.is_none_or(|m| s.maintain == m)
            && f.scaling_auto_create.is_none_or(|a| s.scaling_auto_create == a)
    }
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

/// ListServers filters (reference §2.1); `None` means not filtered.
#[derive(Debug, Default, Clone)]
pub struct ServerFilter {
    pub server_group_id: Option<String>,
    pub server_name: Option<String>,
    pub machine_name: Option<String>,
    pub ip_addr: Option<String>,
    pub server_id: Option<String>,
    pub maintain_status: Option<bool>,
    pub scaling_auto_create: Option<bool>,
}

/// ListServerGroups filters (reference §3).
#[derive(Debug, Default, Clone)]
pub struct GroupFilter {
    pub server_group_name: Option<String>,
    pub server_group_id: Option<String>,
    pub app_type: Option<String>,
    pub tags: Option<String>,
    pub enterprise_project_id: Option<String>,
    pub is_secondary_server_group: Option<bool>,
}

/// ListSubJobs filters (reference §5.3).
#[derive(Debug, Default, Clone)]
pub struct SubJobFilter {
    pub job_type: Option<JobType>,
    pub job_id: Option<String>,
    pub status: Option<SubJobStatus>,
}

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

/// Case-insensitive (ASCII) substring test without allocating.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

const RANDOM_FAILURES: &[(&str, &str)] = &[
    (
        "WKS.1204",
        "No free IP address is left in the subnet for the virtual session IPs.",
    ),
    (
        "WKS.1205",
        "The access agent on the server did not confirm the virtual IP configuration.",
    ),
    ("WKS.1206", "Applying the virtual IP configuration timed out."),
];

impl World {
    pub fn step_ms(&self) -> u64 {
        self.settings.session_step_ms
    }

    fn sub_of(&self, job_ref: JobRef) -> Option<(&Job, &SubJobRec)> {
        let job = self.jobs.get(job_ref.job as usize)?;
        Some((job, job.subs.get(job_ref.sub as usize)?))
    }

    fn last_sub(&self, server: u32) -> Option<(&Job, &SubJobRec)> {
        self.servers.get(server as usize)?.last_job.and_then(|r| self.sub_of(r))
    }

    fn reboot_of(&self, server: u32) -> Option<Range<u64>> {
        self.last_sub(server).and_then(|(_, sub)| sub.reboot_window())
    }

    pub fn session_count(&self, server: u32, now_ms: u64) -> u32 {
        let s = &self.servers[server as usize];
        s.sessions.count(now_ms, self.step_ms(), self.reboot_of(server))
    }

    /// The job still running on a server, if any.
    pub fn running_job(&self, server: u32, now_ms: u64) -> Option<&Job> {
        self.last_sub(server)
            .filter(|(_, sub)| !sub.phase(now_ms).is_finished())
            .map(|(job, _)| job)
    }

    pub fn group_index(&self, id: &str) -> Option<u32> {
        self.groups.iter().position(|g| g.id == id).map(|i| i as u32)
    }

    pub fn server_view(&self, index: u32, now_ms: u64) -> AppServer {
        let s = &self.servers[index as usize];
        let g = &self.groups[s.group as usize];
        let mut vm_status = s.base_vm.clone();
        let mut task_status = None;
        let (mut job_id, mut job_type, mut job_status, mut job_time) = (None, None, None, None);
        if let Some((job, sub)) = self.last_sub(index) {
            let phase = sub.phase(now_ms);
            match phase {
                Phase::Waiting | Phase::Working => task_status = Some(sub.task.clone()),
                Phase::Rebooting => {
                    task_status = Some(sub.task.clone());
                    vm_status = VmStatus::Reboot;
                }
                Phase::Succeeded => {}
                Phase::Failed => task_status = failed_task_for(&job.job_type),
            }
            job_id = Some(job.id.clone());
            job_type = Some(job.job_type.clone());
            job_status = Some(phase.job_status());
            job_time = Some(iso_from_ms(job.created_ms));
        }
        let metadata = BTreeMap::from([
            ("charging_mode".to_owned(), "0".to_owned()),
            ("image_name".to_owned(), g.image_name.clone()),
            ("metering.resourcespeccode".to_owned(), g.flavor_id.clone()),
            ("os_bit".to_owned(), "64".to_owned()),
            ("vpc_id".to_owned(), g.vpc_id.clone()),
        ]);
        AppServer {
            id: Some(s.id.clone()),
            name: Some(s.name.clone()),
            machine_name: Some(s.machine_name.clone()),
            description: s.description.clone(),
            server_group_id: Some(g.id.clone()),
            server_group_name: Some(g.name.clone()),
            flavor: Some(Flavor {
                id: Some(g.flavor_id.clone()),
                links: Vec::new(),
            }),
            status: Some(s.status.clone()),
            vm_status: Some(vm_status),
            task_status,
            create_time: Some(s.create_time.clone()),
            update_time: Some(job_time.clone().unwrap_or_else(|| s.create_time.clone())),
            image_id: Some(g.image_id.clone()),
            availability_zone: Some(s.availability_zone.clone()),
            domain: Some("corp.example.com".into()),
            ou_name: Some("AppServers".into()),
            sid: Some(s.sid.clone()),
            instance_id: Some(s.instance_id.clone()),
            os_version: Some(g.os_version.clone()),
            os_type: Some(g.os_type.clone()),
            maintain_status: Some(s.maintain),
            scaling_auto_create: Some(s.scaling_auto_create),
            job_id,
            job_type,
            job_status,
            job_time,
            resource_pool_type: Some("private".into()),
            metadata: Some(metadata),
            session_count: Some(self.session_count(index, now_ms)),
            host_address: Some(vec![EcsNetwork {
                addr: Some(s.ip.clone()),
                version: Some(4),
                mac_addr: Some(s.mac.clone()),
                ip_type: Some("fixed".into()),
                port_id: Some(s.port_id.clone()),
                vpc_id: Some(g.vpc_id.clone()),
                subnet_id: Some(g.subnet_id.clone()),
                tenant_type: Some("tenant".into()),
            }]),
            enterprise_project_id: Some("0".into()),
            tags: Some(vec![TmsTag {
                key: "department".into(),
                value: Some(g.department.clone()),
            }]),
            ..Default::default()
        }
    }

    /// ShowServer: the list view plus the detail fields.
    pub fn server_detail(&self, index: u32, now_ms: u64) -> AppServer {
        let mut view = self.server_view(index, now_ms);
        let s = &self.servers[index as usize];
        let g = &self.groups[s.group as usize];
        let addresses = serde_json::json!({
            g.vpc_id.clone(): [{
                "addr": s.ip, "version": "4", "OS-EXT-IPS-MAC:mac_addr": s.mac, "OS-EXT-IPS:type": "fixed"
            }]
        });
        view.addresses = serde_json::from_value::<Value>(addresses).ok();
        view.root_volume = serde_json::from_value::<Value>(serde_json::json!({"type": "SAS", "size": 80})).ok();
        view.security_groups =
            serde_json::from_value::<Value>(serde_json::json!([{"id": g.subnet_id, "name": "default"}])).ok();
        view
    }

    pub fn group_view(&self, index: u32, detail: bool) -> ServerGroup {
        let g = &self.groups[index as usize];
        let app_server_count = self.servers.iter().filter(|s| s.group == index).count() as u32;
        let product_info = serde_json::json!({
            "product_id": g.product_id, "flavor_id": g.flavor_id, "type": "BASE", "architecture": "x86",
            "cpu": g.cpu.to_string(), "memory": g.memory_mb.to_string(), "is_gpu": false,
            "system_disk_type": "SAS", "system_disk_size": "80", "charge_mode": "0",
            "resource_type": "hws.resource.type.workspace.appstream", "sessions": g.max_sessions,
        });
        let mut view = ServerGroup {
            id: Some(g.id.clone()),
            name: Some(g.name.clone()),
            description: Some(g.description.clone()),
            image_id: Some(g.image_id.clone()),
            os_type: Some(g.os_type.clone()),
            product_id: Some(g.product_id.clone()),
            subnet_id: Some(g.subnet_id.clone()),
            system_disk_type: Some("SAS".into()),
            system_disk_size: Some(80),
            is_vdi: Some(false),
            app_type: Some(g.app_type.clone()),
            create_time: Some(g.create_time.clone()),
            update_time: Some(g.create_time.clone()),
            storage_mount_policy: Some("USER".into()),
            enterprise_project_id: Some("0".into()),
            primary_server_group_ids: Some(Vec::new()),
            secondary_server_group_ids: Some(Vec::new()),
            server_group_status: Some(true),
            site_type: Some("CENTER".into()),
            app_server_flavor_count: Some(1),
            app_server_count: Some(app_server_count),
            app_group_count: Some(1 + (index % 3)),
            image_name: Some(g.image_name.clone()),
            product_info: serde_json::from_value::<Value>(product_info).ok(),
            subnet_name: Some(g.subnet_name.clone()),
            tags: Some(vec![TmsTag {
                key: "department".into(),
                value: Some(g.department.clone()),
            }]),
            ou_name: Some("AppServers".into()),
            ..Default::default()
        };
        if detail {
            view.flavors = Some(vec![Flavor {
                id: Some(g.flavor_id.clone()),
                links: Vec::new(),
            }]);
            view.project_name = Some("cn-north-4".into());
            view.image_min_disk = Some(0);
            view.route_policy = serde_json::from_value::<Value>(serde_json::json!({
                "max_session": g.max_sessions, "cpu_threshold": 80, "mem_threshold": 80, "gpu_threshold": 80
            }))
            .ok();
            view.image_product_id = Some(g.product_id.clone());
            view.image_type = Some("private".into());
            view.ip_virtual = Some(IpVirtual { enable: g.ip_virtual });
        }
        view
    }

    /// One page of servers in id order, and how many match in all.
    pub fn list_servers(&self, f: &ServerFilter, offset: usize, limit: usize, now_ms: u64) -> (usize, Vec<AppServer>) {
        let group = match &f.server_group_id {
            Some(id) => match self.group_index(id) {
                Some(g) => Some(g),
                None => return (0, Vec::new()),
            },
            None => None,
        };
        let unfiltered = group.is_none()
            && f.server_name.is_none()
            && f.machine_name.is_none()
            && f.ip_addr.is_none()
            && f.server_id.is_none()
            && f.maintain_status.is_none()
            && f.scaling_auto_create.is_none();
        if unfiltered {
            let page = self.sorted.iter().skip(offset).take(limit);
            return (self.sorted.len(), page.map(|&i| self.server_view(i, now_ms)).collect());
        }
        let matcher = ServerMatcher {
            filter: f,
            group,
            name: f.server_name.as_deref().map(str::to_lowercase),
            machine_name: f.machine_name.as_deref().map(str::to_lowercase),
        };
        if let Some(id) = &f.server_id {
            let hit = self
                .by_id
                .get(id)
                .copied()
                .filter(|&i| matcher.matches(&self.servers[i as usize]));
            let items = hit
                .filter(|_| offset == 0)
                .map(|i| self.server_view(i, now_ms))
                .into_iter()
                .collect();
            return (hit.is_some() as usize, items);
        }
        let mut count = 0;
        let mut items = Vec::with_capacity(limit.min(100));
        for &i in &self.sorted {
            if matcher.matches(&self.servers[i as usize]) {
                if count >= offset && items.len() < limit {
                    items.push(self.server_view(i, now_ms));
                }
                count += 1;
            }
        }
        (count, items)
    }

    pub fn list_groups(&self, f: &GroupFilter, offset: usize, limit: usize) -> (usize, Vec<ServerGroup>) {
        let matching: Vec<u32> = (0..self.groups.len() as u32)
            .filter(|&i| {
                let g = &self.groups[i as usize];
                f.server_group_name
                    .as_deref()
                    .is_none_or(|n| contains_ignore_case(&g.name, n))
                    && f.server_group_id.as_deref().is_none_or(|id| g.id == id)
                    && f.app_type.as_deref().is_none_or(|t| g.app_type == t)
                    && f.tags
                        .as_deref()
                        .is_none_or(|t| contains_ignore_case("department", t) || contains_ignore_case(&g.department, t))
                    && f.enterprise_project_id
                        .as_deref()
                        .is_none_or(|e| e.is_empty() || e == "0")
                    && f.is_secondary_server_group.is_none_or(|secondary| !secondary)
            })
            .collect();
        let items = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|&i| self.group_view(i, false))
            .collect();
        (matching.len(), items)
    }

    fn sub_job_view(&self, job: &Job, sub: &SubJobRec, now_ms: u64) -> SubJob {
        let s = &self.servers[sub.server as usize];
        job.sub_job_view(sub, (&s.id, &s.name), &self.project_id, now_ms)
    }

    pub fn job_detail(&self, id: &str, now_ms: u64) -> Option<JobDetail> {
        let job = &self.jobs[*self.job_by_id.get(id)? as usize];
        let subs = job.subs.iter().map(|sub| self.sub_job_view(job, sub, now_ms)).collect();
        Some(job.detail(subs, now_ms))
    }

    /// Sub-jobs in creation order (stable while new jobs are added at the end).
    pub fn list_sub_jobs(&self, f: &SubJobFilter, offset: usize, limit: usize, now_ms: u64) -> (usize, Vec<SubJob>) {
        let jobs: Vec<&Job> = match &f.job_id {
            Some(id) => self
                .job_by_id
                .get(id)
                .map(|&i| &self.jobs[i as usize])
                .into_iter()
                .collect(),
            None => self.jobs.iter().collect(),
        };
        let mut count = 0;
        let mut items = Vec::new();
        for job in jobs
            .into_iter()
            .filter(|j| f.job_type.as_ref().is_none_or(|t| *t == j.job_type))
        {
            for sub in &job.subs {
                if f.status
                    .as_ref()
                    .is_some_and(|st| *st != sub.phase(now_ms).sub_job_status())
                {
                    continue;
                }
                if count >= offset && items.len() < limit {
                    items.push(self.sub_job_view(job, sub, now_ms));
                }
                count += 1;
            }
        }
        (count, items)
    }

    /// Resolves ids to indexes; the unknown ones are the error.
    pub fn resolve(&self, ids: &[String]) -> Result<Vec<u32>, Vec<String>> {
        let unknown: Vec<String> = ids.iter().filter(|id| !self.by_id.contains_key(*id)).cloned().collect();
        if !unknown.is_empty() {
            return Err(unknown);
        }
        Ok(ids.iter().filter_map(|id| self.by_id.get(id).copied()).collect())
    }

    /// batch-update-tsvi: all or nothing. Creates one UPDATE_SERVER_TSVI job with a sub-job
    /// per server and returns its id and what was applied.
    pub fn submit_tsvi(
        &mut self,
        items: &[(String, bool)],
        now_ms: u64,
    ) -> Result<(String, Vec<AppliedItem>), BatchRefusal> {
        let ids: Vec<String> = items.iter().map(|(id, _)| id.clone()).collect();
        let indexes = self.resolve(&ids).map_err(BatchRefusal::UnknownIds)?;
        let busy: Vec<(String, String, String)> = indexes
            .iter()
            .filter_map(|&i| {
                self.running_job(i, now_ms).map(|job| {
                    (
                        self.servers[i as usize].id.clone(),
                        job.id.clone(),
                        job.job_type.as_str().to_owned(),
                    )
                })
            })
            .collect();
        if !busy.is_empty() {
            return Err(BatchRefusal::JobRunning(busy));
        }

        let job_index = self.jobs.len() as u32;
        let job_id = self.job_ids.next(now_ms);
        let job_ms = self.settings.job_ms.max(2);
        let queue_ms = job_ms / 10;
        let mut subs = Vec::with_capacity(items.len());
        let mut applied = Vec::with_capacity(items.len());
        for (k, (&server, (_, requested))) in indexes.iter().zip(items).enumerate() {
            self.settle_sessions(server, now_ms);
            let jitter = self.rng.below(job_ms / 5 + 1);
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
                    Failure {
                        code: code.into(),
                        message: message.into(),
                    }
                }),
                ref other => Some(Failure {
                    code: "WKS.1201".into(),
                    message: format!(
                        "The server is in state {} and its virtual IP configuration cannot be updated.",
                        other.as_str()
                    ),
                }),
            };
            let reboot = s.base_vm == VmStatus::Active;
            let start_ms = now_ms + queue_ms + jitter;
            let work_end_ms = start_ms + job_ms / 2;
            let end_ms = if reboot && failure.is_none() {
                start_ms + job_ms
            } else {
                work_end_ms
            };
            s.last_job = Some(JobRef {
                job: job_index,
                sub: k as u32,
            });
            applied.push(AppliedItem {
                id: s.id.clone(),
                enable_requested: *requested,
                enable_effective: effective,
            });
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
        self.jobs.push(Job {
            id: job_id.clone(),
            job_type: JobType::UpdateServerTsvi,
            created_ms: now_ms,
            subs,
        });
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

    fn settle_sessions(&mut self, server: u32, now_ms: u64) {
        let reboot = self.reboot_of(server);
        let step = self.step_ms();
        let s = &mut self.servers[server as usize];
        let draining = s.maintain;
        s.sessions.settle(now_ms, step, reboot, draining);
    }

    fn insert_sorted(&mut self, index: u32) {
        let id = &self.servers[index as usize].id;
        let at = self
            .sorted
            .partition_point(|&i| self.servers[i as usize].id.as_str() < id.as_str());
        self.sorted.insert(at, index);
        self.by_id.insert(id.clone(), index);
    }

    /// `POST /_sim/servers`: changes the server with `seed.id`, or adds one. Returns its index.
    pub fn upsert_server(&mut self, seed: ServerSeed, now_ms: u64) -> Result<u32, String> {
        let group = match &seed.server_group_id {
            Some(id) => Some(
                self.group_index(id)
                    .ok_or_else(|| format!("no server group with id {id}"))?,
            ),
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
                self.servers.push(server);
                let index = (self.servers.len() - 1) as u32;
                self.insert_sorted(index);
                index
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

    /// Counts for `GET /_sim/state`.
    pub fn summary(&self, now_ms: u64) -> serde_json::Value {
        let mut vm: BTreeMap<String, usize> = BTreeMap::new();
        let mut task: BTreeMap<String, usize> = BTreeMap::new();
        let (mut maintenance, mut sessions, mut busy) = (0usize, 0u64, 0usize);
        for i in 0..self.servers.len() as u32 {
            let view = self.server_view(i, now_ms);
            *vm.entry(view.vm_status.as_ref().map_or("none", |v| v.as_str()).to_owned())
                .or_default() += 1;
            if let Some(t) = &view.task_status {
                *task.entry(t.as_str().to_owned()).or_default() += 1;
            }
            maintenance += self.servers[i as usize].maintain as usize;
            sessions += view.session_count.unwrap_or(0) as u64;
            busy += self.running_job(i, now_ms).is_some() as usize;
        }
        let mut jobs: BTreeMap<&str, usize> = BTreeMap::new();
        for job in &self.jobs {
            let status = job.status(now_ms);
            let key = match status {
                JobStatus::Waiting => "WAITING",
                JobStatus::Running => "RUNNING",
                JobStatus::Success => "SUCCESS",
                JobStatus::Failed => "FAILED",
                JobStatus::Unknown(_) => "UNKNOWN",
            };
            *jobs.entry(key).or_default() += 1;
        }
        serde_json::json!({
            "project_id": self.project_id,
            "settings": self.settings,
            "servers": self.servers.len(),
            "groups": self.groups.len(),
            "by_vm_status": vm,
            "by_task_status": task,
            "in_maintenance": maintenance,
            "with_running_job": busy,
            "sessions": sessions,
            "jobs": { "total": self.jobs.len(), "by_status": jobs },
        })
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
