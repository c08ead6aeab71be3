package webhook_test

import (
	"context"
	"errors"
	"hash/fnv"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"

	"contentfactory.dev/factory/shared/webhook"
)

// pool is what the fuzz resolver answers with, picked by a hash of the
// name: public and non-public addresses of both families, mapped forms,
// and nothing.
var pool = [][]string{
	{"93.184.215.14"},
	{"2606:4700:4700::1111"},
	{"93.184.215.14", "2606:4700:4700::1111"},
	{"10.0.0.1"},
	{"127.0.0.1"},
	{"::ffff:127.0.0.1"},
	{"169.254.169.254"},
	{"fd00::1"},
	{"93.184.215.14", "192.168.1.1"},
	{"100.64.0.1"},
	{"0.0.0.0"},
	{},
}

// hashResolver answers from the pool and remembers what it answered.
type hashResolver struct{ answered [][]string }

func answer(host string) []string {
	h := fnv.New32a()
	h.Write([]byte(host))
	return pool[h.Sum32()%uint32(len(pool))]
}

func (r *hashResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	var out []net.IPAddr
	r.answered = append(r.answered, answer(host))
	for _, s := range answer(host) {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

var codes = []string{webhook.CodeInvalidURL, webhook.CodeForbiddenPort, webhook.CodeForbiddenHost,
	webhook.CodeForbiddenAddress, webhook.CodeUnresolvable}

// FuzzGuardCheck: for any string, Check either refuses it with a known
// code and a message, or it is an https URL on port 443 whose host is, or
// resolves only to, public addresses; nothing panics. Seeds:
// testdata/fuzz/FuzzGuardCheck.
func FuzzGuardCheck(f *testing.F) {
	for raw := range refusedURLs {
		f.Add(raw)
	}
	f.Add("https://example.com/hook")
	f.Add("https://[2606:4700:4700::1111]:443/x?y=z")
	f.Fuzz(func(t *testing.T, raw string) {
		res := &hashResolver{}
		err := webhook.NewGuard(res).Check(context.Background(), raw)
		if err != nil {
			var e *webhook.Error
			if !errors.As(err, &e) || !errors.Is(err, webhook.ErrRefused) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if !slices.Contains(codes, e.Code) || e.Message == "" {
				t.Fatalf("unknown code or no message: %+v", e)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil || u.Scheme != "https" || (u.Port() != "" && u.Port() != "443") || u.User != nil {
			t.Fatalf("accepted %q", raw)
		}
		host := strings.ToLower(u.Hostname())
		if ip, err := netip.ParseAddr(host); err == nil {
			if !webhook.Public(ip) {
				t.Fatalf("accepted the non-public address %s", ip)
			}
			return
		}
		if host == "localhost" || strings.HasSuffix(host, ".internal") || strings.HasSuffix(host, ".internal.") {
			t.Fatalf("accepted the local name %q", host)
		}
		if len(res.answered) != 1 || len(res.answered[0]) == 0 {
			t.Fatalf("accepted %q resolving to %v", raw, res.answered)
		}
		for _, a := range res.answered[0] {
			if !webhook.Public(netip.MustParseAddr(a)) {
				t.Fatalf("accepted %q resolving to %s", raw, a)
			}
		}
	})
}

// FuzzPublic: an address Public accepts is global unicast by the standard
// library's own predicates, and an IPv4 address is judged the same in
// its IPv4-mapped IPv6 form. Seeds: testdata/fuzz/FuzzPublic.
func FuzzPublic(f *testing.F) {
	for _, s := range []string{"93.184.215.14", "127.0.0.1", "10.0.0.1", "169.254.169.254", "::ffff:10.0.0.1", "fd00::1", "2606:4700::1", "64:ff9b::a00:1"} {
		f.Add(netip.MustParseAddr(s).AsSlice())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, ok := netip.AddrFromSlice(b)
		if !ok {
			if webhook.Public(ip) {
				t.Fatal("the zero address is public")
			}
			return
		}
		public := webhook.Public(ip)
		u := ip.Unmap()
		if public && (!u.IsGlobalUnicast() || u.IsPrivate() || u.IsLoopback() || u.IsLinkLocalUnicast() ||
			u.IsMulticast() || u.IsUnspecified() || u.IsInterfaceLocalMulticast()) {
			t.Fatalf("%s is public but the standard library says it is not global unicast", ip)
		}
		if ip.Is4() {
			if mapped := netip.AddrFrom16(ip.As16()); webhook.Public(mapped) != public {
				t.Fatalf("%s and %s are judged differently", ip, mapped)
			}
		}
	})
}
