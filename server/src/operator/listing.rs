//! What operators read from the command line: the sync configurations and the runs.

use super::OperatorError;
use crate::db::entities::{organisation, sync_configuration, sync_run};
use app::domain::{RunStatus, SourceKind};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::BTreeMap;

/// One line per configuration. Secrets are references, so nothing secret is printed.
pub async fn list_configurations(db: &DatabaseConnection) -> Result<String, OperatorError> {
    let orgs: BTreeMap<i64, String> = organisation::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let configs = sync_configuration::Entity::find()
        .order_by_asc(sync_configuration::Column::Id)
        .all(db)
        .await?;
    let mut out = format!(
        "{:>4}  {:<12} {:<34} {:<17} {:<10} {:<8} {:<20} {}\n",
        "id", "organisation", "name", "source", "schedule", "enabled", "threshold", "records"
    );
    for c in configs {
        let kind = c
            .source_kind
            .parse::<SourceKind>()
            .map(|k| k.display_name())
            .unwrap_or("?");
        let threshold = match (c.threshold_count, c.threshold_percent) {
            (Some(n), Some(p)) => format!("{n} users or {p}%"),
            (Some(n), None) => format!("{n} users"),
            (None, Some(p)) => format!("{p}%"),
            (None, None) => "none".into(),
        };
        let mut records = format!(
            "blanks {}, re-key {}",
            c.blank_values,
            if c.allow_rekey { "yes" } else { "no" }
        );
        if !c.required_fields.is_empty() {
            records.push_str(&format!(", requires {}", c.required_fields));
        }
        out.push_str(&format!(
            "{:>4}  {:<12} {:<34} {:<17} {:<10} {:<8} {:<20} {}\n",
            c.id,
            orgs.get(&c.organisation_id)
                .map(String::as_str)
                .unwrap_or("?"),
            c.name,
            kind,
            c.schedule,
            if c.enabled { "yes" } else { "no" },
            threshold,
            records
        ));
    }
    // The organisations' alert webhooks: the address and where the secret is read from.
    let hooks = db
        .query_all(crate::sync::queue::stmt(
            db,
            "SELECT organisation_id, url, secret_ref FROM alert_webhooks ORDER BY organisation_id",
            vec![],
        ))
        .await?;
    for h in hooks {
        let org: i64 = h.try_get_by_index(0)?;
        let url: String = h.try_get_by_index(1)?;
        let secret: String = h.try_get_by_index(2)?;
        let url = crate::config::redact_url(&url);
        out.push_str(&format!(
            "webhook  {} → {url} (signed with {secret})\n",
            orgs.get(&org).map(String::as_str).unwrap_or("?")
        ));
    }
    Ok(out)
}

/// Finds a configuration by id, or by "Organisation/Name".
pub async fn find_configuration(
    db: &impl ConnectionTrait,
    which: &str,
) -> Result<sync_configuration::Model, OperatorError> {
    if let Ok(id) = which.parse::<i64>() {
        return sync_configuration::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| format!("there is no configuration #{id}").into());
    }
    let (org, name) = which
        .split_once('/')
        .ok_or("name a configuration by its id or as \"Organisation/Name\"")?;
    let org = organisation::Entity::find()
        .filter(organisation::Column::Name.eq(org.trim()))
        .one(db)
        .await?
        .ok_or_else(|| format!("there is no organisation named \"{}\"", org.trim()))?;
    sync_configuration::Entity::find()
        .filter(sync_configuration::Column::OrganisationId.eq(org.id))
        .filter(sync_configuration::Column::Name.eq(name.trim()))
        .one(db)
        .await?
        .ok_or_else(|| {
            format!(
                "{} has no configuration named \"{}\"",
                org.name,
                name.trim()
            )
            .into()
        })
}

/// The latest runs, newest first, optionally of one organisation.
pub async fn list_runs(
    db: &DatabaseConnection,
    organisation: Option<&str>,
    limit: u64,
) -> Result<String, OperatorError> {
    let mut q = sync_run::Entity::find()
        .order_by_desc(sync_run::Column::SortAtMs)
        .order_by_desc(sync_run::Column::Id)
        .limit(limit);
    if let Some(name) = organisation {
        let org = organisation::Entity::find()
            .filter(organisation::Column::Name.eq(name))
            .one(db)
            .await?
            .ok_or_else(|| format!("there is no organisation named \"{name}\""))?;
        q = q.filter(sync_run::Column::OrganisationId.eq(org.id));
    }
    let runs = q.all(db).await?;
    let mut out = format!(
        "{:>7}  {:>6}  {:<20} {:<28} {:>9}  {}\n",
        "run", "config", "start (UTC)", "status", "progress", "counts"
    );
    for r in runs {
        let status = r
            .status
            .parse::<RunStatus>()
            .map(|s| s.label())
            .unwrap_or("?");
        let start = chrono::DateTime::from_timestamp_millis(r.sort_at_ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        out.push_str(&format!(
            "{:>7}  {:>6}  {:<20} {:<28} {:>9}  +{} ~{} -{} ↺{} ={} skipped {} warnings {} errors {}\n",
            r.id,
            r.configuration_id,
            start,
            status,
            format!("{}/{}", r.progress_done, r.progress_total),
            r.created,
            r.updated,
            r.deactivated,
            r.reactivated,
            r.unchanged,
            r.skipped,
            r.warnings,
            r.errors
        ));
    }
    Ok(out)
}
