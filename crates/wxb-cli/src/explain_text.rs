//! `wxb explain`'s text: each chosen neuron's formula `z = x·w + b`, `a = f(z)` with its real
//! numbers, what the other layers do to the chosen values, and the prediction checked against the
//! engine.

use std::fmt::Write;

use wxb::activations::Activation;
use wxb::explain::{
    ConvTrace, Explanation, FeatureTrace, LayerStep, LayerTrace, NeuronTrace, PoolOp, PoolTrace, Prediction,
    Statistics, ValueTrace,
};

use crate::formula::{num, p};

/// Where the sample comes from, for the header.
pub struct Sample<'a> {
    /// Its row in the data file.
    pub row: usize,
    /// The data file.
    pub file: &'a str,
    /// How the inputs were prepared before the model saw them, in words.
    pub preparation: &'a str,
    /// The row's cells as the file holds them, when the model reads a table's columns.
    pub raw: Option<&'a str>,
    /// The class names, when the model predicts classes.
    pub classes: Option<&'a [String]>,
    /// Which layer and neuron the user asked for, if any.
    pub asked: (Option<usize>, Option<usize>),
}

/// The whole text.
pub fn render(e: &Explanation, sample: &Sample<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Row {} of {}: {} inputs x ({}).", sample.row, sample.file, e.inputs, sample.preparation);
    if let Some(raw) = sample.raw {
        let _ = writeln!(s, "Raw values: {raw}.");
    }
    let _ = writeln!(s, "{}", prediction_line(&e.output.prediction));
    let most = "the neurons that matter most for it (the predicted output; below it, the neurons with the largest |xᵢ·wᵢ| in the neurons shown above)";
    let shown = match sample.asked {
        (Some(l), Some(k)) => match e.layers.iter().find(|t| t.index == l) {
            Some(t) if t.class_name == "Dense" => format!("layer {l} ({}), neuron {k}, as asked", t.name),
            Some(t) => format!("layer {l} ({}), the output asked for (number {k} of its outputs, flattened)", t.name),
            None => format!("layer {l}, output {k}, as asked"),
        },
        (Some(l), None) => format!("layer {l}: {most}"),
        _ => most.to_string(),
    };
    let _ = writeln!(s, "Shown: {shown}.\n");
    for layer in &e.layers {
        layer_text(&mut s, layer);
    }
    if let Some(classes) = sample.classes {
        let mut order: Vec<usize> = (0..e.output.values.len()).collect();
        order.sort_by(|&a, &b| e.output.values[b].total_cmp(&e.output.values[a]));
        let shown: Vec<String> = order
            .iter()
            .take(10)
            .map(|&i| {
                // A one-unit sigmoid head outputs the probability of the second class.
                let class = if e.output.values.len() == 1 && classes.len() == 2 { 1 } else { i };
                format!(
                    "{} {}",
                    classes.get(class).map_or(i.to_string(), |c| format!("{c:?}")),
                    num(e.output.values[i])
                )
            })
            .collect();
        let more = if order.len() > 10 { format!(" (the largest 10 of {})", order.len()) } else { String::new() };
        let _ = writeln!(s, "Outputs by class{more}: {}", shown.join(", "));
    }
    let what = match &e.output.prediction {
        Prediction::Class { index, .. } => {
            format!("{} for that class", num(wxb::tensor::class_probability(&e.output.engine, *index)))
        }
        Prediction::Values { .. } => {
            format!("[{}]", e.output.engine.iter().map(|&v| num(v)).collect::<Vec<_>>().join(", "))
        }
    };
    let _ = writeln!(
        s,
        "Check: recomputed here term by term in f64; the engine (as `wxb predict`, f32 GEMM) gives {what}; max |difference| over {} = {:.1e}.",
        if e.output.engine.len() == 1 {
            "the output".to_string()
        } else {
            format!("the {} outputs", e.output.engine.len())
        },
        e.output.max_abs_difference
    );
    s
}

fn prediction_line(p: &Prediction) -> String {
    match p {
        Prediction::Class { name, probability, .. } => {
            format!("Prediction: class {name:?} (its output {}).", num(*probability))
        }
        Prediction::Values { values } => {
            format!("Prediction: {}.", values.iter().map(|&v| num(v)).collect::<Vec<_>>().join(", "))
        }
    }
}

