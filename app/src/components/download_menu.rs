use crate::{
    api::{find_person, get_run_logs, start_log_download, start_person_download},
    browser::{save_file, LogFileWorker},
    domain::{
        EntryRun, LogEntry, LogFormat, PersonAnswer, PersonEvent, DOWNLOAD_PAGE, MAX_TIMELINE_PAGE,
    },
    error::AppError,
    export::{FileOf, LogFileJob},
};
use leptos::prelude::*;

/// Where a download stands, for the message beside the button.
#[derive(Debug, Clone, PartialEq)]
enum Progress {
    Idle,
    Fetching { done: usize, total: Option<u64> },
    Writing,
    Failed(String),
}

/// What a Download button writes to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Downloadable {
    /// A run's log.
    RunLog(i64),
    /// One person's history (the search that found them).
    PersonHistory(String),
}

/// The Download button of a run's log or of a person's history: a menu of CSV and Excel
/// (XLSX). The file is built here in the browser from the entries fetched in pages.
#[component]
pub fn DownloadMenu(what: Downloadable) -> impl IntoView {
    let open = RwSignal::new(false);
    let progress = RwSignal::new(Progress::Idle);
    let first_item = NodeRef::<leptos::html::Button>::new();
    let last_item = NodeRef::<leptos::html::Button>::new();
    let trigger = NodeRef::<leptos::html::Button>::new();
    let busy = move || {
        matches!(
            progress.get(),
            Progress::Fetching { .. } | Progress::Writing
        )
    };
    let busy_now = move || {
        matches!(
            progress.get_untracked(),
            Progress::Fetching { .. } | Progress::Writing
        )
    };
    let menu_id = match &what {
        Downloadable::RunLog(run_id) => format!("download-menu-{run_id}"),
        Downloadable::PersonHistory(_) => "download-menu-person".to_string(),
    };
    // Before the app has hydrated, a run's Download fetches the server's CSV of the same
    // log (`PREHYDRATION_SCRIPT`), rather than doing nothing.
    let early = match &what {
        Downloadable::RunLog(id) => Some(format!("/api/runs/{id}/logs.csv")),
        Downloadable::PersonHistory(_) => None,
    };
    let what = StoredValue::new(what);
    // Keyboard users land on the first choice when the menu opens.
    Effect::new(move || {
        if open.get() {
            if let Some(b) = first_item.get() {
                let _ = b.focus();
            }
        }
    });
    let choose = move |format: LogFormat| {
        open.set(false);
        // Focus goes back to the button, which stays focusable while the file is made.
        if let Some(b) = trigger.get_untracked() {
            let _ = b.focus();
        }
        let what = what.get_value();
        leptos::task::spawn_local(async move {
            let done = match what {
                Downloadable::RunLog(run_id) => download(run_id, format, progress).await,
                Downloadable::PersonHistory(q) => download_person(q, format, progress).await,
            };
            match done {
                Err(e) if crate::browser::signed_in_again(&e) => {}
                Err(e) => progress.set(Progress::Failed(e.to_string())),
                Ok(()) => {}
            }
        });
    };
    view! {
        <div
            class="download"
            on:keydown=move |ev| {
                let key = ev.key();
                if !open.get_untracked() {
                    // Down or Up on the button opens the menu (on its first choice).
                    if matches!(key.as_str(), "ArrowDown" | "ArrowUp") && !busy_now() {
                        ev.prevent_default();
                        open.set(true);
                    }
                    return;
                }
                match key.as_str() {
                    // Tab closes the menu and moves on from its button, as from any
                    // button: the choices are reached by the arrows, not by Tab.
                    "Tab" => {
                        if let Some(b) = trigger.get_untracked() {
                            let _ = b.focus();
                        }
                        open.set(false);
                    }
                    // Escape closes the menu and gives focus back to its button.
                    "Escape" => {
                        ev.prevent_default();
                        open.set(false);
                        if let Some(b) = trigger.get_untracked() {
                            let _ = b.focus();
                        }
                    }
                    // The arrows move between the two choices, round; Home and End go to
                    // the first and the last.
                    "ArrowDown" | "ArrowUp" | "Home" | "End" => {
                        ev.prevent_default();
                        let on_first = first_item.get_untracked().is_some_and(|b| {
                            document()
                                .active_element()
                                .is_some_and(|a| b.is_same_node(Some(&a)))
                        });
                        let to = match key.as_str() {
                            "Home" => first_item,
                            "End" => last_item,
                            _ if on_first => last_item,
                            _ => first_item,
                        };
                        if let Some(b) = to.get_untracked() {
                            let _ = b.focus();
                        }
                    }
                    _ => {}
                }
            }
            // The menu closes when focus leaves it (Tab away, a click elsewhere).
            on:focusout=move |ev| {
                use leptos::wasm_bindgen::JsCast;
                let inside = ev
                    .related_target()
                    .and_then(|t| t.dyn_into::<leptos::web_sys::Node>().ok())
                    .zip(ev.current_target().and_then(|t| t.dyn_into::<leptos::web_sys::Node>().ok()))
                    .is_some_and(|(to, menu)| menu.contains(Some(&to)));
                if !inside {
                    open.set(false);
                }
            }
        >
            <button
                type="button"
                node_ref=trigger
                class="button button--small"
                aria-haspopup="menu"
                aria-controls=menu_id.clone()
                aria-expanded=move || open.get().to_string()
                // Not `disabled`: a disabled button loses focus, and focus comes back
                // here after a choice.
                aria-disabled=move || busy().to_string()
                data-early-href=early.clone()
                on:click=move |_| {
                    if !busy_now() {
                        open.update(|o| *o = !*o)
                    }
                }
            >
                "Download"
            </button>
            // Without script, a plain link to the same CSV: the stylesheet shows one or the
            // other.
            {early.map(|href| view! { <a class="button button--small download__plain" href=href>"Download CSV"</a> })}
            <Show when=move || open.get()>
                <ul class="download__menu" role="menu" id=menu_id.clone() aria-label="Download format">
                    <li role="none">
                        <button type="button" role="menuitem" tabindex="-1" node_ref=first_item on:click=move |_| choose(LogFormat::Csv)>
                            "CSV"
                        </button>
                    </li>
                    <li role="none">
                        <button type="button" role="menuitem" tabindex="-1" node_ref=last_item on:click=move |_| choose(LogFormat::Xlsx)>
                            "Excel (XLSX)"
                        </button>
                    </li>
                </ul>
            </Show>
            {move || match progress.get() {
                Progress::Idle => ().into_any(),
                Progress::Fetching { done, total } => {
                    let total = total.unwrap_or(done as u64).max(1);
                    view! {
                        <span class="download__progress" role="status">
                            <progress max=total value=done aria-label="Fetching log entries"></progress>
                            {format!(" {done} of {total} entries")}
                        </span>
                    }
                    .into_any()
                }
                Progress::Writing => view! {
                    <span class="download__progress" role="status">"Writing the file…"</span>
                }
                .into_any(),
                Progress::Failed(message) => view! {
                    <span class="download__progress alert alert--error" role="alert">{message}</span>
                }
                .into_any(),
            }}
        </div>
    }
}

