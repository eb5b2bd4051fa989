//! Sign-in and sessions.

use super::{db_err, now_ms, SeaStore};
use crate::db::entities::{organisation, session, user};
use crate::passwords::{burn_verification, new_session_token, token_hash, verify_password};
use app::domain::{Access, Role, Viewer};
use app::ports::{AuthStore, StoreError};
use async_trait::async_trait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

/// How long a session lasts after sign-in.
const SESSION_LIFETIME_MS: i64 = app::api::session::SESSION_MAX_AGE_SECS * 1000;

#[async_trait]
impl AuthStore for SeaStore {
    async fn sign_in(&self, email: &str, password: &str) -> Result<Option<String>, StoreError> {
        let candidates = user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .filter(user::Column::PasswordHash.is_not_null())
            .filter(user::Column::Active.eq(true))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let hashes: Vec<(i64, String)> = candidates
            .into_iter()
            .filter_map(|u| u.password_hash.map(|h| (u.id, h)))
            .collect();
        let password = password.to_owned();
        // Hashing is CPU-bound: keep it off the async workers.
        let matched = tokio::task::spawn_blocking(move || {
            if hashes.is_empty() {
                burn_verification(&password);
                return None;
            }
            hashes
                .into_iter()
                .find(|(_, h)| verify_password(&password, h))
                .map(|(id, _)| id)
        })
        .await
        .map_err(|e| StoreError(e.to_string()))?;
        let Some(user_id) = matched else {
            return Ok(None);
        };
        let token = new_session_token();
        let now = now_ms();
        session::ActiveModel {
            token_hash: Set(token_hash(&token)),
            user_id: Set(user_id),
            created_at_ms: Set(now),
            expires_at_ms: Set(now + SESSION_LIFETIME_MS),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(db_err)?;
        Ok(Some(token))
    }

    async fn viewer_for_session(&self, token: &str) -> Result<Option<Viewer>, StoreError> {
        let Some((_, Some(u))) = session::Entity::find()
            .filter(session::Column::TokenHash.eq(token_hash(token)))
            .filter(session::Column::ExpiresAtMs.gt(now_ms()))
            .find_also_related(user::Entity)
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        if !u.active {
            return Ok(None);
        }
        let Some(org) = organisation::Entity::find_by_id(u.organisation_id)
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let role: Role = u
            .role
            .parse()
            .map_err(|e| StoreError(format!("user {}: {e}", u.id)))?;
        Ok(Some(Viewer {
            user_id: u.id,
            organisation_id: org.id,
            organisation_name: org.name,
            email: u.email,
            display_name: format!("{} {}", u.first_name, u.last_name),
            role,
            access: Access {
                organisation_enabled: org.provisioning_enabled,
                role,
                enrolled_on_sync_service: u.sync_service_enrolled,
            },
        }))
    }

    async fn sign_out(&self, token: &str) -> Result<(), StoreError> {
        session::Entity::delete_many()
            .filter(session::Column::TokenHash.eq(token_hash(token)))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
