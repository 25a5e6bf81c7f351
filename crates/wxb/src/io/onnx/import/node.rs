//! One node of the graph: its name for messages and its attributes, typed.

use super::{Constants, Fail};
use crate::io::onnx::proto::{NodeProto, TensorProto, attribute_type};
use crate::io::onnx::tensor;

/// A constant's shape and values.
pub type Floats = (Vec<usize>, Vec<f32>);

/// A node and how messages name it: `node "/fc1/Gemm" (Gemm)`.
pub struct Node<'a> {
    /// The node.
    pub proto: &'a NodeProto,
    /// `node "name" (Op)`.
    pub part: String,
}

impl<'a> Node<'a> {
    /// The node at `index` in the graph (named by its index when it has no name).
    pub fn new(proto: &'a NodeProto, index: usize) -> Self {
        let part = if proto.name.is_empty() {
            format!("node #{index} ({})", proto.op_type)
        } else {
            format!("node {:?} ({})", proto.name, proto.op_type)
        };
        Self { proto, part }
    }

    /// The node's name (empty when it has none).
    pub fn name(&self) -> &str {
        &self.proto.name
    }

    /// A problem with this node.
    pub fn fail(&self, message: impl Into<String>) -> Fail {
        Fail::new(&self.part, message)
    }

    fn attribute(&self, name: &str, kind: i32) -> Result<Option<&'a crate::io::onnx::proto::AttributeProto>, Fail> {
        let Some(a) = self.proto.attribute.iter().find(|a| a.name == name) else { return Ok(None) };
        if a.r#type != kind && a.r#type != 0 {
            return Err(self.fail(format!("attribute {name} has type #{}, expected #{kind}", a.r#type)));
        }
        Ok(Some(a))
    }

    /// An integer attribute, or `default`.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, Fail> {
        Ok(self.attribute(name, attribute_type::INT)?.map_or(default, |a| a.i))
    }

    /// A float attribute, or `default`.
    pub fn float(&self, name: &str, default: f32) -> Result<f32, Fail> {
        Ok(self.attribute(name, attribute_type::FLOAT)?.map_or(default, |a| a.f))
    }

    /// An integer-list attribute, if present.
    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, Fail> {
        Ok(self.attribute(name, attribute_type::INTS)?.map(|a| a.ints.clone()))
    }

    /// A string attribute, or `default`.
    pub fn string(&self, name: &str, default: &str) -> Result<String, Fail> {
        match self.attribute(name, attribute_type::STRING)? {
            None => Ok(default.to_string()),
            Some(a) => String::from_utf8(a.s.clone()).map_err(|_| self.fail(format!("attribute {name} is not UTF-8"))),
        }
    }

    /// Input `i` as a constant, if the node has it (`None` for an omitted optional input).
    pub fn constant_input<'c>(&self, i: usize, constants: &'c Constants) -> Result<Option<&'c TensorProto>, Fail> {
        match self.proto.input.get(i).filter(|n| !n.is_empty()) {
            None => Ok(None),
            Some(name) => constants
                .get(name)
                .map(Some)
                .ok_or_else(|| self.fail(format!("input {i} ({name:?}) must be a constant (an initializer)"))),
        }
    }

    /// Input `i`'s values as floats: it must be a constant.
    pub fn floats(&self, i: usize, constants: &Constants) -> Result<Option<Floats>, Fail> {
        let Some(t) = self.constant_input(i, constants)? else { return Ok(None) };
        let what = |m: String| self.fail(format!("input {i} ({:?}): {m}", self.proto.input[i]));
        Ok(Some((tensor::shape(t).map_err(what)?, tensor::floats(t).map_err(what)?)))
    }

    /// A `Constant` node's output name and value (its `value` attribute, or `value_float(s)`,
    /// `value_int(s)`).
    pub fn constant(&self) -> Result<(String, TensorProto), Fail> {
        let output = self.proto.output.first().filter(|o| !o.is_empty()).ok_or_else(|| self.fail("has no output"))?;
        let mut value = None;
        for a in &self.proto.attribute {
            let t = match a.name.as_str() {
                "value" => a.t.clone(),
                "value_float" => Some(tensor::floats_proto("", &[], &[a.f])),
                "value_floats" => Some(tensor::floats_proto("", &[a.floats.len()], &a.floats)),
                "value_int" => Some(tensor::ints_proto("", &[a.i]).with_dims(&[])),
                "value_ints" => Some(tensor::ints_proto("", &a.ints)),
                _ => None,
            };
            value = value.or(t);
        }
        let value = value.ok_or_else(|| self.fail("has no value wxb reads (value, value_float(s), value_int(s))"))?;
        Ok((output.clone(), value))
    }
}

trait WithDims {
    fn with_dims(self, dims: &[i64]) -> Self;
}

impl WithDims for TensorProto {
    fn with_dims(mut self, dims: &[i64]) -> Self {
        self.dims = dims.to_vec();
        self
    }
}