fn layer_text(s: &mut String, layer: &LayerTrace) {
    let head = format!("── layer {}: {} ({})", layer.index, layer.name, layer.class_name);
    match &layer.step {
        LayerStep::Dense { inputs, units, activation, neurons } => {
            let neurons_word = if *units == 1 { "neuron" } else { "neurons" };
            let _ = writeln!(s, "{head}, {inputs} inputs → {units} {neurons_word}, activation {activation} ──");
            for n in neurons {
                neuron_text(s, n);
            }
        }
        LayerStep::Normalization { statistics, epsilon, features } => {
            let source = match statistics {
                Statistics::Moving => "μ and σ² the moving averages learned in training",
                Statistics::Sample => "μ and σ² the mean and variance of this sample's values",
            };
            let _ = writeln!(s, "{head}: y = γ·(x − μ)/√(σ² + ε) + β per value, {source}, ε = {} ──", num(*epsilon));
            for f in features {
                feature_text(s, f, *epsilon);
            }
        }
        LayerStep::Activation { activation, values } => {
            let _ = writeln!(s, "{head}: y = {activation}(x) ──");
            for v in values {
                let _ = writeln!(s, "  {}: {} = {}", v.name, applied(*activation, v.x, v.index), num(v.output));
            }
        }
        LayerStep::Dropout { rate, values } => {
            let _ = writeln!(s, "{head}, rate {}: inactive outside training, y = x ──", num(*rate));
            let passed: Vec<String> =
                values.iter().map(|v: &ValueTrace| format!("{} = {}", v.name, num(v.output))).collect();
            let _ = writeln!(s, "  passed on unchanged: {}", passed.join(", "));
        }
        LayerStep::Flatten { input_shape, output_shape } => {
            let _ = writeln!(s, "{head}: {input_shape:?} → {output_shape:?}, the same values in one row ──");
        }
        LayerStep::Conv { kernel_size, strides, dilation_rate, padding, filters, activation, outputs } => {
            let x = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join("×");
            let _ = writeln!(
                s,
                "{head}: {filters} filters of {}, strides {}, dilation {}, padding {}, activation {activation} ──",
                x(kernel_size),
                x(strides),
                x(dilation_rate),
                padding.name()
            );
            for o in outputs {
                conv_text(s, o, kernel_size, *activation);
            }
        }
        LayerStep::Pooling { operation, pool_size, strides, padding, outputs } => {
            let x = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join("×");
            let op = if *operation == PoolOp::Max { "max" } else { "mean" };
            let _ = writeln!(
                s,
                "{head}: the {op} of each {} window, strides {}, padding {} (padded cells take no part) ──",
                x(pool_size),
                x(strides),
                padding.name()
            );
            for o in outputs {
                pool_text(s, o, op);
            }
        }
        LayerStep::Rescaling { scale, offset, values } => {
            let _ = writeln!(s, "{head}: y = x·{} + {} ──", num(*scale), num(*offset));
            for v in values {
                let _ =
                    writeln!(s, "  {}: {}·{} + {} = {}", v.name, num(v.x), num(*scale), num(*offset), num(v.output));
            }
        }
        LayerStep::Reshape { input_shape, output_shape } => {
            let _ = writeln!(s, "{head}: {input_shape:?} → {output_shape:?}, the same values in the same order ──");
        }
        LayerStep::Permute { dims, input_shape, output_shape } => {
            let _ = writeln!(
                s,
                "{head}: {input_shape:?} → {output_shape:?}, axes reordered as {dims:?}, the values unchanged ──"
            );
        }
        LayerStep::ZeroPadding { padding: [[t, b], [l, r]], input_shape, output_shape } => {
            let _ = writeln!(
                s,
                "{head}: {input_shape:?} → {output_shape:?}, zeros added: {t} rows above, {b} below, {l} columns left, {r} right ──"
            );
        }
        // A kind of step this text does not know yet (a new layer kind's): its data as JSON.
        other => {
            let json = serde_json::to_string(other).unwrap_or_else(|e| format!("({e})"));
            let _ = writeln!(s, "{head} ──\n  {json}");
        }
    }
    s.push('\n');
}

fn neuron_text(s: &mut String, n: &NeuronTrace) {
    let class = n.class.as_ref().map(|c| format!(" (class {c:?})")).unwrap_or_default();
    let _ = writeln!(s, "  neuron {}{class}: z = x·w + b = Σᵢ xᵢ·wᵢ + b, a = {}(z)", n.name, n.activation);
    let width = n.terms.iter().map(|t| t.name.chars().count()).max().unwrap_or(5).clamp(5, 28);
    let _ = writeln!(s, "    {:<width$}  {:>13}  {:>13}  {:>13}", "input", "xᵢ", "wᵢ", "xᵢ·wᵢ");
    for t in &n.terms {
        let _ = writeln!(s, "    {:<width$}  {:>13}  {:>13}  {:>13}", t.name, num(t.x), num(t.w), num(t.product));
    }
    if let Some(o) = &n.others {
        let label =
            if o.count == 1 { "(1 other term)".to_string() } else { format!("({} other terms, summed)", o.count) };
        let _ = writeln!(s, "    {:<w$}  {:>13}", label, num(o.sum), w = width + 30);
    }
    let _ = writeln!(s, "    x·w = {}", num(n.dot));
    let sim = &n.similarity;
    let cos = sim.cosine.map_or("undefined (a zero vector)".into(), num);
    let _ = writeln!(s, "    |x| = {}, |w| = {}, cos(x, w) = x·w/(|x|·|w|) = {cos}", num(sim.x_norm), num(sim.w_norm));
    match n.bias {
        Some(b) => {
            let _ = writeln!(s, "    z = x·w + b = {} + {} = {}", num(n.dot), p(b), num(n.z));
        }
        None => {
            let _ = writeln!(s, "    z = x·w = {} (no bias)", num(n.z));
        }
    }
    let _ = writeln!(s, "    a = {} = {}", applied(n.activation, n.z, n.neuron), num(n.output));
}

