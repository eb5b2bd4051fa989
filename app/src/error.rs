//! The one error type of the app: what a server function may answer.
//! Internal details are logged on the server and never travel to the browser.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request was understood but its input is not acceptable; the text says why.
    #[error("{0}")]
    Validation(String),
    /// A filter link with problems: every one of them, and the canonical query of the
    /// parts that can be used (empty when none can), so a page can list them all and
    /// offer to keep the rest.
    #[error("{}", .problems.join(" "))]
    BadFilter { problems: Vec<String>, kept: String },
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have access to User Provisioning.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("Could not reach the server. Check your connection and try again.")]
    Network,
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The server had no database connection free in time; the page tries again itself.
    #[error("The server is busy right now. Please try again in a moment.")]
    Busy,
}

impl AppError {
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Validation(_) | AppError::BadFilter { .. } => 400,
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Network => 502,
            AppError::Internal => 500,
            AppError::Busy => 503,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => {
                AppError::Validation("The request was not understood.".into())
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Network,
            ServerFnErrorErr::Registration(_) => AppError::NotFound,
            _ => AppError::Internal,
        }
    }
}
