//! How a person is found by email or Employee ID: the key their texts are compared by.

/// A search key: the text with ASCII letters in lower case. Emails are compared without
/// case (`Jane@X` is `jane@x`) and so are Employee IDs; letters outside ASCII keep their
/// case, because SQLite's `lower()` (which wrote the keys of entries older than this
/// migration) changes only ASCII letters, and the keys must read the same on both databases.
pub fn search_key(text: &str) -> String {
    text.trim().to_ascii_lowercase()
}
