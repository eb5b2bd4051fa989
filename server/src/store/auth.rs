//! Sign-in and sessions.

use super::{db_err, now_ms, SeaStore};
use crate::auth::passwords::{burn_verification, new_session_token, token_hash, verify_password};
use crate::auth::throttle;
use crate::db::entities::{session, sign_in_failure, user};
use crate::sync::queue::stmt;
use app::domain::{Access, Role, Viewer};
use app::ports::{AuthStore, SignInOutcome, StoreError};
use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Set,
};

/// A live session with what the viewer is made of.
#[derive(FromQueryResult)]
struct SessionViewer {
    session_id: i64,
    last_seen_at_ms: i64,
    user_id: i64,
    active: bool,
    email: String,
    first_name: String,
    last_name: String,
    role: String,
    sync_service_enrolled: bool,
    organisation_id: i64,
    organisation_name: String,
    provisioning_enabled: bool,
    change_count: Option<i64>,
}

/// How long a session lasts after sign-in, however busy.
const SESSION_LIFETIME_MS: i64 = app::api::session::SESSION_MAX_AGE_SECS * 1000;
/// How long a session lasts unused.
const SESSION_IDLE_MS: i64 = app::api::session::SESSION_IDLE_SECS * 1000;
/// A session's last use is written at most this often, not on every request.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// A sign-in attempt, counted before its password is checked.
enum Attempt {
    /// Counted as a failure until it succeeds.
    Counted,
    /// Refused unchecked: too many failures for this email lately.
    Throttled { retry_after_secs: u64 },
}

impl SeaStore {
    /// Counts the attempt as a failure from the moment it starts until it succeeds, judged
    /// against the attempts that started before it (lower ids): attempts sent side by side
    /// see each other and cannot slip past the allowance together.
    async fn start_attempt(&self, email: &str, now: i64) -> Result<Attempt, StoreError> {
        // Inserted without reading the row back: a sign-in for the same email that succeeds
        // meanwhile forgives (deletes) it, and that must not fail this one.
        let attempt_id = sign_in_failure::Entity::insert(sign_in_failure::ActiveModel {
            email: Set(email.to_owned()),
            at_ms: Set(now),
            ..Default::default()
        })
        .exec(&self.db)
        .await
        .map_err(db_err)?
        .last_insert_id;
        let earlier: Vec<i64> = sign_in_failure::Entity::find()
            .select_only()
            .column(sign_in_failure::Column::AtMs)
            .filter(sign_in_failure::Column::Email.eq(email))
            .filter(sign_in_failure::Column::AtMs.gt(now - throttle::WINDOW_MS))
            .filter(sign_in_failure::Column::Id.lt(attempt_id))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        // An attempt that started a moment earlier may carry a clock reading a moment later.
        let reference = earlier.iter().copied().fold(now, i64::max);
        match throttle::retry_after_secs(&earlier, reference) {
            None => Ok(Attempt::Counted),
            Some(retry_after_secs) => {
                // Refused unchecked: not a guess, so it does not push the wait further out.
                sign_in_failure::Entity::delete_by_id(attempt_id)
                    .exec(&self.db)
                    .await
                    .map_err(db_err)?;
                Ok(Attempt::Throttled { retry_after_secs })
            }
        }
    }

    /// The active user with this email whose password this is. Without such a user, a
    /// hash is verified all the same, so the answer takes as long either way.
    async fn matching_user(&self, email: &str, password: &str) -> Result<Option<i64>, StoreError> {
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
        tokio::task::spawn_blocking(move || {
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
        .map_err(|e| StoreError::Failed(e.to_string()))
    }

    /// A new session for the user, its token. Housekeeping on the way: this email's
    /// failures are forgiven, and ended sessions and failures too old to count are swept.
    async fn open_session(
        &self,
        email: &str,
        user_id: i64,
        now: i64,
    ) -> Result<String, StoreError> {
        sign_in_failure::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(sign_in_failure::Column::Email.eq(email))
                    .add(sign_in_failure::Column::AtMs.lte(now - throttle::WINDOW_MS)),
            )
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        session::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(session::Column::ExpiresAtMs.lte(now))
                    .add(session::Column::LastSeenAtMs.lte(now - SESSION_IDLE_MS)),
            )
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        let token = new_session_token();
        session::Entity::insert(session::ActiveModel {
            token_hash: Set(token_hash(&token)),
            user_id: Set(user_id),
            created_at_ms: Set(now),
            expires_at_ms: Set(now + SESSION_LIFETIME_MS),
            last_seen_at_ms: Set(now),
            ..Default::default()
        })
        .exec(&self.db)
        .await
        .map_err(db_err)?;
        Ok(token)
    }
}

