//! `wxb explain --draw` on a convnet: the chosen convolution's kernels, the sample's feature maps,
//! the patch and its calculation in one PNG, for the output the text and JSON show (`--position Y,X
//! --filter F` or `--neuron K`); a layer it cannot draw is refused in one line.

use crate::common;

use common::*;

/// Pixels neither white nor near it.
fn inked(pixels: &[[u8; 3]]) -> usize {
    pixels.iter().filter(|p| p.iter().any(|&c| c < 235)).count()
}

/// Pixels clearly orange (positive values) and clearly blue (negative ones).
fn orange_and_blue(pixels: &[[u8; 3]]) -> (usize, usize) {
    let orange = pixels.iter().filter(|[r, g, b]| *r > 200 && *g < 200 && *b < 140).count();
    let blue = pixels.iter().filter(|[r, _, b]| *b > 120 && *r < 120).count();
    (orange, blue)
}

#[test]
fn explain_draws_a_convolutions_kernels_feature_maps_patch_and_calculation() {
    let d = tempdir();
    let p = d.path();
    mnist_subset(p, 64);
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/mnist_convnet.json");
    let data = ["--model", "m", "--data", "digits", "--labels", "digit-labels", "--row", "0"];
    ok(
        p,
        &[
            "train",
            "--spec",
            spec,
            "--epochs",
            "1",
            "--verbose",
            "0",
            "--out",
            "m",
            "--data",
            "digits",
            "--labels",
            "digit-labels",
        ],
    );

    // --position 13,13 --filter 0 is --neuron (13·26 + 13)·32 + 0: the same JSON, and the picture of it.
    let by_position = ok(
        p,
        &[
            &["explain"],
            &data[..],
            &["--layer", "0", "--position", "13,13", "--filter", "0", "--json", "--draw", "c0.png"],
        ]
        .concat(),
    );
    let by_neuron = ok(p, &[&["explain"], &data[..], &["--layer", "0", "--neuron", "11232", "--json"]].concat());
    assert_eq!(by_position.stdout, by_neuron.stdout);
    assert_eq!(by_position.stderr.trim(), "Drew c0.png");
    let x = json(&by_position.stdout);
    let o = &x["layers"][0]["step"]["outputs"][0];
    assert_eq!(o["name"], serde_json::json!("conv2d[13,13,0]"), "{x}");
    let (w, h, pixels) = png_pixels(&p.join("c0.png"));
    assert!(w >= 1100 && h >= 700, "{w}×{h}");
    let ink = inked(&pixels);
    assert!(ink > pixels.len() / 20, "a picture, not a blank page: {ink} of {} pixels inked", pixels.len());
    let (orange, blue) = orange_and_blue(&pixels);
    assert!(orange > 200 && blue > 200, "both signs drawn on the blue–orange scale: {orange} orange, {blue} blue");

    // The second convolution reads 32 channels: drawn too, with the digit beside its input.
    let run = ok(p, &[&["explain"], &data[..], &["--layer", "2", "--draw", "c2.png"]].concat());
    assert!(run.stdout.contains("conv2d_1 (Conv2D)") && run.stderr.contains("Drew c2.png"), "{run:?}");
    let (w2, h2, pixels2) = png_pixels(&p.join("c2.png"));
    assert!(w2 >= 1100 && h2 >= 700 && inked(&pixels2) > pixels2.len() / 20, "{w2}×{h2}");
    assert_ne!(pixels, pixels2, "another layer, another picture");

    // Without --layer, the first layer with weights (the first convolution) is drawn.
    ok(p, &[&["explain"], &data[..], &["--draw", "first.png"]].concat());
    assert_eq!(png_pixels(&p.join("first.png")).0, w);

    // What it cannot draw, or an output that does not exist: one line, exit 2, nothing written.
    fails(
        p,
        &[&["explain"], &data[..], &["--layer", "1", "--draw", "pool.png"]].concat(),
        &["--draw draws a Dense, Conv2D or Conv1D layer, not layer 1 (max_pooling2d, MaxPooling2D)"],
    );
    fails(
        p,
        &[&["explain"], &data[..], &["--layer", "0", "--position", "26,0", "--filter", "0"]].concat(),
        &["--position 26,0: 26 is beyond layer 0 (conv2d, Conv2D)'s outputs 26×26×32 (0..=25)"],
    );
    fails(
        p,
        &[&["explain"], &data[..], &["--layer", "0", "--position", "1,2,3", "--filter", "0"]].concat(),
        &["--position 1,2,3: layer 0 (conv2d, Conv2D) has 2-D positions (outputs 26×26×32)"],
    );
    fails(
        p,
        &[&["explain"], &data[..], &["--layer", "2", "--position", "0,0", "--filter", "64"]].concat(),
        &["--filter 64: layer 2 (conv2d_1, Conv2D) has 64 filters (0..=63)"],
    );
    fails(
        p,
        &[&["explain"], &data[..], &["--layer", "4", "--position", "0", "--filter", "0"]].concat(),
        &["--position/--filter: layer 4 (flatten, Flatten) has outputs of shape 1600, not positions and filters"],
    );
}
