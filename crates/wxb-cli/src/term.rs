//! What the terminal on standard error can take: colors (`NO_COLOR`, `TERM=dumb`) and lines
//! redrawn in place. Results go to standard output; progress and status to standard error.

use std::io::IsTerminal;

/// Whether `TERM=dumb` (a terminal that cannot move its cursor or show colors).
fn dumb() -> bool {
    std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

/// Whether `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Whether progress may be redrawn in place: standard error is a terminal that is not `dumb`.
pub fn redraw() -> bool {
    std::io::stderr().is_terminal() && !dumb()
}

/// Whether standard error may be colored: it is a terminal, not `dumb`, and `NO_COLOR` is unset.
pub fn color() -> bool {
    redraw() && !no_color()
}