/// `f(x)` written out for the activation `f`.
fn applied(f: Activation, x: f64, index: usize) -> String {
    match f {
        Activation::Linear => format!("linear({})", num(x)),
        Activation::Relu => format!("relu({}) = max(0, {})", num(x), num(x)),
        Activation::Softmax => format!("softmax(z)[{index}] = e^{} / Σₖ e^zₖ, k over the layer's outputs", num(x)),
        Activation::LogSoftmax => format!("log_softmax(z)[{index}] = {} − log Σₖ e^zₖ", num(x)),
        Activation::Glu => format!("glu(z)[{index}] = {}·σ(z[{index} + n/2]), n the layer's units", num(x)),
        Activation::ReluWith { negative_slope, max_value, threshold } => {
            let max = max_value.map_or(String::new(), |m| format!(", max_value {}", num(m)));
            let (slope, th) = (num(negative_slope), num(threshold));
            format!("relu({}; negative_slope {slope}{max}, threshold {th})", num(x))
        }
        other => format!("{other}({})", num(x)),
    }
}

fn feature_text(s: &mut String, f: &FeatureTrace, eps: f64) {
    let gamma = f.gamma.map_or(String::new(), |g| format!("{}·", num(g)));
    let beta = f.beta.map_or(String::new(), |b| format!(" + {}", p(b)));
    let _ = writeln!(
        s,
        "  {}: y = {gamma}({} − {})/√({} + {}){beta} = {gamma}{}{beta} = {}",
        f.name,
        num(f.x),
        p(f.mean),
        num(f.variance),
        num(eps),
        p(f.normalized),
        num(f.output)
    );
}

/// One pooling output: its window's values (at most 9 listed) and their max or mean.
fn pool_text(s: &mut String, o: &PoolTrace, op: &str) {
    const SHOWN: usize = 9;
    let mut cells: Vec<String> = o
        .inputs
        .iter()
        .take(SHOWN)
        .enumerate()
        .map(|(i, c)| format!("{} = {}{}", c.name, num(c.x), if o.argmax == Some(i) { " ←" } else { "" }))
        .collect();
    if o.inputs.len() > SHOWN {
        cells.push(format!("… {} more", o.inputs.len() - SHOWN));
    }
    let _ = writeln!(s, "  {} = {op} of {} values ({}) = {}", o.name, o.inputs.len(), cells.join(", "), num(o.output));
    if let Some(a) = o.argmax.filter(|&a| a >= SHOWN) {
        let _ = writeln!(s, "    the largest: {} = {}", o.inputs[a].name, num(o.inputs[a].x));
    }
}

/// One output value of a convolution: where its patch lies, the patch and the filter's kernel (as
/// grids, for up to 3 channels), the largest products, the sum, the bias and the activation.
fn conv_text(s: &mut String, o: &ConvTrace, kernel_size: &[usize], activation: Activation) {
    let at = o.position.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
    let _ = writeln!(
        s,
        "  {}: position [{at}], filter {}: z = Σ patch ⊙ kernel[…, {}] + b, a = {activation}(z)",
        o.name, o.filter, o.filter
    );
    let taps: usize = kernel_size.iter().product();
    let channels = o.patch.len() / taps.max(1);
    let origin = o.origin.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let plural = if channels == 1 { "" } else { "s" };
    let _ = writeln!(s, "    the patch starts at input [{origin}] ({channels} channel{plural}; 0 in the padding)");
    if channels <= 3 {
        let width = kernel_size.last().copied().unwrap_or(1).max(1);
        for ch in 0..channels {
            let _ = writeln!(s, "    channel {ch}:  patch | kernel");
            let column = |v: &[f64], row: usize| {
                // A space before each value: wide numbers never run together.
                (0..width).map(|c| format!(" {:>10}", num(v[((row * width) + c) * channels + ch]))).collect::<String>()
            };
            for row in 0..taps / width {
                let _ = writeln!(s, "     {} | {}", column(&o.patch, row), column(&o.kernel, row));
            }
        }
    }
    let width = o.terms.iter().map(|t| t.name.chars().count()).max().unwrap_or(5).clamp(5, 28);
    let _ = writeln!(s, "    {:<width$}  {:>13}  {:>13}  {:>13}", "input", "xᵢ", "wᵢ", "xᵢ·wᵢ");
    for t in &o.terms {
        let _ = writeln!(s, "    {:<width$}  {:>13}  {:>13}  {:>13}", t.name, num(t.x), num(t.w), num(t.product));
    }
    if let Some(others) = &o.others {
        let label = format!("({} other terms, summed)", others.count);
        let _ = writeln!(s, "    {:<w$}  {:>13}", label, num(others.sum), w = width + 30);
    }
    let _ = writeln!(s, "    Σ patch ⊙ kernel = {}", num(o.dot));
    match o.bias {
        Some(b) => {
            let _ = writeln!(s, "    z = {} + {} = {}", num(o.dot), p(b), num(o.z));
        }
        None => {
            let _ = writeln!(s, "    z = {} (no bias)", num(o.z));
        }
    }
    let _ = writeln!(s, "    a = {} = {}", applied(activation, o.z, o.filter), num(o.output));
}

