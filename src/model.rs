//! Wire types of the Workspace APP API, field for field as Huawei documents them
//! (reference §1-§6). Field names stay snake_case so JS users can read Huawei's docs against
//! our objects. Every response field is optional and unknown fields are ignored; an enum value
//! this crate has never heard of is kept verbatim in `Unknown`, never dropped or rejected.

use crate::json::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Declares a string enum whose unknown values survive as `Unknown(String)`.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value this version does not know, kept as the service sent it.
            Unknown(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(other) => other,
                }
            }

            pub fn parse(value: &str) -> Self {
                match value {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(|s| $name::parse(&s))
            }
        }
    };
}

open_enum!(
    /// `AppServer.status`: the registration state.
    ServerStatus {
        Unregister = "UNREGISTER", Registered = "REGISTERED", Maintaining = "MAINTAINING",
        Freeze = "FREEZE", Stopped = "STOPPED", None = "NONE",
    }
);

open_enum!(
    /// `AppServer.vm_status`.
    VmStatus {
        Build = "BUILD", BuildFail = "BUILD_FAIL", Reboot = "REBOOT", HardReboot = "HARD_REBOOT",
        Rebuild = "REBUILD", RebuildFail = "REBUILD_FAIL", Migrating = "MIGRATING", Resize = "RESIZE",
        Active = "ACTIVE", Shutoff = "SHUTOFF", RevertResize = "REVERT_RESIZE",
        VerifyResize = "VERIFY_RESIZE", Error = "ERROR", Deleting = "DELETING", Freeze = "FREEZE",
        BuildImage = "BUILD_IMAGE", BuildSnapshot = "BUILD_SNAPSHOT",
        RestoreSnapshot = "RESTORE_SNAPSHOT", Null = "null",
    }
);

open_enum!(
    /// `AppServer.task_status`: the task the VM is busy with, lower case as on the wire.
    TaskStatus {
        Scheduling = "scheduling", BlockDeviceMapping = "block_device_mapping",
        Networking = "networking", Spawning = "spawning", Rebooting = "rebooting",
        RebootPending = "reboot_pending", RebootingHard = "rebooting_hard",
        RebootPendingHard = "reboot_pending_hard", RebootStartedHard = "reboot_started_hard",
        Rebuilding = "rebuilding", RebuildFail = "rebuild_fail", UpdatingTsvi = "updating_tsvi",
        UpdatingTsviFailed = "updating_tsvi_failed",
        RebuildBlockDeviceMapping = "rebuild_block_device_mapping",
        RebuildSpawning = "rebuild_spawning", Migrating = "migrating", ResizePrep = "resize_prep",
        ResizeMigrating = "resize_migrating", ResizeMigrated = "resize_migrated",
        ResizeFinish = "resize_finish", ResizeReverting = "resize_reverting",
        PoweringOff = "powering-off", PoweringOn = "powering-on", Deleting = "deleting",
        RejoiningDomain = "rejoining_domain", SourceLocking = "source_locking",
        DeleteFailed = "delete_failed", UpdatingSid = "updating_sid",
        UpgradingAccessAgent = "upgrading_access_agent",
        UpgradAccessAgentFail = "upgrad_access_agent_fail",
        UpgradAccessAgentSuccess = "upgrad_access_agent_success", MigrateFailed = "migrate_failed",
        BuildImage = "build_image", BuildSnapshot = "build_snapshot",
        RestoreSnapshot = "restore_snapshot", InstallingApp = "installing_app",
        InstallAppFailed = "install_app_failed", Null = "null",
    }
);

open_enum!(
    /// `JobType`: what a job does.
    JobType {
        CreateServer = "CREATE_SERVER", DeleteServer = "DELETE_SERVER",
        UpdateFreezeStatus = "UPDATE_FREEZE_STATUS", CreateServerImage = "CREATE_SERVER_IMAGE",
        ReinstallOs = "REINSTALL_OS", ChangeServerImage = "CHANGE_SERVER_IMAGE",
        RejoinDomain = "REJOIN_DOMAIN", MigrateServer = "MIGRATE_SERVER",
        UpgradeAccessAgent = "UPGRADE_ACCESS_AGENT", UpdateServerTsvi = "UPDATE_SERVER_TSVI",
        ScheduledTask = "SCHEDULED_TASK", CollectHdaLog = "COLLECT_HDA_LOG",
        CollectApsLog = "COLLECT_APS_LOG", CreateServerSnapshot = "CREATE_SERVER_SNAPSHOT",
        DeleteServerSnapshot = "DELETE_SERVER_SNAPSHOT",
        RestoreServerSnapshot = "RESTORE_SERVER_SNAPSHOT", BatchInstallApp = "BATCH_INSTALL_APP",
        InstallCesAgent = "INSTALL_CES_AGENT", UninstallCesAgent = "UNINSTALL_CES_AGENT",
    }
);

