//! The active probes (`--probe`): requests any client could send. The guest login and the
//! EPMD NAMES request stand in for a remote client, so a loopback target is probed at this
//! machine's non-loopback address instead. Every connection and read has a deadline.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use super::fetch::source;
use super::snapshot::{
    EpmdNames, EpmdNode, NotChecked, ProbeAnswer, Probes, Reach, Remote, Snapshot, Source,
};
use crate::broker::http::{Auth, ManagementApi};

/// EPMD's well-known port.
pub const EPMD_PORT: u16 = 4369;

/// At most this much of EPMD's NAMES answer is read (about 800 nodes' lines).
const EPMD_READ_CAP: usize = 32 * 1024;

/// Run every probe; the ones that stand in for a remote client run only when a
/// non-loopback address to dial is known.
pub async fn run(api: &ManagementApi, s: &Snapshot) -> Probes {
    let remote = remote_host(api, s).await;
    let guest = async {
        let host = remote.as_ref().map_err(Clone::clone)?;
        guest_login(api, host).await
    };
    let epmd = async {
        let host = remote.as_ref().map_err(Clone::clone)?;
        epmd(host, api.timeout()).await
    };
    let (guest_login, cors, metrics, epmd) =
        tokio::join!(guest, cors(api, s), metrics(api, s), epmd);
    Probes {
        guest_login,
        cors,
        metrics,
        epmd,
    }
}

/// Where a remote client would connect: the target's host, unless it is (or resolves to) a
/// loopback address. Then this machine's non-loopback address stands in for it, because a
/// remote client reaches the broker there: guest may log in from loopback by default, so a
/// login over loopback proves nothing, and a listener bound to loopback alone is out of a
/// remote client's reach, which only a connection to that address shows. (Binding the
/// client's socket to that address while dialling loopback would fool the broker's loopback
/// check, but would report a listener no remote client can reach.)
#[derive(Debug, Clone)]
pub struct RemoteHost {
    /// The target's host as configured (a name, or an address).
    pub target: String,
    /// The host to dial: the target's, or the stand-in address.
    pub dial: String,
    pub stand_in: Option<IpAddr>,
    /// The management API's port on that host.
    pub api_port: u16,
    /// The management API URL to dial for the guest login.
    pub api_base: Url,
}

impl RemoteHost {
    fn remote<T>(&self, dialled: String, reach: Reach<T>) -> Remote<T> {
        Remote {
            dialled,
            stand_in: self.stand_in,
            reach,
        }
    }

    fn host_port(&self, port: u16) -> String {
        match self.dial.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]:{port}"),
            _ => format!("{}:{port}", self.dial),
        }
    }
}

async fn remote_host(api: &ManagementApi, s: &Snapshot) -> Source<RemoteHost> {
    let base = api.base().clone();
    let target = s.target.host.trim_matches(['[', ']']).to_string();
    let Some(api_port) = base.port_or_known_default() else {
        return Err(NotChecked(format!("{base} names no port")));
    };
    let resolved = match target.parse::<IpAddr>() {
        Ok(ip) => Some(ip),
        Err(_) => tokio::time::timeout(
            api.timeout(),
            tokio::net::lookup_host((target.as_str(), api_port)),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|mut addresses| addresses.next())
        .map(|a| a.ip()),
    };
    let loopback = s.target.loopback || resolved.is_some_and(|ip| ip.to_canonical().is_loopback());
    if !loopback {
        return Ok(RemoteHost {
            dial: target.clone(),
            target,
            stand_in: None,
            api_port,
            api_base: base,
        });
    }
    let want_v6 = resolved.is_some_and(|ip| ip.to_canonical().is_ipv6());
    let ip = non_loopback_address(want_v6).ok_or_else(|| {
        NotChecked(format!(
            "the target {target} is a loopback address, where guest may log in by default and \
             which no remote client reaches, and this machine has no non-loopback address to \
             probe instead (none in the routing table, /proc/net/fib_trie or /proc/net/if_inet6)"
        ))
    })?;
    let mut api_base = base.clone();
    if api_base.set_ip_host(ip).is_err() {
        return Err(NotChecked(format!("{base} cannot take the host {ip}")));
    }
    Ok(RemoteHost {
        dial: ip.to_string(),
        target,
        stand_in: Some(ip),
        api_port,
        api_base,
    })
}

