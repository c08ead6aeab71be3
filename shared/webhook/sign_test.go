package webhook_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"contentfactory.dev/factory/shared/webhook"
)

func TestSignatureIsHMACOfTimestampDotBody(t *testing.T) {
	t.Parallel()
	// Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'key-of-at-least-thirty-two-bytes!!'
	got := webhook.Sign([]byte("key-of-at-least-thirty-two-bytes!!"), time.Unix(1_700_000_000, 0), []byte(`{"a":1}`))
	assert.Equal(t, "t=1700000000,v1="+wantHMAC, got)
}

func TestVerify(t *testing.T) {
	t.Parallel()
	key := []byte("key-of-at-least-thirty-two-bytes!!")
	body := []byte(`{"a":1}`)
	at := time.Unix(1_700_000_000, 0)
	sig := webhook.Sign(key, at, body)
	tol := 5 * time.Minute

	assert.NoError(t, webhook.Verify(key, sig, body, at.Add(4*time.Minute), tol))
	assert.NoError(t, webhook.Verify(key, "v1=00ff,"+sig, body, at, tol), "any matching v1 signature (secret rotation)")
	for name, c := range map[string]struct {
		header string
		now    time.Time
	}{
		"too old":         {sig, at.Add(6 * time.Minute)},
		"from the future": {sig, at.Add(-6 * time.Minute)},
		"no timestamp":    {"v1=" + wantHMAC, at},
		"two timestamps":  {"t=1700000000,t=1700000001,v1=" + wantHMAC, at},
		"no signature":    {"t=1700000000", at},
		"other time":      {"t=1700000001,v1=" + wantHMAC, at},
		"empty":           {"", at},
		"bad hex":         {"t=1700000000,v1=zz", at},
	} {
		assert.ErrorIs(t, webhook.Verify(key, c.header, body, c.now, tol), webhook.ErrSignature, name)
	}
}

const wantHMAC = "7c1ae1ede2430f3c30e5c4860b1458d330d05a4da4e344e9cc44e2fba43ddb3f"
