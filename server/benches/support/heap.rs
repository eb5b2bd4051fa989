//! A counting allocator for the benches: the most heap a piece of work had at once, and
//! what it still holds when it returns. Included by the benches that report memory.
#![allow(dead_code)] // each bench reads the part it reports

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Time, the most heap held at once above what was held at the start, and the heap still
/// held at the end (the result's).
pub struct Measure {
    pub time: Duration,
    pub peak: usize,
    pub kept: usize,
}

pub async fn measure<T, F: std::future::Future<Output = T>>(work: F) -> (T, Measure) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let started = Instant::now();
    let out = work.await;
    let time = started.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let kept = CURRENT.load(Ordering::Relaxed).saturating_sub(base);
    (out, Measure { time, peak, kept })
}
