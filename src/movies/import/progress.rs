//! Progress of a load: a bar on a terminal, plain lines (every tenth) when stderr is a file or a pipe
//! (CI logs, `2> seed.log`), nothing in tests.

use std::{io::IsTerminal, sync::Mutex};

use indicatif::{ProgressBar, ProgressStyle};

pub enum Progress {
    Silent,
    Bar(Mutex<Option<ProgressBar>>),
    Lines(Mutex<Lines>),
}

#[derive(Default)]
pub struct Lines {
    phase: String,
    done: u64,
    total: u64,
    reported_tenths: u64,
}

impl Progress {
    /// A bar when stderr is a terminal, else lines.
    pub fn for_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            Self::Bar(Mutex::new(None))
        } else {
            Self::Lines(Mutex::new(Lines::default()))
        }
    }

    /// A new phase of `total` steps.
    pub fn start(&self, phase: &str, total: u64) {
        match self {
            Self::Silent => {}
            Self::Bar(bar) => {
                let style = ProgressStyle::with_template(
                    "{msg:>7} [{bar:40.cyan/blue}] {human_pos}/{human_len} ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                let new = ProgressBar::new(total)
                    .with_style(style)
                    .with_message(phase.to_owned());
                if let Ok(mut slot) = bar.lock() {
                    *slot = Some(new);
                }
            }
            Self::Lines(lines) => {
                if let Ok(mut l) = lines.lock() {
                    *l = Lines {
                        phase: phase.to_owned(),
                        total,
                        ..Lines::default()
                    };
                    eprintln!("seed: writing {total} {phase}");
                }
            }
        }
    }

    pub fn advance(&self, n: u64) {
        match self {
            Self::Silent => {}
            Self::Bar(bar) => {
                if let Ok(slot) = bar.lock()
                    && let Some(bar) = slot.as_ref()
                {
                    bar.inc(n);
                }
            }
            Self::Lines(lines) => {
                if let Ok(mut l) = lines.lock() {
                    l.done += n;
                    let tenths = (l.done * 10).checked_div(l.total).unwrap_or(10);
                    if tenths > l.reported_tenths {
                        l.reported_tenths = tenths;
                        eprintln!(
                            "seed: {} {}/{} ({}%)",
                            l.phase,
                            l.done,
                            l.total,
                            tenths * 10
                        );
                    }
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Self::Bar(bar) = self
            && let Ok(mut slot) = bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish();
            // The finished bar stays on its line; the next phase starts below it.
            eprintln!();
        }
    }
}
