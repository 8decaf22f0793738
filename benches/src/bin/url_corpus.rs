//! Writes a URL list and a URL stream as files, for benchmarks that run
//! the `hashwall` binary from outside (`benches/cli_stream.sh`).
//!
//! Usage: `url_corpus ENTRIES STREAM LIST_FILE STREAM_FILE`. The list is
//! `url_data::url_list` (real hosts and URLs first, then generated ones) in
//! hashwall's text format; the stream is `url_data::url_stream`, one URL per
//! line. The same arguments always give the same files.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use hashwall_benches::url_data::{RealData, UBLOCK_DIR, url_list, url_stream};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [entries, stream_len, list_path, stream_path] = args.as_slice() else {
        eprintln!("usage: url_corpus ENTRIES STREAM LIST_FILE STREAM_FILE");
        return ExitCode::from(2);
    };
    let (Ok(entries), Ok(stream_len)) = (entries.parse::<usize>(), stream_len.parse::<usize>())
    else {
        eprintln!("ENTRIES and STREAM are counts");
        return ExitCode::from(2);
    };
    let real = RealData::load(Path::new(UBLOCK_DIR));
    let list = url_list(entries, &real, 42);
    let stream = url_stream(stream_len, &list, 7);
    let written = std::fs::File::create(list_path)
        .and_then(|f| {
            let mut w = BufWriter::new(f);
            list.write_text(&mut w)?;
            w.flush()
        })
        .and_then(|()| {
            let mut w = BufWriter::new(std::fs::File::create(stream_path)?);
            for url in &stream {
                writeln!(w, "{url}")?;
            }
            w.flush()
        });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("writing: {e}");
            ExitCode::from(1)
        }
    }
}
