//! Which servers, groups and sub-jobs a query selects, and which page of them it returns.
//!
//! Filters answer with indexes into the model ([`World::servers`], [`World::groups`], and
//! [`JobRef`]s into [`World::jobs`]) and the count of every match, never with answers: the
//! views build those for the page only (see [`super::views`]), so a page of 100 out of 100,000
//! servers builds 100 views.

use super::jobs::Job;
use super::state::{JobRef, SimGroup, SimServer, World};
use workspace_tsvi::model::{JobType, SubJobStatus};

/// One page of a listing: how many match in all, and the items of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub count: usize,
    pub items: Vec<T>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { count: self.count, items: self.items.into_iter().map(f).collect() }
    }
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

/// Case-insensitive (ASCII) substring test without allocating.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// The server filters with the group resolved to its index and the partial-match needles
/// lower-cased, once per request.
struct ServerMatcher<'a> {
    filter: &'a ServerFilter,
    group: Option<u32>,
    name: Option<String>,
    machine_name: Option<String>,
}

impl<'a> ServerMatcher<'a> {
    fn new(filter: &'a ServerFilter, group: Option<u32>) -> Self {
        ServerMatcher {
            filter,
            group,
            name: filter.server_name.as_deref().map(str::to_lowercase),
            machine_name: filter.machine_name.as_deref().map(str::to_lowercase),
        }
    }

    fn matches(&self, s: &SimServer) -> bool {
        let f = self.filter;
        self.group.is_none_or(|g| s.group == g)
            && self.name.as_deref().is_none_or(|n| s.name_key().contains(n))
            && self.machine_name.as_deref().is_none_or(|n| s.machine_key().contains(n))
            && f.ip_addr.as_deref().is_none_or(|ip| s.ip.contains(ip))
            && f.server_id.as_deref().is_none_or(|id| s.id == id)
            && f.maintain_status.is_none_or(|m| s.maintain == m)
            && f.scaling_auto_create.is_none_or(|a| s.scaling_auto_create == a)
    }
}

impl GroupFilter {
    /// Names match in part and in any case; tags match the tag's key or the department it
    /// holds; every group is in the default enterprise project (`0`) and none is secondary.
    pub fn matches(&self, g: &SimGroup) -> bool {
        self.server_group_name.as_deref().is_none_or(|n| contains_ignore_case(&g.name, n))
            && self.server_group_id.as_deref().is_none_or(|id| g.id == id)
            && self.app_type.as_deref().is_none_or(|t| g.app_type == t)
            && self.tags.as_deref().is_none_or(|t| contains_ignore_case("department", t) || contains_ignore_case(&g.department, t))
            && self.enterprise_project_id.as_deref().is_none_or(|e| e.is_empty() || e == "0")
            && self.is_secondary_server_group.is_none_or(|secondary| !secondary)
    }
}

impl SubJobFilter {
    fn takes_job(&self, job: &Job) -> bool {
        self.job_type.as_ref().is_none_or(|t| *t == job.job_type)
    }
}

