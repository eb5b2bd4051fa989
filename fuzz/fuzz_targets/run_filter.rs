//! `RunFilter` from any query string: never a panic, and whatever parses writes itself
//! back as a query that parses to the same filter.
#![no_main]

use app::domain::RunFilter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| {
    if let Ok(filter) = RunFilter::from_query(query) {
        let again = RunFilter::from_query(&filter.to_query())
            .unwrap_or_else(|e| panic!("{query:?} → {:?} does not parse: {e}", filter.to_query()));
        assert_eq!(again, filter, "round trip of {query:?}");
    }
});
