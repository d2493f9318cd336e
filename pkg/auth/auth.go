// Package auth provides API-key authentication: principals and scopes, the
// admin key from the environment, and API keys kept in Redis as SHA-256
// hashes (never the keys themselves).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Scopes.
const (
	ScopeJobsRead  = "jobs:read"
	ScopeJobsWrite = "jobs:write"
	ScopeAdmin     = "admin"
)

// DefaultScopes returns the scopes of a key created without scopes.
func DefaultScopes() []string { return []string{ScopeJobsRead, ScopeJobsWrite} }

// KnownScope reports whether a key may have the scope.
func KnownScope(s string) bool { return s == ScopeJobsRead || s == ScopeJobsWrite || s == ScopeAdmin }

// KeyPrefix starts every API key dfsopt issues.
const KeyPrefix = "dfs_"

// AdminPrincipal is the principal id of the DFSOPT_ADMIN_API_KEY.
const AdminPrincipal = "admin"

// ErrUnauthenticated is the one error for a missing, unknown or revoked key.
var ErrUnauthenticated = errors.New("missing or invalid API key")

// ErrForbidden means the principal lacks the scope an operation needs.
var ErrForbidden = errors.New("the API key lacks the scope this operation needs")

// ErrKeyNotFound means no API key has the given id.
var ErrKeyNotFound = errors.New("API key not found")

// Principal is who a request acts as.
type Principal struct {
	// ID owns the jobs the principal submits.
	ID     string
	Name   string
	Scopes []string
}

// Can reports whether the principal has the scope (admin has every scope).
func (p Principal) Can(scope string) bool {
	return slices.Contains(p.Scopes, scope) || slices.Contains(p.Scopes, ScopeAdmin)
}

// Hash returns the SHA-256 of an API key.
func Hash(key string) [32]byte { return sha256.Sum256([]byte(key)) }

// NewKey returns a new random API key: KeyPrefix and 43 base64url characters
// (256 bits).
func NewKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Authenticator checks API keys: the admin key (held as its hash) and the
// keys of a KeyStore.
type Authenticator struct {
	adminHash [32]byte
	hasAdmin  bool
	keys      *KeyStore
}

// NewAuthenticator returns an authenticator accepting adminKey (if not
// empty) as the admin key, and the keys in keys (if not nil). Only the
// admin key's hash is kept.
func NewAuthenticator(adminKey string, keys *KeyStore) *Authenticator {
	a := &Authenticator{keys: keys}
	if adminKey != "" {
		a.adminHash, a.hasAdmin = Hash(adminKey), true
	}
	return a
}

// Authenticate returns the principal of an API key, or ErrUnauthenticated.
func (a *Authenticator) Authenticate(ctx context.Context, key string) (Principal, error) {
	if key == "" || len(key) > 256 {
		return Principal{}, ErrUnauthenticated
	}
	h := Hash(key)
	if a.hasAdmin && subtle.ConstantTimeCompare(h[:], a.adminHash[:]) == 1 {
		return Principal{ID: AdminPrincipal, Name: "admin", Scopes: []string{ScopeAdmin}}, nil
	}
	if a.keys == nil || !strings.HasPrefix(key, KeyPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	return a.keys.lookup(ctx, h)
}

// APIKey describes an issued key (never the key itself).
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// KeyStore keeps API keys in Redis: "dfsopt:apikey:<sha256 hex>" holds a
// key's record, "dfsopt:apikey-id:<id>" its hash, "dfsopt:apikeys" the ids.
// These keys have no TTL.
type KeyStore struct {
	rdb redis.UniversalClient
	now func() time.Time
}

// NewKeyStore returns a key store on rdb.
func NewKeyStore(rdb redis.UniversalClient) *KeyStore {
	return &KeyStore{rdb: rdb, now: func() time.Time { return time.Now().UTC() }}
}

const (
	hashKeyPrefix = "dfsopt:apikey:"
	idKeyPrefix   = "dfsopt:apikey-id:"
	idsKey        = "dfsopt:apikeys"
)

// Create issues a new key. The returned string is the key, shown once.
func (s *KeyStore) Create(ctx context.Context, name string, scopes []string) (APIKey, string, error) {
	if len(scopes) == 0 {
		scopes = DefaultScopes()
	}
	key := NewKey()
	h := Hash(key)
	hexHash := hex.EncodeToString(h[:])
	k := APIKey{ID: "key_" + hexHash[:16], Name: name, Scopes: slices.Clone(scopes), CreatedAt: s.now()}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, hashKeyPrefix+hexHash, "id", k.ID, "name", k.Name, "scopes", strings.Join(k.Scopes, " "),
			"created_at", k.CreatedAt.Format(time.RFC3339Nano), "hash", hexHash)
		p.Set(ctx, idKeyPrefix+k.ID, hexHash, 0)
		p.SAdd(ctx, idsKey, k.ID)
		return nil
	})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: %w", err)
	}
	return k, key, nil
}