/// This machine's non-loopback address, of the family asked for if it has one: the source
/// address of its route to a public address, else a local address the kernel lists.
pub fn non_loopback_address(prefer_v6: bool) -> Option<IpAddr> {
    [prefer_v6, !prefer_v6].into_iter().find_map(|v6| {
        routed_source(v6).or_else(|| {
            if v6 {
                std::fs::read_to_string("/proc/net/if_inet6")
                    .ok()
                    .and_then(|t| if_inet6_addresses(&t).first().copied().map(IpAddr::V6))
            } else {
                std::fs::read_to_string("/proc/net/fib_trie")
                    .ok()
                    .and_then(|t| fib_trie_locals(&t).first().copied().map(IpAddr::V4))
            }
        })
    })
}

/// The source address the kernel picks for a route to a documentation address (TEST-NET-3,
/// 2001:db8::): `connect` on a UDP socket only chooses the route; no packet is sent.
fn routed_source(v6: bool) -> Option<IpAddr> {
    let (local, far): (SocketAddr, SocketAddr) = if v6 {
        (
            (Ipv6Addr::UNSPECIFIED, 0).into(),
            (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), 9).into(),
        )
    } else {
        (
            (Ipv4Addr::UNSPECIFIED, 0).into(),
            (Ipv4Addr::new(203, 0, 113, 1), 9).into(),
        )
    };
    let socket = std::net::UdpSocket::bind(local).ok()?;
    socket.connect(far).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    usable(ip).then_some(ip)
}

/// An address a remote client could reach this machine at.
fn usable(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => !(v4.is_loopback() || v4.is_unspecified() || v4.is_link_local()),
        // Link-local addresses need a scope to be dialled.
        IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified() || v6.is_unicast_link_local()),
    }
}

/// The local IPv4 addresses in `/proc/net/fib_trie` (`|-- ADDRESS` followed by
/// `/32 host LOCAL`), loopback ones left out, in order, without repeats.
pub fn fib_trie_locals(text: &str) -> Vec<Ipv4Addr> {
    let mut last = None;
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(address) = line.strip_prefix("|-- ") {
            last = address.trim().parse::<Ipv4Addr>().ok();
        } else if line.starts_with("/32 host LOCAL")
            && let Some(ip) = last.take()
            && usable(IpAddr::V4(ip))
            && !found.contains(&ip)
        {
            found.push(ip);
        }
    }
    found
}

/// The global-scope IPv6 addresses in `/proc/net/if_inet6` (32 hex digits, interface index,
/// prefix length, scope, flags, name; scope 00 is global).
pub fn if_inet6_addresses(text: &str) -> Vec<Ipv6Addr> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (hex, scope) = (fields.first()?, fields.get(3)?);
            if *scope != "00" || hex.len() != 32 {
                return None;
            }
            let ip = Ipv6Addr::from(u128::from_str_radix(hex, 16).ok()?);
            usable(IpAddr::V6(ip)).then_some(ip)
        })
        .collect()
}

/// Connect to `address` within `deadline`. A refusal, a reset or silence means no client
/// gets through there: `Ok(Err(reason))`.
async fn connect(
    address: &str,
    deadline: Duration,
) -> Source<Result<tokio::net::TcpStream, String>> {
    use std::io::ErrorKind;
    match tokio::time::timeout(deadline, tokio::net::TcpStream::connect(address)).await {
        Err(_) => Ok(Err(format!(
            "no connection within {}s",
            deadline.as_secs_f64()
        ))),
        Ok(Ok(stream)) => Ok(Ok(stream)),
        Ok(Err(e))
            if matches!(
                e.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::TimedOut
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
            ) =>
        {
            Ok(Err(e.to_string()))
        }
        Ok(Err(e)) => Err(NotChecked(format!("connecting to {address}: {e}"))),
    }
}

