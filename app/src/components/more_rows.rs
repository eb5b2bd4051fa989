//! Rows a page adds after its first ones ("Load more", "Show more entries"): the state
//! of the pages added, and the form that asks for the next.

use super::ErrorAlert;
use crate::error::AppError;
use leptos::prelude::*;
use std::future::Future;

/// The rows added after a page's first ones, the place to ask after next (`None` after
/// the last page), whether a page is on its way, and why the last one failed.
pub struct MoreRows<T: Send + Sync + 'static, C: Send + Sync + 'static> {
    pub rows: RwSignal<Vec<T>>,
    pub next: RwSignal<Option<C>>,
    pub loading: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
}

impl<T: Send + Sync + 'static, C: Send + Sync + 'static> Clone for MoreRows<T, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static, C: Send + Sync + 'static> Copy for MoreRows<T, C> {}

impl<T, C> MoreRows<T, C>
where
    T: Clone + Send + Sync + 'static,
    C: Clone + Send + Sync + 'static,
{
    /// After a first page whose next page starts after `next`.
    pub fn new(next: Option<C>) -> Self {
        MoreRows {
            rows: RwSignal::new(Vec::new()),
            next: RwSignal::new(next),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Asks `fetch` for the rows after the next place and adds them with the place after
    /// them. A page that went away meanwhile is left alone; a session that ended leads to
    /// sign-in and back.
    pub fn load<Fut>(self, fetch: impl FnOnce(C) -> Fut + 'static)
    where
        Fut: Future<Output = Result<(Vec<T>, Option<C>), AppError>> + 'static,
    {
        let Some(after) = self.next.get_untracked() else {
            return;
        };
        self.loading.set(true);
        leptos::task::spawn_local(async move {
            match fetch(after).await {
                Ok((rows, next)) => {
                    self.rows.try_update(|r| r.extend(rows));
                    self.next.try_set(next);
                    self.error.try_set(None);
                }
                Err(e) if crate::browser::signed_in_again(&e) => {}
                Err(e) => {
                    self.error.try_set(Some(e.to_string()));
                }
            }
            self.loading.try_set(false);
        });
    }
}

/// "Load more" (or "Show more entries") as a GET form of the page's own address whose
/// fields are `query`, the next page's `after=` among them: without script it opens the
/// next rows as a page of their own; with it, `on_more` adds them to the page instead.
#[component]
pub fn MoreForm(
    action: String,
    /// The page's query for the next rows, `after=` included.
    #[prop(into)]
    query: Signal<String>,
    on_more: Callback<()>,
    children: Children,
) -> impl IntoView {
    let fields = move || {
        form_urlencoded::parse(query.get().as_bytes())
            .map(|(name, value)| {
                view! { <input type="hidden" name=name.into_owned() value=value.into_owned() /> }
            })
            .collect_view()
    };
    view! {
        <form class="more" method="get" action=action
            on:submit=move |ev| {
                ev.prevent_default();
                on_more.run(());
            }>
            {fields}
            {children()}
        </form>
    }
}

/// Why the last page asked for failed, and, while there is a next page, the button that
/// asks for it: `label` ("Show more entries"), in a [`MoreForm`] of `action` whose query
/// is `base` and the next place.
#[component]
pub fn ShowMore<T, C>(
    more: MoreRows<T, C>,
    action: String,
    base: String,
    label: &'static str,
    on_more: Callback<()>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    C: Clone + std::fmt::Display + Send + Sync + 'static,
{
    let query = Signal::derive(move || {
        let next = more.next.with(|n| n.as_ref().map(C::to_string));
        query_after(&base, &next.unwrap_or_default())
    });
    view! {
        {move || more.error.get().map(|e| view! { <ErrorAlert message=e /> })}
        <Show when=move || more.next.with(Option::is_some)>
            <MoreForm action=action.clone() query on_more>
                <button type="submit" class="button load-more" disabled=move || more.loading.get()>
                    {move || if more.loading.get() { "Loading…" } else { label }}
                </button>
            </MoreForm>
        </Show>
    }
}

/// `query` (a page's, with or without `?`) for the rows after `after`: the same query,
/// its `after=` replaced.
pub fn query_after(query: &str, after: &str) -> String {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut next = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name != "after" {
            next.append_pair(&name, &value);
        }
    }
    next.append_pair("after", after);
    next.finish()
}

/// The `after=` of a page's query, if it has a non-empty one. Given twice (an edited
/// address), it is both values: no place the page gave, which the page then says.
pub fn after_of(query: &str) -> Option<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let given: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "after")
        .map(|(_, value)| value.into_owned())
        .collect();
    Some(given.join(",")).filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_rows_query_keeps_the_rest() {
        assert_eq!(
            query_after("?status=success&after=1.2&sort=oldest", "3.4"),
            "status=success&sort=oldest&after=3.4"
        );
        assert_eq!(query_after("", "7"), "after=7");
        assert_eq!(after_of("?x=1&after=9.9"), Some("9.9".into()));
        assert_eq!(after_of("after="), None);
        assert_eq!(after_of("status=success"), None);
        assert_eq!(after_of("after=1.2&after=3.4"), Some("1.2,3.4".into()));
    }
}
