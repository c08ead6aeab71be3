package webhook_test

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/webhook"
)

func TestTestLinksSeam(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	l, err := webhook.ParseTestLinks("host=Example.com,public=93.184.215.14,loopback=" + srv.Listener.Addr().String() + ",ca=" + ca)
	require.NoError(t, err)
	assert.Equal(t, "example.com", l.Host)
	addrs, err := l.LookupIPAddr(context.Background(), "example.com")
	require.NoError(t, err)
	assert.Equal(t, "93.184.215.14", addrs[0].IP.String())
	_, err = l.LookupIPAddr(context.Background(), "other.example.com")
	var dns *net.DNSError
	require.ErrorAs(t, err, &dns, "no other name resolves")
	assert.True(t, dns.IsNotFound)

	for _, bad := range []string{
		"host=example.com,public=10.0.0.1,loopback=" + srv.Listener.Addr().String() + ",ca=" + ca,
		"host=example.com,public=93.184.215.14,loopback=10.0.0.1:443,ca=" + ca,
		"host=example.com,public=93.184.215.14,loopback=" + srv.Listener.Addr().String() + ",ca=/nonexistent",
		"host=localhost,public=93.184.215.14,loopback=" + srv.Listener.Addr().String() + ",ca=" + ca,
		"nonsense",
	} {
		_, err := webhook.ParseTestLinks(bad)
		assert.Error(t, err, bad)
	}
}
