//! Where sign-in leads back to: the page a signed-out viewer asked for, or whose session
//! ended under it. Only this site's Admin Panel pages qualify, so a link to the sign-in
//! page cannot send anyone elsewhere once they have signed in.

/// The longest path kept (a filtered list's URL is far shorter).
const MAX_LEN: usize = 2048;

/// `next` if it is a path of this site's Admin Panel, else `None`.
pub fn return_path(next: &str) -> Option<&str> {
    let admin = next == "/admin" || next.starts_with("/admin/") || next.starts_with("/admin?");
    let plain = next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    // No step up out of the Admin Panel, written plainly or encoded (`/admin/%2e%2e/`).
    let path = next.split(['?', '#']).next().unwrap_or_default();
    let climbs = path.contains("..") || path.to_ascii_lowercase().contains("%2e");
    (admin && plain && !climbs && next.len() <= MAX_LEN && !next.contains("//")).then_some(next)
}

/// The sign-in page's path that leads back to `path` after signing in, with `error` said
/// there first when given.
pub fn sign_in_path(error: Option<&str>, path: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if let Some(e) = error {
        q.append_pair("error", e);
    }
    if let Some(next) = return_path(path) {
        q.append_pair("next", next);
    }
    let q = q.finish();
    if q.is_empty() {
        "/login".to_string()
    } else {
        format!("/login?{q}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_pages_are_kept() {
        for p in [
            "/admin",
            "/admin/user-provisioning",
            "/admin/user-provisioning?status=success&sort=oldest",
            "/admin/user-provisioning/runs/12?search=ann%40x",
        ] {
            assert_eq!(return_path(p), Some(p));
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for p in [
            "",
            "https://evil.example/admin",
            "//evil.example/admin",
            "/admin//evil.example",
            "/\\evil.example",
            "/admin/\\evil",
            "/administrator",
            "/login",
            "/admin/x y",
            "/admin/\u{e9}",
            "/admin/../login",
            "/admin/%2e%2e/%2E%2e/login",
            "/admin/user-provisioning/..%2flogin",
            &format!("/admin/{}", "a".repeat(MAX_LEN)),
        ] {
            assert_eq!(return_path(p), None, "{p}");
        }
    }

    #[test]
    fn the_sign_in_path_carries_the_page_and_the_reason() {
        assert_eq!(
            sign_in_path(Some("expired"), "/admin/user-provisioning?status=success"),
            "/login?error=expired&next=%2Fadmin%2Fuser-provisioning%3Fstatus%3Dsuccess"
        );
        assert_eq!(sign_in_path(None, "//evil.example"), "/login");
    }
}
