//! The list of trainable weights handed to the optimizer on every step, kept between steps so that
//! building it allocates nothing.

use crate::layers::{Layer, Param};

/// Storage for the `&mut Param` list of one step (empty between steps).
#[derive(Debug, Default)]
pub(crate) struct TrainableList(Vec<*mut Param>);

// SAFETY: the pointers exist only inside `TrainableList::with`, which holds the exclusive borrow of
// the layers they point into; between calls the list is empty.
unsafe impl Send for TrainableList {}
// SAFETY: as for `Send`: no pointer outlives the exclusive borrow of `with`.
unsafe impl Sync for TrainableList {}

impl TrainableList {
    /// Calls `f` with every trainable weight of `layers`, layer by layer in Keras' order.
    pub(crate) fn with<R>(&mut self, layers: &mut [Box<dyn Layer>], f: impl FnOnce(&mut [&mut Param]) -> R) -> R {
        let list = &mut self.0;
        list.clear();
        for layer in layers.iter_mut() {
            layer.for_each_param_mut(&mut |p| {
                if p.trainable {
                    list.push(p);
                }
            });
        }
        // SAFETY: each pointer comes from a distinct `&mut Param` of `layers`, which stays
        // exclusively borrowed (and untouched otherwise) until `f` returns; `*mut Param` and
        // `&mut Param` have the same layout.
        let params = unsafe { std::slice::from_raw_parts_mut(list.as_mut_ptr().cast::<&mut Param>(), list.len()) };
        let result = f(params);
        self.0.clear();
        result
    }
}
