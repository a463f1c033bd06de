//! Which peers are trusted reverse proxies, and so whose `X-Forwarded-For` is believed.

use std::net::IpAddr;

/// Addresses and networks of the reverse proxies in front of the service. Only a request whose
/// peer is one of them has its client taken from `X-Forwarded-For`, because anybody else can
/// write that header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses (`10.0.0.5`, `::1`) and networks in CIDR
    /// notation (`10.0.0.0/8`, `fd00::/8`); spaces around each entry are ignored.
    pub fn parse(list: &str) -> anyhow::Result<Self> {
        let mut nets = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = || {
                anyhow::anyhow!(
                    "KEPU_TRUSTED_PROXIES: `{entry}` is not an IP address or a network such as 10.0.0.0/8"
                )
            };
            let (addr, prefix) = match entry.split_once('/') {
                Some((addr, len)) => (addr, Some(len)),
                None => (entry, None),
            };
            let addr: IpAddr = addr.parse().map_err(|_| bad())?;
            let addr = addr.to_canonical();
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(len) => len
                    .parse::<u8>()
                    .ok()
                    .filter(|l| *l <= max)
                    .ok_or_else(bad)?,
                None => max,
            };
            nets.push((addr, prefix));
        }
        Ok(Self(nets))
    }

    /// Whether none are configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|(net, prefix)| match (net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                u32::from(*net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                u128::from(*net) & mask == u128::from(ip) & mask
            }
            _ => false,
        })
    }

    /// The client of a request from `peer` that carried the `X-Forwarded-For` values
    /// `forwarded` (every header line, in order). A peer that is not a trusted proxy is the
    /// client, whatever it wrote. Otherwise the list is read from the right, past the trusted
    /// proxies that appended to it, and the first address that is not one of them is the
    /// client; an entry that is no address stops the walk at the last trusted hop.
    pub fn client(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded
            .iter()
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            let Some(addr) = parse_hop(hop) else {
                return client;
            };
            client = addr;
            if !self.contains(addr) {
                return addr;
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_right_most_forwarded_address_that_is_no_trusted_proxy() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap_or_default();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let proxy = ip("127.0.0.1");
        // A peer that is no proxy is the client, whatever it claims.
        assert_eq!(
            proxies.client(ip("198.51.100.9"), &["203.0.113.1"]),
            ip("198.51.100.9")
        );
        // Behind the proxy: the right-most address that is not a proxy. What the client wrote
        // itself further left is ignored.
        assert_eq!(proxies.client(proxy, &["203.0.113.1"]), ip("203.0.113.1"));
        assert_eq!(
            proxies.client(proxy, &["6.6.6.6, 203.0.113.1, 10.1.2.3"]),
            ip("203.0.113.1")
        );
        assert_eq!(
            proxies.client(proxy, &["6.6.6.6", "203.0.113.1:5555, 10.1.2.3"]),
            ip("203.0.113.1"),
            "several header lines and a port"
        );
        assert_eq!(
            proxies.client(proxy, &["[2001:db8::1]:443"]),
            ip("2001:db8::1")
        );
        // No header, only proxies, or garbage: never further than what can be believed.
        assert_eq!(proxies.client(proxy, &[]), proxy);
        assert_eq!(
            proxies.client(proxy, &["10.0.0.1, 10.0.0.2"]),
            ip("10.0.0.1")
        );
        assert_eq!(proxies.client(proxy, &["203.0.113.1, unknown"]), proxy);
        assert_eq!(
            proxies.client(proxy, &["203.0.113.1, garbage, 10.0.0.7"]),
            ip("10.0.0.7")
        );
        // Nobody trusted: the peer, always.
        assert_eq!(
            TrustedProxies::default().client(proxy, &["203.0.113.1"]),
            proxy
        );
    }
}