/// guest:guest against `/api/whoami`, where a remote client would send it. The connection is
/// tried first, so that a listener that accepts none there is told apart (typed) from a
/// request that fails on the way (TLS, say), which leaves the rule not checked.
async fn guest_login(api: &ManagementApi, host: &RemoteHost) -> Source<Remote<ProbeAnswer>> {
    let url = format!("{}api/whoami", host.api_base);
    let stand_in_api;
    let client = if host.stand_in.is_some() {
        if let Err(why) = connect(&host.host_port(host.api_port), api.timeout()).await? {
            return Ok(host.remote(url, Reach::Unreachable(why)));
        }
        // The certificate is checked against the target's name: see `ManagementApi::at`.
        stand_in_api = api
            .at(host.api_base.clone(), &host.target)
            .map_err(|e| NotChecked(format!("{url}: {e:#}")))?;
        &stand_in_api
    } else {
        api
    };
    let r = client
        .raw(
            Method::GET,
            "/api/whoami",
            Auth::Basic("guest", "guest"),
            &[],
        )
        .await;
    let answer = source(&url, "guest", r)?;
    Ok(host.remote(
        url.clone(),
        Reach::Answered(ProbeAnswer {
            url,
            status: answer.status,
            allow_origin: None,
        }),
    ))
}

/// EPMD's NAMES request (length 1, then `n`) on port 4369 of the host.
async fn epmd(host: &RemoteHost, deadline: Duration) -> Source<Remote<EpmdNames>> {
    let address = host.host_port(EPMD_PORT);
    let mut stream = match connect(&address, deadline).await? {
        Ok(stream) => stream,
        Err(why) => return Ok(host.remote(address, Reach::Unreachable(why))),
    };
    let answer = read_names(&mut stream, deadline)
        .await
        .map_err(|why| NotChecked(format!("EPMD at {address} accepted a connection but {why}")))?;
    Ok(host.remote(address, Reach::Answered(answer)))
}

/// Send NAMES and read the answer until EOF, the cap or the deadline.
async fn read_names(
    stream: &mut tokio::net::TcpStream,
    deadline: Duration,
) -> Result<EpmdNames, String> {
    let until = tokio::time::Instant::now() + deadline;
    tokio::time::timeout_at(until, stream.write_all(&[0, 1, b'n']))
        .await
        .map_err(|_| format!("took the request for more than {}s", deadline.as_secs_f64()))?
        .map_err(|e| format!("refused the request: {e}"))?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut cut = false;
    loop {
        match tokio::time::timeout_at(until, stream.read(&mut chunk)).await {
            Err(_) => {
                cut = true;
                break;
            }
            Ok(Err(e)) if answer.is_empty() => return Err(format!("failed: {e}")),
            Ok(Err(_)) => {
                cut = true;
                break;
            }
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                let room = EPMD_READ_CAP - answer.len();
                answer.extend_from_slice(&chunk[..n.min(room)]);
                if n >= room {
                    cut = true;
                    break;
                }
            }
        }
    }
    if answer.is_empty() {
        return Err(format!("sent nothing within {}s", deadline.as_secs_f64()));
    }
    parse_names(&answer, cut)
}