impl World {
    /// One page of servers in id order, and how many match in all. An unknown group matches
    /// nothing; a `server_id` is looked up rather than scanned for.
    pub fn server_page(&self, f: &ServerFilter, offset: usize, limit: usize) -> Page<u32> {
        let group = match &f.server_group_id {
            Some(id) => match self.group_index(id) {
                Some(g) => Some(g),
                None => return Page { count: 0, items: Vec::new() },
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
            return Page { count: self.sorted.len(), items: self.sorted.iter().skip(offset).take(limit).copied().collect() };
        }
        let matcher = ServerMatcher::new(f, group);
        if let Some(id) = &f.server_id {
            let hit = self.by_id.get(id).copied().filter(|&i| matcher.matches(&self.servers[i as usize]));
            return Page { count: hit.is_some() as usize, items: hit.filter(|_| offset == 0).into_iter().collect() };
        }
        let mut count = 0;
        let mut items = Vec::with_capacity(limit.min(100));
        for &i in &self.sorted {
            if matcher.matches(&self.servers[i as usize]) {
                if count >= offset && items.len() < limit {
                    items.push(i);
                }
                count += 1;
            }
        }
        Page { count, items }
    }

    /// One page of groups in the world's order, and how many match in all.
    pub fn group_page(&self, f: &GroupFilter, offset: usize, limit: usize) -> Page<u32> {
        let matching: Vec<u32> = (0..self.groups.len() as u32).filter(|&i| f.matches(&self.groups[i as usize])).collect();
        Page { count: matching.len(), items: matching.into_iter().skip(offset).take(limit).collect() }
    }

    /// One page of sub-jobs in creation order (stable while new jobs are added at the end),
    /// and how many match in all. The status is the sub-job's at `now_ms`.
    pub fn sub_job_page(&self, f: &SubJobFilter, offset: usize, limit: usize, now_ms: u64) -> Page<JobRef> {
        let jobs: Vec<u32> = match &f.job_id {
            Some(id) => self.job_by_id.get(id).copied().into_iter().collect(),
            None => (0..self.jobs.len() as u32).collect(),
        };
        let mut count = 0;
        let mut items = Vec::new();
        for job_index in jobs.into_iter().filter(|&j| f.takes_job(&self.jobs[j as usize])) {
            for (sub_index, sub) in self.jobs[job_index as usize].subs.iter().enumerate() {
                if f.status.as_ref().is_some_and(|st| *st != sub.phase(now_ms).sub_job_status()) {
                    continue;
                }
                if count >= offset && items.len() < limit {
                    items.push(JobRef { job: job_index, sub: sub_index as u32 });
                }
                count += 1;
            }
        }
        Page { count, items }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::state::testing::{add_server, empty_world};

    #[test]
    fn contains_ignore_case_table() {
        let cases = [
            ("Finance-APS-0001", "aps-00", true),
            ("Finance-APS-0001", "FINANCE", true),
            ("Finance-APS-0001", "", true),
            ("", "", true),
            ("", "a", false),
            ("abc", "abcd", false),
            ("abc", "b c", false),
        ];
        for (haystack, needle, want) in cases {
            assert_eq!(contains_ignore_case(haystack, needle), want, "{haystack:?} contains {needle:?}");
        }
    }

    /// Three groups and six servers whose names, addresses and marks differ one at a time.
    fn world() -> World {
        let mut w = empty_world(3);
        for (id, name, machine, group, ip) in [
            ("s-f", "Alpha-one", "ALPHA01", 0, "10.0.0.1"),
            ("s-a", "alpha-two", "ALPHA02", 0, "10.0.0.2"),
            ("s-d", "beta-one", "BETA01", 1, "10.0.1.1"),
            ("s-b", "beta-two", "BETA02", 1, "10.0.1.12"),
            ("s-e", "gamma-one", "GAMMA01", 2, "10.0.2.1"),
            ("s-c", "gamma-two", "GAMMA02", 2, "10.0.2.2"),
        ] {
            add_server(&mut w, id, name, machine, group, ip);
        }
        let at = |w: &World, id: &str| w.by_id[id] as usize;
        let i = at(&w, "s-d");
        w.servers[i].maintain = true;
        let i = at(&w, "s-e");
        w.servers[i].scaling_auto_create = true;
        w
    }

    fn ids(w: &World, page: &Page<u32>) -> Vec<String> {
        page.items.iter().map(|&i| w.servers[i as usize].id.clone()).collect()
    }

    #[test]
    fn server_filters_table() {
        let w = world();
        let group1 = w.groups[1].id.clone();
        let none = ServerFilter::default;
        let cases: Vec<(&str, ServerFilter, &[&str])> = vec![
            ("no filter lists by id", none(), &["s-a", "s-b", "s-c", "s-d", "s-e", "s-f"]),
            ("group", ServerFilter { server_group_id: Some(group1.clone()), ..none() }, &["s-b", "s-d"]),
            ("unknown group", ServerFilter { server_group_id: Some("nope".into()), ..none() }, &[]),
            ("name in part, any case", ServerFilter { server_name: Some("ALPHA".into()), ..none() }, &["s-a", "s-f"]),
            ("machine name in part", ServerFilter { machine_name: Some("a02".into()), ..none() }, &["s-a", "s-b", "s-c"]),
            ("ip in part", ServerFilter { ip_addr: Some("10.0.1.1".into()), ..none() }, &["s-b", "s-d"]),
            ("server id exactly", ServerFilter { server_id: Some("s-c".into()), ..none() }, &["s-c"]),
            ("server id in part is no match", ServerFilter { server_id: Some("s-".into()), ..none() }, &[]),
            (
                "server id outside the group",
                ServerFilter { server_id: Some("s-c".into()), server_group_id: Some(group1.clone()), ..none() },
                &[],
            ),
            ("maintenance on", ServerFilter { maintain_status: Some(true), ..none() }, &["s-d"]),
            ("maintenance off", ServerFilter { maintain_status: Some(false), ..none() }, &["s-a", "s-b", "s-c", "s-e", "s-f"]),
            ("auto-created", ServerFilter { scaling_auto_create: Some(true), ..none() }, &["s-e"]),
            (
                "all of them at once",
                ServerFilter { server_group_id: Some(group1), server_name: Some("two".into()), ip_addr: Some(".12".into()), ..none() },
                &["s-b"],
            ),
        ];
        for (name, filter, want) in cases {
            let page = w.server_page(&filter, 0, 100);
            assert_eq!(ids(&w, &page), want, "{name}");
            assert_eq!(page.count, want.len(), "{name}");
        }
    }

    #[test]
    fn server_pages_count_every_match_and_return_the_window() {
        let w = world();
        let cases: Vec<(ServerFilter, usize, usize, usize, &[&str])> = vec![
            (ServerFilter::default(), 0, 2, 6, &["s-a", "s-b"]),
            (ServerFilter::default(), 4, 10, 6, &["s-e", "s-f"]),
            (ServerFilter::default(), 6, 10, 6, &[]),
            (ServerFilter { server_name: Some("one".into()), ..Default::default() }, 1, 1, 3, &["s-e"]),
            (ServerFilter { server_name: Some("one".into()), ..Default::default() }, 9, 1, 3, &[]),
            (ServerFilter { server_id: Some("s-a".into()), ..Default::default() }, 1, 10, 1, &[]),
        ];
        for (filter, offset, limit, count, want) in cases {
            let page = w.server_page(&filter, offset, limit);
            assert_eq!((page.count, ids(&w, &page)), (count, want.iter().map(|s| s.to_string()).collect()), "{filter:?} {offset} {limit}");
        }
    }

    #[test]
    fn group_filters_table() {
        let w = world();
        let (g0, g2) = (w.groups[0].clone(), w.groups[2].clone());
        let none = GroupFilter::default;
        let all = [0, 1, 2];
        let cases: Vec<(&str, GroupFilter, &[u32])> = vec![
            ("no filter", none(), &all),
            ("name in part, any case", GroupFilter { server_group_name: Some(g2.name.to_uppercase()[2..].to_owned()), ..none() }, &[2]),
            ("id", GroupFilter { server_group_id: Some(g0.id.clone()), ..none() }, &[0]),
            ("app type", GroupFilter { app_type: Some("COMMON_APP".into()), ..none() }, &[1]),
            ("tag key", GroupFilter { tags: Some("DEPART".into()), ..none() }, &all),
            ("tag value", GroupFilter { tags: Some(g0.department.clone()), ..none() }, &[0]),
            ("unknown tag", GroupFilter { tags: Some("nope".into()), ..none() }, &[]),
            ("default enterprise project", GroupFilter { enterprise_project_id: Some("0".into()), ..none() }, &all),
            ("another enterprise project", GroupFilter { enterprise_project_id: Some("ep-1".into()), ..none() }, &[]),
            ("primary groups", GroupFilter { is_secondary_server_group: Some(false), ..none() }, &all),
            ("secondary groups", GroupFilter { is_secondary_server_group: Some(true), ..none() }, &[]),
        ];
        for (name, filter, want) in cases {
            let page = w.group_page(&filter, 0, 100);
            assert_eq!((page.count, page.items.as_slice()), (want.len(), want), "{name}");
        }
        assert_eq!(w.group_page(&none(), 1, 1), Page { count: 3, items: vec![1] });
        assert_eq!(w.group_page(&none(), 3, 1), Page { count: 3, items: vec![] });
    }

    #[test]
    fn sub_job_filters_table() {
        let mut w = world();
        let now = 1_000_000;
        let first = w.submit_tsvi(&[("s-a".into(), true), ("s-b".into(), true)], now).unwrap().0;
        let second = w.submit_tsvi(&[("s-c".into(), false)], now).unwrap().0;
        let later = now + 60_000;
        let none = SubJobFilter::default;
        let r = |job, sub| JobRef { job, sub };
        let cases: Vec<(&str, SubJobFilter, u64, Vec<JobRef>)> = vec![
            ("every sub-job in creation order", none(), now, vec![r(0, 0), r(0, 1), r(1, 0)]),
            ("one job", SubJobFilter { job_id: Some(second.clone()), ..none() }, now, vec![r(1, 0)]),
            ("an unknown job", SubJobFilter { job_id: Some("1".into()), ..none() }, now, vec![]),
            ("the TSVI type", SubJobFilter { job_type: Some(JobType::UpdateServerTsvi), ..none() }, now, vec![r(0, 0), r(0, 1), r(1, 0)]),
            ("another type", SubJobFilter { job_type: Some(JobType::RejoinDomain), ..none() }, now, vec![]),
            (
                "waiting when just submitted",
                SubJobFilter { status: Some(SubJobStatus::Waiting), ..none() },
                now,
                vec![r(0, 0), r(0, 1), r(1, 0)],
            ),
            ("none succeeded yet", SubJobFilter { status: Some(SubJobStatus::Success), ..none() }, now, vec![]),
            (
                "all succeeded later",
                SubJobFilter { job_id: Some(first), status: Some(SubJobStatus::Success), ..none() },
                later,
                vec![r(0, 0), r(0, 1)],
            ),
        ];
        for (name, filter, at, want) in cases {
            let page = w.sub_job_page(&filter, 0, 100, at);
            assert_eq!((page.count, page.items.clone()), (want.len(), want), "{name}");
        }
        assert_eq!(w.sub_job_page(&none(), 1, 1, now), Page { count: 3, items: vec![r(0, 1)] });
        assert_eq!(w.sub_job_page(&none(), 5, 1, now), Page { count: 3, items: vec![] });
    }

    #[test]
    fn pages_map_their_items_and_keep_the_count() {
        let page = Page { count: 7, items: vec![1, 2] };
        assert_eq!(page.map(|i| i * 10), Page { count: 7, items: vec![10, 20] });
    }
}
