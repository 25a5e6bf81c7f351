//! Shared by the `input` target and its replay (`crates/wxb/tests/reliability_fuzz_corpus.rs`,
//! which includes this file): the bytes of a fuzz input read the way a pipe hands them out.

use std::io::Read;

use wxb::data::{DataError, Dataset, Input, LoadOptions, Task, load_input};

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

/// The first byte chooses the read size (1 to 7,001 bytes), the task and the name (`/dev/stdin`,
/// `f.tsv`, `f.csv.gz`, `f.npz`); the rest is the stream, loaded through [`Input::from_reader`]
/// and [`load_input`]. `None` for an empty input.
pub fn load(data: &[u8]) -> Option<Result<Dataset, DataError>> {
    let (&choice, stream) = data.split_first()?;
    let chunk = usize::from(choice & 7) * 1000 + 1;
    let task = match (choice >> 3) & 3 {
        0 => None,
        1 => Some(Task::Classification),
        _ => Some(Task::Regression),
    };
    let name = ["/dev/stdin", "f.tsv", "f.csv.gz", "f.npz"][usize::from(choice >> 5) & 3];
    let pipe = Pipe { data: stream.to_vec(), at: 0, chunk };
    let options = LoadOptions { task, ..LoadOptions::default() };
    Some(Input::from_reader(pipe, name).and_then(|input| load_input(input, None, &options)))
}
