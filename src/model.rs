//! Wire types of the Workspace APP API, field for field as Huawei documents them
//! (reference §1-§6). Field names stay snake_case so JS users can read Huawei's docs against
//! our objects. Every response field is optional and unknown fields are ignored; an enum value
//! this crate has never heard of is kept verbatim in `Unknown`, never dropped or rejected.

use crate::json::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `Deserialize` for a struct, as serde's derive reads it (fields by name or, from the JS
/// reader, by index; unknown ones ignored; a duplicate or a missing required one refused; an
/// array in field order), in less code: the struct starts from each field's start value and
/// each field read is one assignment, instead of one local, one duplicate check and one drop
/// path per field. Each field is `req` (must be present), `opt` (`#[serde(default)]`: keeps
/// its start value when missing) or `option` (an `Option` without `#[serde(default)]`: `None`
/// when missing from a map, but required in an array, as the derive has it). The start value
/// is `Default::default()`, or the expression after the kind, for a type without `Default`.
macro_rules! deserialize_fields {
    ($ty:ident { $($field:ident: $kind:ident $(($start:expr))?),+ $(,)? } $(skipped { $($skip:ident),+ })?) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                const FIELDS: &[&str] = &[$(stringify!($field)),+];
                const REQUIRED: &[(bool, bool)] = &[$($crate::model::field_required!($kind)),+];
                struct Fields;
                impl Fields {
                    fn start() -> $ty {
                        $ty { $($field: $crate::model::field_start!($($start)?),)+ $($($skip: Default::default(),)+)? }
                    }
                }
                impl<'de> serde::de::Visitor<'de> for Fields {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($ty)))
                    }
                    #[allow(unused_assignments)]
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        let mut value = Fields::start();
                        let mut seen = 0u64;
                        while let Some(index) = map.next_key_seed($crate::model::FieldIndex(FIELDS))? {
                            $crate::model::mark_seen(&mut seen, index, FIELDS)?;
                            let mut at = 0;
                            $(
                                if index == at {
                                    $crate::model::read_field(&mut map, &mut value.$field)?;
                                    continue;
                                }
                                at += 1;
                            )+
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                        $crate::model::check_required(seen, FIELDS, REQUIRED)?;
                        Ok(value)
                    }
                    #[allow(unused_assignments)]
                    fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut seq: S) -> Result<$ty, S::Error> {
                        let mut value = Fields::start();
                        let mut at = 0;
                        $(
                            match seq.next_element()? {
                                Some(v) => value.$field = v,
                                None if REQUIRED[at].1 => return Err(serde::de::Error::invalid_length(at, &self)),
                                None => {}
                            }
                            at += 1;
                        )+
                        Ok(value)
                    }
                }
                deserializer.deserialize_struct(stringify!($ty), FIELDS, Fields)
            }
        }
    };
}
// The engine's types (src/rollout/) use it too.
#[cfg(feature = "rollout")]
pub(crate) use deserialize_fields;

/// Whether a field kind is required (from a map, from an array).
macro_rules! field_required {
    (req) => {
        (true, true)
    };
    (opt) => {
        (false, false)
    };
    (option) => {
        (false, true)
    };
}
pub(crate) use field_required;

macro_rules! field_start {
    () => {
        Default::default()
    };
    ($start:expr) => {
        $start
    };
}
pub(crate) use field_start;

/// A struct field's key, as its index in the struct's field list (`usize::MAX` when the
/// struct has no such field): by index from the JS reader, by name from JSON text.
pub(crate) struct FieldIndex(pub(crate) &'static [&'static str]);

impl<'de> serde::de::DeserializeSeed<'de> for FieldIndex {
    type Value = usize;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FieldIndex {
    type Value = usize;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }
    fn visit_u64<E>(self, index: u64) -> Result<usize, E> {
        Ok(usize::try_from(index).unwrap_or(usize::MAX))
    }
    fn visit_str<E>(self, name: &str) -> Result<usize, E> {
        Ok(self.0.iter().position(|field| *field == name).unwrap_or(usize::MAX))
    }
    fn visit_bytes<E>(self, name: &[u8]) -> Result<usize, E> {
        Ok(self.0.iter().position(|field| field.as_bytes() == name).unwrap_or(usize::MAX))
    }
}

/// Reads the value of the key just read into `slot`. Not inlined: one copy per field type
/// serves every struct that has a field of that type.
#[inline(never)]
pub(crate) fn read_field<'de, T: Deserialize<'de>, A: serde::de::MapAccess<'de>>(map: &mut A, slot: &mut T) -> Result<(), A::Error> {
    *slot = map.next_value()?;
    Ok(())
}

