//! Signing in: password hashes and session tokens (`passwords`), and the throttle on
//! failed attempts (`throttle`). Sessions themselves are kept by `store::auth`.

pub mod passwords;
pub mod throttle;
