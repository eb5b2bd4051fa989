//! Writing one checked configuration from an import file.

use super::{organisation_named, ConfigEntry, OperatorError};
use crate::db::entities::sync_configuration;
use crate::sync::policy::RecordPolicy;
use crate::sync::schedule::Schedule;
use app::domain::SourceKind;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

pub(super) enum Saved {
    Created,
    Updated,
}

/// Writes one checked configuration: the organisation's configuration of that name is
/// updated, or a new one created.
pub(super) async fn save_configuration(
    txn: &impl ConnectionTrait,
    entry: &ConfigEntry,
    (kind, settings_json, policy): (SourceKind, String, RecordPolicy),
    now_ms: i64,
) -> Result<Saved, OperatorError> {
    let org = organisation_named(txn, &entry.organisation).await?;
    let existing = sync_configuration::Entity::find()
        .filter(sync_configuration::Column::OrganisationId.eq(org.id))
        .filter(sync_configuration::Column::Name.eq(&entry.name))
        .one(txn)
        .await?;
    let (saved, mut model) = match existing {
        Some(m) => (Saved::Updated, sync_configuration::ActiveModel::from(m)),
        None => (
            Saved::Created,
            sync_configuration::ActiveModel {
                organisation_id: Set(org.id),
                name: Set(entry.name.clone()),
                created_at_ms: Set(now_ms),
                ..Default::default()
            },
        ),
    };
    model.source_kind = Set(kind.slug().into());
    model.settings = Set(settings_json);
    model.schedule = Set(entry
        .schedule
        .parse::<Schedule>()
        .map_err(|e| e.to_string())?
        .to_string());
    model.threshold_count = Set(entry.threshold_count);
    model.threshold_percent = Set(entry.threshold_percent);
    model.enabled = Set(entry.enabled);
    model.blank_values = Set(policy.blank_values.slug().into());
    model.allow_rekey = Set(policy.allow_rekey);
    model.required_fields = Set(crate::sync::policy::required_keys(policy.required));
    model.save(txn).await?;
    Ok(saved)
}