/// Notes field `index` as read, refusing it the second time (unknown fields are not noted).
pub(crate) fn mark_seen<E: serde::de::Error>(seen: &mut u64, index: usize, fields: &'static [&'static str]) -> Result<(), E> {
    let Some(name) = fields.get(index) else { return Ok(()) };
    let bit = 1u64 << index;
    if *seen & bit != 0 {
        return Err(E::duplicate_field(name));
    }
    *seen |= bit;
    Ok(())
}

/// The first required field not read, in field order (as serde's derive reports it).
pub(crate) fn check_required<E: serde::de::Error>(seen: u64, fields: &'static [&'static str], required: &[(bool, bool)]) -> Result<(), E> {
    match fields.iter().zip(required).enumerate().find(|&(index, (_, &(req, _)))| req && seen & (1u64 << index) == 0) {
        Some((_, (name, _))) => Err(E::missing_field(name)),
        None => Ok(()),
    }
}

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IpVirtual {
    pub enable: bool,
}

deserialize_fields!(IpVirtual { enable: req });

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

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

deserialize_fields!(JobResourceInfo {
    resource_id: option,
    resource_name: option,
    cloud_service_type: option,
    resource_type: option,
    resource_spec_code: option,
    processed_time: option,
    extend_params: option,
});

/// `SubJobDetailInfo` (ListSubJobs) and `JobDetailInfo` (v2 job detail): one server's part.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

deserialize_fields!(SubJob {
    id: option,
    job_type: option,
    job_resource_info: option,
    begin_time: option,
    end_time: option,
    status: option,
    error_code: option,
    error_message: option,
    project_id: option,
    job_id: option,
});

impl SubJob {
    pub fn server_id(&self) -> Option<&str> {
        self.job_resource_info.as_ref()?.resource_id.as_deref()
    }
}

/// `ShowJobDetailResponse`, from `GET /v2/{project_id}/job/{job_id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

deserialize_fields!(JobDetail {
    id: option,
    job_type: option,
    begin_time: option,
    end_time: option,
    status: option,
    sub_jobs_total: option,
    sub_jobs: opt,
});

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

    /// The same struct twice: `deserialize_fields!` and serde's derive must read every input
    /// alike (the value, or a refusal), each field kind and each form (map and array).
    mod same_as_derive {
        use serde::Deserialize;

        #[derive(Debug, PartialEq, Deserialize)]
        pub struct Derived {
            id: String,
            #[serde(default)]
            count: u32,
            #[serde(default)]
            name: Option<String>,
            tags: Vec<String>,
            limit: Option<u32>,
            #[serde(skip)]
            cache: u8,
        }

        #[derive(Debug, PartialEq)]
        pub struct Ours {
            id: String,
            count: u32,
            name: Option<String>,
            tags: Vec<String>,
            limit: Option<u32>,
            cache: u8,
        }

        deserialize_fields!(Ours { id: req, count: opt, name: opt, tags: req, limit: option } skipped { cache });

        #[test]
        fn every_input_reads_alike() {
            let inputs = [
                r#"{"id":"a","count":2,"name":"n","limit":3,"tags":["x"]}"#,
                r#"{"tags":[],"limit":null,"name":null,"count":0,"id":"a"}"#,
                r#"{"id":"a","tags":[]}"#,
                r#"{"id":"a","tags":[],"unknown":{"deep":[1,2]},"cache":9}"#,
                r#"{"tags":[]}"#,
                r#"{"id":"a"}"#,
                r#"{"id":"a","tags":[],"id":"b"}"#,
                r#"{"id":"a","tags":[],"unknown":1,"unknown":2}"#,
                r#"{"id":1,"tags":[]}"#,
                r#"{"id":"a","tags":[],"count":-1}"#,
                r#"{"id":"a","tags":[],"count":1.5}"#,
                r#"{"id":"a","tags":"x"}"#,
                r#"["a",2,"n",["x"],3]"#,
                r#"["a",2,"n",["x"],null]"#,
                r#"["a",2,"n",["x"]]"#,
                r#"["a",2,"n"]"#,
                r#"["a",2]"#,
                r#"["a"]"#,
                r#"[]"#,
                r#"["a",2,"n",["x"],3,"extra"]"#,
                r#""a""#,
                r#"null"#,
            ];
            for input in inputs {
                let derived = serde_json::from_str::<Derived>(input);
                let ours = serde_json::from_str::<Ours>(input);
                match (derived, ours) {
                    (Ok(d), Ok(o)) => assert_eq!(
                        (d.id, d.count, d.name, d.limit, d.tags, d.cache),
                        (o.id, o.count, o.name, o.limit, o.tags, o.cache),
                        "{input}"
                    ),
                    (Err(_), Err(_)) => {}
                    (d, o) => panic!("{input}: derive {d:?}, ours {o:?}"),
                }
            }
        }
    }
}
