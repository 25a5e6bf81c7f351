//! The command line, as clap parses it. Strings become wxb's named enums here, at the boundary.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::progress::Verbosity;

/// wxb — the weights calculation of deep learning, Y = X·W + b, made visible.
#[derive(Debug, Parser)]
#[command(name = "wxb", version, about, long_about = None, propagate_version = true, arg_required_else_help = true)]
pub struct Cli {
    /// Worker threads (default: all cores).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,

    /// The most memory training, evaluation or prediction may allocate, as estimated before
    /// allocating: bytes or with a unit, e.g. 512MiB, 16GiB, 1TiB (default: $WXB_MEMORY_BUDGET, else 8GiB).
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub memory_budget: Option<u64>,

    #[command(subcommand)]
    pub command: Command,
}

/// A size in bytes: a whole number, optionally followed by B, KiB, MiB, GiB or TiB (K, M, G, T
/// and KB, MB, GB, TB are read as the binary units too).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("{text:?}: expected a size such as 512MiB, 16GiB or 1073741824")),
    };
    let n: u64 =
        number.parse().map_err(|_| format!("{text:?}: expected a size such as 512MiB, 16GiB or 1073741824"))?;
    n.checked_mul(1 << shift).ok_or_else(|| format!("{text:?}: too large"))
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model on a data file (default: the bundled MNIST digits) and save it.
    Train(Box<TrainArgs>),
    /// Print the loss and metrics of a saved model on a data file.
    Evaluate(EvaluateArgs),
    /// Write a saved model's predictions for a data file as CSV.
    Predict(PredictArgs),
    /// Print a saved model's layer table, as Keras' model.summary().
    Summary(SummaryArgs),
    /// Show what each neuron computes for one sample, with the real numbers (and in pictures).
    Explain(Box<ExplainArgs>),
    /// Small demonstrations of the weights calculation.
    Demo(DemoArgs),
    /// Write a model (a wxb folder, .keras, .h5 or .onnx file) as a Keras .keras, .h5 or ONNX file.
    Export(ExportArgs),
    /// Print a shell completion script (e.g. `wxb completions bash > ~/.local/share/bash-completion/completions/wxb`).
    Completions(CompletionsArgs),
    /// Print wxb's man page (roff) on standard output (e.g. `wxb man > wxb.1; man ./wxb.1`).
    Man,
}

/// `wxb completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// A picture's path: it must end in `.png` (the only format wxb draws), so that a name such as
/// `out.jpg` is refused rather than filled with PNG bytes.
pub fn parse_png(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") => Ok(path),
        Some(e) => Err(format!("{text}: wxb draws PNG only, not .{e}: name the file *.png")),
        None => Err(format!("{text}: name the picture *.png (wxb draws PNG only)")),
    }
}

/// Where the data comes from.
#[derive(Debug, Args, Clone, Default)]
pub struct DataArgs {
    /// The data: a CSV file with a header, an IDX file (images, with --labels), a NumPy .npy
    /// (with --labels) or .npz (arrays x and y). Default: the bundled MNIST (its training digits
    /// for `train`, its test digits for a model trained on them).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// The labels for IDX or .npy data.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// The CSV target column, by name or 0-based index (default: the last column).
    #[arg(long, value_name = "COLUMN")]
    pub target: Option<String>,
    /// The CSV feature columns, by name, comma-separated (default: all but the target).
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Accept nan, inf and values that overflow f32 in numeric cells (refused by default; missing
    /// cells such as NA are another thing: see --missing-values).
    #[arg(long)]
    pub allow_nonfinite: bool,
    /// The CSV field delimiter: , ; | or tab (default: a tab for .tsv files, else the one of , ;
    /// tab that the header line holds most).
    #[arg(long, value_name = "CHAR", value_parser = crate::table_options::parse_delimiter)]
    pub delimiter: Option<u8>,
}

/// `--task`: the library's [`Task`](wxb::data::Task), or `auto` to decide it from the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TaskArg {
    /// Integer or text labels with few distinct values are classes; other numbers, regression.
    #[default]
    Auto,
    /// Predict a class.
    Classification,
    /// Predict a number.
    Regression,
}

impl TaskArg {
    /// The task asked for; `None` for `auto`.
    pub fn task(self) -> Option<wxb::data::Task> {
        match self {
            TaskArg::Auto => None,
            TaskArg::Classification => Some(wxb::data::Task::Classification),
            TaskArg::Regression => Some(wxb::data::Task::Regression),
        }
    }
}

