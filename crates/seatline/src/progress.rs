//! The progress bar of `bulk plan` and `bulk apply` on a terminal: rows done of the total,
//! percentage, rate, fed by the use case's progress reports; hidden when stderr is not a
//! terminal, so a pipe gets nothing.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use seatline_app::bulk::Step;

pub(crate) struct Bar {
    bar: ProgressBar,
    /// Where the bar is drawn from the first report on: before it the bar does not know its
    /// length, and would read "0/0 rows 100%".
    target: Mutex<Option<ProgressDrawTarget>>,
    terminal: bool,
}

impl Bar {
    pub(crate) fn new() -> Self {
        let terminal = std::io::stderr().is_terminal();
        Self::drawn_on(terminal.then(ProgressDrawTarget::stderr))
    }

    /// A bar drawn on `target` once it knows its length; never drawn without one.
    fn drawn_on(target: Option<ProgressDrawTarget>) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:9} [{bar:32}] {pos}/{len} rows {percent:>3}% {rate} {elapsed}",
            )
            .expect("valid template")
            // Whole rows per second: indicatif's {per_sec} prints four decimals.
            .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} rows/s", s.per_sec());
            })
            .progress_chars("=> "),
        );
        Bar {
            bar,
            terminal: target.is_some(),
            target: Mutex::new(target),
        }
    }

    pub(crate) fn report(&self, step: Step, done: usize, total: usize) {
        let name = match step {
            Step::Plan => "planning",
            Step::Check => "checking",
            Step::Apply => "applying",
        };
        // Length and position first, so that no draw shows the previous step's length.
        if self.bar.message() != name {
            self.bar.reset();
            self.bar.set_length(total as u64);
            self.bar.set_message(name);
        }
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
        if let Some(target) = self.target.lock().expect("not poisoned").take() {
            self.bar.set_draw_target(target);
            self.bar.tick();
        }
    }

    /// Whether to print the step timings: on a terminal, or when `scripts/bench-bulk` asks
    /// (SEATLINE_BENCH_TIMINGS); piped, a command prints nothing but its answer.
    pub(crate) fn timings(&self) -> bool {
        self.terminal || std::env::var_os("SEATLINE_BENCH_TIMINGS").is_some()
    }

    pub(crate) fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use indicatif::{ProgressDrawTarget, TermLike};
    use seatline_app::bulk::Step;

    use super::Bar;

    /// A terminal that keeps every line drawn on it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            120
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            if !s.trim().is_empty() {
                self.0.lock().unwrap().push(s.to_owned());
            }
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_bar_starts_at_its_real_length_and_counts_whole_rows_per_second() {
        let screen = Screen::default();
        let bar = Bar::drawn_on(Some(ProgressDrawTarget::term_like(Box::new(
            screen.clone(),
        ))));
        bar.report(Step::Check, 0, 250);
        bar.report(Step::Check, 100, 250);
        bar.bar.tick();
        let drawn = screen.0.lock().unwrap().clone();
        assert!(!drawn.is_empty(), "nothing drawn");
        for line in &drawn {
            assert!(!line.contains("0/0 rows"), "{line}");
            assert!(line.contains("/250 rows"), "{line}");
            let rate = line
                .split_whitespace()
                .find(|w| w.ends_with("/s"))
                .unwrap_or_else(|| panic!("no rate: {line}"));
            assert!(!rate.contains('.'), "a rate in whole rows: {line}");
            assert!(line.contains(" rows/s"), "{line}");
        }
    }
}
