//! One person's history: finding them by email or Employee ID, their timeline a page at a
//! time, what is running for them now, and downloads of the timeline.

use crate::{
    domain::{LogFormat, PersonAnswer, SyncRunRow},
    error::AppError,
};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

/// The people whose email or Employee ID is `q` (else starts with it) and, for one person,
/// a page of their timeline after `after` (a cursor from the previous page), at most
/// `limit` entries. Every search is kept for audit.
#[server(prefix = "/api", endpoint = "find_person", input = GetUrl)]
pub async fn find_person(
    q: String,
    after: Option<String>,
    limit: Option<u32>,
) -> Result<PersonAnswer, AppError> {
    let ctx = super::session::Ctx::capture()?;
    let limit = limit.unwrap_or(crate::domain::TIMELINE_PAGE);
    server::answer(&ctx, &q, after.as_deref(), limit, None)
        .await
        .map(|(answer, _)| answer)
}

/// What a person's page polls while it is open: the runs queued or in progress for them,
/// and the newest entry of their timeline. Nothing of the logs themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonNow {
    pub running: Vec<SyncRunRow>,
    pub newest: Option<i64>,
}

#[server(prefix = "/api", endpoint = "person_pulse", input = GetUrl)]
pub async fn person_pulse(q: String) -> Result<PersonNow, AppError> {
    let ctx = super::session::Ctx::capture()?;
    server::pulse(&ctx, &q).await
}

/// A download of the person's timeline: recorded, then its first page of
/// `DOWNLOAD_PAGE` entries and the file's name (the download's time in the viewer's zone);
/// the browser fetches the next pages with [`find_person`] and writes the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonDownload {
    pub file_name: String,
    pub first: PersonAnswer,
}

#[server(prefix = "/api", endpoint = "start_person_download")]
pub async fn start_person_download(
    q: String,
    format: LogFormat,
) -> Result<PersonDownload, AppError> {
    let ctx = super::session::Ctx::capture()?;
    let (first, file_name) =
        server::answer(&ctx, &q, None, crate::domain::DOWNLOAD_PAGE, Some(format)).await?;
    Ok(PersonDownload {
        file_name: file_name.unwrap_or_default(),
        first,
    })
}

#[cfg(feature = "ssr")]
mod server {
    use super::super::session::Ctx;
    use super::PersonNow;
    use crate::{
        domain::{
            display_start, person_file_name, Cursor, LogFormat, PersonAnswer, PersonHistory,
            PersonQuery, MAX_MATCHES, MAX_TIMELINE_PAGE,
        },
        error::AppError,
    };
    use chrono::{TimeZone, Utc};

    fn parse(ctx: &Ctx, q: &str) -> Result<PersonQuery, AppError> {
        PersonQuery::parse(q).or_else(|e| ctx.fail(AppError::Validation(e.to_string())))
    }

    /// The answer to a search, and the file name when it starts a download in `format`.
    pub async fn answer(
        ctx: &Ctx,
        q: &str,
        after: Option<&str>,
        limit: u32,
        format: Option<LogFormat>,
    ) -> Result<(PersonAnswer, Option<String>), AppError> {
        let viewer = ctx.require_provisioning().await?;
        let query = parse(ctx, q)?;
        let after = match after.filter(|a| !a.is_empty()).map(str::parse::<Cursor>) {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => return ctx.fail(AppError::Validation(format!("{e}; search again."))),
        };
        let limit = limit.clamp(1, MAX_TIMELINE_PAGE);
        let organisation_id = viewer.organisation_id;
        let failed = |e| ctx.store_failed(e);
        if !ctx.head_only() {
            ctx.stores
                .people
                .record_person_search(organisation_id, viewer.user_id, query.as_str(), format)
                .await
                .map_err(failed)?;
        }
        let found = ctx
            .stores
            .people
            .find_people(organisation_id, query.as_str(), MAX_MATCHES)
            .await
            .map_err(failed)?;
        let tz = ctx.time_zone();
        let now_local = Utc::now().with_timezone(&tz).naive_local();
        let mut people = found.people;
        let person = match people.len() {
            0 => return Ok((PersonAnswer::Nobody, None)),
            1 => people.remove(0),
            _ => {
                return Ok((
                    PersonAnswer::Several {
                        people: people.into_iter().map(|p| p.person).collect(),
                        more: found.more,
                    },
                    None,
                ))
            }
        };
        let mut events = ctx
            .stores
            .people
            .timeline(organisation_id, &person, after, limit + 1)
            .await
            .map_err(failed)?;
        let next = (events.len() > limit as usize).then(|| {
            events.truncate(limit as usize);
            events.last().map(|e| e.cursor)
        });
        // Their newest entry, whichever page of the timeline is asked for.
        let mut latest = match after {
            None => events.first().cloned(),
            Some(_) => ctx
                .stores
                .people
                .timeline(organisation_id, &person, None, 1)
                .await
                .map_err(failed)?
                .pop(),
        };
        for e in events.iter_mut().chain(latest.as_mut()) {
            let local = Utc
                .timestamp_millis_opt(e.cursor.sort_at_ms)
                .single()
                .map(|t| t.with_timezone(&tz).naive_local())
                .unwrap_or_default();
            e.run_started_local = local;
            e.run_started = display_start(local);
        }
        let running = running(ctx, organisation_id, &person.configuration_ids).await?;
        let who = (person.person.email.as_deref()).unwrap_or(person.person.key());
        let file_name = format.map(|f| person_file_name(who, now_local, f));
        Ok((
            PersonAnswer::One(Box::new(PersonHistory {
                person: person.person,
                running,
                latest,
                events,
                next: next.flatten(),
                time_zone: ctx.time_zone_caption(),
                zone_name: tz.name().to_string(),
            })),
            file_name,
        ))
    }

    async fn running(
        ctx: &Ctx,
        organisation_id: i64,
        configuration_ids: &[i64],
    ) -> Result<Vec<crate::domain::SyncRunRow>, AppError> {
        let mut runs = ctx
            .stores
            .people
            .active_runs(organisation_id, configuration_ids)
            .await
            .map_err(|e| ctx.store_failed(e))?;
        crate::api::runs::write_starts(ctx, &mut runs);
        Ok(runs)
    }

    pub async fn pulse(ctx: &Ctx, q: &str) -> Result<PersonNow, AppError> {
        let viewer = ctx.require_provisioning().await?;
        let query = parse(ctx, q)?;
        let organisation_id = viewer.organisation_id;
        let failed = |e| ctx.store_failed(e);
        // It tells whether someone has a history: a search too, kept like one.
        if !ctx.head_only() {
            ctx.stores
                .people
                .record_person_search(organisation_id, viewer.user_id, query.as_str(), None)
                .await
                .map_err(failed)?;
        }
        let mut found = ctx
            .stores
            .people
            .find_people(organisation_id, query.as_str(), MAX_MATCHES)
            .await
            .map_err(failed)?;
        if found.people.len() != 1 {
            return Ok(PersonNow {
                running: Vec::new(),
                newest: None,
            });
        }
        let person = found.people.remove(0);
        let newest = ctx
            .stores
            .people
            .timeline(organisation_id, &person, None, 1)
            .await
            .map_err(failed)?
            .first()
            .map(|e| e.id);
        Ok(PersonNow {
            running: running(ctx, organisation_id, &person.configuration_ids).await?,
            newest,
        })
    }
}