/// Parse EPMD's NAMES answer: a 4-byte big-endian port, then text lines
/// `name <node> at port <port>`. Lines of another shape are skipped; when the answer was
/// `cut`, its last, incomplete line is too.
pub fn parse_names(answer: &[u8], cut: bool) -> Result<EpmdNames, String> {
    let Some((port, text)) = answer.split_first_chunk::<4>() else {
        return Err(format!(
            "answered {} byte(s), not an EPMD NAMES answer",
            answer.len()
        ));
    };
    let text = String::from_utf8_lossy(text);
    let mut lines: Vec<&str> = text.split('\n').collect();
    if cut || text.ends_with('\n') {
        lines.pop();
    }
    let nodes: Vec<EpmdNode> = lines
        .iter()
        .filter_map(|line| {
            let (name, port) = line.strip_prefix("name ")?.rsplit_once(" at port ")?;
            Some(EpmdNode {
                name: name.to_string(),
                port: port.trim().parse().ok()?,
            })
        })
        .collect();
    let epmd_port = u32::from_be_bytes(*port);
    if nodes.is_empty() && !text.trim().is_empty() {
        return Err(format!(
            "answered something other than EPMD NAMES (port field {epmd_port})"
        ));
    }
    Ok(EpmdNames {
        epmd_port,
        nodes,
        truncated: cut,
    })
}

/// A CORS preflight from `https://evil.example` against the target.
async fn cors(api: &ManagementApi, s: &Snapshot) -> Source<ProbeAnswer> {
    let base = &s.target.api_url;
    let r = api
        .raw(
            Method::OPTIONS,
            "/api/overview",
            Auth::Anonymous,
            &[
                ("Origin", "https://evil.example"),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "authorization"),
            ],
        )
        .await;
    source("/api/overview", api.user(), r).map(|r| ProbeAnswer {
        url: format!("{base}/api/overview"),
        status: r.status,
        allow_origin: r.header("access-control-allow-origin").map(str::to_string),
    })
}

