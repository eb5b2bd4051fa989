//! Logging: human-readable by default, JSON with `LOG_FORMAT=json`; level from `RUST_LOG`.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init(format: crate::config::LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = fmt().with_env_filter(filter);
    let result = if format == crate::config::LogFormat::Json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // Tests may initialise twice; the first subscriber stays.
    let _ = result;
}
