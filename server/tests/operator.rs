//! Operators' configuration files: import creates or updates, a wrong entry writes
//! nothing, secrets are accepted only as references and never echoed.

mod common;

use common::sync::setup;
use sea_orm::{DatabaseConnection, EntityTrait};
use server::db::entities::sync_configuration;
use server::operator::{find_configuration, import_configurations, list_configurations};

const FILE: &str = r#"
[[configuration]]
organisation = "Acme"
name = "Contractors (SFTP)"
source = "sftp"
schedule = "every 6h"
threshold_count = 25
threshold_percent = 5

[configuration.settings]
host = "sftp.acme.example"
port = 2222
username = "blink"
private_key = "file:/run/secrets/acme_sftp_key"
host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
path = "/exports/contractors.xlsx"
sheet = "People"

[configuration.settings.mapping]
"Personnel Number" = "employee_id"

[[configuration]]
organisation = "Acme"
name = "Drop folder"
source = "sftp"
enabled = false
settings = { transport = "folder", path = "/var/lib/up/drop/people.csv" }
"#;

async fn import_creates_then_updates(db: &DatabaseConnection) {
    setup(db, "Acme", "x.csv").await;
    let s = import_configurations(db, FILE, 1).await.unwrap();
    assert_eq!(
        s.created,
        ["Acme / Contractors (SFTP)", "Acme / Drop folder"]
    );
    let c = find_configuration(db, "Acme/Contractors (SFTP)")
        .await
        .unwrap();
    assert_eq!(
        (c.schedule.as_str(), c.threshold_count, c.threshold_percent),
        ("every 6h", Some(25), Some(5))
    );
    assert!(c.settings.contains("file:/run/secrets/acme_sftp_key"));
    assert!(c.enabled);
    let again = import_configurations(db, &FILE.replace("every 6h", "every 12h"), 2)
        .await
        .unwrap();
    assert_eq!(again.updated.len(), 2);
    assert!(again.created.is_empty());
    assert_eq!(
        find_configuration(db, &c.id.to_string())
            .await
            .unwrap()
            .schedule,
        "every 12h"
    );
    let listing = list_configurations(db).await.unwrap();
    assert!(listing.contains("Contractors (SFTP)") && listing.contains("25 users or 5%"));
    assert!(find_configuration(db, "Acme/Nope")
        .await
        .unwrap_err()
        .to_string()
        .contains("no configuration named"));
}

async fn bad_files_change_nothing(db: &DatabaseConnection) {
    setup(db, "Acme", "x.csv").await;
    let before = sync_configuration::Entity::find().all(db).await.unwrap();
    let cases = [
        (
            FILE.replace(
                "file:/run/secrets/acme_sftp_key",
                "-----BEGIN OPENSSH PRIVATE KEY----- hunter2",
            ),
            "settings.private_key: a secret must be a reference",
        ),
        (FILE.replace("every 6h", "hourly"), "a schedule is"),
        (
            FILE.replace(
                "name = \"Contractors (SFTP)\"",
                "name = \"Contractors\\r\\nX-Evil: 1\"",
            ),
            "without line breaks or tabs",
        ),
        (
            FILE.replace("source = \"sftp\"\nschedule", "source = \"ftp\"\nschedule"),
            "unknown source kind",
        ),
        (
            FILE.replace("threshold_percent = 5", "threshold_percent = 500"),
            "between 0 and 100",
        ),
        (
            FILE.replace(
                "organisation = \"Acme\"\nname = \"Drop",
                "organisation = \"Nobody\"\nname = \"Drop",
            ),
            "no organisation named \"Nobody\"",
        ),
        (
            FILE.replace("\"employee_id\"", "\"salary\""),
            "unknown field",
        ),
        (
            FILE.replace("username = \"blink\"", "user = \"blink\""),
            "not valid",
        ),
        ("[[configuration]]\nname = 1".into(), "not valid"),
        ("".into(), "no [[configuration]] or [[webhook]] entries"),
        (
            FILE.replace(
                "source = \"sftp\"\nschedule",
                "source = \"workday\"\nschedule",
            )
            .replace(
                "private_key = \"file:/run/secrets/acme_sftp_key\"",
                "[configuration.settings.oauth]\nclient_secret = \"hunter2\"",
            ),
            "settings.oauth.client_secret: a secret must be a reference",
        ),
    ];
    for (text, why) in cases {
        let err = import_configurations(db, &text, 1)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "expected {why:?} in {err:?}");
        assert!(
            !err.contains("hunter2"),
            "a pasted secret is never echoed: {err}"
        );
    }
    assert_eq!(
        sync_configuration::Entity::find().all(db).await.unwrap(),
        before
    );
}

const API_FILE: &str = r#"
[[configuration]]
organisation = "Acme"
name = "Google"
source = "google_workspace"
schedule = "every 1d"

[configuration.settings]
admin_email = "it.admin@acme.example"
service_account_key = "file:/run/secrets/google-sa.json"
customer = "my_customer"
base_url = "https://admin.googleapis.example"
token_url = "https://oauth2.googleapis.example/token"

