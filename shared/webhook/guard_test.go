package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/webhook"
)

// publicIP is where the fake resolver sends the names that are allowed.
var publicIP = netip.MustParseAddr("93.184.215.14")

// resolver answers from a table; a name with several answers gets them in
// turn (the last one repeats), as a rebinding DNS server would give them.
// Unknown names do not exist.
type resolver struct {
	mu      sync.Mutex
	answers map[string][][]string
	calls   map[string]int
	fail    error
}

func newResolver() *resolver {
	return &resolver{answers: map[string][][]string{
		"example.com":          {{publicIP.String()}},
		"hooks.example.com":    {{publicIP.String(), "2606:2800:21f:cb07:6820:80da:af6b:8b2c"}},
		"internal.example.com": {{"10.1.2.3"}},
		"mixed.example.com":    {{publicIP.String(), "192.168.0.7"}},
		"mapped.example.com":   {{"::ffff:169.254.169.254"}},
		"ula.example.com":      {{"fd12:3456::1"}},
		"empty.example.com":    {{}},
	}, calls: map[string]int{}}
}

func (r *resolver) set(host string, answers ...[]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers[host] = answers
}

func (r *resolver) called(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[host]
}

func (r *resolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return nil, r.fail
	}
	n := r.calls[host]
	r.calls[host]++
	answers, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	a := answers[min(n, len(answers)-1)]
	out := make([]net.IPAddr, len(a))
	for i, s := range a {
		out[i] = net.IPAddr{IP: net.ParseIP(s)}
	}
	return out, nil
}

// refusedURLs maps each URL the guard must refuse to the code it must give.
var refusedURLs = map[string]string{
	"https://127.0.0.1/hook":                               webhook.CodeForbiddenAddress,
	"https://127.8.9.10/hook":                              webhook.CodeForbiddenAddress,
	"https://10.0.0.1/hook":                                webhook.CodeForbiddenAddress,
	"https://172.16.5.4/hook":                              webhook.CodeForbiddenAddress,
	"https://192.168.1.1/hook":                             webhook.CodeForbiddenAddress,
	"https://169.254.169.254/computeMetadata/v1/":          webhook.CodeForbiddenAddress,
	"https://169.254.1.1/hook":                             webhook.CodeForbiddenAddress,
	"https://[::1]/hook":                                   webhook.CodeForbiddenAddress,
	"https://[fd00::1]/hook":                               webhook.CodeForbiddenAddress,
	"https://[fe80::1]/hook":                               webhook.CodeForbiddenAddress,
	"https://[fe80::1%25eth0]/hook":                        webhook.CodeForbiddenAddress,
	"https://[::ffff:127.0.0.1]/hook":                      webhook.CodeForbiddenAddress,
	"https://[::ffff:a9fe:a9fe]/hook":                      webhook.CodeForbiddenAddress,
	"https://[64:ff9b::a00:1]/hook":                        webhook.CodeForbiddenAddress,
	"https://[2002:7f00:1::1]/hook":                        webhook.CodeForbiddenAddress,
	"https://[::]/hook":                                    webhook.CodeForbiddenAddress,
	"https://[ff02::1]/hook":                               webhook.CodeForbiddenAddress,
	"https://0.0.0.0/hook":                                 webhook.CodeForbiddenAddress,
	"https://100.64.0.1/hook":                              webhook.CodeForbiddenAddress,
	"https://224.0.0.1/hook":                               webhook.CodeForbiddenAddress,
	"https://255.255.255.255/hook":                         webhook.CodeForbiddenAddress,
	"https://192.0.2.10/hook":                              webhook.CodeForbiddenAddress,
	"https://internal.example.com/hook":                    webhook.CodeForbiddenAddress,
	"https://mixed.example.com/hook":                       webhook.CodeForbiddenAddress,
	"https://mapped.example.com/hook":                      webhook.CodeForbiddenAddress,
	"https://ula.example.com/hook":                         webhook.CodeForbiddenAddress,
	"https://metadata.google.internal/computeMetadata/v1/": webhook.CodeForbiddenHost,
	"https://METADATA.google.internal./x":                  webhook.CodeForbiddenHost,
	"https://metadata/computeMetadata/v1/":                 webhook.CodeForbiddenHost,
	"https://localhost/hook":                               webhook.CodeForbiddenHost,
	"https://api.localhost/hook":                           webhook.CodeForbiddenHost,
	"https://ｌｏｃａｌｈｏｓｔ/hook":                               webhook.CodeForbiddenHost,
	"https://db.corp.internal/hook":                        webhook.CodeForbiddenHost,
	"https://printer.local/hook":                           webhook.CodeForbiddenHost,
	"https://intranet/hook":                                webhook.CodeForbiddenHost,
	"https://2130706433/hook":                              webhook.CodeForbiddenHost,
	"https://127.1/hook":                                   webhook.CodeForbiddenHost,
	"https://0x7f.0.0.1/hook":                              webhook.CodeForbiddenHost,
	"https://nowhere.example.com/hook":                     webhook.CodeUnresolvable,
	"https://empty.example.com/hook":                       webhook.CodeUnresolvable,
	"https://example.com:8443/hook":                        webhook.CodeForbiddenPort,
	"https://example.com:80/hook":                          webhook.CodeForbiddenPort,
	"https://example.com:0443/hook":                        webhook.CodeForbiddenPort,
	"http://example.com/hook":                              webhook.CodeInvalidURL,
	"ftp://example.com/hook":                               webhook.CodeInvalidURL,
	"https://user:pw@example.com/hook":                     webhook.CodeInvalidURL,
	"https:///hook":                                        webhook.CodeInvalidURL,
	"example.com/hook":                                     webhook.CodeInvalidURL,
}

