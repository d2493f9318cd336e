package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// MaxURLLength bounds a webhook URL, in bytes.
const MaxURLLength = 2048

// AllowEntry is one DFSOPT_WEBHOOK_ALLOWLIST entry: a host (lower case,
// IPv6 without brackets), and a port ("": any port).
type AllowEntry struct {
	Host string
	Port string
}

// String returns the entry as it is written in the allow-list.
func (e AllowEntry) String() string {
	if e.Port == "" {
		return e.Host
	}
	return net.JoinHostPort(e.Host, e.Port)
}

// Allowlist is the parsed DFSOPT_WEBHOOK_ALLOWLIST.
type Allowlist []AllowEntry

// ParseAllowlist parses a comma-separated list of hosts or host:port
// entries ("hooks.internal", "127.0.0.1:9000", "[::1]:9000", "::1").
// Empty entries are skipped.
func ParseAllowlist(s string) (Allowlist, error) {
	var out Allowlist
	for raw := range strings.SplitSeq(s, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		e, err := parseAllowEntry(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func parseAllowEntry(raw string) (AllowEntry, error) {
	bad := func(why string) (AllowEntry, error) {
		return AllowEntry{}, fmt.Errorf("invalid allow-list entry %q: %s (want host or host:port, comma-separated)", raw, why)
	}
	if strings.ContainsAny(raw, "/@?# \t") {
		return bad("a host, not a URL")
	}
	host, port := raw, ""
	if strings.HasPrefix(raw, "[") || strings.Count(raw, ":") == 1 {
		h, p, err := net.SplitHostPort(raw)
		if err != nil {
			return bad(err.Error())
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("port must be 1-65535")
		}
		host, port = h, strconv.Itoa(n)
	}
	if strings.Contains(host, ":") {
		if _, err := netip.ParseAddr(host); err != nil {
			return bad("not an IPv6 address")
		}
	}
	host = normHost(host)
	if host == "" {
		return bad("empty host")
	}
	return AllowEntry{Host: host, Port: port}, nil
}

// normHost lower-cases a host name and drops one trailing dot; an IP
// address is written in its canonical form (IPv4-mapped IPv6 unmapped).
func normHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if a, err := netip.ParseAddr(h); err == nil && a.Zone() == "" {
		return a.Unmap().String()
	}
	return h
}

// Allows reports whether host and port (the port a request connects to)
// are on the list.
func (a Allowlist) Allows(host, port string) bool {
	host = normHost(host)
	for _, e := range a {
		if e.Host == host && (e.Port == "" || e.Port == port) {
			return true
		}
	}
	return false
}

// Policy says which webhook targets may be called. The zero Policy
// allows https URLs to public addresses only.
type Policy struct {
	// AllowPrivate is DFSOPT_WEBHOOK_ALLOW_PRIVATE: private, loopback and
	// link-local targets are allowed when their host is also on the
	// Allowlist.
	AllowPrivate bool
	// Allowlist is DFSOPT_WEBHOOK_ALLOWLIST: hosts that may be called over
	// plain http and, with AllowPrivate, at private addresses.
	Allowlist Allowlist
}

// ErrRefusedTarget: the webhook URL, or the address its host resolves
// to, is not allowed by the policy.
var ErrRefusedTarget = errors.New("webhook target refused")

// URLError says why a webhook URL is refused. It wraps ErrRefusedTarget.
type URLError struct {
	// Reason is a sentence for the client (never the URL itself, which
	// may carry a token).
	Reason string
}

// Error returns the reason.
func (e *URLError) Error() string { return e.Reason }

// Unwrap returns ErrRefusedTarget.
func (e *URLError) Unwrap() error { return ErrRefusedTarget }

func refuse(format string, args ...any) error {
	return &URLError{Reason: fmt.Sprintf(format, args...)}
}

// defaultPort returns the port a URL connects to.
func defaultPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}

// CheckURL parses a webhook URL and checks it against the policy: an
// absolute https URL (http only to allow-listed hosts) of at most
// MaxURLLength bytes, without credentials, whose host is not a private,
// loopback, link-local, unspecified or multicast address (unless
// AllowPrivate and allow-listed). Host names are checked again, by the
// addresses they resolve to, when a delivery connects (CheckAddr). Errors
// are *URLError.
func (p Policy) CheckURL(raw string) (*url.URL, error) {
	if len(raw) > MaxURLLength {
		return nil, refuse("webhook_url must be at most %d bytes", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, refuse("webhook_url is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" || u.Host == "" {
		return nil, refuse("webhook_url must be an absolute https URL (https://host/path)")
	}
	if u.User != nil {
		return nil, refuse("webhook_url must not carry credentials (user:password@)")
	}
	host := u.Hostname()
	if host == "" {
		return nil, refuse("webhook_url has no host")
	}
	port := defaultPort(u)
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, refuse("webhook_url has an invalid port")
	}
	listed := p.Allowlist.Allows(host, port)
	if u.Scheme == "http" && !listed {
		return nil, refuse("webhook_url must use https (plain http only to hosts on DFSOPT_WEBHOOK_ALLOWLIST)")
	}
	privateOK := p.AllowPrivate && listed
	if strings.Contains(host, "%") {
		return nil, refuse("webhook_url must not name an IPv6 zone")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if Blocked(a) && !privateOK {
			return nil, refuse("webhook_url points at a private, loopback, link-local or otherwise non-public address")
		}
		return u, nil
	}
	h := normHost(host)
	if numericHost(h) {
		// 2130706433, 0x7f.1, 127.1, 0177.0.0.1: not an address Go parses,
		// but one some resolvers turn into 127.0.0.1. No public name looks
		// like this (top-level domains are not numeric).
		return nil, refuse("webhook_url host looks like a numeric address in a non-canonical form")
	}
	if (h == "localhost" || strings.HasSuffix(h, ".localhost")) && !privateOK {
		return nil, refuse("webhook_url points at a private, loopback, link-local or otherwise non-public address")
	}
	return u, nil
}

// numericHost reports whether a host name's last label is a number
// (decimal, octal or 0x hex): the shapes of inet_aton's IPv4 forms.
func numericHost(h string) bool {
	last := h[strings.LastIndexByte(h, '.')+1:]
	if last == "" {
		return false
	}
	if x, ok := strings.CutPrefix(last, "0x"); ok {
		last = x
		for _, c := range last {
			if !strings.ContainsRune("0123456789abcdef", c) {
				return false
			}
		}
		return true
	}
	for _, c := range last {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// CheckAddr checks an address a delivery is about to connect to, for the
// host and port of its URL: a blocked address (Blocked) is refused unless
// AllowPrivate and the host is allow-listed. Checking the address actually
// dialled, after resolution, defeats DNS rebinding.
func (p Policy) CheckAddr(host, port string, a netip.Addr) error {
	if Blocked(a) && !(p.AllowPrivate && p.Allowlist.Allows(host, port)) {
		return refuse("the webhook host resolves to a private, loopback, link-local or otherwise non-public address (%s)", a.Unmap())
	}
	return nil
}

// blockedPrefixes are the non-public ranges netip's predicates miss.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/32"),       // Teredo (embeds an obfuscated IPv4)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// Blocked reports whether an address is not a public unicast one:
// unspecified, loopback, private (RFC 1918, fc00::/7), link-local,
// multicast, carrier-grade NAT, reserved or documentation ranges, and
// IPv6 forms embedding such an IPv4 address (IPv4-mapped, NAT64, 6to4).
func Blocked(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	a = a.Unmap()
	if a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return Blocked(netip.AddrFrom4([4]byte(b[12:16])))
		case sixTo4.Contains(a):
			return Blocked(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return false
}