/// An unauthenticated `GET /metrics` on the target's Prometheus listener.
async fn metrics(api: &ManagementApi, s: &Snapshot) -> Source<ProbeAnswer> {
    let listener = s.overview.as_ref().ok().and_then(|o| {
        o.listeners
            .iter()
            .flatten()
            .find(|l| l.protocol.contains("prometheus"))
    });
    let Some(l) = listener else {
        return Err(NotChecked("no prometheus listener".into()));
    };
    let scheme = if l.is_tls() { "https" } else { "http" };
    let host = if s.target.host.contains(':') {
        format!("[{}]", s.target.host)
    } else {
        s.target.host.clone()
    };
    let Some(port) = l.port() else {
        return Err(NotChecked(
            "the prometheus listener's port is unknown".into(),
        ));
    };
    let url = format!("{scheme}://{host}:{port}/metrics");
    let r = api.raw(Method::GET, &url, Auth::Anonymous, &[]).await;
    source(&url, "(anonymous)", r).map(|r| ProbeAnswer {
        url: url.clone(),
        status: r.status,
        allow_origin: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(port: u32, text: &str) -> Vec<u8> {
        let mut answer = port.to_be_bytes().to_vec();
        answer.extend_from_slice(text.as_bytes());
        answer
    }

    #[test]
    fn names_answer_lists_nodes_and_ports() {
        // The shape epmd (OTP 25.2.3) answered here: 00 00 11 11, then the lines (captured
        // with `exec 3<>/dev/tcp/127.0.0.1/4369; printf '\0\1n' >&3; cat <&3 | xxd`).
        let a = parse_names(
            &names(
                4369,
                "name warren-test-1a2b at port 20004\nname rabbit at port 25672\n",
            ),
            false,
        )
        .unwrap();
        assert_eq!(a.epmd_port, 4369);
        assert_eq!(
            a.nodes,
            vec![
                EpmdNode {
                    name: "warren-test-1a2b".into(),
                    port: 20004
                },
                EpmdNode {
                    name: "rabbit".into(),
                    port: 25672
                }
            ]
        );
        assert!(!a.truncated);
        assert!(a.listing().contains("rabbit (distribution port 25672)"));
        // No node registered: only the port.
        assert!(
            parse_names(&names(4369, ""), false)
                .unwrap()
                .nodes
                .is_empty()
        );
    }

    #[test]
    fn truncated_or_garbage_answers_never_panic() {
        // Shorter than the port field.
        for short in [&[][..], &[0], &[0, 0, 17]] {
            assert!(parse_names(short, false).is_err());
            assert!(parse_names(short, true).is_err());
        }
        // Cut in the middle of a line: the partial line is dropped.
        let cut = parse_names(&names(4369, "name a at port 1\nname b at po"), true).unwrap();
        assert_eq!(cut.nodes.len(), 1);
        assert!(cut.truncated && cut.listing().contains("cut short"));
        // Not EPMD at all (an HTTP server on 4369).
        assert!(parse_names(b"HTTP/1.1 400 Bad Request\r\n\r\n", false).is_err());
        // Invalid UTF-8, bad ports and odd lines are skipped, not fatal.
        let mut odd = names(4369, "name x at port 99999\nname y at port 7\n");
        odd.extend_from_slice(&[0xff, 0xfe, b'\n']);
        let odd = parse_names(&odd, false).unwrap();
        assert_eq!(odd.nodes.len(), 1);
        assert_eq!(odd.nodes[0].name, "y");
        // Every prefix of a real answer parses or errs.
        let full = names(4369, "name warren-a at port 20004\nname b at port 5\n");
        for n in 0..=full.len() {
            let _ = parse_names(&full[..n], true);
            let _ = parse_names(&full[..n], false);
        }
    }

    #[test]
    fn kernel_address_lists() {
        // /proc/net/fib_trie as this machine shows it (eth0 192.0.2.2/24).
        let fib = "Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
           |-- 127.0.0.1
              /32 host LOCAL
     +-- 192.0.2.0/24 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
Local:
           |-- 192.0.2.2
              /32 host LOCAL
";
        assert_eq!(fib_trie_locals(fib), vec![Ipv4Addr::new(192, 0, 2, 2)]);
        assert!(fib_trie_locals("garbage\n/32 host LOCAL\n|-- x").is_empty());
        let inet6 = "00000000000000000000000000000001 01 80 10 80       lo
fe8000000000000000fc00fffe000001 04 40 20 80     eth0
fd000000000000000000000000000002 04 40 00 82     eth0
zz 1\n";
        assert_eq!(
            if_inet6_addresses(inet6),
            vec!["fd00::2".parse::<Ipv6Addr>().unwrap()]
        );
    }

    #[test]
    fn this_machine_has_a_non_loopback_address() {
        // Test machines have a network interface besides loopback.
        let ip = non_loopback_address(false).expect("a non-loopback address");
        assert!(usable(ip), "{ip}");
    }

    #[tokio::test]
    async fn epmd_probe_reads_an_answer_and_passes_a_closed_port() {
        // A stand-in EPMD on a free port answers NAMES.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 3];
            socket.read_exact(&mut request).await.unwrap();
            assert_eq!(request, [0, 1, b'n']);
            socket
                .write_all(&names(4369, "name fake at port 30000\n"))
                .await
                .unwrap();
        });
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let answer = read_names(&mut stream, Duration::from_secs(5))
            .await
            .unwrap();
        server.await.unwrap();
        assert_eq!(answer.nodes[0].name, "fake");
        // A port nobody listens on: unreachable, a pass, never an error.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let r = connect(&format!("127.0.0.1:{closed_port}"), Duration::from_secs(5))
            .await
            .unwrap();
        assert!(r.is_err(), "a closed port is unreachable");
        // A server that accepts and says nothing ends at the deadline, not later.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", silent_port))
            .await
            .unwrap();
        let started = std::time::Instant::now();
        assert!(
            read_names(&mut stream, Duration::from_millis(300))
                .await
                .is_err()
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        drop(silent);
    }
}
