//! The Syncs page's answers that depend on the filter in the URL: the table's first page
//! and the chart.

use crate::error::AppError;
use leptos::prelude::*;
use std::{future::Future, pin::Pin};

/// An answer with the URL query it was loaded for.
pub type Answer<T> = (String, Result<T, AppError>);

/// Loads the answer for one URL query.
pub type Fetch<T> = fn(String) -> Pin<Box<dyn Future<Output = Result<T, AppError>> + Send>>;

/// One answer that follows the filter in the URL.
///
/// The first answer comes from a resource, so the server renders it and hydration finds
/// it. After that, each change of filter loads the new filter's answer explicitly into a
/// signal. A resource that follows the query is not used for this: a Leptos resource can
/// miss a change of its source that lands just as its previous load finishes (another
/// reader of the reactive graph sees the change first), and it then keeps the earlier
/// filter's answer for good. Here a watcher of the query loads the new answer, and the
/// page's once-a-second loop calls `follow` as well, so a change that any watcher missed is
/// loaded all the same.
pub struct PerFilter<T: Send + Sync + 'static> {
    query: Memo<String>,
    /// The answer for the query the page was opened with.
    first: Resource<Answer<T>>,
    /// The latest answer loaded since; `None` until the filter first changes.
    latest: RwSignal<Option<Answer<T>>>,
    /// The query of the load under way, if any.
    loading: StoredValue<Option<String>>,
    fetch: Fetch<T>,
}

impl<T: Send + Sync + 'static> Clone for PerFilter<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for PerFilter<T> {}

impl<T> PerFilter<T>
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    /// Made before any Suspense, so that the server and the browser create the resource
    /// in the same order.
    pub fn new(query: Memo<String>, fetch: Fetch<T>) -> Self {
        let first = Resource::new(
            || (),
            move |_| {
                let q = query.get_untracked();
                async move { (q.clone(), fetch(q).await) }
            },
        );
        let this = PerFilter {
            query,
            first,
            latest: RwSignal::new(None),
            loading: StoredValue::new(None),
            fetch,
        };
        // Effects run in the browser only: the server renders the first answer.
        Effect::watch(move || query.get(), move |q, _, _| this.follow(q), false);
        this
    }

    /// Waits for the first answer; the server sends the page once it is there.
    pub async fn ready(self) {
        let _ = self.first.await;
    }

    /// The answer to show (tracked): the latest loaded, else the first. Until the answer
    /// for a new filter is here, the previous one stays (see `behind`), so the page neither
    /// flickers nor jumps.
    pub fn shown(self) -> Option<Answer<T>> {
        self.latest.get().or_else(|| self.first.get())
    }

    /// The query of the answer shown (tracked), without copying the answer.
    fn shown_for(self) -> Option<String> {
        self.latest
            .with(|l| l.as_ref().map(|(q, _)| q.clone()))
            .or_else(|| self.first.with(|f| f.as_ref().map(|(q, _)| q.clone())))
    }

    /// Whether the answer shown is for another filter than the URL's (tracked).
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

    /// Loads the answer for `query` unless it is shown already or on its way.
    pub fn follow(self, query: &str) {
        let Some(shown_for) = untrack(|| self.shown_for()) else {
            return; // The first answer is still on its way; it is checked once it is here.
        };
        let on_its_way = self.loading.with_value(|l| l.as_deref() == Some(query));
        if shown_for != query && !on_its_way {
            self.load(query.to_string());
        }
    }

    /// Loads the answer for the query in the URL again ("Try again").
    pub fn reload(self) {
        self.load(self.query.get_untracked());
    }

    fn load(self, query: String) {
        self.loading.set_value(Some(query.clone()));
        let fetch = self.fetch;
        leptos::task::spawn_local(async move {
            let answer = fetch(query.clone()).await;
            // The page may have gone away meanwhile.
            let Some(now) = self.query.try_get_untracked() else {
                return;
            };
            self.loading.update_value(|l| {
                if l.as_deref() == Some(query.as_str()) {
                    *l = None;
                }
            });
            // An answer for a filter no longer in the URL is dropped: the current one's is
            // on its way, or the next `follow` asks for it.
            if now == query {
                self.latest.set(Some((query, answer)));
            }
        });
    }
}
