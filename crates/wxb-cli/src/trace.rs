//! `wxb train --trace LAYER:ROW:COL` (or `LAYER:bias:COL`): follows one weight through training.
//!
//! After every epoch it prints the epoch's change of the weight and the optimizer's formula for the
//! epoch's last step with the numbers filled in; at the end it writes `trace.csv` (one row per
//! step: epoch, batch, step, lr, w_before, g, the slots before and after, Δw, w_after),
//! `trace.json` (every step with its rule's equations, which `wxb explain --html` shows) and
//! `trace.png` into the output folder.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use wxb::Sequential;
use wxb::explain::{WeightRef, WeightStep, WeightTracer};
use wxb::train::{Callback, Logs};

use crate::formula::{lines, num};

/// The callback of `--trace`.
pub struct Trace {
    tracer: WeightTracer,
    rule: &'static str,
    out: PathBuf,
    /// Steps already summarised by an epoch's printout.
    printed: usize,
}

impl Trace {
    /// Follows the weight `spec` names in `model`, to write its files into `out`.
    ///
    /// # Errors
    /// When `spec` names no trainable weight of `model` (the message lists the valid ones).
    pub fn new(spec: &str, model: &Sequential, out: &Path) -> Result<Self> {
        let weight = WeightRef::resolve(spec, model).context("--trace")?;
        let rule = model.optimizer().map_or("?", |o| o.config().rule.class_name());
        Ok(Self { tracer: WeightTracer::new(weight), rule, out: out.to_path_buf(), printed: 0 })
    }

    /// Writes `trace.csv` and `trace.png` into the output folder.
    pub fn finish(&self) -> Result<()> {
        std::fs::create_dir_all(&self.out).with_context(|| format!("{}", self.out.display()))?;
        let csv_path = self.out.join("trace.csv");
        wxb::io::atomic::write_atomic(&csv_path, csv(self.tracer.steps()).as_bytes())
            .with_context(|| format!("{}", csv_path.display()))?;
        let name = self.tracer.weight().to_string();
        // Every step with its rule's equations, for `wxb explain --html` to show.
        let json_path = self.out.join("trace.json");
        let doc = serde_json::json!({ "weight": name, "rule": self.rule, "steps": self.tracer.steps() });
        wxb::io::atomic::write_atomic(&json_path, serde_json::to_string(&doc)?.as_bytes())
            .with_context(|| format!("{}", json_path.display()))?;
        crate::draw::weight_path::draw(self.tracer.steps(), &name, self.rule, &self.out.join("trace.png"))?;
        println!(
            "Traced {name} over {} steps: {}/trace.csv, {}/trace.png",
            self.tracer.steps().len(),
            self.out.display(),
            self.out.display()
        );
        Ok(())
    }
}

impl Callback for Trace {
    fn on_epoch_begin(&mut self, model: &mut Sequential, epoch: usize) {
        self.tracer.on_epoch_begin(model, epoch);
    }

    fn on_batch_begin(&mut self, model: &mut Sequential, batch: usize) {
        self.tracer.on_batch_begin(model, batch);
    }

    fn on_batch_end(&mut self, model: &mut Sequential, batch: usize, logs: &Logs) {
        self.tracer.on_batch_end(model, batch, logs);
    }

    fn on_epoch_end(&mut self, _model: &mut Sequential, epoch: usize, _logs: &Logs) {
        let steps = &self.tracer.steps()[self.printed..];
        self.printed = self.tracer.steps().len();
        let (Some(first), Some(last)) = (steps.first(), steps.last()) else { return };
        println!(
            "  trace {} ({}), epoch {}: {} steps, w {} → {} (Δ = {}); step {}, the epoch's last:",
            self.tracer.weight(),
            self.rule,
            epoch + 1,
            steps.len(),
            num(first.w_before),
            num(last.w_after),
            num(last.w_after - first.w_before),
            last.step
        );
        for line in lines(last) {
            println!("    {line}");
        }
    }
}

/// One row per step; the slot columns are named after the rule's slots.
fn csv(steps: &[WeightStep]) -> String {
    let slots: Vec<&str> = steps.first().map(|s| s.rule.slots.iter().map(|&(n, _)| n).collect()).unwrap_or_default();
    let mut s = String::from("epoch,batch,step,lr,w_before,g");
    for n in &slots {
        s.push_str(&format!(",{n}_before,{n}_after"));
    }
    s.push_str(",delta_w,w_after\n");
    for st in steps {
        s.push_str(&format!("{},{},{},{},{},{}", st.epoch, st.batch, st.step, st.lr, st.w_before, st.g));
        for (_, m) in &st.rule.slots {
            s.push_str(&format!(",{},{}", m.old, m.new));
        }
        s.push_str(&format!(",{},{}\n", st.change(), st.w_after));
    }
    s
}
