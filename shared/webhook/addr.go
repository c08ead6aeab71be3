package webhook

import "net/netip"

// Address classes a callback must not reach, as named in errors.
const (
	classUnspecified = "unspecified"
	classLoopback    = "loopback"
	classPrivate     = "private"
	classLinkLocal   = "link-local"
	classMetadata    = "metadata server"
	classCGNAT       = "shared (CGNAT)"
	classMulticast   = "multicast"
	classReserved    = "reserved or special-purpose"
	classZoned       = "zoned"
)

// metadataAddr is the metadata server of Google Cloud (and of most clouds).
var metadataAddr = netip.MustParseAddr("169.254.169.254")

type prefixClass struct {
	prefix netip.Prefix
	class  string
}

func prefixes(class string, cidrs ...string) []prefixClass {
	out := make([]prefixClass, len(cidrs))
	for i, c := range cidrs {
		out[i] = prefixClass{netip.MustParsePrefix(c), class}
	}
	return out
}

// deniedV4 lists the IPv4 special-purpose ranges (IANA registry) that are
// not globally reachable, and more: a callback goes to the public
// internet or nowhere.
var deniedV4 = concat(
	prefixes(classUnspecified, "0.0.0.0/8"),
	prefixes(classLoopback, "127.0.0.0/8"),
	prefixes(classPrivate, "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
	prefixes(classLinkLocal, "169.254.0.0/16"),
	prefixes(classCGNAT, "100.64.0.0/10"),
	prefixes(classMulticast, "224.0.0.0/4"),
	prefixes(classReserved,
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // TEST-NET-1
		"192.88.99.0/24",  // 6to4 relay anycast (deprecated)
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // TEST-NET-2
		"203.0.113.0/24",  // TEST-NET-3
		"240.0.0.0/4",     // reserved, and the broadcast address
	),
)

// globalV6 is where public IPv6 unicast addresses live; anything outside
// it (loopback, unspecified, IPv4-compatible, unique local fc00::/7,
// link-local fe80::/10, site-local, multicast ff00::/8) is refused.
var globalV6 = netip.MustParsePrefix("2000::/3")

// deniedV6 lists special-purpose ranges inside 2000::/3.
var deniedV6 = prefixes(classReserved,
	"2001::/32",     // Teredo: tunnels to an embedded IPv4 address
	"2001:2::/48",   // benchmarking
	"2001:10::/28",  // ORCHID (deprecated)
	"2001:20::/28",  // ORCHIDv2
	"2001:db8::/32", // documentation
	"2002::/16",     // 6to4: tunnels to an embedded IPv4 address
	"3fff::/20",     // documentation
)

// nat64 is the well-known NAT64 prefix: its addresses reach the IPv4
// address in their last 32 bits, so that address is what is checked.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func concat(lists ...[]prefixClass) []prefixClass {
	var out []prefixClass
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// refusedClass returns the class of an address a callback must not reach,
// or "" for a public unicast address. IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d) and NAT64 addresses are judged by the IPv4 address they
// reach.
func refusedClass(ip netip.Addr) string {
	if !ip.IsValid() {
		return classUnspecified
	}
	if ip.Zone() != "" {
		return classZoned
	}
	ip = ip.Unmap()
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if ip == metadataAddr {
		return classMetadata
	}
	if ip.Is4() {
		for _, p := range deniedV4 {
			if p.prefix.Contains(ip) {
				return p.class
			}
		}
		return ""
	}
	switch {
	case ip.IsUnspecified():
		return classUnspecified
	case ip.IsLoopback():
		return classLoopback
	case ip.IsLinkLocalUnicast():
		return classLinkLocal
	case ip.IsPrivate():
		return classPrivate
	case ip.IsMulticast():
		return classMulticast
	case !globalV6.Contains(ip):
		return classReserved
	}
	for _, p := range deniedV6 {
		if p.prefix.Contains(ip) {
			return p.class
		}
	}
	return ""
}

// Public reports whether a callback may reach an address: a globally
// routable unicast address, not one of the private, loopback, link-local,
// metadata, CGNAT, multicast or reserved ranges (nor an IPv4-mapped form
// of one).
func Public(ip netip.Addr) bool { return refusedClass(ip) == "" }