/// `wxb train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Classification or regression (default: decided from the target column, and said: text, or
    /// at most 10 distinct integers, are classes; other numbers are a regression).
    #[arg(long, value_enum, default_value_t = TaskArg::Auto)]
    pub task: TaskArg,
    /// Hidden layer sizes, comma-separated; empty for none (linear or logistic regression).
    /// Default: 256,128 on the bundled MNIST, 64,32 otherwise.
    #[arg(long, value_name = "UNITS", value_delimiter = ',', num_args = 0.., allow_negative_numbers = true)]
    pub layers: Option<Vec<String>>,
    /// The hidden layers' activation.
    #[arg(long, default_value = "relu")]
    pub activation: String,
    /// Dropout rate after each hidden layer.
    #[arg(long, allow_negative_numbers = true, value_name = "P")]
    pub dropout: Option<f32>,
    /// Batch normalization after each hidden Dense layer.
    #[arg(long)]
    pub batch_norm: bool,
    /// The layers as a Keras-like JSON list instead of the flags above.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["layers", "dropout", "batch_norm"])]
    pub spec: Option<PathBuf>,
    /// The optimizer: sgd, rmsprop, adam, adamw, adagrad, adadelta, adamax, nadam, ftrl, lion, lamb.
    #[arg(long, default_value = "adam")]
    pub optimizer: String,
    /// The learning rate (default: the optimizer's Keras default).
    #[arg(long, allow_negative_numbers = true, value_name = "RATE")]
    pub lr: Option<f32>,
    /// Clip each gradient's norm to this value.
    #[arg(long, allow_negative_numbers = true, value_name = "NORM")]
    pub clipnorm: Option<f32>,
    /// The loss (default: sparse_categorical_crossentropy for classes, mean_squared_error otherwise).
    #[arg(long)]
    pub loss: Option<String>,
    /// Metrics, comma-separated (default: accuracy for classes; mae,mse otherwise): Keras' names
    /// (accuracy, precision, recall, auc, f1_score, mape, true_positives, …), pr_auc for
    /// AUC(curve=PR), f1_score_macro/_micro/_weighted (also fbeta_score_…) for several classes.
    #[arg(long, value_delimiter = ',')]
    pub metrics: Option<Vec<String>>,
    /// Passes over the training data.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true)]
    pub epochs: usize,
    /// Samples per step (default: 128 on the bundled MNIST, 32 otherwise, as Keras).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub batch_size: Option<usize>,
    /// Fraction of the rows held out for validation: drawn at random with --seed (stratified for
    /// classes), or the last rows with --split last (Keras' rule).
    #[arg(long, value_name = "F", default_value_t = 0.0, allow_negative_numbers = true)]
    pub validation_split: f64,
    /// Stop when the validation loss (or the loss) has not improved for this many epochs, and keep
    /// the best weights.
    #[arg(long, value_name = "PATIENCE")]
    pub early_stopping: Option<usize>,
    /// The seed of every random draw.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Standardize every feature, arrays (NumPy, IDX) too (a table's numeric columns are
    /// standardized by default; see --no-standardize).
    #[arg(long)]
    pub standardize: bool,
    #[command(flatten)]
    pub table: crate::table_options::TableArgs,
    /// Where to save the model: a folder, or FILE.keras (a Keras 3 file with the optimizer's
    /// state; history.csv, training.png and checkpoints/ then go in FILE-training/).
    #[arg(long, value_name = "DIR|FILE.keras", default_value = "wxb-model")]
    pub out: PathBuf,
    /// Save the best and the last model after every epoch under DIR/checkpoints/ (wxb folders).
    #[arg(long)]
    pub checkpoint: bool,
    /// Continue training a model saved with its optimizer state (a checkpoint, an --out folder, or
    /// a Keras .keras/.h5 file).
    #[arg(long, value_name = "DIR", conflicts_with_all = [
        "spec", "layers", "activation", "dropout", "batch_norm", "optimizer", "lr", "clipnorm", "loss",
        "metrics", "standardize", "task", "seed", "no_standardize", "missing_values", "missing_indicator",
        "categorical",
    ])]
    pub resume: Option<PathBuf>,
    /// Progress on standard error: 0 none, 1 a bar (plain lines when not a terminal), 2 one line
    /// per epoch. The result and "Saved the model…" are printed whatever the verbosity.
    #[arg(long, value_enum, default_value = "1", hide_possible_values = true)]
    pub verbose: Verbosity,
    /// Print the result as one JSON object on standard output (the model folder, the saved
    /// epoch's logs, the test figures on MNIST) instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub options: crate::train_options::TrainOptions,
    /// Stream the data file (CSV, or .npy with --labels) from disk in chunks instead of loading
    /// it (done without the flag when the file is larger than a quarter of --memory-budget); a
    /// --validation-split then holds out the last rows.
    #[arg(long)]
    pub stream: bool,
    /// Rows in the shuffle buffer of streamed data (tf.data's shuffle(buffer_size); default: as
    /// many as a quarter of the memory budget holds).
    #[arg(long, value_name = "ROWS")]
    pub shuffle_buffer: Option<usize>,
    /// Follow one weight through training: LAYER:ROW:COL (kernel entry) or LAYER:bias:COL; prints
    /// the optimizer's formula with its numbers each epoch, writes trace.csv, trace.json and trace.png to --out.
    #[arg(long, value_name = "LAYER:ROW:COL")]
    pub trace: Option<String>,
}

