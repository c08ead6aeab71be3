// Package webhook delivers signed job events to the callback URLs callers
// name, without letting a URL reach into private networks (SSRF, OWASP
// API7). A Guard checks a URL when a request is submitted: https, port 443,
// a public host name or address that resolves only to public addresses. A
// Client delivers later through a Dialer that checks again the address it
// actually connects to (a name may resolve elsewhere by then: DNS
// rebinding), follows no redirects, requires TLS, bounds time and the
// response it reads, and signs every delivery (see docs/webhooks.md). The
// same Guard and Dialer check the links a job's sources name (CheckLink,
// and shared/ingest's fetcher).
package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"contentfactory.dev/factory/shared/content"
)

// Field is the request field a refused callback URL is reported on.
const Field = "callback_url"

// Codes of a refused callback URL. They are stable: callers branch on them.
const (
	// CodeInvalidURL: not an absolute https URL with a host, or it carries
	// credentials or a fragment.
	CodeInvalidURL = "invalid_url"
	// CodeForbiddenPort: a port other than 443 (and those configured).
	CodeForbiddenPort = "forbidden_port"
	// CodeForbiddenHost: a name that is local by definition (localhost,
	// metadata.google.internal, *.internal, *.local, single labels) or a
	// number that is not a standard IP address.
	CodeForbiddenHost = "forbidden_host"
	// CodeForbiddenAddress: the host is, or resolves to, an address that is
	// not public (loopback, private, link-local, metadata, CGNAT,
	// unspecified, multicast, reserved, or an IPv4-mapped form of those).
	CodeForbiddenAddress = "forbidden_address"
	// CodeUnresolvable: the host name resolves to no address.
	CodeUnresolvable = "unresolvable_host"
)

// ErrRefused matches every *Error with errors.Is.
var ErrRefused = errors.New("URL refused")

// Error is a URL the guard refuses, with a stable code and a message fit
// to show the caller.
type Error struct {
	Code    string
	Message string
	// Temporary is set when the host's name could not be resolved for now
	// (a DNS timeout or server failure): asking again later may succeed.
	Temporary bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("URL refused (%s): %s", e.Code, e.Message)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *Error) Is(target error) bool { return target == ErrRefused }

// FieldError is the error as the API reports it (422 invalid_request)
// for the callback URL.
func (e *Error) FieldError() content.FieldError { return e.FieldErrorAt(Field) }

// FieldErrorAt is the error as the API reports it for a field.
func (e *Error) FieldErrorAt(field string) content.FieldError {
	return content.FieldError{Field: field, Code: e.Code, Message: e.Message}
}

