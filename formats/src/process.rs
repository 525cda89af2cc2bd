//! Helper programs (poppler's pdfinfo, pdftotext and pdftoppm, Tesseract) run as processes: a crash or a hang
//! on a hostile file stays in that process, which is killed when it runs past its time.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::FormatError;

/// What a finished program printed.
pub(crate) struct Ran {
    pub(crate) success: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `tool` with `args`, its output captured in `scratch`, for at most `seconds`.
pub(crate) fn run(
    tool: &'static str,
    args: &[&std::ffi::OsStr],
    scratch: &Path,
    seconds: u64,
) -> Result<Ran, FormatError> {
    run_with(tool, args, &[], scratch, seconds)
}

/// [`run`] with variables added to the program's environment.
pub(crate) fn run_with(
    tool: &'static str,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &str)],
    scratch: &Path,
    seconds: u64,
) -> Result<Ran, FormatError> {
    let out_path = scratch.join(format!("{tool}.out"));
    let err_path = scratch.join(format!("{tool}.err"));
    let file = |p: &Path| {
        std::fs::File::create(p).map_err(|e| FormatError::Tool {
            tool,
            reason: format!("cannot write its output: {e}"),
        })
    };
    let mut child = Command::new(tool)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(file(&out_path)?)
        .stderr(file(&err_path)?)
        .spawn()
        .map_err(|e| FormatError::ToolMissing {
            tool,
            reason: e.to_string(),
        })?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(FormatError::Tool {
                    tool,
                    reason: format!("it ran past {seconds} s and was stopped"),
                });
            }
            Err(e) => {
                return Err(FormatError::Tool {
                    tool,
                    reason: e.to_string(),
                });
            }
        }
    };
    let read = |p: &Path| {
        std::fs::read(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    Ok(Ran {
        success: status.success(),
        stdout: read(&out_path),
        stderr: read(&err_path),
    })
}
