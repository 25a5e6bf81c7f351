//! The CSV loader: any bytes, under any options, give a table or a one-line `DataError`.
//! The first byte chooses the options; the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxb::data::csv::{self, CsvOptions, FeatureColumns, NonFinite, TargetColumn, Task};

fuzz_target!(|data: &[u8]| {
    let Some((&choice, text)) = data.split_first() else { return };
    let target = match choice & 3 {
        0 => TargetColumn::Last,
        1 => TargetColumn::Absent,
        2 => TargetColumn::Index(usize::from(choice >> 5)),
        _ => TargetColumn::Name("y".into()),
    };
    let task = match (choice >> 2) & 3 {
        0 => None,
        1 => Some(Task::Classification),
        _ => Some(Task::Regression),
    };
    let mut options = CsvOptions { target, task, ..CsvOptions::default() };
    if choice & 0x10 != 0 {
        options.non_finite = NonFinite::Allow;
    }
    if choice & 0x80 != 0 {
        options.features = FeatureColumns::Names(vec!["a".into(), "b".into()]);
        options.delimiter = Some(b';');
    }
    check(csv::from_reader(text, "f.csv", &options).map(|_| ()));
    // The streaming reader sees the same file in batches of 3 rows.
    match csv::FeatureReader::from_reader(std::io::Cursor::new(text.to_vec()), "f.csv", &options) {
        Ok(mut r) => loop {
            match r.next_batch(3) {
                Ok(Some(batch)) => assert!(batch.rows() <= 3 && batch.cols() == r.feature_names().len()),
                Ok(None) => break,
                Err(e) => break check::<()>(Err(e)),
            }
        },
        Err(e) => check::<()>(Err(e)),
    }
});

fn check<T>(r: Result<T, wxb::data::DataError>) {
    if let Err(e) = r {
        let text = e.to_string();
        assert!(!text.is_empty() && !text.contains('\n'), "{text:?}");
    }
}
