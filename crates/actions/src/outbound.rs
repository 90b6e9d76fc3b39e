//! The outbound policy of the `http` action: which addresses a step may call.
//!
//! By default every non-public address is refused (loopback, private, link-local, unique-local,
//! CGNAT, multicast, unspecified, broadcast, documentation ranges and cloud metadata
//! addresses). Operators open what they need with rules (`WEFT_OUTBOUND_ALLOW`): CIDRs
//! (`10.0.0.0/8`, `::1/128`) and `host[:port]` entries (`api.internal`, `localhost:4010`).
//!
//! The policy is checked on the address actually connected: IP-literal hosts on the parsed URL
//! (reqwest does not resolve them), names in the client's DNS resolver ([`Resolver`]), which
//! drops the addresses the policy refuses, so that DNS rebinding cannot reach them. The `http`
//! action follows redirects itself and checks every hop.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// One allow rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Addresses in a network: `10.0.0.0/8`, `::1/128` (a bare address is a /32 or /128).
    Cidr { network: IpAddr, prefix: u8 },
    /// A host as written in URLs (a name, or an address), on any port or on one port.
    Host { host: String, port: Option<u16> },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Cidr { network, prefix } => write!(f, "{network}/{prefix}"),
            Rule::Host { host, port: None } => f.write_str(host),
            Rule::Host {
                host,
                port: Some(p),
            } => match host.contains(':') {
                true => write!(f, "[{host}]:{p}"),
                false => write!(f, "{host}:{p}"),
            },
        }
    }
}

impl std::str::FromStr for Rule {
    type Err = String;

    fn from_str(entry: &str) -> Result<Rule, String> {
        let entry = entry.trim();
        let bad = |why: &str| format!("invalid outbound allow entry `{entry}`: {why}");
        if entry.is_empty() {
            return Err(bad("empty"));
        }
        if let Some((net, prefix)) = entry.split_once('/') {
            let network: IpAddr = net
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| bad("not an IP network such as 10.0.0.0/8"))?;
            let max = if network.is_ipv4() { 32 } else { 128 };
            let prefix: u8 = prefix
                .parse()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| bad(&format!("the prefix length must be 0 to {max}")))?;
            return Ok(Rule::Cidr { network, prefix });
        }
        // `[v6]:port`, `[v6]`, a bare v6 address, `host:port`, `host`.
        let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(|| bad("unclosed `[`"))?;
            match after {
                "" => (host.to_string(), None),
                _ => match after.strip_prefix(':') {
                    Some(p) => (host.to_string(), Some(p)),
                    None => return Err(bad("expected `:port` after `]`")),
                },
            }
        } else if entry.parse::<Ipv6Addr>().is_ok() {
            (entry.to_string(), None)
        } else {
            match entry.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (entry.to_string(), None),
            }
        };
        let port = match port {
            None => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| bad("the port must be a number from 1 to 65535"))?,
            ),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        // Normalize the host as a URL would.
        let url = Url::parse(&format!(
            "http://{}/",
            if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            }
        ))
        .map_err(|_| bad("not a host name or address"))?;
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(h) => h.to_string(),
            None => return Err(bad("not a host name or address")),
        };
        Ok(Rule::Host { host, port })
    }
}

/// The outbound policy: the built-in deny list, opened by allow rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    allow: Vec<Rule>,
}

/// A refused call: what was refused and by which rule. Not worth a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// `host:port` (or the host name, for DNS answers).
    pub target: String,
    /// Why, e.g. `127.0.0.1 is a loopback address`.
    pub reason: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "outbound call to {} refused: {} (allow it with WEFT_OUTBOUND_ALLOW)",
            self.target, self.reason
        )
    }
}

impl std::error::Error for Refused {}

impl Policy {
    /// The default: every non-public address refused.
    pub fn deny_private() -> Policy {
        Policy::default()
    }

    /// The default opened by `allow`.
    pub fn new(allow: Vec<Rule>) -> Policy {
        Policy { allow }
    }