func refuse(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Resolver resolves host names; *net.Resolver is one.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// DefaultPort is the only port a callback URL may name unless more are
// allowed.
const DefaultPort = 443

// lookupTimeout bounds one resolution.
const lookupTimeout = 3 * time.Second

// Guard decides whether a callback URL may be called.
type Guard struct {
	resolver Resolver
	ports    map[int]bool
}

// NewGuard returns a guard resolving names with resolver (nil:
// net.DefaultResolver) and allowing port 443 and the ports given.
func NewGuard(resolver Resolver, ports ...int) *Guard {
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	g := &Guard{resolver: resolver, ports: map[int]bool{DefaultPort: true}}
	for _, p := range ports {
		g.ports[p] = true
	}
	return g
}

// Check refuses a callback URL that is malformed, not https, names a port
// other than the allowed ones, names a local host, or whose host is or
// resolves to an address that is not public (every address it resolves to
// must be public). The error is an *Error.
func (g *Guard) Check(ctx context.Context, rawURL string) error {
	u, err := g.parse(rawURL)
	if err != nil {
		return err
	}
	_, err = g.resolve(ctx, u.Hostname())
	return err
}

// CheckLink is Check for a link a source names: the same rules, but a
// fragment is allowed (it is never sent).
func (g *Guard) CheckLink(ctx context.Context, rawURL string) error {
	u, err := g.ParseLink(rawURL)
	if err != nil {
		return err
	}
	_, err = g.resolve(ctx, u.Hostname())
	return err
}

// ParseLink checks everything about a source link that needs no
// resolution: its form (content.CheckSourceURL), its port and its host's
// name. The fetcher checks every redirect with it; where the host leads
// is checked at every connection.
func (g *Guard) ParseLink(rawURL string) (*url.URL, error) {
	return g.parseWith(rawURL, content.CheckSourceURL)
}

// parse checks everything about a callback URL that needs no resolution.
func (g *Guard) parse(rawURL string) (*url.URL, error) {
	return g.parseWith(rawURL, content.CheckCallbackURL)
}

func (g *Guard) parseWith(rawURL string, form func(string) error) (*url.URL, error) {
	if err := form(rawURL); err != nil {
		return nil, refuse(CodeInvalidURL, "%s", err.Error())
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, refuse(CodeInvalidURL, "must be a URL")
	}
	if err := g.checkPort(u.Port()); err != nil {
		return nil, err
	}
	if _, err := canonicalHost(u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}

func (g *Guard) checkPort(port string) error {
	if port == "" {
		return nil // https: 443
	}
	n, err := strconv.Atoi(port)
	if err != nil || strconv.Itoa(n) != port || !g.ports[n] {
		return refuse(CodeForbiddenPort, "must use port %d", DefaultPort)
	}
	return nil
}

// canonicalHost returns the host in the form it is resolved and compared
// in: an IP address, or a lower-case ASCII (IDNA) name without a trailing
// dot. It refuses names that are local by definition.
func canonicalHost(host string) (string, error) {
	if host == "" {
		return "", refuse(CodeInvalidURL, "must name a host")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.String(), nil
	}
	name, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", refuse(CodeInvalidURL, "must name a valid host")
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	labels := strings.Split(name, ".")
	last := labels[len(labels)-1]
	switch {
	case name == "metadata.google.internal" || name == "metadata":
		return "", refuse(CodeForbiddenHost, "must not name the metadata server")
	case name == "localhost" || strings.HasSuffix(name, ".localhost"):
		return "", refuse(CodeForbiddenHost, "must not name this machine")
	case strings.HasSuffix(name, ".internal") || strings.HasSuffix(name, ".local") ||
		strings.HasSuffix(name, ".home.arpa"):
		return "", refuse(CodeForbiddenHost, "must name a public host, not an internal one")
	case len(labels) < 2:
		return "", refuse(CodeForbiddenHost, "must be a fully qualified domain name")
	case numeric(last):
		// "127.1", "2130706433", "0x7f.0.0.1": resolvers may read these
		// as IPv4 addresses; no public name ends in a number.
		return "", refuse(CodeForbiddenHost, "must be a domain name or a standard IP address")
	}
	return name, nil
}

// numeric reports a label that is a number, decimal or hexadecimal.
func numeric(label string) bool {
	if s, ok := strings.CutPrefix(label, "0x"); ok {
		label = s
		return strings.Trim(label, "0123456789abcdef") == ""
	}
	return label != "" && strings.Trim(label, "0123456789") == ""
}

// resolve returns the addresses of a host, all of them public, or an
// *Error.
func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	name, err := canonicalHost(host)
	if err != nil {
		return nil, err
	}
	if ip, err := netip.ParseAddr(name); err == nil {
		if class := refusedClass(ip); class != "" {
			return nil, refuse(CodeForbiddenAddress, "must not be a %s address", class)
		}
		return []netip.Addr{ip.Unmap()}, nil
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	found, err := g.resolver.LookupIPAddr(lctx, name)
	if err != nil {
		var dns *net.DNSError
		if errors.As(err, &dns) && dns.IsNotFound {
			return nil, refuse(CodeUnresolvable, "host %s does not resolve to an address", name)
		}
		e := refuse(CodeUnresolvable, "host %s could not be resolved; try again later", name)
		e.Temporary = true
		return nil, e
	}
	addrs := make([]netip.Addr, 0, len(found))
	for _, a := range found {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.WithZone(a.Zone)
		if class := refusedClass(ip); class != "" {
			// Which address is not said: the caller learns nothing about
			// what names inside our network resolve to.
			return nil, refuse(CodeForbiddenAddress, "host %s resolves to an address that is not public", name)
		}
		addrs = append(addrs, ip.Unmap())
	}
	if len(addrs) == 0 {
		return nil, refuse(CodeUnresolvable, "host %s does not resolve to an address", name)
	}
	return addrs, nil
}

// CheckRequest checks a request's callback URL, if it has one: a refused
// address is a *content.InvalidError naming the field; a name that cannot
// be resolved for now is returned as is (a *Error with Temporary set), so
// the caller can ask for a retry.
func (g *Guard) CheckRequest(ctx context.Context, req *content.Request) error {
	if g == nil || req.CallbackURL == "" {
		return nil
	}
	err := g.Check(ctx, req.CallbackURL)
	var e *Error
	if errors.As(err, &e) && !e.Temporary {
		return &content.InvalidError{Errors: []content.FieldError{e.FieldError()}}
	}
	return err
}