#[async_trait]
impl AuthStore for SeaStore {
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        replacing: Option<&str>,
    ) -> Result<SignInOutcome, StoreError> {
        let now = now_ms();
        // The old session ends whatever this attempt comes to.
        if let Some(old) = replacing {
            self.sign_out(old).await?;
        }
        if let Attempt::Throttled { retry_after_secs } = self.start_attempt(email, now).await? {
            return Ok(SignInOutcome::Throttled { retry_after_secs });
        }
        let Some(user_id) = self.matching_user(email, password).await? else {
            // The attempt's row stays as the failure; failures too old to count go.
            sign_in_failure::Entity::delete_many()
                .filter(sign_in_failure::Column::AtMs.lte(now - throttle::WINDOW_MS))
                .exec(&self.db)
                .await
                .map_err(db_err)?;
            return Ok(SignInOutcome::Refused);
        };
        Ok(SignInOutcome::Opened(
            self.open_session(email, user_id, now).await?,
        ))
    }

    async fn viewer_for_session(&self, token: &str) -> Result<Option<Viewer>, StoreError> {
        Ok(self.session_viewer(token, false).await?.map(|(v, _)| v))
    }

    async fn viewer_with_change_count(
        &self,
        token: &str,
    ) -> Result<Option<(Viewer, i64)>, StoreError> {
        Ok(self
            .session_viewer(token, true)
            .await?
            .map(|(v, count)| (v, count.unwrap_or_default())))
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

impl SeaStore {
    /// The viewer of a live session, and with `with_changes` their organisation's count of
    /// changes to its runs (one more probe of `ix_sync_runs_changes`, in the same statement).
    async fn session_viewer(
        &self,
        token: &str,
        with_changes: bool,
    ) -> Result<Option<(Viewer, Option<i64>)>, StoreError> {
        let now = now_ms();
        // The session, its user and their organisation in one round trip: every request
        // of the page starts here.
        let changes = if with_changes {
            ", (SELECT change_seq FROM sync_runs WHERE organisation_id = o.id \
             ORDER BY change_seq DESC LIMIT 1) AS change_count"
        } else {
            ", CAST(NULL AS BIGINT) AS change_count"
        };
        let sql = format!(
            "SELECT s.id AS session_id, s.last_seen_at_ms, u.id AS user_id, u.active, u.email, \
             u.first_name, u.last_name, u.role, u.sync_service_enrolled, \
             o.id AS organisation_id, o.name AS organisation_name, o.provisioning_enabled{changes} \
             FROM sessions AS s JOIN users AS u ON u.id = s.user_id \
             JOIN organisations AS o ON o.id = u.organisation_id \
             WHERE s.token_hash = $1 AND s.expires_at_ms > $2 AND s.last_seen_at_ms > $3"
        );
        let found = SessionViewer::find_by_statement(stmt(
            &self.db,
            &sql,
            vec![
                token_hash(token).into(),
                now.into(),
                (now - SESSION_IDLE_MS).into(),
            ],
        ))
        .one(&self.db)
        .await
        .map_err(db_err)?;
        let Some(v) = found else {
            return Ok(None);
        };
        if v.last_seen_at_ms <= now - TOUCH_EVERY_MS {
            // Best effort: a busy database (SQLite while a sync applies) must not fail the
            // read that uses the session; the next request touches it instead.
            if let Err(e) = session::Entity::update_many()
                .col_expr(session::Column::LastSeenAtMs, Expr::value(now))
                .filter(session::Column::Id.eq(v.session_id))
                .exec(&self.db)
                .await
            {
                tracing::debug!(error = %e, "session use not recorded");
            }
        }
        if !v.active {
            return Ok(None);
        }
        let role: Role = v
            .role
            .parse()
            .map_err(|e| StoreError::Failed(format!("user {}: {e}", v.user_id)))?;
        let viewer = Viewer {
            user_id: v.user_id,
            organisation_id: v.organisation_id,
            organisation_name: v.organisation_name,
            email: v.email,
            display_name: format!("{} {}", v.first_name, v.last_name),
            role,
            access: Access {
                organisation_enabled: v.provisioning_enabled,
                role,
                enrolled_on_sync_service: v.sync_service_enrolled,
            },
        };
        // An organisation without runs has seen no change.
        let changes = with_changes.then(|| v.change_count.unwrap_or(0));
        Ok(Some((viewer, changes)))
    }
}
