//! The seeded initial world: realistic groups and servers, the same for the same seed.
//!
//! Most servers are ACTIVE; some are SHUTOFF, a few are in ERROR, a few are in maintenance
//! (draining), a few have a job running, and some carry the result of an earlier job, a
//! failed TSVI update among them. Each category has at least one server once the world has
//! ten or more, so small test worlds still cover every case.

use super::jobs::{task_for, Failure, Job, JobIds, SubJobRec};
use super::prng::Prng;
use super::sessions::Sessions;
use super::state::{JobRef, NewServer, ServerDetails, Settings, SimGroup, SimServer, World};
use std::collections::HashMap;
use workspace_tsvi::model::{JobType, ServerStatus, VmStatus};

const DEPARTMENTS: &[&str] = &["finance", "engineering", "support", "design", "sales", "hr", "legal", "ops", "research", "training"];
const ZONES: &[&str] = &["cn-north-4a", "cn-north-4b", "cn-north-4c"];
/// 2024-03-01T00:00:00Z: created times are spread over the year after it.
const CREATED_FROM_MS: u64 = 1_709_251_200_000;
const DAY_MS: u64 = 86_400_000;

struct GroupKind {
    os_type: &'static str,
    os_version: &'static str,
    tag: &'static str,
    ip_virtual: bool,
    app_type: &'static str,
}

/// Group `i` takes kind `i % 4`: three Windows kinds (two with virtual IP on) and one Linux.
const GROUP_KINDS: &[GroupKind] = &[
    GroupKind {
        os_type: "Windows",
        os_version: "Windows Server 2022 Datacenter 64bit",
        tag: "win2022",
        ip_virtual: true,
        app_type: "SESSION_DESKTOP_APP",
    },
    GroupKind {
        os_type: "Windows",
        os_version: "Windows Server 2019 Datacenter 64bit",
        tag: "win2019",
        ip_virtual: true,
        app_type: "COMMON_APP",
    },
    GroupKind {
        os_type: "Windows",
        os_version: "Windows Server 2019 Datacenter 64bit",
        tag: "win2019",
        ip_virtual: false,
        app_type: "SESSION_DESKTOP_APP",
    },
    GroupKind { os_type: "Linux", os_version: "Ubuntu 22.04 server 64bit", tag: "ubuntu", ip_virtual: false, app_type: "COMMON_APP" },
];

const FLAVORS: &[(&str, u32, u32, u32)] = &[
    ("workspace.appstream.general.xlarge.4", 4, 16_384, 10),
    ("workspace.appstream.general.2xlarge.4", 8, 32_768, 20),
    ("workspace.appstream.general.4xlarge.2", 16, 32_768, 30),
];

fn iso(ms: u64) -> String {
    super::clock::iso_from_ms(ms)
}

fn make_group(rng: &mut Prng, i: usize) -> SimGroup {
    let kind = &GROUP_KINDS[i % GROUP_KINDS.len()];
    let department = DEPARTMENTS[i % DEPARTMENTS.len()];
    let round = i / DEPARTMENTS.len();
    let name = if round == 0 { format!("{department}-{}", kind.tag) } else { format!("{department}-{}-{}", kind.tag, round + 1) };
    let (flavor_id, cpu, memory_mb, max_sessions) = *rng.pick(FLAVORS);
    let image_id = rng.uuid();
    SimGroup {
        id: rng.uuid(),
        description: format!("{} application servers for {department}", kind.os_type),
        name,
        os_type: kind.os_type.into(),
        os_version: kind.os_version.into(),
        ip_virtual: kind.ip_virtual,
        app_type: kind.app_type.into(),
        image_name: format!("{}-apps-{}", kind.tag, 1 + rng.below(9)),
        image_id,
        product_id: format!("workspace.appstream.{}", kind.tag),
        flavor_id: flavor_id.into(),
        cpu,
        memory_mb,
        max_sessions,
        vpc_id: rng.uuid(),
        subnet_id: rng.uuid(),
        subnet_name: format!("subnet-{department}"),
        department: department.into(),
        create_time: iso(CREATED_FROM_MS + rng.below(60) * DAY_MS + rng.below(DAY_MS)),
    }
}

fn mac(rng: &mut Prng) -> String {
    let bytes: Vec<String> = (0..3).map(|_| format!("{:02x}", rng.below(256))).collect();
    format!("fa:16:3e:{}", bytes.join(":"))
}