open_enum!(
    /// `JobStatus`: the state of a whole job (v2 job detail, `AppServer.job_status`).
    JobStatus { Waiting = "WAITING", Running = "RUNNING", Success = "SUCCESS", Failed = "FAILED" }
);

open_enum!(
    /// `JobDetailStatus`: the state of one sub-job.
    SubJobStatus {
        Waiting = "WAITING", Running = "RUNNING", Success = "SUCCESS", Failed = "FAILED",
        Abnormal = "ABNORMAL", Rollback = "ROLLBACK", Aborting = "ABORTING",
    }
);

impl JobStatus {
    pub fn is_finished(&self) -> bool {
        matches!(self, JobStatus::Success | JobStatus::Failed)
    }
}

impl SubJobStatus {
    /// Finished one way or the other. Unknown values count as not finished, so a poller keeps
    /// asking rather than guessing.
    pub fn is_finished(&self) -> bool {
        matches!(self, SubJobStatus::Success | SubJobStatus::Failed | SubJobStatus::Abnormal)
    }

    pub fn is_failure(&self) -> bool {
        matches!(self, SubJobStatus::Failed | SubJobStatus::Abnormal)
    }
}

// ---- batch-update-tsvi (§1) and batch-maint (§6.1) ----

/// One entry of `UpdateTsviReq.items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateTsvi {
    pub id: String,
    /// Reserved by the service: the effective setting follows the group's `ip_virtual`.
    pub enable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateTsviReq {
    pub items: Vec<UpdateTsvi>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchUpdateTsviResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchMaintReq {
    pub items: Vec<String>,
    pub maintain_status: bool,
}

// ---- servers (§2, §6) ----

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlavorLink {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    /// Spelled `hrel` by the service, not `href`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hrel: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Flavor {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<FlavorLink>,
}

/// `EcsNetWork`: one NIC address of a server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EcsNetwork {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    #[serde(rename = "OS-EXT-IPS-MAC:mac_addr", skip_serializing_if = "Option::is_none")]
    pub mac_addr: Option<String>,
    #[serde(rename = "OS-EXT-IPS:type", skip_serializing_if = "Option::is_none")]
    pub ip_type: Option<String>,
    #[serde(rename = "OS-EXT-IPS:port_id", skip_serializing_if = "Option::is_none")]
    pub port_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TmsTag {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FreezeInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
}

/// `AppServer`, as ListServers and ShowServer return it. ShowServer adds a few detail fields,
/// kept here as untyped values because this tool only displays them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppServer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flavor: Option<Flavor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ServerStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vm_status: Option<VmStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_status: Option<TaskStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ou_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintain_status: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaling_auto_create: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_type: Option<JobType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_status: Option<JobStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_pool_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_pool_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_info: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze: Option<Vec<FreezeInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_address: Option<Vec<EcsNetwork>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_project_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TmsTag>>,
    // ShowServer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_volume: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_volumes: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_groups: Option<Value>,
}

/// One page of a list call: the total `count` and at most one page of `items`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    #[serde(default)]
    pub count: u32,
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page { count: 0, items: Vec::new() }
    }
}

pub type ListServersResponse = Page<AppServer>;

/// Anything a server list can be read into; the id is what pages are merged by.
pub trait ServerRecord: serde::de::DeserializeOwned {
    fn server_id(&self) -> Option<String>;
}

impl ServerRecord for AppServer {
    fn server_id(&self) -> Option<String> {
        self.id.clone()
    }
}

// ---- server groups (§3, §4) ----

/// `IpVirtual`: the group-wide virtual session IP switch. It can only be set when the group
/// is created; batch-update-tsvi applies it to the servers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpVirtual {
    pub enable: bool,
}

