//! An HDF5 file to write, as a tree of groups with attributes and datasets, written at once
//! through the pure-Rust `hdf5-pure` crate.

use std::collections::BTreeMap;

use hdf5_pure::{AttrValue, FileBuilder, GroupBuilder};

use crate::tensor::Tensor;

/// A dataset's values.
enum Data {
    F32(Vec<u64>, Vec<f32>),
    I64(i64),
}

/// A group: its attributes, datasets and subgroups, each in name order.
#[derive(Default)]
pub(super) struct Node {
    attrs: Vec<(String, AttrValue)>,
    datasets: BTreeMap<String, Data>,
    groups: BTreeMap<String, Node>,
}

impl Node {
    /// The subgroup `name`, made if new.
    pub fn group(&mut self, name: &str) -> &mut Node {
        self.groups.entry(name.to_string()).or_default()
    }

    /// A text attribute (variable-length UTF-8, as h5py writes Python strings).
    pub fn attr(&mut self, name: &str, value: &str) {
        self.attrs.push((name.into(), AttrValue::VarLenString(value.into())));
    }

    /// A list-of-texts attribute.
    pub fn strings(&mut self, name: &str, values: Vec<String>) {
        self.attrs.push((name.into(), AttrValue::VarLenStringArray(values)));
    }

    /// A float32 dataset of `t`'s shape (a scalar for shape `[]`).
    pub fn f32(&mut self, name: &str, t: &Tensor) {
        let shape = t.shape().iter().map(|&d| d as u64).collect();
        self.datasets.insert(name.into(), Data::F32(shape, t.data().to_vec()));
    }

    /// An int64 scalar dataset.
    pub fn i64(&mut self, name: &str, value: i64) {
        self.datasets.insert(name.into(), Data::I64(value));
    }

    /// The HDF5 file's bytes, this node being its root group.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let mut file = FileBuilder::new();
        for (name, value) in &self.attrs {
            file.set_attr(name, value.clone());
        }
        for (name, data) in &self.datasets {
            let ds = file.create_dataset(name);
            match data {
                Data::F32(shape, values) => ds.with_f32_data(values).with_shape(shape),
                Data::I64(v) => ds.with_i64_data(&[*v]).with_shape(&[]),
            };
        }
        for (name, node) in &self.groups {
            let mut group = file.create_group(name);
            node.fill(&mut group);
            file.add_group(group.finish());
        }
        file.finish().map_err(|e| format!("cannot be written ({e})"))
    }

    fn fill(&self, group: &mut GroupBuilder) {
        for (name, value) in &self.attrs {
            group.set_attr(name, value.clone());
        }
        for (name, data) in &self.datasets {
            let ds = group.create_dataset(name);
            match data {
                Data::F32(shape, values) => ds.with_f32_data(values).with_shape(shape),
                Data::I64(v) => ds.with_i64_data(&[*v]).with_shape(&[]),
            };
        }
        for (name, node) in &self.groups {
            let mut child = group.create_group(name);
            node.fill(&mut child);
            group.add_group(child.finish());
        }
    }
}