/// A plain ACTIVE server, the `n`-th of the world, in group `group_index`.
pub fn new_server(rng: &mut Prng, group: &SimGroup, group_index: u32, n: usize, now_ms: u64) -> SimServer {
    let number = n + 1;
    let dept3: String = group.department.chars().take(3).collect::<String>().to_ascii_uppercase();
    let target = if rng.chance(0.3) { 0 } else { rng.range(1, 12) as u32 };
    let created = CREATED_FROM_MS + rng.below(400) * DAY_MS + rng.below(DAY_MS);
    let identity = NewServer {
        id: rng.uuid(),
        name: format!("{}-aps-{number:04}", group.department),
        machine_name: format!("{dept3}APS{number:05}"),
        group: group_index,
        ip: format!("10.{}.{}.{}", (16 + n / 62_500) % 256, (n / 250) % 250, n % 250 + 4),
    };
    let details = ServerDetails {
        mac: mac(rng),
        port_id: rng.uuid(),
        instance_id: rng.uuid(),
        sid: format!(
            "S-1-5-21-{}-{}-{}-{}",
            rng.range(1_000_000_000, 4_000_000_000),
            rng.range(1_000_000_000, 4_000_000_000),
            rng.range(1_000_000_000, 4_000_000_000),
            1000 + n
        ),
        availability_zone: (*rng.pick(ZONES)).into(),
        create_time: iso(created),
        scaling_auto_create: rng.chance(0.1),
    };
    SimServer::new(identity, details, Sessions::new(target, target, true, rng.next_u64(), now_ms, false))
}

/// How many of `n` servers fall in a category of `per_mille`, at least one from ten servers.
fn share(n: usize, per_mille: usize) -> usize {
    if n < 10 {
        0
    } else {
        (n * per_mille / 1000).max(1)
    }
}

