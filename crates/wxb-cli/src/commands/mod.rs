//! One module per command.

pub mod evaluate;
pub mod predict;
pub mod summary;
pub mod train;
