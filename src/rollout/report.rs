//! The report of a rollout: one entry per selected server, kept up to date while the run goes,
//! so an interrupted run can be resumed from it. It holds no secret: it can be stored anywhere.

use super::plan::{Plan, SkipReason};
use crate::model::deserialize_fields;
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Where a server stands. A finished run leaves only the last four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Not sent yet.
    Pending,
    /// Sent, and its job is being followed.
    InProgress,
    Succeeded,
    Failed,
    Skipped,
    /// Nothing proves whether it was updated.
    Unknown,
}

impl Outcome {
    pub fn is_final(self) -> bool {
        matches!(self, Outcome::Succeeded | Outcome::Failed | Outcome::Skipped | Outcome::Unknown)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::InProgress => "in_progress",
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Unknown => "unknown",
        }
    }
}

/// Why a server `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// Its sub-job ended in failure (the sub-job's error code and message are on the entry).
    SubJobFailed,
    /// The service refused the batch for good (4xx).
    Refused,
    /// The batch was provably not applied, and the resends allowed were used up.
    RetriesExhausted,
}

/// Why nothing proves whether a server was updated (`unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownReason {
    /// A call that may have carried it failed, and its state does not tell.
    Ambiguous,
    /// Its state could not be read, so it was not sent blind.
    Unreadable,
    /// Its job finished without a sub-job for it.
    NoSubJob,
    /// Its job was still running when the run stopped following it.
    JobTimeout,
}

/// The `reason` of a report entry: one stable word, from the enum of its outcome's kind.
/// Serialized as the bare word (`"refused"`); every word comes from serde's names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Reason {
    Skip(SkipReason),
    Fail(FailReason),
    Unknown(UnknownReason),
    /// A word this version does not know (a report saved by another version), kept as is so
    /// the report still resumes and shows it.
    Other(String),
}

impl From<SkipReason> for Reason {
    fn from(reason: SkipReason) -> Self {
        Reason::Skip(reason)
    }
}

impl From<FailReason> for Reason {
    fn from(reason: FailReason) -> Self {
        Reason::Fail(reason)
    }
}

impl From<UnknownReason> for Reason {
    fn from(reason: UnknownReason) -> Self {
        Reason::Unknown(reason)
    }
}

impl Reason {
    /// The reason a word names, by serde's own names for each kind.
    pub fn from_word(word: String) -> Reason {
        /// Not this kind's word. Carries no message: none is shown, and building one would
        /// only add formatting code to the wasm.
        #[derive(Debug)]
        struct NotThisKind;
        impl fmt::Display for NotThisKind {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                Ok(())
            }
        }
        impl std::error::Error for NotThisKind {}
        impl serde::de::Error for NotThisKind {
            fn custom<T: fmt::Display>(_: T) -> Self {
                NotThisKind
            }
        }
        fn known<T: DeserializeOwned>(word: &str) -> Option<T> {
            T::deserialize(IntoDeserializer::<NotThisKind>::into_deserializer(word)).ok()
        }
        if let Some(reason) = known::<SkipReason>(&word) {
            Reason::Skip(reason)
        } else if let Some(reason) = known::<FailReason>(&word) {
            Reason::Fail(reason)
        } else if let Some(reason) = known::<UnknownReason>(&word) {
            Reason::Unknown(reason)
        } else {
            Reason::Other(word)
        }
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Reason::from_word)
    }
}

/// The word, as serde writes it (for the CSV).
impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.serialize(f)
    }
}

/// How draining went for one server, and the maintenance mark the run set on it.
///
/// The mark is recorded before it is asked for (`marked_by_run`, written ahead and handed to
/// `onReport` before the batch-maint call), confirmed (`marked_at`) and lifted (`lifted_at`,
/// written once the service took the lift). While `marked_by_run` holds without `lifted_at`,
/// the server may be in maintenance because of this run, and resuming lifts it (or drains and
/// updates it). A server that was in maintenance before is `already_in_maintenance`: the run
/// never marks or lifts it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drain {
    #[serde(default)]
    pub sessions_before: u32,
    /// Sessions left when the reboot went ahead: more than 0 only when the deadline passed.
    #[serde(default)]
    pub sessions_at_reboot: u32,
    #[serde(default)]
    pub waited_ms: u64,
    #[serde(default)]
    pub deadline_passed: bool,
    /// In maintenance before this run touched it: its mark is not the run's to lift.
    #[serde(default)]
    pub already_in_maintenance: bool,
    /// This run asked (or was about to ask) for maintenance mode on the server.
    #[serde(default)]
    pub marked_by_run: bool,
    /// When the service confirmed the run's mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marked_at: Option<u64>,
    /// When the service confirmed that the run's mark was lifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifted_at: Option<u64>,
}