    /// Parses a comma-separated list of rules (`WEFT_OUTBOUND_ALLOW`); empty entries are
    /// skipped. The error names the invalid entry.
    pub fn parse(list: &str) -> Result<Policy, String> {
        let allow = list
            .split(',')
            .filter(|e| !e.trim().is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Rule>, String>>()?;
        Ok(Policy { allow })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.allow
    }

    /// Whether a host entry allows `host` on `port`.
    fn host_allowed(&self, host: &str, port: u16) -> bool {
        self.allow.iter().any(|r| match r {
            Rule::Host { host: h, port: p } => h == host && p.is_none_or(|p| p == port),
            Rule::Cidr { .. } => false,
        })
    }

    /// The ports host entries allow `host` on, when every entry naming it has a port.
    fn host_ports(&self, host: &str) -> Vec<u16> {
        self.allow
            .iter()
            .filter_map(|r| match r {
                Rule::Host { host: h, port } if h == host => Some(*port),
                _ => None,
            })
            .collect::<Option<Vec<u16>>>()
            .unwrap_or_default()
    }

    fn cidr_allowed(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.allow.iter().any(|r| match r {
            Rule::Cidr { network, prefix } => contains(canonical(*network), *prefix, ip),
            Rule::Host { .. } => false,
        })
    }

    /// Why an address is refused, or `None` when it may be called.
    pub fn check_ip(&self, ip: IpAddr) -> Option<String> {
        let reason = classify(ip)?;
        (!self.cidr_allowed(ip)).then_some(reason)
    }

    /// Checks a URL before it is sent: an IP-literal host here, a name later by the resolver
    /// (or here, when a host entry names it only for other ports).
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        let port = url.port_or_known_default().unwrap_or(0);
        let (host, ip) = match url.host() {
            Some(url::Host::Ipv4(ip)) => (ip.to_string(), Some(IpAddr::V4(ip))),
            Some(url::Host::Ipv6(ip)) => (ip.to_string(), Some(IpAddr::V6(ip))),
            Some(url::Host::Domain(d)) => (d.trim_end_matches('.').to_ascii_lowercase(), None),
            None => (String::new(), None),
        };
        let target = match ip {
            Some(IpAddr::V6(_)) => format!("[{host}]:{port}"),
            _ => format!("{host}:{port}"),
        };
        if self.host_allowed(&host, port) {
            return Ok(());
        }
        match ip {
            Some(ip) => match self.check_ip(ip) {
                Some(reason) => Err(Refused { target, reason }),
                None => Ok(()),
            },
            None => {
                let ports = self.host_ports(&host);
                if ports.is_empty() {
                    return Ok(());
                }
                let list: Vec<String> = ports.iter().map(u16::to_string).collect();
                Err(Refused {
                    target,
                    reason: format!("{host} is allowed only on port {}", list.join(", ")),
                })
            }
        }
    }
}

/// The embedded IPv4 address of IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`)
/// and NAT64 (`64:ff9b::a.b.c.d`) IPv6 addresses; other addresses as they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded =
                Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
            let mapped = s[..5] == [0; 5] && s[5] == 0xffff;
            // `::` and `::1` stay IPv6.
            let compatible = s[..6] == [0; 6] && u32::from(embedded) > 1;
            let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
            match mapped || compatible || nat64 {
                true => IpAddr::V4(embedded),
                false => ip,
            }
        }
        v4 => v4,
    }
}

