//! [`LayerNames`]: the names taken in a model and Keras' automatic names (`dense`, `dense_1`, …),
//! in constant time per layer, so that models of many layers build in linear time.

use std::collections::{HashMap, HashSet};

/// The layer names of one model, with the next index to try for each automatic stem.
#[derive(Clone, Debug, Default)]
pub(crate) struct LayerNames {
    taken: HashSet<String>,
    /// For each stem, an index below which every `stem`, `stem_1`, … is taken. Names are never
    /// given back, so the first free index only grows.
    next: HashMap<String, usize>,
}

impl LayerNames {
    /// The names of `names`, which must be distinct.
    pub(crate) fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut all = Self::default();
        for n in names {
            all.taken.insert(n.to_string());
        }
        all
    }

    /// Takes `name`; false when it was taken already.
    pub(crate) fn take(&mut self, name: &str) -> bool {
        !self.taken.contains(name) && self.taken.insert(name.to_string())
    }

    /// Takes and returns Keras' first free name for `stem`: `stem`, then `stem_1`, `stem_2`, …
    pub(crate) fn take_auto(&mut self, stem: &str) -> String {
        let i = self.next.entry(stem.to_string()).or_insert(0);
        loop {
            let name = if *i == 0 { stem.to_string() } else { format!("{stem}_{i}") };
            *i += 1;
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_names_skip_taken_ones_as_keras_does() {
        let mut names = LayerNames::of(["dense_1"]);
        assert_eq!(names.take_auto("dense"), "dense");
        assert_eq!(names.take_auto("dense"), "dense_2");
        assert!(names.take("dense_3"));
        assert!(!names.take("dense"));
        assert_eq!(names.take_auto("dense"), "dense_4");
        assert_eq!(names.take_auto("dropout"), "dropout");
    }
}
