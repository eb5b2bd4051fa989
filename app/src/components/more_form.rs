use leptos::prelude::*;

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

/// The `after=` of a page's query, if it has a non-empty one.
pub fn after_of(query: &str) -> Option<String> {
    let query = query.strip_prefix('?').unwrap_or(query);
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "after")
        .map(|(_, value)| value.into_owned())
        .filter(|value| !value.is_empty())
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
    }
}
