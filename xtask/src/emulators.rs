//! Starting DynamoDB Local and moto on loopback ports, waiting until they
//! serve, and stopping them again by pid.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::tools::{DynamoDbLocal, Venv};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(250);
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How to tell that an emulator serves requests.
#[derive(Debug, Clone, Copy)]
enum Probe {
    /// Any HTTP response will do: DynamoDB Local answers an unsigned GET with
    /// an error, which still proves its HTTP stack is up.
    AnyHttpResponse,
    /// A GET of this path must return 200.
    HttpOk(&'static str),
}

/// One running emulator process. Dropping it kills and reaps the process, so
/// it is stopped on success, on test failure and on any error alike.
#[derive(Debug)]
pub struct Emulator {
    name: &'static str,
    port: u16,
    log: PathBuf,
    probe: Probe,
    child: Child,
}

/// Both emulators the end-to-end tests talk to.
#[derive(Debug)]
pub struct Emulators {
    pub dynamodb: Emulator,
    pub moto: Emulator,
}

impl Emulators {
    /// Spawns both emulators without waiting for them, so they boot while cargo compiles.
    pub fn start(root: &Path, dynamodb: &DynamoDbLocal, venv: &Venv) -> Result<Self> {
        let log_dir = log_dir(root)?;
        let (dynamodb_port, moto_port) = two_free_ports()?;
        let dynamodb = Emulator::dynamodb(dynamodb, dynamodb_port, &log_dir)?;

        let mut moto_server = Command::new(venv.bin("moto_server"));
        moto_server
            .args(["-H", "127.0.0.1", "-p", &moto_port.to_string()])
            .current_dir(&log_dir);
        let moto = Emulator::spawn(
            "moto",
            moto_server,
            moto_port,
            &log_dir,
            Probe::HttpOk("/moto-api/data.json"),
        )?;

        Ok(Self { dynamodb, moto })
    }

    pub fn wait_ready(&mut self) -> Result<()> {
        self.dynamodb.wait_ready()?;
        self.moto.wait_ready()
    }
}

/// `target/emulators/`, where the emulators run and log.
fn log_dir(root: &Path) -> Result<PathBuf> {
    let log_dir = root.join("target").join("emulators");
    fs::create_dir_all(&log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
    Ok(log_dir)
}

impl Emulator {
    /// DynamoDB Local alone, on a free loopback port, without waiting for it (`cargo xtask bench`).
    pub fn start_dynamodb(root: &Path, dynamodb: &DynamoDbLocal) -> Result<Self> {
        let log_dir = log_dir(root)?;
        let (port, _) = two_free_ports()?;
        Self::dynamodb(dynamodb, port, &log_dir)
    }

    fn dynamodb(dynamodb: &DynamoDbLocal, port: u16, log_dir: &Path) -> Result<Self> {
        let mut java = Command::new("java");
        java.arg(format!(
            "-Djava.library.path={}",
            dynamodb.native_libs().display()
        ))
        .arg("-jar")
        .arg(dynamodb.jar())
        // DynamoDB Local cannot be told a bind address and listens on all
        // interfaces; we only ever send it traffic via 127.0.0.1.
        .args(["-inMemory", "-port", &port.to_string()])
        // One database whatever access key or region a client signs with,
        // so a test using other credentials still sees the same tables.
        .arg("-sharedDb")
        .arg("-disableTelemetry")
        // Nothing is written with -inMemory, but keep any stray file out of the repo.
        .current_dir(log_dir);
        Self::spawn("dynamodb", java, port, log_dir, Probe::AnyHttpResponse)
    }

    fn spawn(
        name: &'static str,
        mut command: Command,
        port: u16,
        log_dir: &Path,
        probe: Probe,
    ) -> Result<Self> {
        let log = log_dir.join(format!("{name}.log"));
        let stdout = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let stderr = stdout
            .try_clone()
            .with_context(|| format!("opening {} twice", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| {
                format!(
                    "could not start the {name} emulator (`{}`)",
                    crate::process::describe(&command)
                )
            })?;
        println!(
            "xtask: started {name} emulator (pid {}) on 127.0.0.1:{port}, log {}",
            child.id(),
            log.display()
        );
        Ok(Self {
            name,
            port,
            log,
            probe,
            child,
        })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls until the emulator answers, it exits, or the timeout passes.
    pub fn wait_ready(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .try_wait()
                .with_context(|| format!("checking on the {} emulator", self.name))?
            {
                bail!(
                    "the {} emulator exited with {status} before it became ready; see {}",
                    self.name,
                    self.log.display()
                );
            }
            let outcome = self.probe();
            if matches!(outcome, Ok(true)) {
                println!(
                    "xtask: {} emulator ready after {:.1} s",
                    self.name,
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            if started.elapsed() >= READY_TIMEOUT {
                let last = match outcome {
                    Err(error) => format!("last attempt: {error}"),
                    Ok(_) => "it answered, but not with the expected status".to_owned(),
                };
                bail!(
                    "the {} emulator on 127.0.0.1:{} was not ready within {} s ({last}); see {}",
                    self.name,
                    self.port,
                    READY_TIMEOUT.as_secs(),
                    self.log.display()
                );
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    fn probe(&self) -> std::io::Result<bool> {
        match self.probe {
            Probe::AnyHttpResponse => http_status(self.port, "/").map(|_| true),
            Probe::HttpOk(path) => http_status(self.port, path).map(|status| status == 200),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Our own child by its pid, never a process looked up by name.
        let pid = self.child.id();
        if let Err(error) = self.child.kill() {
            eprintln!(
                "xtask: could not kill the {} emulator (pid {pid}): {error}",
                self.name
            );
        }
        match self.child.wait() {
            Ok(_) => println!("xtask: stopped {} emulator (pid {pid})", self.name),
            Err(error) => eprintln!(
                "xtask: could not reap the {} emulator (pid {pid}): {error}",
                self.name
            ),
        }
    }
}

/// Two distinct free loopback ports. Both listeners are held until both ports
/// are known, so the two cannot coincide; they are released for the emulators.
pub(crate) fn two_free_ports() -> Result<(u16, u16)> {
    let bind =
        || TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("binding a free port on 127.0.0.1");
    let first = bind()?;
    let second = bind()?;
    let port = |listener: &TcpListener| -> Result<u16> {
        Ok(listener
            .local_addr()
            .context("reading a bound port")?
            .port())
    };
    Ok((port(&first)?, port(&second)?))
}

/// A minimal HTTP/1.1 GET; returns the response's status code. Std only, as
/// a readiness check needs neither TLS nor a body.
pub(crate) fn http_status(port: u16, path: &str) -> std::io::Result<u16> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, PROBE_TIMEOUT)?;
    stream.set_read_timeout(Some(PROBE_TIMEOUT))?;
    stream.set_write_timeout(Some(PROBE_TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;

    // Only the status line matters: "HTTP/1.1 200 OK".
    let mut head = Vec::new();
    let mut buf = [0_u8; 256];
    while !head.contains(&b'\n') && head.len() < 1024 {
        let read = stream.read(&mut buf)?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buf[..read]);
    }
    let head = String::from_utf8_lossy(&head);
    let status = head
        .lines()
        .next()
        .filter(|line| line.starts_with("HTTP/"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok());
    status.ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not an HTTP response: {:?}",
                head.lines().next().unwrap_or("")
            ),
        )
    })
}