// List returns every key, revoked ones included, oldest first.
func (s *KeyStore) List(ctx context.Context) ([]APIKey, error) {
	ids, err := s.rdb.SMembers(ctx, idsKey).Result()
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	out := make([]APIKey, 0, len(ids))
	for _, id := range ids {
		k, _, err := s.get(ctx, id)
		if errors.Is(err, ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b APIKey) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// Revoke revokes a key by id; it is kept, listed as revoked.
func (s *KeyStore) Revoke(ctx context.Context, id string) (APIKey, error) {
	k, hexHash, err := s.get(ctx, id)
	if err != nil {
		return APIKey{}, err
	}
	if k.RevokedAt == nil {
		now := s.now()
		k.RevokedAt = &now
		if err := s.rdb.HSet(ctx, hashKeyPrefix+hexHash, "revoked_at", now.Format(time.RFC3339Nano)).Err(); err != nil {
			return APIKey{}, fmt.Errorf("revoke api key %s: %w", id, err)
		}
	}
	return k, nil
}

func (s *KeyStore) get(ctx context.Context, id string) (APIKey, string, error) {
	hexHash, err := s.rdb.Get(ctx, idKeyPrefix+id).Result()
	if errors.Is(err, redis.Nil) {
		return APIKey{}, "", ErrKeyNotFound
	}
	if err != nil {
		return APIKey{}, "", fmt.Errorf("get api key %s: %w", id, err)
	}
	m, err := s.rdb.HGetAll(ctx, hashKeyPrefix+hexHash).Result()
	if err != nil {
		return APIKey{}, "", fmt.Errorf("get api key %s: %w", id, err)
	}
	if len(m) == 0 {
		return APIKey{}, "", ErrKeyNotFound
	}
	return parseKey(m), hexHash, nil
}

func (s *KeyStore) lookup(ctx context.Context, h [32]byte) (Principal, error) {
	hexHash := hex.EncodeToString(h[:])
	m, err := s.rdb.HGetAll(ctx, hashKeyPrefix+hexHash).Result()
	if err != nil {
		return Principal{}, fmt.Errorf("look up api key: %w", err)
	}
	if len(m) == 0 {
		return Principal{}, ErrUnauthenticated
	}
	stored, err := hex.DecodeString(m["hash"])
	if err != nil || subtle.ConstantTimeCompare(stored, h[:]) != 1 {
		return Principal{}, ErrUnauthenticated
	}
	k := parseKey(m)
	if k.RevokedAt != nil {
		return Principal{}, ErrUnauthenticated
	}
	return Principal{ID: k.ID, Name: k.Name, Scopes: k.Scopes}, nil
}

func parseKey(m map[string]string) APIKey {
	k := APIKey{ID: m["id"], Name: m["name"], Scopes: strings.Fields(m["scopes"])}
	k.CreatedAt, _ = time.Parse(time.RFC3339Nano, m["created_at"])
	if v := m["revoked_at"]; v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			k.RevokedAt = &t
		}
	}
	return k
}
