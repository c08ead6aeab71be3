package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery, named as Standard Webhooks
// (https://www.standardwebhooks.com) names them.
const (
	// HeaderID carries the event id: the same for every delivery of one
	// event, so a receiver drops duplicates by it.
	HeaderID = "webhook-id"
	// HeaderTimestamp carries when the delivery was signed, in Unix seconds.
	HeaderTimestamp = "webhook-timestamp"
	// HeaderSignature carries the signatures, space-delimited, each
	// "v1,<base64 of HMAC-SHA256 of "<id>.<timestamp>.<body>">".
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts a signing secret in its serialized form:
// "whsec_" followed by the base64 of the key.
const SecretPrefix = "whsec_"

// Key sizes, in bytes, as the specification bounds them.
const (
	MinSecretLen = 24
	MaxSecretLen = 64
)

// ErrSignature is a delivery whose signature does not verify.
var ErrSignature = errors.New("webhook signature does not verify")

// ParseSecrets reads signing secrets in the "whsec_<base64>" form,
// separated by spaces: the first signs, and every one of them signs each
// delivery, so a receiver keeps verifying while a secret is rotated. Each
// key must be MinSecretLen to MaxSecretLen bytes.
func ParseSecrets(s string) ([][]byte, error) {
	var keys [][]byte
	for field := range strings.FieldsSeq(s) {
		key, err := ParseSecret(field)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, errors.New("no webhook signing secret")
	}
	return keys, nil
}

// ParseSecret reads one signing secret in the "whsec_<base64>" form and
// returns its key.
func ParseSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("a webhook signing secret starts with %q", SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("a webhook signing secret is %q and standard base64: %w", SecretPrefix, err)
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return key, nil
}

func checkKey(key []byte) error {
	if len(key) < MinSecretLen || len(key) > MaxSecretLen {
		return fmt.Errorf("a webhook signing key is %d to %d bytes, not %d", MinSecretLen, MaxSecretLen, len(key))
	}
	return nil
}

// Sign returns the signature of one delivery: "v1," and the base64
// HMAC-SHA256, under key, of the id, its timestamp and its body joined by
// dots.
func Sign(key []byte, id string, t time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(t.Unix(), 10), body))
}

// Headers returns the headers that sign one delivery: its id, timestamp,
// and a signature by every key.
func Headers(keys [][]byte, id string, t time.Time, body []byte) http.Header {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		sigs[i] = Sign(k, id, t, body)
	}
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(t.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	return h
}

func mac(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a delivery's headers against the body received, as a
// receiver does: one of the v1 signatures of webhook-signature is the
// HMAC-SHA256 under key of "<webhook-id>.<webhook-timestamp>.<body>", and
// the timestamp is within tolerance of now (which stops a captured
// delivery being replayed later). It returns an error wrapping
// ErrSignature otherwise.
func Verify(key []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, ts, header := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" {
		return fmt.Errorf("%w: no %s", ErrSignature, HeaderID)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no valid %s", ErrSignature, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: the timestamp is %s away from now, more than %s", ErrSignature, d.Round(time.Second), tolerance)
	}
	want := mac(key, id, ts, body)
	for sig := range strings.FieldsSeq(header) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue // another scheme (v1a, a later version): not ours to check
		}
		if got, err := base64.StdEncoding.DecodeString(value); err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature matches", ErrSignature)
}