fn contains(network: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (network, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// Why the built-in policy refuses an address, or `None` for a public one.
pub fn classify(ip: IpAddr) -> Option<String> {
    let shown = ip;
    let ip = canonical(ip);
    let v4 = |s: &str| -> (IpAddr, u8) {
        let (n, p) = s.split_once('/').unwrap();
        (n.parse().unwrap(), p.parse().unwrap())
    };
    const METADATA: [&str; 4] = [
        "169.254.169.254",
        "fd00:ec2::254",
        "100.100.100.200",
        "169.254.170.2",
    ];
    if METADATA.iter().any(|m| m.parse::<IpAddr>() == Ok(ip)) {
        return Some(format!("{shown} is a cloud metadata address"));
    }
    let ranges: [(&str, &str); 22] = [
        ("127.0.0.0/8", "a loopback address"),
        ("::1/128", "a loopback address"),
        ("0.0.0.0/8", "an unspecified address"),
        ("::/128", "an unspecified address"),
        ("10.0.0.0/8", "a private address"),
        ("172.16.0.0/12", "a private address"),
        ("192.168.0.0/16", "a private address"),
        ("169.254.0.0/16", "a link-local address"),
        ("fe80::/10", "a link-local address"),
        ("fc00::/7", "a unique-local address"),
        ("100.64.0.0/10", "a shared (CGNAT) address"),
        ("224.0.0.0/4", "a multicast address"),
        ("ff00::/8", "a multicast address"),
        ("255.255.255.255/32", "a broadcast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("192.0.0.0/24", "a reserved address"),
        ("192.0.2.0/24", "a documentation address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("2001:db8::/32", "a documentation address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("fec0::/10", "a site-local address"),
    ];
    ranges.iter().find_map(|(range, what)| {
        let (n, p) = v4(range);
        contains(n, p, ip).then(|| format!("{shown} is {what}"))
    })
}

/// A DNS resolver that drops the addresses the policy refuses (names allowed by a host entry
/// keep all theirs). When nothing is left, the lookup fails with [`Refused`].
#[derive(Debug, Clone)]
pub struct Resolver {
    pub policy: Arc<Policy>,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let named = policy
                .allow
                .iter()
                .any(|r| matches!(r, Rule::Host { host: h, .. } if *h == host));
            if named {
                return Ok(Box::new(found.into_iter()) as Addrs);
            }
            let mut refused = None;
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match policy.check_ip(a.ip()) {
                    Some(reason) => {
                        refused.get_or_insert(reason);
                        false
                    }
                    None => true,
                })
                .collect();
            match (kept.is_empty(), refused) {
                (true, Some(reason)) => Err(Box::new(Refused {
                    target: host.clone(),
                    reason: format!("{host} resolves to {reason}").replacen(
                        " is ",
                        ", which is ",
                        1,
                    ),
                })
                    as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(kept.into_iter()) as Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> Url {
        Url::parse(u).unwrap()
    }

    fn refused(policy: &Policy, u: &str) -> String {
        policy.check_url(&url(u)).unwrap_err().to_string()
    }

    #[test]
    fn every_form_of_loopback_is_refused_by_default() {
        let p = Policy::deny_private();
        for u in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
        ] {
            let e = refused(&p, u);
            assert!(e.contains("is a loopback address"), "{u}: {e}");
            assert!(e.contains("allow it with WEFT_OUTBOUND_ALLOW"), "{u}: {e}");
        }
        assert_eq!(
            refused(&p, "http://127.0.0.1:9/"),
            "outbound call to 127.0.0.1:9 refused: 127.0.0.1 is a loopback address \
             (allow it with WEFT_OUTBOUND_ALLOW)"
        );
    }

    #[test]
    fn private_link_local_metadata_and_other_ranges_are_refused() {
        for (ip, what) in [
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "cloud metadata"),
            ("100.100.100.200", "cloud metadata"),
            ("fd00:ec2::254", "cloud metadata"),
            ("169.254.1.1", "link-local"),
            ("fe80::1", "link-local"),
            ("fc00::1", "unique-local"),
            ("100.64.0.1", "CGNAT"),
            ("224.0.0.1", "multicast"),
            ("0.0.0.0", "unspecified"),
            ("::", "unspecified"),
            ("255.255.255.255", "broadcast"),
            ("::ffff:10.0.0.1", "private"),
        ] {
            let why = classify(ip.parse().unwrap()).unwrap_or_default();
            assert!(why.contains(what), "{ip}: {why}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert_eq!(classify(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn names_are_left_to_the_resolver_unless_an_entry_names_them_for_other_ports() {
        let p = Policy::deny_private();
        assert_eq!(p.check_url(&url("http://localhost/")), Ok(()));
        let p = Policy::parse("localhost:4010").unwrap();
        assert_eq!(p.check_url(&url("http://localhost:4010/")), Ok(()));
        assert!(
            refused(&p, "http://localhost:22/").contains("localhost is allowed only on port 4010")
        );
    }

    #[test]
    fn allow_entries_open_exactly_what_they_name() {
        let p = Policy::parse("127.0.0.1:4010, 10.0.0.0/8,::1/128").unwrap();
        assert_eq!(p.check_url(&url("http://127.0.0.1:4010/")), Ok(()));
        assert!(refused(&p, "http://127.0.0.1:4011/").contains("loopback"));
        assert!(refused(&p, "http://127.0.0.2:4010/").contains("loopback"));
        assert!(refused(&p, "http://2130706433:4011/").contains("loopback"));
        assert_eq!(p.check_url(&url("http://10.9.8.7/")), Ok(()));
        assert_eq!(p.check_url(&url("http://[::ffff:10.9.8.7]/")), Ok(()));
        assert_eq!(p.check_url(&url("http://[::1]:5/")), Ok(()));
        assert!(refused(&p, "http://192.168.0.1/").contains("private"));
        let p = Policy::parse("127.0.0.1/32").unwrap();
        assert_eq!(p.check_url(&url("http://0x7f.0.0.1:1/")), Ok(()));
        assert_eq!(p.check_url(&url("http://[::ffff:127.0.0.1]:1/")), Ok(()));
    }

    #[test]
    fn the_parser_reads_cidrs_and_hosts_and_names_a_bad_entry() {
        let p = Policy::parse("127.0.0.1/32,[::1]:80,API.Internal,localhost:4010,::1,").unwrap();
        assert_eq!(
            p.rules(),
            [
                Rule::Cidr {
                    network: "127.0.0.1".parse().unwrap(),
                    prefix: 32
                },
                Rule::Host {
                    host: "::1".into(),
                    port: Some(80)
                },
                Rule::Host {
                    host: "api.internal".into(),
                    port: None
                },
                Rule::Host {
                    host: "localhost".into(),
                    port: Some(4010)
                },
                Rule::Host {
                    host: "::1".into(),
                    port: None
                },
            ]
        );
        for (bad, why) in [
            ("10.0.0.0/33", "prefix length"),
            ("10.0.0/8", "not an IP network"),
            ("host:0", "port"),
            ("host:http", "port"),
            ("[::1", "unclosed"),
            ("a b", "not a host"),
        ] {
            let e = Policy::parse(&format!("127.0.0.1,{bad}")).unwrap_err();
            assert!(
                e.contains(&format!("`{bad}`")) && e.contains(why),
                "{bad}: {e}"
            );
        }
    }
}
