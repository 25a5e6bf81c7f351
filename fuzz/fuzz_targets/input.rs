//! The one read of a pipe: any bytes, handed out a few at a time as a pipe does, go through
//! `Input::from_reader` (the format told from the name, else the first bytes) and `load_input`
//! (CSV text plain or gzip, IDX, NumPy; a `.npz` decompresses only `x` and `y`) — a dataset whose
//! features and targets agree in length, or a one-line `DataError`. The first byte chooses the read
//! size, the task and the name; the rest is the stream.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use wxb::data::{Input, LoadOptions, Task, load_input};

/// A pipe that gives at most `chunk` bytes per read.
struct Pipe {
    data: Vec<u8>,
    at: usize,
    chunk: usize,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, stream)) = data.split_first() else { return };
    let chunk = usize::from(choice & 7) * 1000 + 1;
    let task = match (choice >> 3) & 3 {
        0 => None,
        1 => Some(Task::Classification),
        _ => Some(Task::Regression),
    };
    let name = ["/dev/stdin", "f.tsv", "f.csv.gz", "f.npz"][usize::from(choice >> 5) & 3];
    let pipe = Pipe { data: stream.to_vec(), at: 0, chunk };
    let options = LoadOptions { task, ..LoadOptions::default() };
    match Input::from_reader(pipe, name).and_then(|input| load_input(input, None, &options)) {
        Ok(d) => assert_eq!(d.features.rows(), d.targets.rows()),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
        }
    }
});
