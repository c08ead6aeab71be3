package webhook_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/webhook"
)

// The example of the Standard Webhooks libraries' test suites
// (standard-webhooks/standard-webhooks, libraries/go/webhook_test.go,
// TestWebhookSign; the same vector is in the JavaScript, Python and other
// libraries' tests).
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignatureMatchesTheSpecificationsExample(t *testing.T) {
	t.Parallel()
	key, err := webhook.ParseSecret(specSecret)
	require.NoError(t, err)
	at := time.Unix(specTimestamp, 0)

	assert.Equal(t, specSignature, webhook.Sign(key, specID, at, []byte(specBody)))

	h := webhook.Headers([][]byte{key}, specID, at, []byte(specBody))
	assert.Equal(t, specID, h.Get("webhook-id"))
	assert.Equal(t, "1614265330", h.Get("webhook-timestamp"))
	assert.Equal(t, specSignature, h.Get("webhook-signature"))
	assert.NoError(t, webhook.Verify(key, h, []byte(specBody), at, 5*time.Minute))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	key, err := webhook.ParseSecret(specSecret)
	require.NoError(t, err)
	body := []byte(specBody)
	at := time.Unix(specTimestamp, 0)
	tol := 5 * time.Minute
	headers := func(id, ts, sig string) http.Header {
		h := http.Header{}
		for k, v := range map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig} {
			if v != "" {
				h.Set(k, v)
			}
		}
		return h
	}
	other := "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

	assert.NoError(t, webhook.Verify(key, headers(specID, "1614265330", specSignature), body, at.Add(4*time.Minute), tol))
	assert.NoError(t, webhook.Verify(key, headers(specID, "1614265330", other+" v1a,AAAA "+specSignature), body, at, tol),
		"any matching v1 signature of the space-delimited list (secret rotation)")
	for name, c := range map[string]struct {
		h    http.Header
		body string
		now  time.Time
	}{
		"too old":          {headers(specID, "1614265330", specSignature), specBody, at.Add(6 * time.Minute)},
		"from the future":  {headers(specID, "1614265330", specSignature), specBody, at.Add(-6 * time.Minute)},
		"no id":            {headers("", "1614265330", specSignature), specBody, at},
		"another id":       {headers("msg_other", "1614265330", specSignature), specBody, at},
		"no timestamp":     {headers(specID, "", specSignature), specBody, at},
		"other timestamp":  {headers(specID, "1614265331", specSignature), specBody, at},
		"no signature":     {headers(specID, "1614265330", ""), specBody, at},
		"wrong signature":  {headers(specID, "1614265330", other), specBody, at},
		"another scheme":   {headers(specID, "1614265330", "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), specBody, at},
		"bad base64":       {headers(specID, "1614265330", "v1,***"), specBody, at},
		"body with spaces": {headers(specID, "1614265330", specSignature), specBody + " ", at},
	} {
		assert.ErrorIs(t, webhook.Verify(key, c.h, []byte(c.body), c.now, tol), webhook.ErrSignature, name)
	}
}

func TestParseSecrets(t *testing.T) {
	t.Parallel()
	keys, err := webhook.ParseSecrets(" whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw  whsec_" + b64(32) + "\n")
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Len(t, keys[0], 24)
	assert.Len(t, keys[1], 32)

	for name, s := range map[string]string{
		"empty":        "  ",
		"no prefix":    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"not base64":   "whsec_not base64!",
		"too short":    "whsec_" + b64(23),
		"too long":     "whsec_" + b64(65),
		"one bad of 2": specSecret + " whsec_" + b64(8),
	} {
		_, err := webhook.ParseSecrets(s)
		assert.Error(t, err, name)
	}
}

// b64 is the base64 of n bytes.
func b64(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa5}, n)) }
