//! An answer that follows a query in the URL: the Syncs page's table and chart follow its
//! filter, the run details page's log preview follows its search.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};
use std::{future::Future, pin::Pin, sync::Arc};

/// An answer with the query it was loaded for.
pub type Answer<K, T> = (K, Result<T, AppError>);

/// Loads the answer for one query.
type Fetch<K, T> =
    Arc<dyn Fn(K) -> Pin<Box<dyn Future<Output = Result<T, AppError>> + Send>> + Send + Sync>;

/// One answer that follows a query read from the URL.
///
/// The first answer comes from a resource, so the server renders it and hydration finds
/// it. After that, each change of query loads the new query's answer explicitly into a
/// signal. A resource that follows the query is not used for this: a Leptos resource can
/// miss a change of its source that lands just as its previous load finishes (another
/// reader of the reactive graph sees the change first), and it then keeps the earlier
/// query's answer for good. Here a watcher of the query loads the new answer, and the
/// page's periodic loop calls `follow` as well, so a change that any watcher missed is
/// loaded all the same.
pub struct PerQuery<K: Send + Sync + 'static, T: Send + Sync + 'static> {
    query: Memo<K>,
    /// The answer for the query the page was opened with.
    first: Resource<Answer<K, T>>,
    /// The latest answer loaded since; `None` until the query first changes.
    latest: RwSignal<Option<Answer<K, T>>>,
    /// The query of the latest load asked for, while it is under way.
    loading: StoredValue<Option<K>>,
    /// How many loads were asked for: only the latest one's answer is kept, so an earlier
    /// load that answers late (a query left and come back to, a reload) never replaces it.
    asked: StoredValue<u64>,
    fetch: StoredValue<Fetch<K, T>>,
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
        let fetch: Fetch<K, T> = Arc::new(move |q| Box::pin(fetch(q)));
        let fetch = StoredValue::new(fetch);
        let first = Resource::new(
            || (),
            move |_| {
                let q = query.get_untracked();
                let answer = fetch.with_value(|f| f(q.clone()));
                async move { (q, answer.await) }
            },
        );
        let this = PerQuery {
            query,
            first,
            latest: RwSignal::new(None),
            loading: StoredValue::new(None),
            asked: StoredValue::new(0),
            fetch,
        };
        // Effects run in the browser only: the server renders the first answer.
        Effect::watch(move || query.get(), move |q, _, _| this.follow(q), false);
        this
    }

    /// The query in the URL.
    pub fn query(self) -> Memo<K> {
        self.query
    }

    /// Waits for the first answer; the server sends the page once it is there.
    pub async fn ready(self) {
        let _ = self.first.await;
    }

    /// The answer to show (tracked): the latest loaded, else the first. Until the answer
    /// for a new query is here, the previous one stays (see `behind`), so the page neither
    /// flickers nor jumps.
    pub fn shown(self) -> Option<Answer<K, T>> {
        self.latest.get().or_else(|| self.first.get())
    }

    /// The query of the answer shown (tracked), without copying the answer.
    fn shown_for(self) -> Option<K> {
        self.latest
            .with(|l| l.as_ref().map(|(q, _)| q.clone()))
            .or_else(|| self.first.with(|f| f.as_ref().map(|(q, _)| q.clone())))
    }

    /// Whether the answer shown is for another query than the URL's (tracked).
    pub fn behind(self) -> bool {
        let shown_for = self.shown_for();
        self.query.with(|now| shown_for.as_ref() != Some(now))
    }

    /// The answer if it is for the query in the URL now and loaded without error
    /// (untracked).
    pub fn current_untracked(self) -> Option<T> {
        let now = self.query.try_get_untracked()?;
        let answer = self
            .latest
            .try_get_untracked()?
            .or_else(|| self.first.get_untracked())?;
        match answer {
            (q, Ok(value)) if q == now => Some(value),
            _ => None,
        }
    }

    /// Loads the answer for the query in the URL now unless it is shown already or on its
    /// way (untracked).
    pub fn follow_now(self) {
        if let Some(q) = self.query.try_get_untracked() {
            self.follow(&q);
        }
    }

    /// Loads the answer for `query` unless it is shown already or on its way.
    pub fn follow(self, query: &K) {
        let Some(shown_for) = untrack(|| self.shown_for()) else {
            return; // The first answer is still on its way; it is checked once it is here.
        };
        let on_its_way = self.loading.with_value(|l| l.as_ref() == Some(query));
        // An answer that says the server was too busy is asked for again (the page's
        // loop calls this each second), so a crowd of viewers delays the page rather than
        // leaving it without its answer.
        if (shown_for != *query || self.busy()) && !on_its_way {
            self.load(query.clone());
        }
    }

    /// Whether the answer shown is the server saying it was too busy (untracked).
    fn busy(self) -> bool {
        let busy = |a: &Option<Answer<K, T>>| matches!(a, Some((_, Err(AppError::Busy))));
        self.latest
            .try_with_untracked(|l| match l {
                Some(_) => busy(l),
                None => self.first.try_with_untracked(busy).unwrap_or(false),
            })
            .unwrap_or(false)
    }

    /// Loads the answer for the query in the URL again ("Try again", or the data behind
    /// it changed). The answer shown stays until the new one is here.
    pub fn reload(self) {
        self.load(self.query.get_untracked());
    }

    fn load(self, query: K) {
        self.loading.set_value(Some(query.clone()));
        self.asked.update_value(|n| *n += 1);
        let this_load = self.asked.get_value();
        let answer = self.fetch.with_value(|f| f(query.clone()));
        leptos::task::spawn_local(async move {
            let answer = answer.await;
            // The page may have gone away meanwhile.
            let Some(now) = self.query.try_get_untracked() else {
                return;
            };
            if self.asked.get_value() != this_load {
                return; // A later load is under way or done.
            }
            self.loading.set_value(None);
            // An answer for a query no longer in the URL is dropped: the next `follow` asks
            // for the current one's.
            if now == query {
                self.latest.set(Some((query, answer)));
            }
        });
    }
}
