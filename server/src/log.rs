//! The decision log: one JSON object per decision, written by a thread of its own so
//! that a slow disk or pipe never sits inside a check (unless 16,384 lines are
//! already waiting; then checks wait for the writer rather than drop lines).
//!
//! ```json
//! {"time":"2026-11-30T16:20:00.123456Z","decision":"allow","reason":"rule",
//!  "rule":"frontends read orders","audit":[],"revision":"17115ca5fb41",
//!  "duration_us":12.5,"request":{"method":"GET","path":"/api/v1/orders/42",
//!  "host":"orders.svc","identity":"spiffe://prod/ns/web/sa/frontend",
//!  "source":"10.1.2.3","port":8443}}
//! ```
//!
//! Header and attribute values are never logged.

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::config::LogTarget;
use crate::decision::DecisionObject;
use crate::metrics::Metrics;
use portcullis::OwnedRequest;

/// Lines waiting for the writer before checks wait for it.
const QUEUE: usize = 16_384;

/// One line of the log.
#[derive(Serialize)]
struct Line<'a> {
    time: String,
    #[serde(flatten)]
    decision: &'a DecisionObject,
    revision: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    shadow: Option<&'a DecisionObject>,
    duration_us: f64,
    request: RequestFields<'a>,
}

/// What the log says about a request: never a header or an attribute value.
#[derive(Serialize)]
struct RequestFields<'a> {
    method: Option<&'a str>,
    path: Option<&'a str>,
    host: Option<&'a str>,
    identity: Option<&'a str>,
    source: Option<IpAddr>,
    port: Option<u16>,
}

/// The JSON line for one decision, without its line feed.
pub(crate) fn line(
    time: SystemTime,
    decision: &DecisionObject,
    shadow: Option<&DecisionObject>,
    revision: &str,
    elapsed: Duration,
    request: Option<&OwnedRequest>,
) -> String {
    let line = Line {
        time: rfc3339(time),
        decision,
        revision,
        shadow,
        duration_us: (elapsed.as_secs_f64() * 1e9).round() / 1e3,
        request: RequestFields {
            method: request.map(OwnedRequest::method),
            path: request.map(OwnedRequest::path),
            host: request.and_then(OwnedRequest::host_value),
            identity: request.and_then(OwnedRequest::identity_value),
            source: request.and_then(OwnedRequest::source_value),
            port: request.and_then(OwnedRequest::port_value),
        },
    };
    // Serializing these types cannot fail (string keys, finite numbers).
    serde_json::to_string(&line).unwrap_or_default()
}

/// `2026-11-30T16:20:00.123456Z`: UTC, microseconds.
///
/// The civil date from days since 1970-01-01 follows Howard Hinnant's
/// `civil_from_days`.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let of_day = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60,
        since.subsec_micros()
    )
}

/// What the writer thread receives.
#[derive(Debug)]
enum Message {
    Line(String),
    /// Write what is queued, flush, and stop.
    Close,
}

/// The sending side of the log; cloned into every listener.
#[derive(Clone, Debug)]
pub(crate) struct DecisionLog {
    lines: SyncSender<Message>,
}

/// The writer thread; [`LogWriter::finish`] waits for every line queued to be written.
#[derive(Debug)]
pub(crate) struct LogWriter {
    lines: SyncSender<Message>,
    thread: JoinHandle<()>,
}

impl DecisionLog {
    /// Opens the target (a file is created or appended to) and starts the writer.
    pub(crate) fn open(
        target: &LogTarget,
        metrics: Arc<Metrics>,
    ) -> io::Result<(DecisionLog, LogWriter)> {
        let out: Box<dyn Write + Send> = match target {
            LogTarget::Stdout => Box::new(io::stdout()),
            LogTarget::File(path) => {
                Box::new(OpenOptions::new().create(true).append(true).open(path)?)
            }
        };
        let (lines, received) = mpsc::sync_channel(QUEUE);
        let thread = thread::Builder::new()
            .name("portcullis-decision-log".into())
            .spawn(move || write_lines(&received, out, &metrics))?;
        let writer = LogWriter {
            lines: lines.clone(),
            thread,
        };
        Ok((DecisionLog { lines }, writer))
    }

    /// Queues one line (without its line feed).
    pub(crate) fn send(&self, line: String) {
        // Fails only when the writer is gone, which happens only at shutdown.
        let _ = self.lines.send(Message::Line(line));
    }
}

impl LogWriter {
    /// Waits until every line queued so far has been written and flushed, and stops
    /// the writer; lines sent later are dropped.
    pub(crate) fn finish(self) {
        let _ = self.lines.send(Message::Close);
        let _ = self.thread.join();
    }
}

fn write_lines(received: &Receiver<Message>, out: Box<dyn Write + Send>, metrics: &Metrics) {
    let mut out = BufWriter::with_capacity(64 * 1024, out);
    let mut reported = false;
    let mut report = |error: io::Error, metrics: &Metrics| {
        metrics.log_error();
        if !reported {
            reported = true;
            eprintln!("portcullis: cannot write the decision log: {error}");
        }
    };
    let mut open = true;
    while open {
        let Ok(first) = received.recv() else { break };
        let mut next = Some(first);
        // Write what is waiting, then flush once.
        while let Some(message) = next.take() {
            match message {
                Message::Line(line) => {
                    let written = out
                        .write_all(line.as_bytes())
                        .and_then(|()| out.write_all(b"\n"));
                    if let Err(error) = written {
                        report(error, metrics);
                    }
                }
                Message::Close => open = false,
            }
            next = received.try_recv().ok();
        }
        if let Err(error) = out.flush() {
            report(error, metrics);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn rfc3339_dates() {
        let cases = [
            (0, 0, "1970-01-01T00:00:00.000000Z"),
            (951_782_400, 5, "2000-02-29T00:00:00.000005Z"),
            (1_798_761_599, 999_999, "2026-12-31T23:59:59.999999Z"),
            (4_107_542_400, 0, "2100-03-01T00:00:00.000000Z"),
        ];
        for (seconds, micros, expected) in cases {
            let time = UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_micros(micros);
            assert_eq!(rfc3339(time), expected);
        }
    }

    #[test]
    fn line_fields_in_order_and_no_header_values() {
        let policy = portcullis::Policy::compile("allow \"a\" {}").unwrap();
        let mut request = OwnedRequest::new("GET", "/x?y");
        request
            .set_identity("spiffe://e/a")
            .set_source("10.0.0.1".parse().unwrap())
            .push_header("authorization", "secret-token")
            .push_attr("tenant", "secret-tenant");
        let decision = DecisionObject::from_decision(&policy.evaluate(&request.as_request()));
        let text = line(
            UNIX_EPOCH,
            &decision,
            Some(&DecisionObject::invalid("bad")),
            "0123456789ab",
            Duration::from_nanos(12_345),
            Some(&request),
        );
        assert_eq!(
            text,
            concat!(
                r#"{"time":"1970-01-01T00:00:00.000000Z","decision":"allow","reason":"rule","rule":"a","audit":[],"#,
                r#""revision":"0123456789ab","shadow":{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"bad"},"#,
                r#""duration_us":12.345,"request":{"method":"GET","path":"/x?y","host":null,"identity":"spiffe://e/a","source":"10.0.0.1","port":null}}"#
            )
        );
        assert!(!text.contains("secret"));
    }
}