[[configuration]]
organisation = "Acme"
name = "Workday"
source = "workday"
schedule = "every 12h"

[configuration.settings]
host = "wd5-services1.workday.com"
tenant = "acme"
owner = "ISU_Blink"
report = "Blink_Workers"
password = "env:ACME_WORKDAY_PASSWORD"
base_url = "https://wd.example"
"#;

/// The API sources' settings: addresses are not secrets, keys and passwords must be
/// references, and a pasted one is refused without being echoed.
async fn api_sources_import(db: &DatabaseConnection) {
    setup(db, "Acme", "x.csv").await;
    let s = import_configurations(db, API_FILE, 1).await.unwrap();
    assert_eq!(s.created, ["Acme / Google", "Acme / Workday"]);
    let google = find_configuration(db, "Acme/Google").await.unwrap();
    assert!(google
        .settings
        .contains("https://oauth2.googleapis.example/token"));
    for (text, why) in [
        (
            API_FILE.replace("\"env:ACME_WORKDAY_PASSWORD\"", "\"hunter2\""),
            "settings.password: a secret must be a reference",
        ),
        (
            API_FILE.replace(
                "\"file:/run/secrets/google-sa.json\"",
                "\"{\\\"private_key\\\": \\\"hunter2\\\"}\"",
            ),
            "settings.service_account_key: a secret must be a reference",
        ),
    ] {
        let err = import_configurations(db, &text, 2)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "expected {why:?} in {err:?}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}

on_both_backends!(api_import, api_sources_import);
on_both_backends!(import, import_creates_then_updates);
on_both_backends!(bad_imports, bad_files_change_nothing);

/// A configuration's record rules: beside its settings or among them, stored with it and
/// listed; a wrong one, or one given twice, writes nothing.
async fn record_rules_import(db: &DatabaseConnection) {
    setup(db, "Acme", "x.csv").await;
    let beside = r#"
[[configuration]]
organisation = "Acme"
name = "Strict"
source = "sftp"
blank_values = "clear"
allow_rekey = false
required = ["department", "title"]
settings = { transport = "folder", path = "/drop/a.csv" }

[[configuration]]
organisation = "Acme"
name = "Within"
source = "sftp"
settings = { transport = "folder", path = "/drop/b.csv", allow_rekey = false, required = ["manager_id"] }

[[configuration]]
organisation = "Acme"
name = "Defaults"
source = "sftp"
settings = { transport = "folder", path = "/drop/c.csv" }
"#;
    import_configurations(db, beside, 1).await.unwrap();
    let strict = find_configuration(db, "Acme/Strict").await.unwrap();
    assert_eq!(
        (
            strict.blank_values.as_str(),
            strict.allow_rekey,
            strict.required_fields.as_str()
        ),
        ("clear", false, "title,department")
    );
    assert!(!strict.settings.contains("allow_rekey"));
    let within = find_configuration(db, "Acme/Within").await.unwrap();
    assert_eq!(
        (
            within.blank_values.as_str(),
            within.allow_rekey,
            within.required_fields.as_str()
        ),
        ("keep", false, "manager_id")
    );
    assert!(!within.settings.contains("required"), "{}", within.settings);
    let defaults = find_configuration(db, "Acme/Defaults").await.unwrap();
    assert_eq!(
        (
            defaults.blank_values.as_str(),
            defaults.allow_rekey,
            defaults.required_fields.as_str()
        ),
        ("keep", true, "")
    );
    let listed = list_configurations(db).await.unwrap();
    assert!(
        listed.contains("blanks clear, re-key no, requires title,department"),
        "{listed}"
    );

    let before = sync_configuration::Entity::find().all(db).await.unwrap();
    for (bad, why) in [
        (
            r#"blank_values = "erase""#,
            "blank_values must be \"keep\" or \"clear\"",
        ),
        (r#"required = ["salary"]"#, "unknown field \"salary\""),
        (r#"allow_rekey = "no""#, "invalid type"),
    ] {
        let file = format!(
            "[[configuration]]\norganisation = \"Acme\"\nname = \"Bad\"\nsource = \"sftp\"\n{bad}\nsettings = {{ transport = \"folder\", path = \"/d.csv\" }}\n"
        );
        let err = import_configurations(db, &file, 2)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "{bad}: {err}");
    }
    let twice = "[[configuration]]\norganisation = \"Acme\"\nname = \"Twice\"\nsource = \"sftp\"\nallow_rekey = false\nsettings = { transport = \"folder\", path = \"/d.csv\", allow_rekey = true }\n";
    let err = import_configurations(db, twice, 3)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("allow_rekey is given twice"), "{err}");
    let wrong_type = "[[configuration]]\norganisation = \"Acme\"\nname = \"Typed\"\nsource = \"sftp\"\nsettings = { transport = \"folder\", path = \"/d.csv\", required = \"title\" }\n";
    let err = import_configurations(db, wrong_type, 4)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("required has the wrong type"), "{err}");
    assert_eq!(
        sync_configuration::Entity::find().all(db).await.unwrap(),
        before
    );
}

on_both_backends!(record_rules, record_rules_import);
