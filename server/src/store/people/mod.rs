//! One person's history: finding people by email or Employee ID in the organisation's
//! logs and directory, and reading their timeline. See `db::migrations::m0012_person_index` for the keys and
//! indexes these statements read.

use super::listed_run::{to_row, ListedRun};
use super::run_page::{Sql, LISTED};
use super::{db_err, now_ms, SeaStore};
use crate::db::search_key::search_key;
use app::domain::{
    Cursor, DirectoryState, LogFormat, PersonEvent, PersonMatch, RunStatus, SyncRunRow,
};
use app::ports::{FoundPerson, PeopleFound, PeopleStore, StoreError};
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, QueryResult, Statement};
use std::collections::{BTreeSet, HashMap};

mod directory;
mod timeline;

use directory::{directory_exact, directory_users, from_directory, DirectoryPerson};
use timeline::{timeline_statement, to_event};

/// The two keys a person is found by, as columns of `sync_log_entries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyColumn {
    Email,
    Employee,
}

impl KeyColumn {
    fn column(self) -> &'static str {
        match self {
            KeyColumn::Email => "email_key",
            KeyColumn::Employee => "external_key",
        }
    }
}

/// The log entry that speaks for a person: the newest one carrying their key.
#[derive(Debug, Clone)]
struct Newest {
    external_id: Option<String>,
    email: Option<String>,
    configuration_id: i64,
}

#[async_trait]
impl PeopleStore for SeaStore {
    async fn find_people(
        &self,
        organisation_id: i64,
        query: &str,
        limit: usize,
    ) -> Result<PeopleFound, StoreError> {
        find_people(&self.db, organisation_id, query, limit)
            .await
            .map_err(db_err)
    }

    async fn timeline(
        &self,
        organisation_id: i64,
        person: &FoundPerson,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Vec<PersonEvent>, StoreError> {
        let statement = timeline_statement(
            self.db.get_database_backend(),
            organisation_id,
            person,
            after,
            limit,
        );
        let Some(statement) = statement else {
            return Ok(Vec::new());
        };
        let rows = self.db.query_all(statement).await.map_err(db_err)?;
        rows.iter().map(to_event).collect()
    }

    async fn active_runs(
        &self,
        organisation_id: i64,
        configuration_ids: &[i64],
    ) -> Result<Vec<SyncRunRow>, StoreError> {
        if configuration_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("SELECT ")
            .push(LISTED)
            .push(
                " FROM sync_runs r JOIN sync_configurations c ON c.id = r.configuration_id \
                 WHERE r.organisation_id = ",
            )
            .bind(organisation_id)
            .push(" AND r.status IN (");
        for (i, s) in [RunStatus::Queued, RunStatus::InProgress]
            .iter()
            .enumerate()
        {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(s.slug());
        }
        sql.push(") AND r.configuration_id IN (");
        for (i, id) in configuration_ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(") ORDER BY r.sort_at_ms DESC, r.id DESC LIMIT 20");
        ListedRun::find_by_statement(sql.statement())
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_row)
            .collect()
    }

    async fn record_person_search(
        &self,
        organisation_id: i64,
        user_id: i64,
        query: &str,
        format: Option<LogFormat>,
    ) -> Result<(), StoreError> {
        // One row per admin, search and format in any ten minutes: a page's later pages,
        // its polls and a download's pages are the same look at the same person.
        let now = now_ms();
        let format = format.map(|f| f.extension()).unwrap_or_default();
        let statement = statement(&self.db, |sql| {
            sql.push(
                "INSERT INTO person_searches (organisation_id, user_id, query, format, searched_at_ms) \
                 SELECT ",
            )
            .bind(organisation_id)
            .push(", ")
            .bind(user_id)
            .push(", ")
            .bind(query.to_string())
            .push(", ")
            .bind(format)
            .push(", ")
            .bind(now)
            .push(" WHERE NOT EXISTS (SELECT 1 FROM person_searches WHERE user_id = ")
            .bind(user_id)
            .push(" AND query = ")
            .bind(query.to_string())
            .push(" AND format = ")
            .bind(format)
            .push(" AND searched_at_ms > ")
            .bind(now - RECORD_AGAIN_AFTER_MS)
            .push(")");
        });
        self.db.execute(statement).await.map_err(db_err)?;
        Ok(())
    }
}