/// A timeline entry as a row of the file: an entry of its own run.
fn as_entry(e: PersonEvent) -> LogEntry {
    LogEntry {
        sequence: e.sequence,
        record: e.record,
        employee_id: e.employee_id,
        email: e.email,
        action: e.action,
        outcome: e.outcome,
        applied: e.applied,
        // An entry that was not applied says so already (`not_applied_message`).
        message: e.message,
        changed_fields: e.changed_fields,
        changes: e.changes,
        run: Some(EntryRun {
            id: e.run_id,
            started: e.run_started_local,
            configuration: e.configuration,
        }),
    }
}

/// Records the download of a person's history, then fetches it page by page into the
/// file writer's worker, as a run's log is.
async fn download_person(
    q: String,
    format: LogFormat,
    progress: RwSignal<Progress>,
) -> Result<(), AppError> {
    progress.set(Progress::Fetching {
        done: 0,
        total: None,
    });
    let started = start_person_download(q.clone(), format).await?;
    let PersonAnswer::One(mut page) = started.first else {
        return Err(AppError::Validation(
            "This search no longer finds one person: search again.".into(),
        ));
    };
    let writer = LogFileWorker::start(&LogFileJob {
        format,
        of: FileOf::Person,
        // Each entry names its own run; these stand for none.
        run_id: 0,
        run_started: Default::default(),
        time_zone: page.zone_name.clone(),
        configuration: String::new(),
    })?;
    let mut done = 0;
    loop {
        done += page.events.len();
        let next = page.next;
        let entries: Vec<LogEntry> = page.events.into_iter().map(as_entry).collect();
        writer.add(&entries)?;
        progress.set(Progress::Fetching { done, total: None });
        let Some(next) = next else { break };
        match find_person(q.clone(), Some(next.to_string()), Some(MAX_TIMELINE_PAGE)).await? {
            PersonAnswer::One(p) => page = p,
            _ => break,
        }
    }
    progress.set(Progress::Writing);
    let bytes = writer.finish().await?;
    save_file(&bytes, &started.file_name, format.media_type())?;
    progress.set(Progress::Idle);
    Ok(())
}

/// Records the download, then fetches the log page by page and hands each page to the
/// file writer's worker, which writes the file off the page's thread; the page saves it.
async fn download(
    run_id: i64,
    format: LogFormat,
    progress: RwSignal<Progress>,
) -> Result<(), AppError> {
    progress.set(Progress::Fetching {
        done: 0,
        total: None,
    });
    let detail = start_log_download(run_id, format).await?;
    // The worker loads its module while the first pages arrive.
    let writer = LogFileWorker::start(&LogFileJob {
        format,
        of: FileOf::Run,
        run_id,
        run_started: detail.started_local,
        time_zone: detail.zone_name.clone(),
        configuration: detail.run.configuration.clone(),
    })?;
    let (mut done, mut total, mut after) = (0, None, None);
    loop {
        let page = get_run_logs(run_id, after, Some(DOWNLOAD_PAGE), None, None).await?;
        total = total.or(page.total);
        done += page.entries.len();
        writer.add(&page.entries)?;
        progress.set(Progress::Fetching { done, total });
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    progress.set(Progress::Writing);
    let bytes = writer.finish().await?;
    save_file(&bytes, &detail.file_name(format), format.media_type())?;
    progress.set(Progress::Idle);
    Ok(())
}
