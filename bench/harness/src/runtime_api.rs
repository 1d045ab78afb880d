//! A fake Lambda Runtime API (the 2018-06-01 routes a bootstrap calls), one per bootstrap
//! process. It hands out events as Lambda does and times each invocation from the moment
//! `next` answers to the moment the `response` (or `error`) has been read in full.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

const PREFIX: &str = "/2018-06-01/runtime";
/// How long a bootstrap gets for one invocation before the bench gives up on it.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

/// What the bootstrap answered to one event.
#[derive(Debug)]
pub struct Outcome {
    /// From `next` answering to the response body being read.
    pub elapsed: Duration,
    pub body: Bytes,
    /// Posted to `/error` rather than `/response`.
    pub error: bool,
}

struct Invocation {
    event: Bytes,
    reply: oneshot::Sender<Outcome>,
}

struct InFlight {
    started: Instant,
    reply: oneshot::Sender<Outcome>,
}

/// Signals to the driver: the first `next` call (end of init) or an init error.
#[derive(Debug)]
pub enum InitSignal {
    Ready(Instant),
    Failed(String),
}

struct Shared {
    queue: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    in_flight: Mutex<HashMap<String, InFlight>>,
    init: Mutex<Option<oneshot::Sender<InitSignal>>>,
    next_id: AtomicU64,
    function_arn: String,
}

impl Shared {
    fn in_flight(&self) -> MutexGuard<'_, HashMap<String, InFlight>> {
        // Nothing panics while holding it; a poisoned map is still consistent.
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn signal_init(&self, signal: InitSignal) {
        let sender = self.init.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(sender) = sender {
            // The driver may have stopped waiting; that is not our concern here.
            let _ = sender.send(signal);
        }
    }
}

/// A running fake Runtime API on 127.0.0.1. Dropping it stops the server and every
/// connection it holds.
pub struct RuntimeApi {
    addr: SocketAddr,
    events: mpsc::Sender<Invocation>,
    init: Option<oneshot::Receiver<InitSignal>>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start(function_name: &str) -> Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .context("binding the fake Runtime API on 127.0.0.1")?;
        let addr = listener
            .local_addr()
            .context("reading the Runtime API's port")?;
        let (events, queue) = mpsc::channel(1);
        let (init_tx, init_rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(queue),
            in_flight: Mutex::new(HashMap::new()),
            init: Mutex::new(Some(init_tx)),
            next_id: AtomicU64::new(1),
            function_arn: format!(
                "arn:aws:lambda:eu-central-1:123456789012:function:{function_name}"
            ),
        });
        let server = tokio::spawn(serve(listener, shared));
        Ok(Self {
            addr,
            events,
            init: Some(init_rx),
            server,
        })
    }

    /// `host:port`, as Lambda sets `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Resolves when the bootstrap first asks for an event or reports an init error.
    /// Only the first call gets the signal.
    pub async fn init_signal(&mut self) -> Result<InitSignal> {
        let receiver = self
            .init
            .take()
            .context("the init signal was already taken")?;
        receiver
            .await
            .map_err(|_| anyhow!("the Runtime API stopped before the bootstrap called it"))
    }

    /// Hands one event to the bootstrap and waits for its answer.
    pub async fn invoke(&self, event: Bytes) -> Result<Outcome> {
        let (reply, answer) = oneshot::channel();
        self.events
            .send(Invocation { event, reply })
            .await
            .map_err(|_| anyhow!("the Runtime API is no longer running"))?;
        match tokio::time::timeout(INVOKE_TIMEOUT, answer).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_)) => bail!("the Runtime API dropped an invocation"),
            Err(_) => bail!(
                "the bootstrap did not answer within {} s",
                INVOKE_TIMEOUT.as_secs()
            ),
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // Aborting the accept task drops its JoinSet, which aborts every connection.
        self.server.abort();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                eprintln!("harness: Runtime API accept failed: {error}");
                continue;
            }
        };
        // Lambda's Runtime API answers small requests; Nagle would add up to 40 ms.
        if let Err(error) = stream.set_nodelay(true) {
            eprintln!("harness: could not set TCP_NODELAY: {error}");
        }
        let shared = shared.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| handle(request, shared.clone()));
            // A bootstrap that is killed mid-request ends its connection; nothing to report.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        // Reap finished connections so the set does not grow over 10 000 invocations.
        while connections.try_join_next().is_some() {}
    }
}

type Reply = Response<Full<Bytes>>;

async fn handle(
    request: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Reply, std::convert::Infallible> {
    let path = request.uri().path().to_owned();
    let Some(route) = path.strip_prefix(PREFIX) else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    let reply = match (request.method(), route) {
        (&Method::GET, "/invocation/next") => next(&shared).await,
        (&Method::POST, "/init/error") => {
            let body = read_body(request).await;
            shared.signal_init(InitSignal::Failed(
                String::from_utf8_lossy(&body).into_owned(),
            ));
            status(StatusCode::ACCEPTED)
        }
        (&Method::POST, route) => match route
            .strip_prefix("/invocation/")
            .and_then(|rest| rest.split_once('/'))
        {
            Some((id, kind @ ("response" | "error"))) => {
                let id = id.to_owned();
                let error = kind == "error";
                let body = read_body(request).await;
                let finished = Instant::now();
                match shared.in_flight().remove(&id) {
                    Some(in_flight) => {
                        let _ = in_flight.reply.send(Outcome {
                            elapsed: finished - in_flight.started,
                            body,
                            error,
                        });
                        status(StatusCode::ACCEPTED)
                    }
                    None => status(StatusCode::BAD_REQUEST),
                }
            }
            _ => status(StatusCode::NOT_FOUND),
        },
        _ => status(StatusCode::NOT_FOUND),
    };
    Ok(reply)
}

/// The long poll: answers once the driver queues an event.
async fn next(shared: &Shared) -> Reply {
    shared.signal_init(InitSignal::Ready(Instant::now()));
    let Some(invocation) = shared.queue.lock().await.recv().await else {
        return status(StatusCode::GONE);
    };
    let id = format!("bench-{}", shared.next_id.fetch_add(1, Ordering::Relaxed));
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|now| (now + INVOKE_TIMEOUT).as_millis())
        .unwrap_or_default();
    let response = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &id)
        .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            shared.function_arn.as_str(),
        )
        .header(
            "lambda-runtime-trace-id",
            "Root=1-5e9f0c65-1de4d666d4dd26aced652b6c;Sampled=0",
        )
        .body(Full::new(invocation.event));
    match response {
        Ok(response) => {
            // The clock starts as the event leaves, as Lambda's duration does.
            shared.in_flight().insert(
                id,
                InFlight {
                    started: Instant::now(),
                    reply: invocation.reply,
                },
            );
            response
        }
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

async fn read_body(request: Request<Incoming>) -> Bytes {
    match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    }
}

fn status(code: StatusCode) -> Reply {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}
