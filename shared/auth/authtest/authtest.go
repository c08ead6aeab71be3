// Package authtest mints Google-style ID tokens for tests and serves their
// public keys where the real validator looks for Google's, so the real
// google.golang.org/api/idtoken code verifies them.
package authtest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"time"

	"contentfactory.dev/factory/shared/auth"
)

// Issuer signs ID tokens with its own RSA key.
type Issuer struct {
	key *rsa.PrivateKey
	kid string
}

// NewIssuer makes an issuer with a fresh key.
func NewIssuer() *Issuer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return &Issuer{key: k, kid: "test-key-1"}
}

// Token is what to put in a token; zero fields get sensible values.
type Token struct {
	Subject  string
	Audience string
	Issuer   string
	Email    string
	Expires  time.Time
	// KeyID overrides the key id in the header (an unknown key).
	KeyID string
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Sign returns a signed JWT.
func (i *Issuer) Sign(t Token) string {
	if t.Issuer == "" {
		t.Issuer = "https://accounts.google.com"
	}
	if t.Expires.IsZero() {
		t.Expires = time.Now().Add(time.Hour)
	}
	kid := i.kid
	if t.KeyID != "" {
		kid = t.KeyID
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	claims := map[string]any{
		"iss": t.Issuer, "aud": t.Audience, "sub": t.Subject,
		"iat": time.Now().Add(-time.Minute).Unix(), "exp": t.Expires.Unix(),
	}
	if t.Email != "" {
		claims["email"], claims["email_verified"] = t.Email, true
	}
	payload, _ := json.Marshal(claims)
	signing := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return signing + "." + b64(sig)
}

// jwks is the issuer's public key as Google's cert endpoint serves keys.
func (i *Issuer) jwks() []byte {
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": i.kid,
		"n": b64(i.key.N.Bytes()), "e": b64(big.NewInt(int64(i.key.E)).Bytes()),
	}}})
	return b
}

// Client is an HTTP client that answers every request with the issuer's
// keys, as if it were Google's cert endpoint.
func (i *Issuer) Client() *http.Client {
	return &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: http.StatusOK, Request: r,
			Header: http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"max-age=3600"}},
			Body:   io.NopCloser(bytes.NewReader(i.jwks())),
		}, nil
	})}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Validator returns the real idtoken validator, trusting this issuer's key.
func (i *Issuer) Validator() auth.TokenValidator {
	v, err := auth.NewGoogleValidator(context.Background(), i.Client())
	if err != nil {
		panic(err)
	}
	return v
}
