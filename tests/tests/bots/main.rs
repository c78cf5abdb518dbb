//! Bots run as processes of their own (`src/bin/`), one recorder and one registry each:
//! this binary annotates no function and installs no exporter, so the files share it
//! (one link instead of one per file).

mod install_notice;
mod mounted_exporter;
