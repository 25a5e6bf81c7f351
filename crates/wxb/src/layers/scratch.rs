//! [`Scratch`]: one layer's work buffers for one caller, kept apart from its weights.
//!
//! A layer's weights ([`Param`](super::Param)) live in the layer; what a forward pass leaves for
//! its backward pass (Dense's pre-activations `z` and `∂L/∂z`, dropout's mask, batch
//! normalization's batch statistics) lives in a `Scratch` that the caller owns: the model keeps one
//! per layer for training (reused batch after batch, so a training step allocates nothing) and
//! each `predict` call makes its own, so several threads can predict with one model at once.

use std::any::Any;
use std::fmt;

/// A layer's work buffers: one value of a type the layer chooses, created on first use.
#[derive(Default)]
pub struct Scratch(Option<Box<dyn Any + Send + Sync>>);

impl Scratch {
    /// The buffers of type `T`, created with `T::default()` on first use (or when the scratch
    /// held another type).
    pub fn get<T: Any + Send + Sync + Default>(&mut self) -> &mut T {
        if !self.0.as_ref().is_some_and(|b| b.is::<T>()) {
            self.0 = Some(Box::new(T::default()));
        }
        self.0.as_mut().and_then(|b| b.downcast_mut()).expect("set just above")
    }

    /// The buffers of type `T`, if a pass created them.
    pub fn peek<T: Any>(&self) -> Option<&T> {
        self.0.as_ref()?.downcast_ref()
    }

    /// The buffers of type `T`, mutable, if a pass created them.
    pub fn peek_mut<T: Any>(&mut self) -> Option<&mut T> {
        self.0.as_mut()?.downcast_mut()
    }
}

impl fmt::Debug for Scratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Scratch(..)" } else { "Scratch(empty)" })
    }
}
