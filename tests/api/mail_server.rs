//! A small SMTP server for tests: speaks enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT) for lettre, records every accepted message, and can be told to refuse some
//! recipients with a transient 451 to make deliveries fail.

use mail_parser::MimeHeaders;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One message as the server received it.
#[derive(Clone, Debug)]
pub struct Mail {
    /// `MAIL FROM` address.
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The raw message (headers and body).
    pub data: Vec<u8>,
}

impl Mail {
    /// The decoded subject.
    pub fn subject(&self) -> String {
        self.parsed(|m| m.subject().expect("a subject").to_owned())
    }

    /// The decoded plain-text part.
    pub fn text(&self) -> String {
        self.parsed(|m| m.body_text(0).expect("a text body").into_owned())
    }

    /// The decoded HTML part.
    pub fn html(&self) -> String {
        self.parsed(|m| m.body_html(0).expect("an HTML body").into_owned())
    }

    /// The `Content-Type` of the whole message.
    pub fn content_type(&self) -> String {
        self.parsed(|m| {
            let c = m.content_type().expect("a Content-Type");
            format!("{}/{}", c.ctype(), c.subtype().expect("a subtype"))
        })
    }

    fn parsed<T>(&self, f: impl FnOnce(&mail_parser::Message<'_>) -> T) -> T {
        let message = mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parsable message");
        f(&message)
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Mail>,
    refuse: Vec<String>,
}

/// A running test SMTP server.
pub struct MailServer {
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

impl MailServer {
    /// Starts a server on a free port.
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// Starts a server on `port` (0 picks one).
    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .expect("bind the test SMTP server");
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let for_task = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(converse(stream, for_task.clone()));
            }
        });
        Self { port, shared, task }
    }

    /// A port nothing listens on (yet): bound and released at once.
    pub async fn free_port() -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("address").port()
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Mail> {
        self.shared.lock().expect("lock").received.clone()
    }

    /// Refuses `RCPT TO` for `address` with `451` from now on.
    pub fn refuse(&self, address: &str) {
        self.shared
            .lock()
            .expect("lock")
            .refuse
            .push(address.to_lowercase());
    }

    /// Accepts every recipient again.
    pub fn accept_all(&self) {
        self.shared.lock().expect("lock").refuse.clear();
    }
}

impl Drop for MailServer {
    /// Stops listening when the test is done with the server.
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn address(arg: &str) -> String {
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg.rfind('>').unwrap_or(arg.len());
    arg[start..end].trim().to_lowercase()
}

async fn converse(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 test ESMTP\r\n").await.is_err() {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut line = String::new();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_uppercase();
        let answer: String = if upper.starts_with("EHLO") {
            "250-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
        } else if upper.starts_with("HELO") {
            "250 test\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command[10..]);
            to.clear();
            "250 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&command[8..]);
            let refused = shared.lock().expect("lock").refuse.contains(&rcpt);
            if refused {
                "451 4.3.0 try again later\r\n".into()
            } else {
                to.push(rcpt);
                "250 ok\r\n".into()
            }
        } else if upper == "DATA" {
            if write.write_all(b"354 end with .\r\n").await.is_err() {
                return;
            }
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                match lines.read_until(b'\n', &mut l).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if l == b".\r\n" || l == b".\n" {
                    break;
                }
                // Undo dot-stuffing.
                let l = if l.starts_with(b"..") {
                    &l[1..]
                } else {
                    &l[..]
                };
                data.extend_from_slice(l);
            }
            shared.lock().expect("lock").received.push(Mail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
            });
            "250 queued\r\n".into()
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            "250 ok\r\n".into()
        } else if upper == "NOOP" {
            "250 ok\r\n".into()
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            "502 not implemented\r\n".into()
        };
        if write.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}
