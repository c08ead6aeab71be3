package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// Dialer connects only where a Guard allows: it resolves the host again
// at every connection, refuses it unless every address is public, and
// checks at the socket, before it connects, the address it actually
// connects to (so a name that resolves elsewhere by then, DNS rebinding,
// reaches nothing). Deliveries (Client) and source links (ingest.Fetcher)
// connect through it.
type Dialer struct {
	guard  *Guard
	route  *TestRoute
	dialer *net.Dialer
}

// NewDialer returns a dialer checked by guard. route is the test seam
// (nil in production): see TestRoute.
func NewDialer(guard *Guard, route *TestRoute) (*Dialer, error) {
	if guard == nil {
		return nil, errors.New("a guard is required")
	}
	if route != nil && (!route.Loopback.Addr().IsLoopback() || !Public(route.Public)) {
		return nil, errors.New("a test route goes from a public address to a loopback one")
	}
	d := &Dialer{guard: guard, route: route}
	d.dialer = &net.Dialer{Timeout: ConnectTimeout, Control: d.control}
	return d, nil
}

// Guard is the guard the dialer checks with.
func (d *Dialer) Guard() *Guard { return d.guard }

// Transport returns a new HTTP transport that connects through the
// dialer, over TLS 1.2 or later (trusting the test route's roots when it
// has one), through no proxy (a proxy would connect for us, past the
// checks).
func (d *Dialer) Transport() *http.Transport {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if d.route != nil {
		tlsConfig.RootCAs = d.route.RootCAs
	}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         d.dial,
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: TLSTimeout,
		MaxIdleConns:        4,
		IdleConnTimeout:     30 * time.Second,
	}
}

// dial resolves the host again, at connection, refuses it unless every
// address is public, and connects to the first address that answers.
func (d *Dialer) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, refuse(CodeInvalidURL, "must name a host")
	}
	if err := d.guard.checkPort(port); err != nil {
		return nil, err
	}
	n, _ := strconv.Atoi(port)
	ips, err := d.guard.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, ip := range ips {
		target := netip.AddrPortFrom(ip, uint16(n))
		if r := d.route; r != nil && ip == r.Public {
			target = r.Loopback
		}
		conn, err := d.dialer.DialContext(ctx, "tcp", target.String())
		if err == nil {
			return conn, nil
		}
		if errors.Is(err, ErrRefused) || ctx.Err() != nil {
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// control runs on every socket before it connects and refuses any address
// that is not public, whatever resolved to it.
func (d *Dialer) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return refuse(CodeForbiddenAddress, "connection to %q refused: not an IP address", address)
	}
	if r := d.route; r != nil && ap == r.Loopback {
		return nil
	}
	if class := refusedClass(ap.Addr()); class != "" {
		return refuse(CodeForbiddenAddress, "connection refused: the host resolved to a %s address", class)
	}
	return d.guard.checkPort(strconv.Itoa(int(ap.Port())))
}
