//! A resource keyed on the page's query must end on the answer for the query's last value,
//! however the changes fall against its loads: just before one finishes, just after, or
//! while another reader of the query (the page's other watchers) sees the change first.
//!
//! Run as the browser runs the page: one thread (a current-thread runtime and a local set,
//! as wasm-bindgen-futures is), effects on (the `csr` feature), loads that take a few
//! milliseconds each.

use leptos::prelude::*;
use std::time::Duration;

async fn sleep_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// The answer for a query, after a load time that varies with it (0–4 ms).
async fn load(query: u32) -> u32 {
    sleep_ms(u64::from(query % 5)).await;
    query
}

#[tokio::test(flavor = "current_thread")]
async fn a_resource_ends_on_the_answer_for_its_sources_last_value() {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            any_spawner::Executor::init_tokio().expect("one executor");
            let owner = Owner::new();
            owner.set();
            let url = RwSignal::new(0u32);
            let query = Memo::new(move |_| url.get());
            let answer = Resource::new(move || query.get(), load);
            // Other readers of the query, as the page's are (its rows forgotten on a change).
            let changes_seen = RwSignal::new(0u32);
            Effect::watch(
                move || query.get(),
                move |_, _, _| changes_seen.update(|n| *n += 1),
                false,
            );
            // What the page shows.
            let shown = RwSignal::new(None::<u32>);
            Effect::new(move || shown.set(answer.get()));
            let mut missed = Vec::new();
            for round in 0..400u32 {
                // One change, or two in a row, at every offset against the load under way.
                url.set(round * 2 + 1);
                sleep_ms(u64::from(round % 6)).await;
                if round % 3 == 0 {
                    url.set(round * 2 + 2);
                }
                // Long enough for any load to finish several times over.
                sleep_ms(25).await;
                let last = url.get_untracked();
                if shown.get_untracked() != Some(last) {
                    missed.push((last, shown.get_untracked()));
                }
            }
            assert!(changes_seen.get_untracked() > 0, "the watcher ran");
            assert!(
                missed.is_empty(),
                "the resource kept an earlier query's answer {} times, e.g. {:?}",
                missed.len(),
                &missed[..missed.len().min(5)]
            );
        })
        .await;
}