/// How long a repeat of the same search by the same admin is the same look.
const RECORD_AGAIN_AFTER_MS: i64 = 10 * 60 * 1000;

fn statement(db: &impl ConnectionTrait, build: impl FnOnce(&mut Sql)) -> Statement {
    let mut sql = Sql::new(db.get_database_backend());
    build(&mut sql);
    sql.statement()
}

async fn find_people(
    db: &DatabaseConnection,
    organisation_id: i64,
    query: &str,
    limit: usize,
) -> Result<PeopleFound, sea_orm::DbErr> {
    let key = search_key(query);
    if key.is_empty() {
        return Ok(PeopleFound {
            people: Vec::new(),
            more: false,
        });
    }
    // Someone's email or Employee ID, exactly: that person alone, even when it also starts
    // others' (`E1` is not `E10`).
    let mut seeds = Vec::new();
    for column in [KeyColumn::Employee, KeyColumn::Email] {
        if let Some(newest) = newest_with(db, organisation_id, column, &key).await? {
            seeds.push(newest);
        }
    }
    if !seeds.is_empty() {
        let people = resolve(db, organisation_id, seeds).await?;
        return Ok(PeopleFound {
            people,
            more: false,
        });
    }
    let directory = directory_exact(db, organisation_id, query, &key).await?;
    if let Some(user) = directory {
        return Ok(PeopleFound {
            people: vec![from_directory(user, None)],
            more: false,
        });
    }
    // Else everyone whose email or Employee ID starts with the text.
    let mut seeds = Vec::new();
    let mut more = false;
    for column in [KeyColumn::Email, KeyColumn::Employee] {
        let (found, cut) = starting_with(db, organisation_id, column, &key, limit).await?;
        seeds.extend(found);
        more |= cut;
    }
    let mut people = resolve(db, organisation_id, seeds).await?;
    if people.len() > limit {
        people.truncate(limit);
        more = true;
    }
    Ok(PeopleFound { people, more })
}

/// The newest entry of the organisation that carries `key` in `column`.
async fn newest_with(
    db: &DatabaseConnection,
    organisation_id: i64,
    column: KeyColumn,
    key: &str,
) -> Result<Option<Newest>, sea_orm::DbErr> {
    let c = column.column();
    let row = db
        .query_one(statement(db, |sql| {
            sql.push(
                "SELECT e.external_id, e.email, r.configuration_id FROM sync_log_entries e \
                 JOIN sync_runs r ON r.id = e.run_id WHERE e.organisation_id = ",
            )
            .bind(organisation_id)
            .push(&format!(" AND e.{c} = "))
            .bind(key.to_string())
            .push(" ORDER BY e.run_sort_ms DESC, e.id DESC LIMIT 1");
        }))
        .await?;
    row.map(|r| read_newest(&r, 0)).transpose()
}

fn read_newest(r: &QueryResult, from: usize) -> Result<Newest, sea_orm::DbErr> {
    Ok(Newest {
        external_id: r.try_get_by_index(from)?,
        email: r.try_get_by_index(from + 1)?,
        configuration_id: r.try_get_by_index(from + 2)?,
    })
}

