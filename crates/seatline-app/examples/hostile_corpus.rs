//! Write the hostile upload corpus (the bulk tests' own generator) into a folder, with
//! `expect.tsv` listing each file and the answer it must get (`plan`, or the codes of an
//! acceptable refusal). `scripts/hostile-uploads` uploads them to a running server.
//!
//! Usage: `cargo run --release -p seatline-app --example hostile_corpus -- DIR`

#[path = "../tests/bulk/corpus.rs"]
mod corpus;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .ok_or_else(|| std::io::Error::other("usage: hostile_corpus DIR"))?;
    std::fs::create_dir_all(&dir)?;
    let mut manifest = std::fs::File::create(dir.join("expect.tsv"))?;
    for case in corpus::corpus() {
        std::fs::write(dir.join(case.name), &case.bytes)?;
        let expect = match case.expect {
            corpus::Expect::Plan => "plan".to_owned(),
            corpus::Expect::Refused(codes) => codes.join(","),
        };
        writeln!(manifest, "{}\t{expect}", case.name)?;
    }
    Ok(())
}