/// Builds the initial world; times of earlier and running jobs are relative to `now_ms`.
pub fn generate(settings: &Settings, project_id: &str, now_ms: u64) -> World {
    let mut rng = Prng::new(settings.seed);
    let groups: Vec<SimGroup> = (0..settings.groups.max(1)).map(|i| make_group(&mut rng, i)).collect();
    let weights: Vec<u64> = groups.iter().map(|_| rng.range(1, 4)).collect();
    let total_weight: u64 = weights.iter().sum();

    let mut servers: Vec<SimServer> = Vec::with_capacity(settings.servers);
    let mut per_group = vec![0usize; groups.len()];
    for n in 0..settings.servers {
        let mut pick = rng.below(total_weight);
        let mut g = 0;
        while pick >= weights[g] {
            pick -= weights[g];
            g += 1;
        }
        let mut server = new_server(&mut rng, &groups[g], g as u32, n, now_ms);
        per_group[g] += 1;
        let dept3: String = groups[g].department.chars().take(3).collect::<String>().to_ascii_uppercase();
        server.set_name(format!("{}-aps-{:04}", groups[g].name, per_group[g]));
        server.set_machine_name(format!("{dept3}{}APS{:05}", g % 100, per_group[g]));
        servers.push(server);
    }

    // Categories, on disjoint random servers.
    let n = servers.len();
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let mut take = |count: usize| -> Vec<usize> { order.drain(..count.min(order.len())).collect() };
    let running = take(share(n, 15));
    let maintenance = take(share(n, 20));
    let shutoff = take(share(n, 80));
    let error = take(share(n, 8));
    let failed_before = take(share(n, 20));
    let succeeded_before = take(share(n, 100));

    for &i in &shutoff {
        let s = &mut servers[i];
        s.base_vm = VmStatus::Shutoff;
        s.sessions = Sessions::new(0, 0, false, s.sessions.seed, now_ms, false);
    }
    for &i in &error {
        let s = &mut servers[i];
        s.base_vm = VmStatus::Error;
        s.status = ServerStatus::Unregister;
        s.sessions = Sessions::new(0, 0, false, s.sessions.seed, now_ms, false);
    }
    for &i in &maintenance {
        let s = &mut servers[i];
        s.maintain = true;
        let start = rng.range(1, 5) as u32;
        s.sessions = Sessions::new(start.max(s.sessions.target), start, true, s.sessions.seed, now_ms, true);
    }

    let mut job_ids = JobIds::new(settings.seed);
    let mut jobs: Vec<Job> = Vec::new();
    let mut add_job =
        |servers: &mut Vec<SimServer>, server: usize, job_type: JobType, created_ms: u64, end_ms: u64, failure: Option<Failure>| {
            let index = jobs.len() as u32;
            let mut sub = SubJobRec {
                id: job_ids.next_seeded(),
                server: server as u32,
                start_ms: created_ms + 1_000,
                work_end_ms: end_ms,
                end_ms,
                reboot: false,
                failure,
                task: task_for(&job_type),
                enable_requested: None,
                enable_effective: None,
            };
            if job_type == JobType::UpdateServerTsvi {
                let on = servers[server].group as usize % GROUP_KINDS.len() < 2;
                sub.enable_requested = Some(on);
                sub.enable_effective = Some(on);
            }
            jobs.push(Job { id: job_ids.next_seeded(), job_type, created_ms, subs: vec![sub] });
            servers[server].last_job = Some(JobRef { job: index, sub: 0 });
        };

    const RUNNING_TYPES: &[JobType] =
        &[JobType::UpgradeAccessAgent, JobType::UpdateServerTsvi, JobType::RejoinDomain, JobType::UpgradeAccessAgent];
    for (k, &i) in running.iter().enumerate() {
        let created = now_ms.saturating_sub(rng.range(60_000, 300_000));
        let end = now_ms + rng.range(30, 60) * 60_000;
        add_job(&mut servers, i, RUNNING_TYPES[k % RUNNING_TYPES.len()].clone(), created, end, None);
    }
    for &i in &failed_before {
        let created = now_ms.saturating_sub(rng.range(1, 20) * DAY_MS);
        let failure =
            Failure { code: "WKS.1204".into(), message: "No free IP address is left in the subnet for the virtual session IPs.".into() };
        add_job(&mut servers, i, JobType::UpdateServerTsvi, created, created + 120_000, Some(failure));
    }
    const FINISHED_TYPES: &[JobType] = &[JobType::UpdateServerTsvi, JobType::UpgradeAccessAgent, JobType::CreateServer];
    for &i in &succeeded_before {
        let created = now_ms.saturating_sub(rng.range(1, 60) * DAY_MS);
        add_job(&mut servers, i, rng.pick(FINISHED_TYPES).clone(), created, created + 180_000, None);
    }

    let mut sorted: Vec<u32> = (0..n as u32).collect();
    sorted.sort_by(|&a, &b| servers[a as usize].id.cmp(&servers[b as usize].id));
    let by_id: HashMap<String, u32> = servers.iter().enumerate().map(|(i, s)| (s.id.clone(), i as u32)).collect();
    let job_by_id: HashMap<String, u32> = jobs.iter().enumerate().map(|(i, j)| (j.id.clone(), i as u32)).collect();
    World { project_id: project_id.to_owned(), settings: settings.clone(), groups, servers, sorted, by_id, jobs, job_by_id, job_ids, rng }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::state::DEFAULT_SESSION_STEP_MS;

    fn settings(servers: usize) -> Settings {
        Settings { seed: 42, servers, groups: 4, job_ms: 3000, sub_job_failure_rate: 0.0, session_step_ms: DEFAULT_SESSION_STEP_MS }
    }

    #[test]
    fn same_seed_same_world() {
        let a = generate(&settings(240), "p", 1_000_000);
        let b = generate(&settings(240), "p", 1_000_000);
        let ids = |w: &World| w.servers.iter().map(|s| (s.id.clone(), s.name.clone())).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&generate(&Settings { seed: 43, ..settings(240) }, "p", 1_000_000)));
    }

    #[test]
    fn every_category_is_present_and_ids_are_unique() {
        let now = 10_000_000_000;
        let w = generate(&settings(240), "p", now);
        assert_eq!(w.by_id.len(), 240);
        assert!(w.servers.iter().filter(|s| s.base_vm == VmStatus::Active).count() > 180);
        assert!(w.servers.iter().any(|s| s.base_vm == VmStatus::Shutoff));
        assert!(w.servers.iter().any(|s| s.base_vm == VmStatus::Error));
        assert!(w.servers.iter().any(|s| s.maintain));
        assert!((0..240).any(|i| w.running_job(i, now).is_some()));
        assert!(w.groups.iter().filter(|g| g.os_type == "Windows").count() >= 3);
        assert!(w.groups.iter().any(|g| g.ip_virtual) && w.groups.iter().any(|g| !g.ip_virtual));
        let sorted: Vec<&str> = w.sorted.iter().map(|&i| w.servers[i as usize].id.as_str()).collect();
        assert!(sorted.windows(2).all(|p| p[0] < p[1]));
    }

    #[test]
    fn tiny_worlds_are_plain() {
        let w = generate(&settings(5), "p", 0);
        assert!(w.servers.iter().all(|s| s.base_vm == VmStatus::Active && !s.maintain && s.last_job.is_none()));
        assert_eq!(generate(&settings(0), "p", 0).servers.len(), 0);
    }
}
