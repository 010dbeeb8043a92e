//! A PostgreSQL server owned by one test: its own data directory and port, started and
//! stopped at will (`initdb` and `pg_ctl`, as the `postgres` user when running as root) — so a
//! test can take the database away without touching the shared CI server.

use std::path::PathBuf;
use std::process::Command;

/// A running (or stopped) private server; removed when dropped.
pub struct OwnPostgres {
    bin: PathBuf,
    data: tempfile::TempDir,
    port: u16,
}

fn server_binaries() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path().join("bin")).collect();
    versions.sort();
    versions.pop().filter(|bin| bin.join("pg_ctl").exists())
}

fn root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl OwnPostgres {
    /// Starts a fresh server, or `None` (with a line saying why) where that is not possible.
    pub fn start() -> Option<OwnPostgres> {
        let Some(bin) = server_binaries() else {
            eprintln!("skipped: no PostgreSQL server binaries under /usr/lib/postgresql");
            return None;
        };
        let data = tempfile::tempdir().ok()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let server = OwnPostgres { bin, data, port };
        if root() {
            let _ = Command::new("chown").args(["-R", "postgres"]).arg(server.data.path()).status();
        }
        let initdb = format!("'{}' -D '{}' -A trust -U postgres", server.bin.join("initdb").display(), server.dir());
        if !server.run(&initdb) {
            eprintln!("skipped: initdb failed");
            return None;
        }
        server.start_again().then_some(server)
    }

    fn dir(&self) -> String {
        self.data.path().join("pgdata").display().to_string()
    }

    fn run(&self, command: &str) -> bool {
        let status = if root() {
            Command::new("su").args(["postgres", "-s", "/bin/sh", "-c", command]).status()
        } else {
            Command::new("sh").args(["-c", command]).status()
        };
        status.is_ok_and(|s| s.success())
    }

    /// `postgres://…` for this server's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts (again) and waits until it accepts connections.
    pub fn start_again(&self) -> bool {
        let options =
            format!("-p {} -k '{}' -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.data.path().display());
        let command = format!(
            "'{}' -D '{}' -l '{}/server.log' -w -t 60 -o \"{options}\" start",
            self.bin.join("pg_ctl").display(),
            self.dir(),
            self.data.path().display()
        );
        self.run(&command)
    }

    /// Stops it at once (connections are cut, as in a crash or a failover).
    pub fn stop(&self) -> bool {
        self.run(&format!("'{}' -D '{}' -m immediate -w stop", self.bin.join("pg_ctl").display(), self.dir()))
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
