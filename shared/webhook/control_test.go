package webhook

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The socket-level check refuses a connection to a non-public address
// whatever led to it, even when a server listens there.
func TestDialerRefusesNonPublicSockets(t *testing.T) {
	t.Parallel()
	allowed, other := quietServer(), quietServer()
	defer allowed.Close()
	defer other.Close()
	route := &TestRoute{Public: netip.MustParseAddr("93.184.215.14"), Loopback: netip.MustParseAddrPort(allowed.Listener.Addr().String())}
	c, err := NewClient(NewGuard(nil), [][]byte{make([]byte, MinSecretLen)}, Options{TestRoute: route})
	require.NoError(t, err)

	conn, err := c.dialer.DialContext(context.Background(), "tcp", other.Listener.Addr().String())
	if conn != nil {
		conn.Close()
	}
	require.Error(t, err, "a loopback listener other than the test route's")
	assert.ErrorIs(t, err, ErrRefused)

	conn, err = c.dialer.DialContext(context.Background(), "tcp", allowed.Listener.Addr().String())
	require.NoError(t, err, "the test route's own address")
	conn.Close()

	for _, addr := range []string{"127.0.0.1:443", "10.0.0.1:443", "169.254.169.254:443", "[::1]:443", "[::ffff:127.0.0.1]:443", "[fd00::1]:443", "0.0.0.0:443", "100.64.0.1:443"} {
		err := c.control("tcp", addr, nil)
		var e *Error
		require.True(t, errors.As(err, &e), addr)
		assert.Equal(t, CodeForbiddenAddress, e.Code, addr)
	}
	assert.NoError(t, c.control("tcp4", "93.184.215.14:443", nil))
	assert.Error(t, c.control("tcp4", "93.184.215.14:8080", nil), "ports are checked at the socket too")
	assert.Error(t, c.control("tcp4", "not-an-address", nil))
}

// The production client has no test route: nothing on loopback is
// reachable.
func TestProductionClientReachesNoLoopback(t *testing.T) {
	t.Parallel()
	srv := quietServer()
	defer srv.Close()
	c, err := NewClient(NewGuard(nil), [][]byte{make([]byte, MinSecretLen)}, Options{})
	require.NoError(t, err)
	_, err = c.dialer.DialContext(context.Background(), "tcp", srv.Listener.Addr().String())
	assert.ErrorIs(t, err, ErrRefused)
	var op *net.OpError
	assert.True(t, errors.As(err, &op), "refused before connecting, by the dialer")
}

// quietServer is a TLS server that does not log the handshakes the tests
// abandon.
func quietServer() *httptest.Server {
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	return srv
}
