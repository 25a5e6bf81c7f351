//! One module per command.

pub mod demo;
pub mod evaluate;
pub mod explain;
pub mod predict;
pub mod summary;
pub mod train;