#[cfg(test)]
mod tests {
    use super::*;
    use wxb::explain::{ExplainOptions, LayerChoice, NeuronChoice, explain};
    use wxb::prelude::*;

    #[test]
    fn a_conv_output_shows_its_patch_kernel_products_bias_and_activation() {
        let mut m = Sequential::new(&[4, 4, 1]).seed(2);
        m.add(Conv2D::new(2, [3, 3]).padding(Padding::Same).activation(Activation::Relu));
        m.add(Flatten::new());
        m.add(Dense::new(1));
        let x: Vec<f32> = (0..16).map(|i| i as f32 / 16.0).collect();
        let names: Vec<String> = (0..16).map(|i| format!("pixel[{},{}]", i / 4, i % 4)).collect();
        // Position (1, 2), filter 1: index (1·4 + 2)·2 + 1.
        let options = ExplainOptions {
            input_names: names,
            layers: LayerChoice::Only(0),
            neuron: NeuronChoice::Only(13),
            top: 3,
            ..ExplainOptions::default()
        };
        let e = explain(&m, &x, &options).unwrap();
        let sample =
            Sample { row: 0, file: "x", preparation: "as is", raw: None, classes: None, asked: (Some(0), Some(13)) };
        let text = render(&e, &sample);
        for part in [
            "── layer 0: conv2d (Conv2D): 2 filters of 3×3, strides 1×1, dilation 1×1, padding same, activation relu ──",
            "conv2d[1,2,1]: position [1,2], filter 1: z = Σ patch ⊙ kernel[…, 1] + b, a = relu(z)",
            "the patch starts at input [0,1] (1 channel; 0 in the padding)",
            "channel 0:  patch | kernel",
            "(6 other terms, summed)",
            "Σ patch ⊙ kernel = ",
            "a = relu(",
        ] {
            assert!(text.contains(part), "lacks {part:?}:\n{text}");
        }
        // Each grid row: three patch values, a bar, three kernel values, each after a blank.
        let rows: Vec<&str> = text.lines().skip_while(|l| !l.contains("patch | kernel")).skip(1).take(3).collect();
        for row in rows {
            let (patch, kernel) = row.split_once(" | ").unwrap_or_else(|| panic!("a grid row: {row:?}"));
            assert_eq!((patch.split_whitespace().count(), kernel.split_whitespace().count()), (3, 3), "{row:?}");
        }
    }

    #[test]
    fn pooling_rescaling_and_padding_say_what_they_did() {
        let mut m = Sequential::new(&[4, 4, 1]).seed(2);
        m.add(Rescaling::new(0.5, 0.0));
        m.add(ZeroPadding2D::new([[1, 1], [0, 0]]));
        m.add(MaxPooling2D::new([2, 2]));
        m.add(Reshape::new(&[-1]));
        m.add(Dense::new(1));
        let x: Vec<f32> = (0..16).map(|i| i as f32).collect();
        let e = explain(&m, &x, &ExplainOptions::default()).unwrap();
        let sample = Sample { row: 0, file: "x", preparation: "as is", raw: None, classes: None, asked: (None, None) };
        let text = render(&e, &sample);
        for part in [
            "rescaling (Rescaling): y = x·0.5 + 0 ──",
            "zero_padding2d (ZeroPadding2D): [4, 4, 1] → [6, 4, 1], zeros added: 1 rows above, 1 below",
            "max_pooling2d (MaxPooling2D): the max of each 2×2 window, strides 2×2, padding valid",
            "= max of 4 values (",
            " ←",
            "reshape (Reshape): [3, 2, 1] → [6], the same values in the same order",
        ] {
            assert!(text.contains(part), "lacks {part:?}:\n{text}");
        }
    }
}
