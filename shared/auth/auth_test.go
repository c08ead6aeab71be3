package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/auth/authtest"
)

type keys map[string]*auth.Key

func (k keys) Key(_ context.Context, h string) (*auth.Key, error) {
	if v, ok := k[h]; ok {
		return v, nil
	}
	return nil, auth.ErrUnknownKey
}

func (k keys) TouchKey(context.Context, string, time.Time) error { return nil }

func request(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

const aud = "https://api.example.test"

func TestAuthenticate(t *testing.T) {
	plain, key, err := auth.NewKey("alice", "laptop", time.Now())
	require.NoError(t, err)
	revokedPlain, revoked, _ := auth.NewKey("alice", "old", time.Now())
	revoked.RevokedAt = time.Now()
	ks := keys{key.Hash: key, revoked.Hash: revoked}
	iss := authtest.NewIssuer()
	other := authtest.NewIssuer()
	a := auth.NewAuthenticator(ks, auth.IDTokens{Validator: iss.Validator(), Audience: aud})
	ctx := context.Background()

	p, err := a.Authenticate(ctx, request(plain))
	require.NoError(t, err)
	assert.Equal(t, auth.Principal{Owner: "alice", KeyID: key.ID, Scopes: []string{auth.ScopeJobs}, Method: "api_key"}, p)

	p, err = a.Authenticate(ctx, request(iss.Sign(auth_token("1234567890", aud))))
	require.NoError(t, err)
	assert.Equal(t, "1234567890", p.Owner, "the owner is the token's subject")
	assert.Equal(t, "id_token", p.Method)

	refused := map[string]string{
		"revoked key":      revokedPlain,
		"unknown key":      auth.KeyPrefix + "nope",
		"not a key":        "hunter2",
		"expired token":    iss.Sign(authtest.Token{Subject: "1", Audience: aud, Expires: time.Now().Add(-time.Minute)}),
		"wrong audience":   iss.Sign(auth_token("1", "https://elsewhere.test")),
		"wrong issuer":     iss.Sign(authtest.Token{Subject: "1", Audience: aud, Issuer: "https://evil.test"}),
		"someone's key":    other.Sign(auth_token("1", aud)),
		"unknown key id":   iss.Sign(authtest.Token{Subject: "1", Audience: aud, KeyID: "other"}),
		"tampered payload": tamper(iss.Sign(auth_token("1", aud))),
		"malformed jwt":    "a.b.c",
	}
	for name, tok := range refused {
		_, err := a.Authenticate(ctx, request(tok))
		assert.ErrorIs(t, err, auth.ErrBadCredentials, name)
	}
	_, err = a.Authenticate(ctx, request(""))
	assert.ErrorIs(t, err, auth.ErrNoCredentials)
	r := request("")
	r.Header.Set("Authorization", "Basic abc")
	_, err = a.Authenticate(ctx, r)
	assert.ErrorIs(t, err, auth.ErrBadCredentials)

	noTokens := auth.NewAuthenticator(ks, auth.IDTokens{})
	_, err = noTokens.Authenticate(ctx, request(iss.Sign(auth_token("1", aud))))
	assert.ErrorIs(t, err, auth.ErrBadCredentials, "ID tokens only where configured")
}

func auth_token(sub, audience string) authtest.Token {
	return authtest.Token{Subject: sub, Audience: audience}
}

func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestRequireInvoker(t *testing.T) {
	iss := authtest.NewIssuer()
	tokens := auth.IDTokens{Validator: iss.Validator(), Audience: aud}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	deny := func(w http.ResponseWriter, _ *http.Request, status int, code, _ string) {
		w.Header().Set("X-Code", code)
		w.WriteHeader(status)
	}
	h := auth.RequireInvoker(tokens, []string{"scheduler@p.iam.gserviceaccount.com"}, deny, ok)
	cases := []struct {
		token  string
		status int
	}{
		{iss.Sign(authtest.Token{Subject: "1", Audience: aud, Email: "scheduler@p.iam.gserviceaccount.com"}), http.StatusNoContent},
		{iss.Sign(authtest.Token{Subject: "2", Audience: aud, Email: "someone@p.iam.gserviceaccount.com"}), http.StatusForbidden},
		{iss.Sign(authtest.Token{Subject: "1", Audience: "https://other.test", Email: "scheduler@p.iam.gserviceaccount.com"}), http.StatusUnauthorized},
		{"", http.StatusUnauthorized},
	}
	for i, c := range cases {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, request(c.token))
		assert.Equal(t, c.status, w.Code, "case %d", i)
	}
	assert.False(t, errors.Is(nil, auth.ErrBadCredentials))
}
