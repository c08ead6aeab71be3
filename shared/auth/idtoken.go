package auth

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"google.golang.org/api/idtoken"
	"google.golang.org/api/option"
)

// GoogleIssuers are the issuers of Google-signed ID tokens.
var GoogleIssuers = []string{"accounts.google.com", "https://accounts.google.com"}

// TokenValidator checks a Google-signed ID token's signature, expiry and
// audience (idtoken.Validator does).
type TokenValidator interface {
	Validate(ctx context.Context, token, audience string) (*idtoken.Payload, error)
}

// NewGoogleValidator returns a validator of Google-signed ID tokens. A nil
// client fetches Google's public keys with the default client.
func NewGoogleValidator(ctx context.Context, client *http.Client) (TokenValidator, error) {
	var opts []idtoken.ClientOption
	if client != nil {
		opts = append(opts, option.WithHTTPClient(client))
	}
	v, err := idtoken.NewValidator(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("ID token validator: %w", err)
	}
	return v, nil
}

// IDTokens verifies Google-signed ID tokens for one audience.
type IDTokens struct {
	Validator TokenValidator
	Audience  string
}

// Claims are what a verified token says of its holder.
type Claims struct {
	Subject       string
	Email         string
	EmailVerified bool
}

// looksLikeJWT reports whether a bearer token is shaped like a JWT.
func looksLikeJWT(s string) bool { return strings.Count(s, ".") == 2 && len(s) < 8192 }

// Verify checks a token: signature, expiry, audience, issuer.
func (t IDTokens) Verify(ctx context.Context, token string) (Claims, error) {
	if t.Validator == nil || t.Audience == "" {
		return Claims{}, fmt.Errorf("%w: ID tokens are not accepted here", ErrBadCredentials)
	}
	p, err := t.Validator.Validate(ctx, token, t.Audience)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrBadCredentials, err)
	}
	if !slices.Contains(GoogleIssuers, p.Issuer) {
		return Claims{}, fmt.Errorf("%w: issuer %q is not Google", ErrBadCredentials, p.Issuer)
	}
	if p.Subject == "" {
		return Claims{}, fmt.Errorf("%w: the token has no subject", ErrBadCredentials)
	}
	c := Claims{Subject: p.Subject}
	c.Email, _ = p.Claims["email"].(string)
	c.EmailVerified, _ = p.Claims["email_verified"].(bool)
	return c, nil
}

// RequireInvoker lets through only requests carrying a Google ID token for
// the audience from one of the allowed service accounts (the scheduler's or
// a push subscription's identity). Anything else gets 401 or 403 from deny.
func RequireInvoker(t IDTokens, allowed []string, deny func(w http.ResponseWriter, r *http.Request, status int, code, detail string), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := BearerToken(r)
		if err != nil {
			deny(w, r, http.StatusUnauthorized, "unauthenticated", "This endpoint needs the caller's Google ID token.")
			return
		}
		c, err := t.Verify(r.Context(), token)
		if err != nil {
			deny(w, r, http.StatusUnauthorized, "invalid_credentials", "The ID token is invalid, expired, or not for this endpoint.")
			return
		}
		if !c.EmailVerified || !slices.Contains(allowed, c.Email) {
			deny(w, r, http.StatusForbidden, "forbidden", "This identity may not call this endpoint.")
			return
		}
		next.ServeHTTP(w, r)
	})
}