/// The first `limit + 1` distinct keys of `column` that start with `prefix`, each with the
/// newest entry that carries it. The keys are walked in the index: each step jumps to the
/// next key (one seek), however many entries each key has.
async fn starting_with(
    db: &DatabaseConnection,
    organisation_id: i64,
    column: KeyColumn,
    prefix: &str,
    limit: usize,
) -> Result<(Vec<Newest>, bool), sea_orm::DbErr> {
    let Some(end) = prefix_end(prefix) else {
        return Ok((Vec::new(), false));
    };
    let c = column.column();
    let next = |sql: &mut Sql, from: &str, bound: &dyn Fn(&mut Sql)| {
        sql.push(&format!(
            "(SELECT e.{c} FROM sync_log_entries e WHERE e.organisation_id = "
        ))
        .bind(organisation_id)
        .push(&format!(" AND e.{c} {from} "));
        bound(sql);
        sql.push(&format!(" AND e.{c} < "))
            .bind(end.clone())
            .push(&format!(" ORDER BY e.{c} LIMIT 1)"));
    };
    let rows = db
        .query_all(statement(db, |sql| {
            sql.push("WITH RECURSIVE walk(k, n) AS (SELECT ");
            next(sql, ">=", &|sql| {
                sql.bind(prefix.to_string());
            });
            sql.push(", 1 UNION ALL SELECT ");
            next(sql, ">", &|sql| {
                sql.push("walk.k");
            });
            sql.push(", walk.n + 1 FROM walk WHERE walk.k IS NOT NULL AND walk.n <= ")
                .bind(limit as i64)
                .push(
                    ") SELECT n.external_id, n.email, r.configuration_id \
                     FROM walk JOIN sync_log_entries n ON n.id = (SELECT e.id FROM sync_log_entries e \
                     WHERE e.organisation_id = ",
                )
                .bind(organisation_id)
                .push(&format!(
                    " AND e.{c} = walk.k ORDER BY e.run_sort_ms DESC, e.id DESC LIMIT 1) \
                     JOIN sync_runs r ON r.id = n.run_id ORDER BY walk.n"
                ));
        }))
        .await?;
    let mut found = rows
        .iter()
        .map(|r| read_newest(r, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let more = found.len() > limit;
    found.truncate(limit);
    Ok((found, more))
}

/// The least text greater than every text that starts with `prefix`, byte by byte: the
/// prefix with its last character replaced by the next one (UTF-8 keeps the order of
/// code points). `None` only for a prefix of nothing but U+10FFFF.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut code = last as u32 + 1;
        while code <= char::MAX as u32 {
            if let Some(next) = char::from_u32(code) {
                chars.push(next);
                return Some(chars.into_iter().collect());
            }
            code += 1;
        }
    }
    None
}

/// People from the entries that speak for them, each once (an Employee ID is one person;
/// an email without one is another), with what the directory holds of them.
async fn resolve(
    db: &DatabaseConnection,
    organisation_id: i64,
    seeds: Vec<Newest>,
) -> Result<Vec<FoundPerson>, sea_orm::DbErr> {
    let mut seen = BTreeSet::new();
    let seeds: Vec<Newest> = seeds
        .into_iter()
        .filter(|s| {
            let id = match (&s.external_id, &s.email) {
                (Some(e), _) => format!("id:{}", search_key(e)),
                (None, Some(m)) => format!("email:{}", search_key(m)),
                (None, None) => return false,
            };
            seen.insert(id)
        })
        .collect();
    let emails: Vec<String> = seeds
        .iter()
        .filter_map(|s| s.email.as_deref().map(search_key))
        .collect();
    let ids: Vec<String> = seeds.iter().filter_map(|s| s.external_id.clone()).collect();
    let users = directory_users(db, organisation_id, &ids, &emails).await?;
    let by_id: HashMap<&str, &DirectoryPerson> = users
        .iter()
        .filter_map(|u| u.external_id.as_deref().map(|id| (id, u)))
        .collect();
    let by_email: HashMap<String, &DirectoryPerson> =
        users.iter().map(|u| (search_key(&u.email), u)).collect();
    Ok(seeds
        .into_iter()
        .map(|s| {
            // The Employee ID decides; an email alone only when the directory's user has
            // no other Employee ID.
            let user = s
                .external_id
                .as_deref()
                .and_then(|id| by_id.get(id))
                .or_else(|| {
                    let email = search_key(s.email.as_deref()?);
                    by_email
                        .get(&email)
                        .filter(|u| s.external_id.is_none() || u.external_id == s.external_id)
                })
                .map(|u| (*u).clone());
            match user {
                Some(u) => from_directory(u, Some(s)),
                None => FoundPerson {
                    employee_key: s.external_id.as_deref().map(search_key),
                    email_keys: s.email.as_deref().map(search_key).into_iter().collect(),
                    configuration_ids: vec![s.configuration_id],
                    person: PersonMatch {
                        name: None,
                        email: s.email,
                        employee_id: s.external_id,
                        state: DirectoryState::NotInDirectory,
                        managed_by: None,
                    },
                },
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn a_prefix_ends_before_the_next_character() {
        assert_eq!(prefix_end("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_end("a@").as_deref(), Some("aA"));
        assert_eq!(prefix_end("z\u{10FFFF}").as_deref(), Some("{"));
        // Surrogates are not characters: the next one after U+D7FF is U+E000.
        assert_eq!(prefix_end("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
    }
}