/// `ServerGroup` from ListServerGroups, and `ShowServerGroupResponse`, which adds the detail
/// fields below the marker, `ip_virtual` among them. ListServerGroups never returns
/// `ip_virtual`: only ShowServerGroup does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_disk_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_disk_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_vdi: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_session_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_session_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_mount_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_project_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_server_group_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_server_group_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_group_status: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_server_flavor_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_server_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_group_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_info: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaling_policy: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TmsTag>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ou_name: Option<String>,
    // ShowServerGroup only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flavors: Option<Vec<Flavor>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_min_disk: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_policy: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_product_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_virtual: Option<IpVirtual>,
}

impl ServerGroup {
    /// The group's effective virtual-IP setting; a group without `ip_virtual` is treated as
    /// not configured for it (reference §4).
    pub fn virtual_ip_enabled(&self) -> bool {
        self.ip_virtual.map(|v| v.enable).unwrap_or(false)
    }
}

pub type ListServerGroupsResponse = Page<ServerGroup>;

// ---- jobs (§5.2, §5.3) ----

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobResourceInfo {
    /// For a TSVI sub-job, the server id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_service_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_spec_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processed_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extend_params: Option<String>,
}

/// `SubJobDetailInfo` (ListSubJobs) and `JobDetailInfo` (v2 job detail): one server's part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubJob {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_type: Option<JobType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_resource_info: Option<JobResourceInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub begin_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<SubJobStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// The parent job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
}

impl SubJob {
    pub fn server_id(&self) -> Option<&str> {
        self.job_resource_info.as_ref()?.resource_id.as_deref()
    }
}

/// `ShowJobDetailResponse`, from `GET /v2/{project_id}/job/{job_id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_type: Option<JobType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub begin_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<JobStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_jobs_total: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_jobs: Vec<SubJob>,
}

pub type ListSubJobsResponse = Page<SubJob>;

/// The error body every failed call carries (`request_id` is set by some gateways, ours too).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error_code: String,
    pub error_msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn unknown_enum_values_are_kept_verbatim() {
        let server: AppServer =
            json::from_str(r#"{"id":"s1","vm_status":"HIBERNATING","task_status":"updating_tsvi","job_type":"NEW_JOB"}"#).unwrap();
        assert_eq!(server.vm_status, Some(VmStatus::Unknown("HIBERNATING".into())));
        assert_eq!(server.task_status, Some(TaskStatus::UpdatingTsvi));
        assert_eq!(server.job_type, Some(JobType::Unknown("NEW_JOB".into())));
        let back = json::to_string(&server).unwrap();
        assert!(back.contains(r#""vm_status":"HIBERNATING""#), "{back}");
    }

    #[test]
    fn unknown_fields_are_tolerated_and_absent_fields_are_not_written() {
        let groups: ListServerGroupsResponse =
            json::from_str(r#"{"count":1,"items":[{"id":"g","brand_new":{"x":1}}],"extra":true}"#).unwrap();
        assert_eq!(groups.items[0].id.as_deref(), Some("g"));
        assert!(!groups.items[0].virtual_ip_enabled());
        assert_eq!(json::to_string(&groups.items[0]).unwrap(), r#"{"id":"g"}"#);
    }

    #[test]
    fn show_server_group_reads_ip_virtual() {
        let group: ServerGroup = json::from_str(r#"{"id":"g","os_type":"Windows","ip_virtual":{"enable":true}}"#).unwrap();
        assert!(group.virtual_ip_enabled());
    }

    #[test]
    fn sub_job_reads_status_and_server() {
        let page: ListSubJobsResponse = json::from_str(
            r#"{"count":1,"items":[{"id":"sj","status":"ABNORMAL","job_resource_info":{"resource_id":"srv"},"error_code":"WKS.0001"}]}"#,
        )
        .unwrap();
        let sub = &page.items[0];
        assert_eq!(sub.server_id(), Some("srv"));
        assert!(sub.status.as_ref().unwrap().is_failure());
    }

    #[test]
    fn seed_example_response_parses() {
        let r: BatchUpdateTsviResponse = json::from_str(r#"{"job_id" : "575768277444198400"}"#).unwrap();
        assert_eq!(r.job_id.as_deref(), Some("575768277444198400"));
    }
}