func TestGuardRefusesWhatIsNotPublic(t *testing.T) {
	t.Parallel()
	g := webhook.NewGuard(newResolver())
	for raw, code := range refusedURLs {
		err := g.Check(context.Background(), raw)
		require.Error(t, err, raw)
		assert.ErrorIs(t, err, webhook.ErrRefused, raw)
		var e *webhook.Error
		require.ErrorAs(t, err, &e, raw)
		assert.Equal(t, code, e.Code, "%s: %s", raw, e.Message)
		assert.False(t, e.Temporary, raw)
		assert.NotEmpty(t, e.Message, raw)
		fe := e.FieldError()
		assert.Equal(t, "callback_url", fe.Field)
		assert.Equal(t, code, fe.Code)
	}
}

func TestGuardAllowsPublicHosts(t *testing.T) {
	t.Parallel()
	res := newResolver()
	g := webhook.NewGuard(res)
	for _, raw := range []string{
		"https://example.com/hook",
		"https://hooks.example.com/a/b?token=x",
		"https://example.com:443/hook",
		"https://EXAMPLE.com./hook",
		"https://93.184.215.14/hook",
		"https://[2606:4700:4700::1111]/hook",
		"https://8.8.8.8/hook",
	} {
		assert.NoError(t, g.Check(context.Background(), raw), raw)
	}
	assert.Equal(t, 3, res.called("example.com"), "the name is resolved, lower case, without its trailing dot")
	assert.Zero(t, res.called("93.184.215.14"), "a literal address is not resolved")
}

func TestGuardAllowsConfiguredPorts(t *testing.T) {
	t.Parallel()
	g := webhook.NewGuard(newResolver(), 8443)
	assert.NoError(t, g.Check(context.Background(), "https://example.com:8443/hook"))
	assert.ErrorIs(t, g.Check(context.Background(), "https://example.com:8444/hook"), webhook.ErrRefused)
	assert.ErrorIs(t, g.Check(context.Background(), "https://10.0.0.1:8443/hook"), webhook.ErrRefused, "the port does not open private addresses")
}

func TestGuardLookupFailureIsTemporary(t *testing.T) {
	t.Parallel()
	res := newResolver()
	res.fail = &net.DNSError{Err: "server misbehaving", Name: "example.com", IsTemporary: true}
	err := webhook.NewGuard(res).Check(context.Background(), "https://example.com/hook")
	var e *webhook.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, webhook.CodeUnresolvable, e.Code)
	assert.True(t, e.Temporary)

	res.fail = errors.New("boom")
	require.ErrorAs(t, webhook.NewGuard(res).Check(context.Background(), "https://example.com/hook"), &e)
	assert.True(t, e.Temporary, "an error that does not say the name is unknown may pass")
}

func TestPublic(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "64:ff9b::808:808", "::ffff:8.8.8.8"} {
		assert.True(t, webhook.Public(netip.MustParseAddr(s)), s)
	}
	for _, s := range []string{
		"127.0.0.1", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "169.254.169.254", "0.0.0.0",
		"100.64.0.1", "100.127.255.254", "224.0.0.251", "239.255.255.250", "240.0.0.1", "198.18.0.1",
		"::1", "::", "fd00::1", "fc00::1", "fe80::1", "fec0::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b:1::1", "2001:db8::1", "2001::1", "2002:a00:1::1",
		"100::1",
	} {
		assert.False(t, webhook.Public(netip.MustParseAddr(s)), s)
	}
	assert.False(t, webhook.Public(netip.Addr{}), "the zero address")
}