deserialize_fields!(Drain {
    sessions_before: opt,
    sessions_at_reboot: opt,
    waited_ms: opt,
    deadline_passed: opt,
    already_in_maintenance: opt,
    marked_by_run: opt,
    marked_at: opt,
    lifted_at: opt,
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerReport {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_group_id: Option<String>,
    pub outcome: Outcome,
    /// Why it was skipped, failed or is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_job_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    /// The `X-Request-Id` of the answer that refused the batch, for support tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// batch-update-tsvi calls that carried this server.
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<Drain>,
    /// The job the server showed when this run last read it before sending it: a different
    /// UPDATE_SERVER_TSVI job found on it after a call that may have carried it is this run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_before: Option<String>,
}

deserialize_fields!(ServerReport {
    id: req,
    name: opt,
    server_group_id: opt,
    outcome: req(Outcome::Pending),
    reason: opt,
    detail: opt,
    wave: opt,
    job_id: opt,
    sub_job_status: opt,
    error_code: opt,
    error_msg: opt,
    request_id: opt,
    attempts: req,
    submitted_at: opt,
    finished_at: opt,
    drain: opt,
    job_before: opt,
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Completed,
    /// Stopped starting waves after too many failures.
    Halted,
    /// Stopped starting waves because the caller aborted.
    Aborted,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub succeeded: usize,
    pub failed: usize,
    pub skipped: usize,
    pub unknown: usize,
    pub pending: usize,
    pub in_progress: usize,
}

deserialize_fields!(Counts { succeeded: req, failed: req, skipped: req, unknown: req, pending: req, in_progress: req });

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Bumped when the shape changes, so a stored report is not misread.
    pub format: u32,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halt_reason: Option<String>,
    pub started_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// Every job this run created: resuming never sends these servers again.
    pub job_ids: Vec<String>,
    pub servers: Vec<ServerReport>,
    /// Things the run noticed that the user should know (changed servers, lifts that failed).
    pub notes: Vec<String>,
    pub counts: Counts,
    pub plan: Plan,
    #[serde(skip)]
    servers_index: super::IdIndex,
}

deserialize_fields!(Report {
    format: req, status: req(RunStatus::Running), halt_reason: opt, started_at: req, finished_at: opt, job_ids: req, servers: req, notes: req, counts: req, plan: req,
} skipped { servers_index });

pub const REPORT_FORMAT: u32 = 1;

impl Report {
    /// A report in which every planned server is pending and every skip is recorded.
    pub fn new(plan: &Plan, started_at: u64) -> Report {
        let mut servers = Vec::with_capacity(plan.snapshot.len());
        for (wave, id) in plan.waves.iter().flat_map(|w| w.server_ids().map(move |id| (w.index, id))) {
            let state = plan.snapshot_of(id);
            servers.push(ServerReport {
                id: id.clone(),
                name: state.and_then(|s| s.name.clone()),
                server_group_id: state.and_then(|s| s.server_group_id.clone()),
                outcome: Outcome::Pending,
                wave: Some(wave),
                ..ServerReport::blank()
            });
        }
        for skip in &plan.skipped {
            if skip.reason == SkipReason::Duplicate {
                continue; // One entry per selected server: the first listing has it.
            }
            let state = plan.snapshot_of(&skip.id);
            servers.push(ServerReport {
                id: skip.id.clone(),
                name: skip.name.clone(),
                server_group_id: state.and_then(|s| s.server_group_id.clone()),
                outcome: Outcome::Skipped,
                reason: Some(Reason::Skip(skip.reason)),
                detail: Some(skip.detail.clone()),
                ..ServerReport::blank()
            });
        }
        let mut report = Report {
            format: REPORT_FORMAT,
            status: RunStatus::Running,
            halt_reason: None,
            started_at,
            finished_at: None,
            job_ids: Vec::new(),
            servers,
            notes: Vec::new(),
            counts: Counts::default(),
            plan: plan.clone(),
            servers_index: Default::default(),
        };
        report.recount();
        report
    }

    pub fn server_mut(&mut self, id: &str) -> Option<&mut ServerReport> {
        let i = self.servers_index.position(&self.servers, |s| &s.id, id)?;
        self.servers.get_mut(i)
    }

    pub fn server(&self, id: &str) -> Option<&ServerReport> {
        let i = self.servers_index.position(&self.servers, |s| &s.id, id)?;
        self.servers.get(i)
    }

    pub fn recount(&mut self) {
        let mut c = Counts::default();
        for s in &self.servers {
            match s.outcome {
                Outcome::Succeeded => c.succeeded += 1,
                Outcome::Failed => c.failed += 1,
                Outcome::Skipped => c.skipped += 1,
                Outcome::Unknown => c.unknown += 1,
                Outcome::Pending => c.pending += 1,
                Outcome::InProgress => c.in_progress += 1,
            }
        }
        self.counts = c;
    }

    /// One line per server with a header line, every field quoted (RFC 4180) and defused
    /// against formula injection (see [`csv_field`]).
    pub fn to_csv(&self) -> String {
        // The last three: whether the server was in maintenance before the run, whether this
        // run marked it, and when the run's mark was lifted (empty while it may still be on).
        const COLUMNS: [&str; 20] = [
            "id",
            "name",
            "server_group_id",
            "outcome",
            "reason",
            "detail",
            "wave",
            "job_id",
            "sub_job_status",
            "error_code",
            "error_msg",
            "request_id",
            "attempts",
            "submitted_at",
            "finished_at",
            "drain_waited_ms",
            "sessions_at_reboot",
            "already_in_maintenance",
            "marked_by_run",
            "mark_lifted_at",
        ];
        let header: Vec<String> = COLUMNS.iter().map(|c| csv_field(c)).collect();
        let mut out = crate::text::join(&header, ",");
        out.push_str("\r\n");
        for s in &self.servers {
            let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
            let flag = |b: bool| if b { "true".to_owned() } else { String::new() };
            let drain = s.drain.clone().unwrap_or_default();
            let fields = [
                s.id.clone(),
                s.name.clone().unwrap_or_default(),
                s.server_group_id.clone().unwrap_or_default(),
                s.outcome.as_str().to_owned(),
                s.reason.as_ref().map(Reason::to_string).unwrap_or_default(),
                s.detail.clone().unwrap_or_default(),
                number(s.wave.map(|w| w as u64)),
                s.job_id.clone().unwrap_or_default(),
                s.sub_job_status.clone().unwrap_or_default(),
                s.error_code.clone().unwrap_or_default(),
                s.error_msg.clone().unwrap_or_default(),
                s.request_id.clone().unwrap_or_default(),
                s.attempts.to_string(),
                number(s.submitted_at),
                number(s.finished_at),
                number(s.drain.as_ref().map(|d| d.waited_ms)),
                number(s.drain.as_ref().map(|d| d.sessions_at_reboot as u64)),
                flag(drain.already_in_maintenance),
                flag(drain.marked_by_run),
                number(drain.lifted_at),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&crate::text::join(&line, ","));
            out.push_str("\r\n");
        }
        out
    }
}

impl ServerReport {
    fn blank() -> ServerReport {
        ServerReport {
            id: String::new(),
            name: None,
            server_group_id: None,
            outcome: Outcome::Pending,
            reason: None,
            detail: None,
            wave: None,
            job_id: None,
            sub_job_status: None,
            error_code: None,
            error_msg: None,
            request_id: None,
            attempts: 0,
            submitted_at: None,
            finished_at: None,
            drain: None,
            job_before: None,
        }
    }

    /// Whether a maintenance mark this run set, or was about to set, may still be on the
    /// server: the run (or its resume) still has to lift it.
    pub fn holds_run_mark(&self) -> bool {
        self.drain.as_ref().is_some_and(|d| d.marked_by_run && d.lifted_at.is_none())
    }

    /// Whether a batch-update-tsvi call may have carried the server without its job being
    /// recorded: it was sent (or about to be) and has no job of this run.
    pub fn maybe_sent(&self) -> bool {
        self.attempts > 0 && self.job_id.is_none() && matches!(self.outcome, Outcome::Pending | Outcome::Unknown)
    }
}

/// What makes a spreadsheet read a cell as a formula (OWASP, CSV injection): `=`, `+`, `-`,
/// `@`, and their full-width and small forms, which some spreadsheets fold to ASCII.
const FORMULA_STARTS: &[char] =
    &['=', '+', '-', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}', '\u{FE66}', '\u{FE62}', '\u{FE63}', '\u{FE6B}'];

/// One CSV field, always quoted (RFC 4180, `"` doubled). Following OWASP's CSV-injection
/// rules, a field that starts with a tab, CR, LF or any other control character, or whose
/// first character after leading whitespace and control characters starts a formula, gets a
/// leading `'`, so a spreadsheet shows it as text and never runs it.
fn csv_field(value: &str) -> String {
    let blank = |c: char| c.is_whitespace() || c.is_control();
    let starts_with_control = value.starts_with(char::is_control);
    let formula = value.trim_start_matches(blank).starts_with(FORMULA_STARTS);
    let mut out = String::with_capacity(value.len() + 3);
    out.push('"');
    if starts_with_control || formula {
        out.push('\'');
    }
    out.push_str(&value.replace('"', "\"\""));
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::model::VmStatus;
    use crate::rollout::plan::{plan_rollout, GroupState, RolloutOptions, ServerState};

    fn sample() -> Report {
        let servers: Vec<ServerState> = ["a", "b", "a"]
            .iter()
            .map(|id| ServerState {
                id: id.to_string(),
                name: Some(format!("=HYPERLINK(\"x\",\"{id}\")")),
                server_group_id: Some("g".into()),
                vm_status: Some(VmStatus::Active),
                ..Default::default()
            })
            .chain(std::iter::once(ServerState { id: "off".into(), vm_status: Some(VmStatus::Deleting), ..Default::default() }))
            .collect();
        let groups = [GroupState {
            id: "g".into(),
            ip_virtual: Some(crate::model::IpVirtual { enable: true }),
            app_server_count: Some(2),
            name: None,
        }];
        Report::new(&plan_rollout(&servers, &groups, &RolloutOptions::default()), 1000)
    }

    #[test]
    fn one_entry_per_selected_server() {
        let report = sample();
        let ids: Vec<(&str, Outcome)> = report.servers.iter().map(|s| (s.id.as_str(), s.outcome)).collect();
        assert_eq!(ids, [("a", Outcome::Pending), ("b", Outcome::Pending), ("off", Outcome::Skipped)]);
        assert_eq!((report.counts.pending, report.counts.skipped), (2, 1));
        assert_eq!(report.server("off").unwrap().reason, Some(Reason::Skip(SkipReason::State)));
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let csv = sample().to_csv();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with(r#""id","name","server_group_id","outcome""#), "{}", lines[0]);
        assert!(lines[1].starts_with(r#""a","'=HYPERLINK(""x"",""a"")","g","pending","#), "{}", lines[1]);
        assert!(lines[3].starts_with(r#""off","","","skipped","state","vm_status DELETING cannot be rebooted now","#), "{}", lines[3]);
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn the_maintenance_mark_reads_from_older_reports_and_shows_in_csv_columns() {
        let old: Drain = json::from_str(r#"{"sessions_before":2,"sessions_at_reboot":0,"waited_ms":40,"deadline_passed":false}"#).unwrap();
        assert!(!old.marked_by_run && !old.already_in_maintenance && old.lifted_at.is_none());
        let mut report = sample();
        let server = report.server_mut("a").unwrap();
        server.drain = Some(Drain { marked_by_run: true, marked_at: Some(5), ..Drain::default() });
        assert!(server.holds_run_mark());
        assert!(report.to_csv().split("\r\n").nth(1).unwrap().ends_with(r#","","true","""#));
        let server = report.server_mut("a").unwrap();
        server.drain.as_mut().unwrap().lifted_at = Some(9);
        assert!(!server.holds_run_mark());
        let csv = report.to_csv();
        let mut lines = csv.split("\r\n");
        assert!(lines.next().unwrap().ends_with(r#","already_in_maintenance","marked_by_run","mark_lifted_at""#));
        assert!(lines.next().unwrap().ends_with(r#","","true","9""#));
        let text = json::to_string(&report).unwrap();
        assert!(text.contains(r#""marked_by_run":true,"marked_at":5,"lifted_at":9"#), "{text}");
    }

    #[test]
    fn csv_follows_owasp_rules_in_full() {
        let defused = [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "\n=1",
            " =1",
            "  \t\r\n+1",
            "\u{a0}=1",
            "\u{3000}@x",
            "\u{FF1D}1+1",
            "\u{FF0B}1",
            "\u{FF0D}1",
            "\u{FF20}x",
            "\u{FE66}1",
            "\tplain",
            "\rplain",
            "\nplain",
            "\u{0}=1",
        ];
        for value in defused {
            let field = csv_field(value);
            assert!(field.starts_with("\"'"), "{value:?} gives {field:?}");
            assert_eq!(field, format!("\"'{value}\""));
        }
        for value in ["plain", "a=b", "1-2", "mail@x", " plain", "", "'=already"] {
            assert_eq!(csv_field(value), format!("\"{value}\""), "{value:?}");
        }
        assert_eq!(csv_field(r#"=HYPERLINK("x")"#), r#""'=HYPERLINK(""x"")""#);
        assert_eq!(csv_field("a,b\r\nc"), "\"a,b\r\nc\"");
    }

    /// The words are what the page, stored reports and the tests read: they never change.
    #[test]
    fn reasons_keep_their_words_and_read_back() {
        use FailReason::*;
        use UnknownReason::*;
        let words: [(Reason, &str); 16] = [
            (SkipReason::Duplicate.into(), "duplicate"),
            (SkipReason::JobRunning.into(), "job_running"),
            (SkipReason::Maintenance.into(), "maintenance"),
            (SkipReason::State.into(), "state"),
            (SkipReason::Busy.into(), "busy"),
            (SkipReason::NotFound.into(), "not_found"),
            (SkipReason::Halted.into(), "halted"),
            (SkipReason::Aborted.into(), "aborted"),
            (SkipReason::Changed.into(), "changed"),
            (SubJobFailed.into(), "sub_job_failed"),
            (Refused.into(), "refused"),
            (RetriesExhausted.into(), "retries_exhausted"),
            (Ambiguous.into(), "ambiguous"),
            (Unreadable.into(), "unreadable"),
            (NoSubJob.into(), "no_sub_job"),
            (JobTimeout.into(), "job_timeout"),
        ];
        for (reason, word) in words {
            assert_eq!(json::to_string(&reason).unwrap(), format!("\"{word}\""));
            assert_eq!(reason.to_string(), word);
            assert_eq!(json::from_str::<Reason>(&format!("\"{word}\"")).unwrap(), reason);
        }
        // A word from another version reads, shows and saves as it was.
        let other: Reason = json::from_str(r#""quota_exceeded""#).unwrap();
        assert_eq!(other, Reason::Other("quota_exceeded".into()));
        assert_eq!((other.to_string(), json::to_string(&other).unwrap()), ("quota_exceeded".into(), r#""quota_exceeded""#.into()));
    }

    #[test]
    fn a_stored_entry_reads_its_reason_word() {
        let entry: ServerReport = json::from_str(r#"{"id":"a","outcome":"skipped","reason":"aborted","attempts":0}"#).unwrap();
        assert_eq!(entry.reason, Some(Reason::Skip(SkipReason::Aborted)));
        let entry: ServerReport = json::from_str(r#"{"id":"a","outcome":"unknown","reason":"ambiguous","attempts":1}"#).unwrap();
        assert_eq!(entry.reason, Some(Reason::Unknown(UnknownReason::Ambiguous)));
        assert!(json::to_string(&entry).unwrap().contains(r#""reason":"ambiguous""#));
    }

    #[test]
    fn json_round_trips() {
        let report = sample();
        let back: Report = json::from_str(&json::to_string(&report).unwrap()).unwrap();
        assert_eq!(back, report);
    }
}
