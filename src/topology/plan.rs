//! Planning: the files (or a backup) loaded, the managed vhosts read from the broker, and
//! the diff with its message counts. `plan`, `apply` and `restore` all start here.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::apply::{self, Applied, Options};
use super::defs::{self, Definitions, RawDefinitions};
use super::diff::{self, Plan};
use super::preflight::Origins;
use super::{backup, lint, load, params};
use crate::broker::http::ManagementApi;
use crate::broker::settings::Settings;
use crate::exit::Error;

/// The files loaded, the broker read, and the diff.
pub struct Prepared {
    pub api: ManagementApi,
    pub settings: Settings,
    pub origins: Origins,
    pub desired: Definitions,
    pub live: Definitions,
    pub managed: BTreeSet<String>,
    pub plan: Plan,
}

/// Load the topology files (`env` resolves `${VAR}` and `uri_env`), read the broker, diff.
pub async fn from_files(
    settings: Settings,
    files: &[PathBuf],
    limits: &crate::input::Limits,
    env: &dyn Fn(&str) -> Option<String>,
    prune: bool,
) -> Result<Prepared> {
    let topology = load::load(files, limits, env)?;
    // What this broker's version refuses (4.3: x-queue-version 1, x-queue-master-locator) is
    // refused here, naming the file and line, before anything is read or changed.
    let api = ManagementApi::new(&settings)?;
    let version = crate::broker::api::Overview::read(&api)
        .await?
        .major_minor();
    let invalid = lint::invalid_for_apply(&topology, version);
    if !invalid.is_empty() {
        return Err(Error::invalid_input(invalid.join("\n")).into());
    }
    let mut desired = topology.to_defs();
    // Shovel and federation URIs from their uri_env variables.
    params::resolve_uri_env(&mut desired, env)?;
    let origins = Origins::of(&topology, &desired);
    against(settings, desired, topology.managed_vhosts(), origins, prune).await
}

/// Plan putting a backup (or any definitions file) back: its vhosts are the managed ones,
/// and nothing it lacks is deleted. Returns the file's name for messages.
pub async fn from_backup(settings: Settings, path: &Path) -> Result<(String, Prepared)> {
    let (file, doc) = backup::load(path)?;
    let raw: RawDefinitions = serde_json::from_value(doc.clone())
        .map_err(|e| Error::invalid_input(format!("not a definitions file: {e}")).about(&file))?;
    let desired = raw.normalize("/");
    let mut managed: BTreeSet<String> = doc["warren_backup"]["vhosts"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    managed.extend(desired.vhosts.iter().map(|v| v.name.clone()));
    let p = against(settings, desired, managed, Origins::default(), false).await?;
    Ok((file, p))
}

/// Read the managed vhosts and diff them with `desired`.
pub async fn against(
    settings: Settings,
    mut desired: Definitions,
    managed: BTreeSet<String>,
    origins: Origins,
    prune: bool,
) -> Result<Prepared> {
    let api = ManagementApi::new(&settings)?;
    let live = apply::fetch_live(&api, &managed).await?;
    // Untyped queues get the type the broker would give them.
    defs::resolve_queue_types(&mut desired, &live);
    let missing = apply::missing_vhosts(&desired, &live, &managed);
    if !missing.is_empty() {
        return Err(Error::vhost_unavailable(format!(
            "vhost(s) {} do not exist on the broker and are not declared under `vhosts:`",
            missing.join(", ")
        ))
        .into());
    }
    let mut plan = diff::diff(&desired, &live, &managed, prune);
    apply::count_messages(&api, &settings, &mut plan).await?;
    Ok(Prepared {
        api,
        settings,
        origins,
        desired,
        live,
        managed,
        plan,
    })
}

impl Prepared {
    /// Apply this plan: preflight, backup, execute, rollback on failure, verify.
    pub async fn apply(
        &self,
        passwords: &HashMap<String, String>,
        options: &Options,
    ) -> Result<Applied> {
        apply::apply(
            &self.api,
            &self.settings,
            &self.origins,
            &self.desired,
            &self.live,
            &self.managed,
            &self.plan,
            passwords,
            options,
        )
        .await
    }
}
