//! Counted places per key (event streams per user, syncs per user), taken and given back by a
//! guard, so a panic or a dropped connection can never leak one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Places in use, per key and in all.
#[derive(Debug, Default)]
pub struct Slots {
    inner: Mutex<(HashMap<String, usize>, usize)>,
}

/// One place, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    key: String,
}

impl Slots {
    /// A place for `key`, if it holds fewer than `per_key` and all keys fewer than `total`.
    pub fn take(self: &Arc<Self>, key: &str, per_key: usize, total: usize) -> Option<Slot> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (map, all) = &mut *g;
        let n = map.get(key).copied().unwrap_or(0);
        if n >= per_key || *all >= total {
            return None;
        }
        map.insert(key.to_owned(), n + 1);
        *all += 1;
        Some(Slot {
            slots: self.clone(),
            key: key.to_owned(),
        })
    }

    /// Places in use in all.
    pub fn in_use(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).1
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut g = self.slots.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (map, all) = &mut *g;
        *all = all.saturating_sub(1);
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_come_back_when_dropped() {
        let s = Arc::new(Slots::default());
        let a = s.take("u", 2, 3).expect("first");
        let b = s.take("u", 2, 3).expect("second");
        assert!(s.take("u", 2, 3).is_none(), "per key");
        let c = s.take("v", 2, 3).expect("other key");
        assert!(s.take("w", 2, 3).is_none(), "in all");
        drop((a, b, c));
        assert_eq!(s.in_use(), 0);
        assert!(s.take("u", 2, 3).is_some());
    }
}
