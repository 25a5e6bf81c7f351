//! Every kind of picture wxb draws, rendered and decoded: its size, that it is not blank, and
//! what it must show (the learned line's colour, the grey of pixels no sample inks).

use crate::common;

use std::path::Path;

use common::{blobs_csv, gzip, idx_u8, images, ok, tempdir, write};

/// The picture's width, height and RGB(A) pixels as `(r, g, b)`.
fn decode(path: &Path) -> (u32, u32, Vec<(u8, u8, u8)>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()].chunks_exact(channels).map(|c| (c[0], c[1], c[2])).collect();
    (info.width, info.height, pixels)
}

/// Asserts the picture is at least `min` pixels in size and far from a blank image: over 2 % of
/// its pixels are not white, in more than 20 colours.
fn drawn(path: &Path, min: (u32, u32)) -> Vec<(u8, u8, u8)> {
    let (w, h, pixels) = decode(path);
    assert!(w >= min.0 && h >= min.1, "{}: {w}×{h}, expected at least {min:?}", path.display());
    let inked = pixels.iter().filter(|&&p| p != (255, 255, 255)).count();
    assert!(inked * 50 > pixels.len(), "{}: nearly blank ({inked} of {} pixels)", path.display(), pixels.len());
    let mut colours = pixels.clone();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 20, "{}: {} colours", path.display(), colours.len());
    pixels
}

#[test]
fn training_curves_tabular_explain_and_trace() {
    let d = tempdir();
    let p = d.path();
    write(p, "t.csv", blobs_csv(60, 4));
    let args = ["train", "--data", "t.csv", "--epochs", "3", "--out", "m", "--verbose", "0", "--trace", "0:1:2"];
    ok(p, &args);
    drawn(&p.join("m/training.png"), (1000, 400));
    drawn(&p.join("m/trace.png"), (900, 800));
    ok(p, &["explain", "--model", "m", "--data", "t.csv", "--row", "1", "--draw", "row1.png"]);
    drawn(&p.join("row1.png"), (900, 300));
}

#[test]
fn image_weights_grey_out_pixels_no_sample_inks() {
    let d = tempdir();
    let p = d.path();
    let (mut px, labels) = images(60, 5);
    // The first pixel of every image is 0: its weights never learn.
    px.iter_mut().step_by(16).for_each(|v| *v = 0);
    write(p, "img.gz", gzip(&idx_u8(&[60, 4, 4], &px)));
    write(p, "lab.gz", gzip(&idx_u8(&[60], &labels)));
    ok(
        p,
        &[
            "train",
            "--data",
            "img.gz",
            "--labels",
            "lab.gz",
            "--layers",
            "70",
            "--epochs",
            "2",
            "--out",
            "m",
            "--verbose",
            "0",
        ],
    );
    let args = ["explain", "--model", "m", "--data", "img.gz", "--labels", "lab.gz", "--row", "0", "--layer", "1"];
    ok(p, &[&args[..], &["--neuron", "66", "--draw", "d.png"]].concat());
    let pixels = drawn(&p.join("d.png"), (900, 500));
    let grey = pixels.iter().filter(|&&c| c == (200, 200, 200)).count();
    assert!(grey > 0, "the never-inked pixel is drawn grey");
}

#[test]
fn demo_linear_shows_the_learned_line() {
    let d = tempdir();
    ok(d.path(), &["demo", "linear", "--out", "line.png"]);
    let pixels = drawn(&d.path().join("line.png"), (900, 640));
    let red = pixels.iter().filter(|&&c| c == (200, 30, 30)).count();
    let orange = pixels.iter().filter(|&&c| c == (255, 165, 0)).count();
    assert!(red > 500 && orange > 500, "learned (red {red} px) and least squares (orange {orange} px) both visible");
}
