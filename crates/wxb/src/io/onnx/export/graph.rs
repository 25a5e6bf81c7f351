//! A graph being written: nodes, initializers, the current value and its layout.

use crate::io::onnx::proto::{AttributeProto, NodeProto, TensorProto, attribute_type};
use crate::io::onnx::tensor;
use crate::tensor::Tensor;

/// Where an image's channels are in the current ONNX value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// As wxb holds it (channels last, or no image).
    Wxb,
    /// `NCHW`: the wxb image `[h, w, c]` transposed for ONNX's image operators.
    Nchw,
}

/// An attribute value.
pub enum Attr {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f32),
    /// Integers.
    Ints(Vec<i64>),
    /// A string.
    Str(&'static str),
    /// Strings.
    Strings(Vec<String>),
}

/// The nodes and initializers written so far, and the value the next node reads.
pub struct Graph {
    /// The nodes, in order.
    pub nodes: Vec<NodeProto>,
    /// The constants.
    pub initializers: Vec<TensorProto>,
    /// The current value's name.
    pub current: String,
    /// Its layout.
    pub layout: Layout,
    /// The wxb shape of one sample of the current value.
    pub shape: Vec<usize>,
    counter: usize,
}

impl Graph {
    /// A graph reading the input `input` of samples `shape`.
    pub fn new(input: &str, shape: &[usize]) -> Self {
        Self {
            nodes: Vec::new(),
            initializers: Vec::new(),
            current: input.into(),
            layout: Layout::Wxb,
            shape: shape.to_vec(),
            counter: 0,
        }
    }

    /// A constant named after `name`, returning its name.
    pub fn constant(&mut self, name: &str, t: &Tensor) -> String {
        let name = self.fresh(name);
        self.initializers.push(tensor::from_tensor(&name, t));
        name
    }

    /// An INT64 constant `[values.len()]`.
    pub fn ints(&mut self, name: &str, values: &[i64]) -> String {
        let name = self.fresh(name);
        self.initializers.push(tensor::ints_proto(&name, values));
        name
    }

    /// A scalar FLOAT constant.
    pub fn scalar(&mut self, name: &str, value: f32) -> String {
        let name = self.fresh(name);
        self.initializers.push(tensor::floats_proto(&name, &[], &[value]));
        name
    }

    /// A scalar STRING constant.
    pub fn string(&mut self, name: &str, value: &str) -> String {
        let name = self.fresh(name);
        self.initializers.push(TensorProto {
            name: name.clone(),
            data_type: crate::io::onnx::proto::STRING,
            string_data: vec![value.as_bytes().to_vec()],
            ..TensorProto::default()
        });
        name
    }

    fn fresh(&mut self, name: &str) -> String {
        self.counter += 1;
        format!("{name}#{}", self.counter)
    }

    /// Appends node `op` named `name`, reading the current value then `extra`, and makes its
    /// output the current value.
    pub fn node(&mut self, op: &str, name: &str, extra: &[String], attrs: Vec<(&str, Attr)>) {
        let mut input = vec![self.current.clone()];
        input.extend(extra.iter().cloned());
        self.current = self.node_reading(op, name, input, attrs);
    }

    /// Appends node `op` named `name` reading `input`, returning its output's name (the current
    /// value stays).
    pub fn node_reading(&mut self, op: &str, name: &str, input: Vec<String>, attrs: Vec<(&str, Attr)>) -> String {
        let output = self.fresh(&format!("{name}:out"));
        let attribute = attrs.into_iter().map(|(n, a)| attribute(n, a)).collect();
        let node_name = self.unique_node_name(name);
        self.nodes.push(NodeProto {
            input,
            output: vec![output.clone()],
            name: node_name,
            op_type: op.into(),
            attribute,
            ..NodeProto::default()
        });
        output
    }

    fn unique_node_name(&self, name: &str) -> String {
        let taken = |n: &str| self.nodes.iter().any(|node| node.name == n);
        if !taken(name) {
            return name.into();
        }
        (1..).map(|k| format!("{name}_{k}")).find(|n| !taken(n)).expect("a free name")
    }

    /// Makes the current image `NCHW` (a Transpose), for the image operators.
    pub fn make_nchw(&mut self, name: &str) {
        if self.layout == Layout::Nchw {
            return;
        }
        self.node("Transpose", &format!("{name}/to_nchw"), &[], vec![("perm", Attr::Ints(vec![0, 3, 1, 2]))]);
        self.layout = Layout::Nchw;
    }

    /// Makes the current value wxb's layout again (a Transpose back to channels last).
    pub fn make_wxb(&mut self, name: &str) {
        if self.layout == Layout::Wxb {
            return;
        }
        self.node("Transpose", &format!("{name}/to_nhwc"), &[], vec![("perm", Attr::Ints(vec![0, 2, 3, 1]))]);
        self.layout = Layout::Wxb;
    }
}

fn attribute(name: &str, value: Attr) -> AttributeProto {
    let mut a = AttributeProto { name: name.into(), ..AttributeProto::default() };
    match value {
        Attr::Int(i) => (a.r#type, a.i) = (attribute_type::INT, i),
        Attr::Float(f) => (a.r#type, a.f) = (attribute_type::FLOAT, f),
        Attr::Ints(v) => (a.r#type, a.ints) = (attribute_type::INTS, v),
        Attr::Str(s) => (a.r#type, a.s) = (attribute_type::STRING, s.as_bytes().to_vec()),
        Attr::Strings(v) => {
            (a.r#type, a.strings) = (attribute_type::STRINGS, v.into_iter().map(String::into_bytes).collect())
        }
    }
    a
}
