//! `RunFilter` from any query string: never a panic; whatever parses writes itself back as
//! a query that parses to the same filter; and what is kept of a bad query (its valid
//! parts) is such a filter too, with a problem named for what was left out.
#![no_main]

use app::domain::RunFilter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| {
    let reading = RunFilter::read(query);
    let kept = &reading.filter;
    let again = RunFilter::from_query(&kept.to_query())
        .unwrap_or_else(|e| panic!("{query:?} → {:?} does not parse: {e}", kept.to_query()));
    assert_eq!(&again, kept, "round trip of {query:?}");
    match RunFilter::from_query(query) {
        Ok(filter) => {
            assert!(reading.problems.is_empty());
            assert_eq!(&filter, kept);
        }
        Err(first) => assert_eq!(reading.problems.first(), Some(&first)),
    }
});
