//! An answer that follows a query in the URL: the Syncs page's table and chart follow its
//! filter, the run details page's log preview follows its search.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// An answer with the query it was loaded for.
pub type Answer<K, T> = (K, Result<T, AppError>);

/// A resource keyed on a query read from the URL, whose answer names the query it is for.
///
/// The server renders the first answer and hydration finds it; each change of the query
/// loads the new query's answer. Until it is here, the previous answer stays on screen
/// (a resource keeps its value while it reloads) and `behind` says it is another query's,
/// so the page dims it rather than flicker or jump. That a resource ends on the answer for
/// its query's last value, however the changes fall against its loads, is checked in
/// `app/reactivity/tests/resource_follows_its_source.rs`.
pub struct PerQuery<K: Send + Sync + 'static, T: Send + Sync + 'static> {
    query: Memo<K>,
    answer: Resource<Answer<K, T>>,
}

impl<K: Send + Sync + 'static, T: Send + Sync + 'static> Clone for PerQuery<K, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: Send + Sync + 'static, T: Send + Sync + 'static> Copy for PerQuery<K, T> {}

impl<K, T> PerQuery<K, T>
where
    K: Clone + PartialEq + Send + Sync + Serialize + DeserializeOwned + 'static,
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    /// Made before any Suspense, so that the server and the browser create the resource
    /// in the same order.
    pub fn new<F, Fut>(query: Memo<K>, fetch: F) -> Self
    where
        F: Fn(K) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    {
        let answer = Resource::new(
            move || query.get(),
            move |q| {
                let answer = fetch(q.clone());
                async move { (q, answer.await) }
            },
        );
        PerQuery { query, answer }
    }

    /// The query in the URL.
    pub fn query(self) -> Memo<K> {
        self.query
    }

    /// Waits for the first answer; the server sends the page once it is there.
    pub async fn ready(self) {
        let _ = self.answer.await;
    }

    /// The answer to show (tracked): the latest loaded, which stays until the answer for a
    /// new query is here (see `behind`).
    pub fn shown(self) -> Option<Answer<K, T>> {
        self.answer.get()
    }

    /// Whether the answer shown is for another query than the URL's (tracked).
    pub fn behind(self) -> bool {
        let shown_for = self.answer.with(|a| a.as_ref().map(|(q, _)| q.clone()));
        self.query.with(|now| shown_for.as_ref() != Some(now))
    }

    /// The answer if it is for the query in the URL now and loaded without error
    /// (untracked).
    pub fn current_untracked(self) -> Option<T> {
        let now = self.query.try_get_untracked()?;
        match self.answer.try_get_untracked()?? {
            (q, Ok(value)) if q == now => Some(value),
            _ => None,
        }
    }

    /// Asks again when the answer shown is the server saying it was too busy (untracked):
    /// the page's loop calls this on its beat, so a crowd of viewers delays the page rather
    /// than leaving it without its answer.
    pub fn retry_if_busy(self) {
        let busy = self
            .answer
            .try_with_untracked(|a| matches!(a, Some((_, Err(AppError::Busy)))))
            .unwrap_or(false);
        if busy {
            self.reload();
        }
    }

    /// Loads the answer for the query in the URL again ("Try again", or the data behind
    /// it changed). The answer shown stays until the new one is here.
    pub fn reload(self) {
        self.answer.refetch();
    }
}