/// `wxb evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The model: a wxb folder, a Keras .keras or .h5 file, or an ONNX file (told by content).
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Print one JSON object with Keras' names instead of text.
    #[arg(long)]
    pub json: bool,
    /// Samples per batch.
    #[arg(long, default_value_t = wxb::model::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
}

/// `wxb predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The model: a wxb folder, a Keras .keras or .h5 file, or an ONNX file (told by content).
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Write the predictions here (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the predictions to standard output as JSON lines, one object per sample
    /// (`{"prediction": …, "p_<class>": …}`), instead of CSV.
    #[arg(long)]
    pub json: bool,
    /// Samples per batch.
    #[arg(long, default_value_t = wxb::model::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
}

/// `wxb summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// The model: a wxb folder, a Keras .keras or .h5 file, or an ONNX file (told by content).
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    /// Print the layers and parameter counts as one JSON object instead of Keras' table.
    #[arg(long)]
    pub json: bool,
}

/// `wxb export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The model: a wxb folder, a Keras .keras or .h5 file, or an ONNX file (told by content).
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    /// The file to write; its extension chooses the format: .keras, .h5 or .onnx.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `wxb explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The model: a wxb folder, a Keras .keras or .h5 file, or an ONNX file (told by content).
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// The sample to explain: its row in the data, counted from 0 (with --html: the one shown
    /// first, default the first of --rows).
    #[arg(long, value_name = "N", required_unless_present = "html")]
    pub row: Option<usize>,
    /// Explain only this layer: its index (as `wxb summary` lists them, from 0) or its name.
    #[arg(long, value_name = "L")]
    pub layer: Option<String>,
    /// Explain only this neuron (or value) of the layer, counted from 0.
    #[arg(long, value_name = "K", requires = "layer")]
    pub neuron: Option<usize>,
    /// For a convolution (or pooling) layer: explain the output at this position, `Y,X` (`T` for
    /// 1-D), counted from 0, of the filter --filter (the same value as --neuron (Y·W + X)·F + F').
    #[arg(long, value_name = "Y,X", value_delimiter = ',', requires_all = ["layer", "filter"], conflicts_with = "neuron")]
    pub position: Option<Vec<usize>>,
    /// With --position: the filter (output channel), counted from 0.
    #[arg(long, value_name = "F", requires = "position")]
    pub filter: Option<usize>,
    /// Products xᵢ·wᵢ listed per neuron, largest first; the others are summed (0 lists all).
    #[arg(long, value_name = "T", default_value_t = 10)]
    pub top: usize,
    /// Neurons shown in each hidden layer: those whose terms weigh most in the layer above
    /// (default 3; 6 with --html).
    #[arg(long, value_name = "N")]
    pub per_layer: Option<usize>,
    /// Print the calculation as one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Draw a layer into a PNG (the file must end in .png): the one --layer names (Dense, Conv2D or
    /// Conv1D), else the first of them — a Dense layer's weights and one neuron's contributions, a
    /// convolution's kernels, feature maps, patch and calculation.
    #[arg(long, value_name = "FILE.png", value_parser = parse_png)]
    pub draw: Option<PathBuf>,
    /// Write one self-contained page (scripts and styles inline, no network) to click through the
    /// calculation of each sample of --rows in a browser.
    #[arg(long, value_name = "FILE.html", conflicts_with_all = ["json", "draw", "layer"])]
    pub html: Option<PathBuf>,
    /// With --html: the rows embedded, `0-99` or `3,17,40-49` (default: the first 100).
    #[arg(long, value_name = "LIST", requires = "html")]
    pub rows: Option<String>,
}

/// `wxb demo`.
#[derive(Debug, Args)]
#[command(arg_required_else_help = true)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub demo: Demo,
}

/// The demonstrations.
#[derive(Debug, Subcommand)]
pub enum Demo {
    /// Linear regression is one neuron: learn y = m·x + b from noisy points with Dense(1).
    Linear(LinearArgs),
}

/// `wxb demo linear`.
#[derive(Debug, Args)]
pub struct LinearArgs {
    /// The true slope.
    #[arg(long, default_value_t = 3.0, allow_negative_numbers = true)]
    pub m: f32,
    /// The true intercept.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub b: f32,
    /// The standard deviation of the Gaussian noise added to y.
    #[arg(long, default_value_t = 0.5)]
    pub noise: f32,
    /// The number of points (2 to 1,000,000).
    #[arg(long, default_value_t = 200)]
    pub n: usize,
    /// Full-batch SGD epochs.
    #[arg(long, default_value_t = 500)]
    pub epochs: usize,
    /// The SGD learning rate.
    #[arg(long, default_value_t = 0.1)]
    pub lr: f32,
    /// The seed of the points and of the initial weight.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where to draw the points and the lines (a .png file).
    #[arg(long, value_name = "FILE.png", default_value = "wxb-demo-linear.png", value_parser = parse_png)]
    pub out: PathBuf,
    /// Print the result as one JSON object (the data, the true, least-squares and learned lines).
    #[arg(long)]
    pub json: bool,
}
