//! Scratch: per-layer times of the convnet's training pass (not committed).
use std::time::Instant;
use wxb::layers::Layer;
use wxb::prelude::*;

fn main() {
    let batch: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(128);
    let reps = 200;
    let mut layers: Vec<Box<dyn Layer>> = vec![
        Box::new(Conv2D::new(32, [3, 3]).activation(Activation::Relu).named("c1")),
        Box::new(MaxPooling2D::new([2, 2]).named("p1")),
        Box::new(Conv2D::new(64, [3, 3]).activation(Activation::Relu).named("c2")),
        Box::new(MaxPooling2D::new([2, 2]).named("p2")),
        Box::new(Flatten::new().named("f")),
        Box::new(Dropout::new(0.5).named("d")),
        Box::new(Dense::new(10).named("o")),
    ];
    let mut shape = vec![28, 28, 1];
    for l in layers.iter_mut() {
        l.build(&shape, 0);
        shape = l.output_shape();
    }
    let n = batch * 784;
    let x = Tensor::from_vec(&[batch, 28, 28, 1], (0..n).map(|i| ((i * 7919) % 2000) as f32 / 2000.0).collect());
    let nl = layers.len();
    let mut acts: Vec<Tensor> = (0..nl).map(|_| Tensor::default()).collect();
    let mut grads: Vec<Tensor> = (0..nl).map(|_| Tensor::default()).collect();
    let mut scr: Vec<Scratch> = (0..nl).map(|_| Scratch::default()).collect();
    let mut tf = vec![0f64; nl];
    let mut tb = vec![0f64; nl];
    for rep in 0..reps + 10 {
        for i in 0..nl {
            let t = Instant::now();
            let (lo, hi) = acts.split_at_mut(i);
            let input = if i == 0 { &x } else { &lo[i - 1] };
            layers[i].forward(input, &mut hi[0], Mode::Train, &mut scr[i]);
            if rep >= 10 {
                tf[i] += t.elapsed().as_secs_f64();
            }
        }
        let last = acts[nl - 1].clone();
        grads[nl - 1] = Tensor::from_vec(last.shape(), last.data().iter().map(|v| v * 0.01 - 0.001).collect());
        for i in (0..nl).rev() {
            let t = Instant::now();
            let (lo, hi) = grads.split_at_mut(i);
            let input = if i == 0 { &x } else { &acts[i - 1] };
            layers[i].backward(input, &acts[i], &hi[0], lo.last_mut(), &mut scr[i]);
            if rep >= 10 {
                tb[i] += t.elapsed().as_secs_f64();
            }
        }
    }
    let per = |t: f64| t / (reps * batch) as f64 * 1e6;
    let mut tot = 0.0;
    for i in 0..nl {
        println!("{:>3} fwd {:7.2} µs/sample  bwd {:7.2}", layers[i].name(), per(tf[i]), per(tb[i]));
        tot += per(tf[i]) + per(tb[i]);
    }
    println!("total {tot:.2} µs/sample");
}
