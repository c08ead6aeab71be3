package webhook

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
)

// TestLinks is the test seam of the local stack, read from one setting
// (shared/config: FACTORY_TEST_LINKS) in the form
//
//	host=example.com,public=93.184.215.14,loopback=127.0.0.1:8443,ca=/path/ca.pem
//
// host resolves to the public address public and to nothing else (no other
// name resolves at all), connections to public go to loopback, and the
// server there is trusted through the PEM certificates in ca. Only tests
// set it, and only where the emulators run (config refuses it otherwise):
// production resolves names with the system's resolver and reaches no
// loopback address.
type TestLinks struct {
	Host  string
	Route *TestRoute
}

// ParseTestLinks reads the seam's setting.
func ParseTestLinks(spec string) (*TestLinks, error) {
	fields := map[string]string{}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("test links: %q is not key=value", kv)
		}
		fields[k] = v
	}
	public, err := netip.ParseAddr(fields["public"])
	if err != nil {
		return nil, fmt.Errorf("test links: public: %w", err)
	}
	loopback, err := netip.ParseAddrPort(fields["loopback"])
	if err != nil {
		return nil, fmt.Errorf("test links: loopback: %w", err)
	}
	pemBytes, err := os.ReadFile(fields["ca"])
	if err != nil {
		return nil, fmt.Errorf("test links: ca: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		return nil, errors.New("test links: ca holds no PEM certificate")
	}
	host, err := canonicalHost(fields["host"])
	if err != nil {
		return nil, fmt.Errorf("test links: host: %w", err)
	}
	if !loopback.Addr().IsLoopback() || !Public(public) {
		return nil, errors.New("test links: a test route goes from a public address to a loopback one")
	}
	return &TestLinks{Host: host, Route: &TestRoute{Public: public, Loopback: loopback, RootCAs: roots}}, nil
}

// LookupIPAddr makes the seam a Resolver: its host resolves to the public
// address, every other name to nothing.
func (l *TestLinks) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	if host != l.Host {
		return nil, &net.DNSError{Err: "no such host (test links resolve one name)", Name: host, IsNotFound: true}
	}
	return []net.IPAddr{{IP: l.Route.Public.AsSlice()}}, nil
}
