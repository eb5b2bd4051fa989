use crate::domain::{LogAvailability, Role, RunStatus, SourceKind};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/admin/user-provisioning/help`: how the Syncs page works, for anyone signed in to the
/// Admin Panel (those without access learn here how to get it). Every status, log and role
/// line is written from the same domain types the page itself uses.
#[component]
pub fn HelpPage() -> impl IntoView {
    view! {
        <Title text="User Provisioning help" />
        <article class="help" aria-labelledby="help-title">
            <p class="help__back"><a href="/admin/user-provisioning">"← Back to User Provisioning"</a></p>
            <h1 id="help-title">"User Provisioning help"</h1>
            <p class="page-header__lead">
                "User Provisioning shows every automated sync of user data from your HR or identity source "
                "into Blink: when it ran, how it ended, and its logs. It is read-only: sync configurations "
                "are managed separately."
            </p>

            <StatusesHelp />
            <LogsHelp />
            <FindingARunHelp />
            <PersonHelp />
            <AlertsHelp />
            <AccessHelp />
            <SourcesHelp />
            <BulkUploadsHelp />
        </article>
    }
}

/// Each status: what it means, what to do, and its logs.
#[component]
fn StatusesHelp() -> impl IntoView {
    let logs = |l: LogAvailability| match l {
        LogAvailability::SyncResults => "Sync result logs (CSV or Excel)",
        LogAvailability::Errors => "Error logs (CSV or Excel)",
        LogAvailability::None => "No logs",
    };
    view! {
    <section aria-labelledby="help-statuses">
        <h2 id="help-statuses">"Sync statuses and what to do"</h2>
        <div class="table-wrap" tabindex="0" role="region" aria-label="Statuses">
            <table class="help__table">
                <caption class="visually-hidden">"Each status, what it means, what to do, and its logs"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Meaning"</th>
                        <th scope="col">"Recommended action"</th>
                        <th scope="col">"Logs"</th>
                    </tr>
                </thead>
                <tbody>
                    {RunStatus::ALL
                        .into_iter()
                        .map(|s| view! {
                            <tr>
                                <th scope="row">
                                    <span class=format!("status {}", s.css_class())>{s.label()}</span>
                                </th>
                                <td>{s.meaning()}</td>
                                <td>{s.recommended_action()}</td>
                                <td>{logs(s.logs())}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    </section>
    }
}

/// What logs a run has, what a bad source value does, and how to download them.
#[component]
fn LogsHelp() -> impl IntoView {
    view! {
    <section aria-labelledby="help-logs">
        <h2 id="help-logs">"Logs"</h2>
        <p>
            "Runs that ended Success or Needs Attention have sync result logs: one line per person "
            "in the source, with what the sync did (created, updated and which fields, deactivated, "
            "reactivated, re-keyed, unchanged, skipped) and any warning. Data Load Failed runs have "
            "error logs saying why the data could not be loaded. Queued, In Progress, Cancelled and "
            "Above Deactivation Threshold runs have none."
        </p>
        <p>
            "A bad value in the source never quietly changes a person. A record whose Employee ID, "
            "email, first or last name is blank, holds a spreadsheet error such as #N/A, or holds "
            "control characters is skipped with a warning, and the person stays as they are. An "
            "error in an optional cell (job title, department, manager) leaves that field as it "
            "was, and a blank one does too unless the configuration clears blanks. Managers that "
            "are not in the source, or that manage each other in a loop, are not applied. A person "
            "matched by email whose Employee ID changed is re-keyed with a warning (or skipped, "
            "if the configuration does not allow it). Each of these makes the run Needs Attention."
        </p>
        <p>
            "Choose " <strong>"Download"</strong> " on a run's row or its details page, then "
            <strong>"CSV"</strong> " or " <strong>"Excel (XLSX)"</strong>
            ". The file is named after the run's start in your time zone, for example "
            <code>"Sync Logs - 15 Jan 2024 10.30pm.csv"</code> ", and its "
            <strong>"Run started"</strong> " column names that zone, for example "
            <code>"Run started (Europe/London)"</code> "."
        </p>
    </section>
    }
}

/// The filters, the chart and the links that find a run.
#[component]
fn FindingARunHelp() -> impl IntoView {
    view! {
    <section aria-labelledby="help-filters">
        <h2 id="help-filters">"Finding a run"</h2>
        <p>
            "Narrow the list with " <strong>"Date range"</strong> " (All Time, Last 7 Days, Last 30 Days "
            "or Custom), " <strong>"Sort order"</strong> ", " <strong>"Source"</strong> " (Google "
            "Workspace, Workday or SFTP Sync), " <strong>"Configuration"</strong> " and "
            <strong>"Status"</strong> ". For a Custom range, type the days as the page writes "
            "them (15 Jan 2024) or pick them on the calendar beside each field. Each active "
            "filter shows as a pill you can remove; "
            <strong>"Clear filters"</strong> " resets them all. The filters are part of the page's "
            "address, so you can bookmark or share a filtered view. Runs that are queued or in "
            "progress update on the page as they go; select a start time to see a run's details."
        </p>
        <p>
            "Above the list, " <strong>"Runs per day"</strong> " shows the runs that match the "
            "filters, day by day, stacked by status, with a line for the average duration of the "
            "day's finished runs (for All Time, the last 30 days; for longer ranges, their last 90 "
            "days). Point at or focus a day for its numbers; select it to list that day's runs. "
            "Select a status in the chart's legend to show only that status, and again to undo. "
            "By keyboard the chart is one stop: the arrow keys move between days and Enter "
            "selects one. " <strong>"Hide chart"</strong> " folds it away, and your browser "
            "remembers that until you choose " <strong>"Show chart"</strong> "."
        </p>
        <p>
            "A run with warnings or errors opens its log on them; " <strong>"Show all entries"</strong>
            " lists the rest. A link whose filters cannot all be used says what is wrong with each "
            "and offers to keep the ones that work."
        </p>
    </section>
    }
}

/// Finding one person and their history.
#[component]
fn PersonHelp() -> impl IntoView {
    view! {
    <section aria-labelledby="help-people">
        <h2 id="help-people">"One person's history"</h2>
        <p>
            "Type an email address or an Employee ID, or the start of one, in "
            <strong>"Find a person"</strong> " on the Syncs page. You see the person as the "
            "directory holds them now and their timeline: every log entry of every sync run that "
            "concerns them, newest first, with what each run changed (old → new) and why a record "
            "was skipped. Deactivations that a run blocked above its deactivation threshold planned "
            "are marked " <strong>"Not applied"</strong> ". Select a row to open its run with the "
            "entry in view; in a run's log, " <strong>"History of this person"</strong> " opens the "
            "timeline. Download it as CSV or Excel (XLSX) like a run's logs. People only the "
            "directory knows (no run has logged them) are found by their exact email address or "
            "Employee ID. Every search is recorded."
        </p>
    </section>
    }
}

/// Alert emails and webhooks.
#[component]
fn AlertsHelp() -> impl IntoView {
    view! {
    <section aria-labelledby="help-alerts">
        <h2 id="help-alerts">"Alerts"</h2>
        <p>
            "Organisation Admins and People Admins get an email when a sync needs them: a run "
            "ends " <strong>"Needs Attention"</strong> ", " <strong>"Data Load Failed"</strong> ", "
            <strong>"Above Deactivation Threshold"</strong> " or " <strong>"Cancelled"</strong>
            ", or a scheduled sync has had no successful run for twice its schedule (and again "
            "when it recovers). Each email names the configuration and the status, says when the "
            "run started in your time zone, gives its counts, its first warnings or errors and "
            "the recommended action, and links to the run. A configuration and status send at "
            "most one email an hour; further runs of that hour arrive together in one digest at "
            "its end. Turn " <strong>"Email me when a sync needs action"</strong> " off on the "
            "Syncs page to stop them. Your organisation can also receive the same alerts on a "
            "webhook (for example a chat channel), signed so that it can tell they come from "
            "here. A run's page shows which alerts it sent and how their delivery stands."
        </p>
    </section>
    }
}

/// Who can see User Provisioning, and how to get access.
#[component]
fn AccessHelp() -> impl IntoView {
    view! {
    <section aria-labelledby="help-access">
        <h2 id="help-access">"Who can see User Provisioning"</h2>
        <div class="table-wrap" tabindex="0" role="region" aria-label="Roles and access">
            <table class="help__table">
                <caption class="visually-hidden">"Which roles can view the page and download logs"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Can view User Provisioning"</th>
                        <th scope="col">"Can download logs"</th>
                    </tr>
                </thead>
                <tbody>
                    {Role::ALL
                        .into_iter()
                        .map(|r| {
                            let yes = if r.may_use_provisioning() { "Yes" } else { "No" };
                            view! {
                                <tr>
                                    <th scope="row">{r.label()}</th>
                                    <td>{yes}</td>
                                    <td>{yes}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <p>"To use User Provisioning, all three of these must be true:"</p>
        <ul>
            <li>"Your organisation has User Provisioning enabled."</li>
            <li>"You are an Organisation Admin or a People Admin."</li>
            <li>"You are set up on the User Sync Service."</li>
        </ul>
        <p>
            "If you believe you should have access but cannot see User Provisioning in the sidebar, "
            "contact your Blink account team to enable it for your organisation."
        </p>
    </section>
    }
}

/// The sources a sync can import from.
#[component]
fn SourcesHelp() -> impl IntoView {
    view! {
    <section aria-labelledby="help-sources">
        <h2 id="help-sources">"Supported sync types"</h2>
        <ul>
            {[SourceKind::Sftp, SourceKind::Workday, SourceKind::GoogleWorkspace]
                .into_iter()
                .map(|k| view! { <li>{source_description(k)}</li> })
                .collect_view()}
        </ul>
    </section>
    }
}

/// Where manual bulk uploads are logged.
#[component]
fn BulkUploadsHelp() -> impl IntoView {
    view! {
    <section aria-labelledby="help-bulk">
        <h2 id="help-bulk">"Why can't I see my bulk upload logs here?"</h2>
        <p>
            "User Provisioning covers automated syncs only. Logs of manual bulk uploads are on the "
            <strong>"Bulk Update"</strong> " page in the " <strong>"Users"</strong>
            " section of the Admin Panel."
        </p>
    </section>
    }
}

fn source_description(kind: SourceKind) -> String {
    match kind {
        SourceKind::Sftp => format!(
            "{}: a static file (CSV or XLSX) fetched over SFTP",
            kind.display_name()
        ),
        SourceKind::Workday => format!("{}: a custom report of your workers", kind.display_name()),
        SourceKind::GoogleWorkspace => format!(
            "{}: the users of your Google Workspace directory",
            kind.display_name()
        ),
    }
}
