//! The run statuses as the queue's and the engine's SQL spells them: literal text, since a
//! partial index's predicate (`WHERE status = 'in_progress'`) is matched only by literals,
//! but written from the domain's own slugs, so no statement can name a status that is not one.

use app::domain::RunStatus;

pub const QUEUED: &str = RunStatus::Queued.slug();
pub const IN_PROGRESS: &str = RunStatus::InProgress.slug();
pub const SUCCESS: &str = RunStatus::Success.slug();
pub const NEEDS_ATTENTION: &str = RunStatus::NeedsAttention.slug();
pub const CANCELLED: &str = RunStatus::Cancelled.slug();
