//! wxb's criterion benchmarks live in `benches/` (`cargo bench -p wxb-bench --bench mlp`). They
//! are a crate of their own, outside the workspace's default members, so that `cargo test` never
//! builds criterion and its dependencies.
