//! What the API answers: the JSON shapes of servers, groups, jobs and sub-jobs, built from
//! the model at a simulated time, and the summary `GET /_sim/state` shows.
//!
//! Views only read. The listings take their page from [`super::filters`] and build a view
//! for each item of it, so time-dependent fields (task and VM status, the last job, sessions)
//! are computed only for the servers a page returns.

use super::clock::iso_from_ms;
use super::filters::{GroupFilter, ServerFilter, SubJobFilter};
use super::jobs::{failed_task_for, Phase};
use super::state::{JobRef, World};
use std::collections::BTreeMap;
use workspace_tsvi::json::Value;
use workspace_tsvi::model::{AppServer, EcsNetwork, Flavor, IpVirtual, JobDetail, JobStatus, ServerGroup, SubJob, TmsTag, VmStatus};

impl World {
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
            flavor: Some(Flavor { id: Some(g.flavor_id.clone()), links: Vec::new() }),
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
            tags: Some(vec![TmsTag { key: "department".into(), value: Some(g.department.clone()) }]),
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
        view.security_groups = serde_json::from_value::<Value>(serde_json::json!([{"id": g.subnet_id, "name": "default"}])).ok();
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
            tags: Some(vec![TmsTag { key: "department".into(), value: Some(g.department.clone()) }]),
            ou_name: Some("AppServers".into()),
            ..Default::default()
        };
        if detail {
            view.flavors = Some(vec![Flavor { id: Some(g.flavor_id.clone()), links: Vec::new() }]);
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

    /// ListServers: one page of servers in id order, and how many match in all.
    pub fn list_servers(&self, f: &ServerFilter, offset: usize, limit: usize, now_ms: u64) -> (usize, Vec<AppServer>) {
        let page = self.server_page(f, offset, limit).map(|i| self.server_view(i, now_ms));
        (page.count, page.items)
    }

    /// ListServerGroups: one page of groups, without the detail fields.
    pub fn list_groups(&self, f: &GroupFilter, offset: usize, limit: usize) -> (usize, Vec<ServerGroup>) {
        let page = self.group_page(f, offset, limit).map(|i| self.group_view(i, false));
        (page.count, page.items)
    }

    /// One sub-job as ListSubJobs and ShowJobDetail show it.
    fn sub_job_view(&self, at: JobRef, now_ms: u64) -> SubJob {
        let job = &self.jobs[at.job as usize];
        let sub = &job.subs[at.sub as usize];
        let s = &self.servers[sub.server as usize];
        job.sub_job_view(sub, (&s.id, &s.name), &self.project_id, now_ms)
    }

    pub fn job_detail(&self, id: &str, now_ms: u64) -> Option<JobDetail> {
        let job_index = *self.job_by_id.get(id)?;
        let job = &self.jobs[job_index as usize];
        let subs = (0..job.subs.len() as u32).map(|sub| self.sub_job_view(JobRef { job: job_index, sub }, now_ms)).collect();
        Some(job.detail(subs, now_ms))
    }

    /// ListSubJobs: one page of sub-jobs in creation order, and how many match in all.
    pub fn list_sub_jobs(&self, f: &SubJobFilter, offset: usize, limit: usize, now_ms: u64) -> (usize, Vec<SubJob>) {
        let page = self.sub_job_page(f, offset, limit, now_ms).map(|at| self.sub_job_view(at, now_ms));
        (page.count, page.items)
    }

    /// Counts for `GET /_sim/state`.
    pub fn summary(&self, now_ms: u64) -> serde_json::Value {
        let mut vm: BTreeMap<String, usize> = BTreeMap::new();
        let mut task: BTreeMap<String, usize> = BTreeMap::new();
        let (mut maintenance, mut sessions, mut busy) = (0usize, 0u64, 0usize);
        for i in 0..self.servers.len() as u32 {
            let view = self.server_view(i, now_ms);
            *vm.entry(view.vm_status.as_ref().map_or("none", |v| v.as_str()).to_owned()).or_default() += 1;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::state::testing::{add_server, empty_world, NOW_MS};
    use workspace_tsvi::model::{JobType, SubJobStatus, TaskStatus};

    /// Three groups (virtual IP on in the first two, off in the third), two servers in the
    /// first group and one in the third.
    fn world() -> World {
        let mut w = empty_world(3);
        add_server(&mut w, "s-1", "one", "ONE", 0, "10.0.0.1");
        add_server(&mut w, "s-2", "two", "TWO", 0, "10.0.0.2");
        add_server(&mut w, "s-3", "three", "THREE", 2, "10.0.2.3");
        w
    }

    #[test]
    fn a_server_without_a_job_shows_its_own_fields_and_its_group() {
        let w = world();
        let view = w.server_view(w.by_id["s-3"], NOW_MS);
        let (s, g) = (&w.servers[2], &w.groups[2]);
        assert_eq!(view.id.as_deref(), Some("s-3"));
        assert_eq!((view.name.as_deref(), view.machine_name.as_deref()), (Some("three"), Some("THREE")));
        assert_eq!(view.server_group_id.as_deref(), Some(g.id.as_str()));
        assert_eq!(view.server_group_name.as_deref(), Some(g.name.as_str()));
        assert_eq!(view.os_type.as_deref(), Some(g.os_type.as_str()));
        assert_eq!(view.host_address.as_ref().unwrap()[0].addr.as_deref(), Some("10.0.2.3"));
        assert_eq!(view.vm_status, Some(VmStatus::Active));
        assert_eq!(view.maintain_status, Some(false));
        assert_eq!(view.session_count, Some(0));
        assert_eq!((view.task_status, view.job_id, view.job_type, view.job_status, view.job_time), (None, None, None, None, None));
        assert_eq!(view.update_time, Some(s.create_time.clone()), "never updated: the creation time");
        assert!(view.addresses.is_none() && view.root_volume.is_none() && view.security_groups.is_none(), "list view");
    }

    #[test]
    fn a_server_shows_its_last_job_as_it_runs() {
        let mut w = world();
        let (job_id, _) = w.submit_tsvi(&[("s-1".into(), true)], NOW_MS).unwrap();
        w.servers[1].fail_updates = true;
        w.submit_tsvi(&[("s-2".into(), true)], NOW_MS).unwrap();
        let ok = w.jobs[0].subs[0].clone();
        let failing = w.jobs[1].subs[0].clone();
        let updating = Some(TaskStatus::UpdatingTsvi);
        let cases = [
            ("waiting", 0, ok.start_ms - 1, VmStatus::Active, updating.clone(), JobStatus::Waiting),
            ("working", 0, ok.start_ms, VmStatus::Active, updating.clone(), JobStatus::Running),
            ("rebooting", 0, ok.work_end_ms, VmStatus::Reboot, updating.clone(), JobStatus::Running),
            ("succeeded", 0, ok.end_ms, VmStatus::Active, None, JobStatus::Success),
            ("failed: no reboot", 1, failing.work_end_ms, VmStatus::Active, Some(TaskStatus::UpdatingTsviFailed), JobStatus::Failed),
        ];
        for (name, server, at, vm, task, job_status) in cases {
            let view = w.server_view(server, at);
            assert_eq!(view.vm_status, Some(vm), "{name}");
            assert_eq!(view.task_status, task, "{name}");
            assert_eq!(view.job_status, Some(job_status), "{name}");
            assert_eq!(view.job_type, Some(JobType::UpdateServerTsvi), "{name}");
            assert_eq!(view.job_time, Some(iso_from_ms(NOW_MS)), "{name}");
            assert_eq!(view.update_time, view.job_time, "{name}");
        }
        assert_eq!(w.server_view(0, NOW_MS).job_id, Some(job_id));
    }

    #[test]
    fn show_server_adds_the_detail_fields() {
        let w = world();
        let detail = w.server_detail(0, NOW_MS);
        let list = w.server_view(0, NOW_MS);
        assert!(detail.addresses.is_some() && detail.root_volume.is_some() && detail.security_groups.is_some());
        let text = serde_json::to_string(&detail.addresses).unwrap();
        assert!(text.contains("10.0.0.1") && text.contains(&w.groups[0].vpc_id), "{text}");
        let strip = |mut v: AppServer| {
            v.addresses = None;
            v.root_volume = None;
            v.security_groups = None;
            serde_json::to_value(v).unwrap()
        };
        assert_eq!(strip(detail), strip(list), "otherwise the list view");
    }

    #[test]
    fn only_the_group_detail_shows_ip_virtual() {
        let w = world();
        let cases =
            [(0, false, None, 2), (0, true, Some(true), 2), (1, true, Some(true), 0), (2, true, Some(false), 1), (2, false, None, 1)];
        for (index, detail, ip_virtual, servers) in cases {
            let view = w.group_view(index, detail);
            assert_eq!(view.id.as_deref(), Some(w.groups[index as usize].id.as_str()));
            assert_eq!(view.ip_virtual.map(|v| v.enable), ip_virtual, "group {index}, detail {detail}");
            assert_eq!((view.flavors.is_some(), view.route_policy.is_some()), (detail, detail));
            assert_eq!(view.app_server_count, Some(servers), "group {index}");
        }
    }

    #[test]
    fn listings_build_views_of_their_filtered_page() {
        let w = world();
        let filter = ServerFilter { server_group_id: Some(w.groups[0].id.clone()), ..Default::default() };
        let (count, items) = w.list_servers(&filter, 1, 5, NOW_MS);
        assert_eq!(count, 2);
        assert_eq!(items.iter().map(|s| s.id.clone().unwrap()).collect::<Vec<_>>(), ["s-2"]);
        let (count, groups) = w.list_groups(&GroupFilter::default(), 0, 2);
        assert_eq!((count, groups.len()), (3, 2));
        assert!(groups.iter().all(|g| g.ip_virtual.is_none()), "ListServerGroups has no ip_virtual");
    }

    #[test]
    fn jobs_and_sub_jobs_name_their_servers() {
        let mut w = world();
        let (job_id, _) = w.submit_tsvi(&[("s-3".into(), false), ("s-1".into(), true)], NOW_MS).unwrap();
        assert!(w.job_detail("404", NOW_MS).is_none());
        let later = NOW_MS + 60_000;
        let detail = w.job_detail(&job_id, later).unwrap();
        assert_eq!((detail.status, detail.sub_jobs_total), (Some(JobStatus::Success), Some(2)));
        let names: Vec<_> = detail.sub_jobs.iter().map(|s| s.job_resource_info.as_ref().unwrap().resource_name.clone().unwrap()).collect();
        assert_eq!(names, ["three", "one"], "in the order of the request");
        let (count, subs) = w.list_sub_jobs(&SubJobFilter { status: Some(SubJobStatus::Success), ..Default::default() }, 1, 10, later);
        assert_eq!(count, 2);
        assert_eq!(subs.len(), 1);
        assert_eq!(subs[0].job_resource_info.as_ref().unwrap().resource_id.as_deref(), Some("s-1"));
        assert_eq!(subs[0].job_id.as_deref(), Some(job_id.as_str()));
    }

    #[test]
    fn the_summary_counts_servers_and_jobs() {
        let mut w = world();
        w.servers[2].maintain = true;
        w.submit_tsvi(&[("s-1".into(), true)], NOW_MS).unwrap();
        let rebooting = w.jobs[0].subs[0].work_end_ms;
        let summary = w.summary(rebooting);
        assert_eq!(summary["servers"], 3);
        assert_eq!(summary["groups"], 3);
        assert_eq!(summary["in_maintenance"], 1);
        assert_eq!(summary["with_running_job"], 1);
        assert_eq!(summary["by_vm_status"], serde_json::json!({"ACTIVE": 2, "REBOOT": 1}));
        assert_eq!(summary["by_task_status"], serde_json::json!({"updating_tsvi": 1}));
        assert_eq!(summary["jobs"], serde_json::json!({"total": 1, "by_status": {"RUNNING": 1}}));
        assert_eq!(w.summary(NOW_MS + 60_000)["jobs"]["by_status"], serde_json::json!({"SUCCESS": 1}));
    }
}
