// Package auth identifies callers. An API key is random, shown once when
// it is made, and stored only as its SHA-256; a caller sends it as
// "Authorization: Bearer <key>". Every key belongs to an owner, and every
// job to the owner whose key created it.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// KeyPrefix starts every API key, so a leaked key is easy to recognize.
const KeyPrefix = "cfk_"

// Errors of authentication.
var (
	// ErrNoCredentials: the request carries no credentials.
	ErrNoCredentials = errors.New("no credentials")
	// ErrBadCredentials: the credentials are malformed, unknown or revoked.
	ErrBadCredentials = errors.New("invalid credentials")
	// ErrUnknownKey is what a KeyStore returns for a key it does not have.
	ErrUnknownKey = errors.New("unknown API key")
)

// Key is a stored API key (never the key itself, only its hash).
type Key struct {
	Hash       string    `firestore:"-" json:"-"`
	ID         string    `firestore:"id" json:"id"`
	Owner      string    `firestore:"owner" json:"owner"`
	Name       string    `firestore:"name" json:"name"`
	Scopes     []string  `firestore:"scopes" json:"scopes"`
	CreatedAt  time.Time `firestore:"created_at" json:"created_at"`
	LastUsedAt time.Time `firestore:"last_used_at,omitempty" json:"last_used_at,omitzero"`
	RevokedAt  time.Time `firestore:"revoked_at,omitempty" json:"revoked_at,omitzero"`
}

// Revoked reports whether the key was revoked.
func (k *Key) Revoked() bool { return !k.RevokedAt.IsZero() }

// KeyStore keeps API keys by hash.
type KeyStore interface {
	// Key returns the key with that hash, or an error wrapping ErrUnknownKey.
	Key(ctx context.Context, hash string) (*Key, error)
	// TouchKey records that the key was used.
	TouchKey(ctx context.Context, hash string, at time.Time) error
}

// Scopes a key may hold.
const (
	ScopeJobs = "jobs" // submit and read the owner's jobs
)

var ownerPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$`)

// ValidOwner reports whether s can name an owner.
func ValidOwner(s string) bool { return ownerPattern.MatchString(s) }

// NewKey makes a random API key for an owner. It returns the key, to be
// shown once, and the record to store.
func NewKey(owner, name string, now time.Time) (string, *Key, error) {
	if !ValidOwner(owner) {
		return "", nil, fmt.Errorf("owner %q: use 1-128 letters, digits and . _ @ : + -, starting with a letter or digit", owner)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("make key: %w", err)
	}
	plain := KeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	h := Hash(plain)
	return plain, &Key{Hash: h, ID: h[:12], Owner: owner, Name: name, Scopes: []string{ScopeJobs}, CreatedAt: now.UTC()}, nil
}

// Hash returns the stored form of a key.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Principal is an authenticated caller.
type Principal struct {
	Owner  string
	KeyID  string
	Scopes []string
	// Method is "api_key" or "id_token".
	Method string
}

// Authenticator checks the credentials of requests. Keys are cached for a
// short time per instance, so a revoked key stops working within CacheTTL.
type Authenticator struct {
	keys   KeyStore
	tokens IDTokens
	ttl    time.Duration
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	key     *Key
	fetched time.Time
	touched time.Time
}

// CacheTTL is how long a looked-up key is trusted without a new read.
const CacheTTL = 30 * time.Second

// touchEvery throttles last-use writes to one per key per interval.
const touchEvery = time.Minute

// NewAuthenticator returns an authenticator over a key store. With tokens
// set, Google-signed ID tokens for its audience are accepted too, and the
// owner is the token's subject.
func NewAuthenticator(keys KeyStore, tokens IDTokens) *Authenticator {
	return &Authenticator{keys: keys, tokens: tokens, ttl: CacheTTL, now: time.Now, cache: map[string]cached{}}
}

// WithCacheTTL sets how long a looked-up key is trusted (default CacheTTL).
func (a *Authenticator) WithCacheTTL(d time.Duration) *Authenticator {
	if d > 0 {
		a.ttl = d
	}
	return a
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", ErrNoCredentials
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", fmt.Errorf("%w: use \"Authorization: Bearer <key>\"", ErrBadCredentials)
	}
	return strings.TrimSpace(token), nil
}

// Authenticate identifies the caller of a request.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (Principal, error) {
	token, err := BearerToken(r)
	if err != nil {
		return Principal{}, err
	}
	if !strings.HasPrefix(token, KeyPrefix) && looksLikeJWT(token) {
		c, err := a.tokens.Verify(ctx, token)
		if err != nil {
			return Principal{}, err
		}
		if !ValidOwner(c.Subject) {
			return Principal{}, fmt.Errorf("%w: subject %q cannot own jobs", ErrBadCredentials, c.Subject)
		}
		return Principal{Owner: c.Subject, Scopes: []string{ScopeJobs}, Method: "id_token"}, nil
	}
	if !strings.HasPrefix(token, KeyPrefix) || len(token) > 200 {
		return Principal{}, fmt.Errorf("%w: not an API key", ErrBadCredentials)
	}
	h := Hash(token)
	k, err := a.lookup(ctx, h)
	if errors.Is(err, ErrUnknownKey) {
		return Principal{}, fmt.Errorf("%w: unknown API key", ErrBadCredentials)
	}
	if err != nil {
		return Principal{}, err
	}
	if k.Revoked() {
		return Principal{}, fmt.Errorf("%w: the API key was revoked", ErrBadCredentials)
	}
	return Principal{Owner: k.Owner, KeyID: k.ID, Scopes: k.Scopes, Method: "api_key"}, nil
}

func (a *Authenticator) lookup(ctx context.Context, h string) (*Key, error) {
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[h]
	a.mu.Unlock()
	if ok && now.Sub(c.fetched) < a.ttl {
		a.touch(ctx, h, c, now)
		return c.key, nil
	}
	k, err := a.keys.Key(ctx, h)
	if err != nil {
		return nil, err
	}
	c = cached{key: k, fetched: now, touched: c.touched}
	a.mu.Lock()
	a.cache[h] = c
	a.mu.Unlock()
	a.touch(ctx, h, c, now)
	return k, nil
}

// touch records a key's use at most once a minute per instance; a failed
// write is not worth failing the request for.
func (a *Authenticator) touch(ctx context.Context, h string, c cached, now time.Time) {
	if now.Sub(c.touched) < touchEvery {
		return
	}
	a.mu.Lock()
	c.touched = now
	a.cache[h] = c
	a.mu.Unlock()
	_ = a.keys.TouchKey(ctx, h, now)
}
