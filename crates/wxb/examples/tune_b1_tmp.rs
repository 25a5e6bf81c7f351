use wxb::prelude::*;
fn main() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(std::env::var("T").map(|v| v.parse().unwrap()).unwrap_or(1))
        .build()
        .unwrap();
    pool.install(|| {
        let mut model = Sequential::new(&[784]).seed(0);
        model.add(Dense::new(256).activation(Activation::Relu));
        model.add(Dense::new(128).activation(Activation::Relu));
        model.add(Dense::new(10).activation(Activation::Softmax));
        let one = Tensor::from_vec(&[1, 784], (0..784).map(|i| (i % 7) as f32 / 7.0).collect());
        let t = std::time::Instant::now();
        for _ in 0..200000 {
            std::hint::black_box(model.predict(&one, 1).unwrap());
        }
        println!("{:.2} us", t.elapsed().as_secs_f64() / 200000.0 * 1e6);
        let t = std::time::Instant::now();
        for _ in 0..200000 {
            std::hint::black_box(model.forward(&one, Mode::Infer));
        }
        println!("forward {:.2} us", t.elapsed().as_secs_f64() / 200000.0 * 1e6);
    });
}
