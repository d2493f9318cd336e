// Package auth provides authentication and authorization primitives:
// principals and scopes, the admin key from the environment, API keys kept
// in Redis as SHA-256 hashes (never the keys themselves), users with
// bcrypt-hashed passwords, and JWTs (issued with HS256, verified with an
// explicit list of algorithms).
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
	// ScopeJobsRead reads the principal's jobs and results.
	ScopeJobsRead = "jobs:read"
	// ScopeJobsWrite submits and cancels jobs.
	ScopeJobsWrite = "jobs:write"
	// ScopeJobsCritical submits jobs with priority "critical".
	ScopeJobsCritical = "jobs:critical"
	// ScopeCalibrate submits calibration jobs (/v1/calibrate).
	ScopeCalibrate = "calibrate"
	// ScopeSlatesWrite imports slates.
	ScopeSlatesWrite = "slates:write"
	// ScopeAdmin manages keys and users and sees every job; it implies
	// every other scope.
	ScopeAdmin = "admin"
)

// AllScopes returns every scope, in a stable order.
func AllScopes() []string {
	return []string{ScopeJobsRead, ScopeJobsWrite, ScopeJobsCritical, ScopeCalibrate, ScopeSlatesWrite, ScopeAdmin}
}

// DefaultScopes returns the scopes of a key created without scopes.
func DefaultScopes() []string { return []string{ScopeJobsRead, ScopeJobsWrite} }

// KnownScope reports whether a key may have the scope.
func KnownScope(s string) bool { return slices.Contains(AllScopes(), s) }

// KeyPrefix starts every API key dfsopt issues now.
const KeyPrefix = "dfs_live_"

// LegacyKeyPrefix starts the keys issued before KeyPrefix ("dfs_" and 43
// characters); they are still accepted.
const LegacyKeyPrefix = "dfs_"

// AdminPrincipal is the principal id of the DFSOPT_ADMIN_API_KEY.
const AdminPrincipal = "admin"

// ErrUnauthenticated is the one error for missing, unknown, revoked or
// expired credentials (API key, token, password).
var ErrUnauthenticated = errors.New("missing or invalid credentials")

// ErrForbidden means the principal lacks the scope an operation needs.
var ErrForbidden = errors.New("the credentials lack the scope this operation needs")

// ScopeError is ErrForbidden naming the missing scope.
type ScopeError struct {
	// Scope is the scope the operation needs.
	Scope string
}

// Error names the missing scope.
func (e *ScopeError) Error() string { return "this operation needs the scope " + e.Scope }

// Is makes errors.Is(err, ErrForbidden) true.
func (e *ScopeError) Is(target error) bool { return target == ErrForbidden }

// Require returns a *ScopeError unless the principal has the scope.
func (p Principal) Require(scope string) error {
	if !p.Can(scope) {
		return &ScopeError{Scope: scope}
	}
	return nil
}

// ErrKeyNotFound means no API key has the given id.
var ErrKeyNotFound = errors.New("API key not found")

// Principal is who a request acts as.
type Principal struct {
	// ID owns the jobs the principal submits: "admin", an API key's id
	// ("key_..."), "user:<name>", or a token's subject.
	ID string
	// Name is a display name (an API key's name, a user's name).
	Name   string
	Scopes []string
}

// IsAdmin reports whether the principal has the admin scope.
func (p Principal) IsAdmin() bool { return slices.Contains(p.Scopes, ScopeAdmin) }

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
	if a.keys == nil || !strings.HasPrefix(key, LegacyKeyPrefix) { // KeyPrefix starts with it too
		return Principal{}, ErrUnauthenticated
	}
	return a.keys.lookup(ctx, h)
}

// APIKey describes an issued key (never the key itself).
type APIKey struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Owner says who the key was issued to (free text, for people).
	Owner      string     `json:"owner,omitempty"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
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
func (s *KeyStore) Create(ctx context.Context, name, owner string, scopes []string) (APIKey, string, error) {
	if len(scopes) == 0 {
		scopes = DefaultScopes()
	}
	key := NewKey()
	h := Hash(key)
	hexHash := hex.EncodeToString(h[:])
	k := APIKey{ID: "key_" + hexHash[:16], Name: name, Owner: owner, Scopes: slices.Clone(scopes), CreatedAt: s.now()}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, hashKeyPrefix+hexHash, "id", k.ID, "name", k.Name, "owner", k.Owner, "scopes", strings.Join(k.Scopes, " "),
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

// lookupScript returns a key's record and, unless it is revoked, records
// its use: one round trip, read from Redis on every request so that a
// revocation holds on the next request on every replica.
var lookupScript = redis.NewScript(`
local m = redis.call('HGETALL', KEYS[1])
if #m > 0 and redis.call('HEXISTS', KEYS[1], 'revoked_at') == 0 then
  redis.call('HSET', KEYS[1], 'last_used_at', ARGV[1])
end
return m`)

func (s *KeyStore) lookup(ctx context.Context, h [32]byte) (Principal, error) {
	hexHash := hex.EncodeToString(h[:])
	flat, err := lookupScript.Run(ctx, s.rdb, []string{hashKeyPrefix + hexHash}, s.now().Format(time.RFC3339Nano)).StringSlice()
	if err != nil {
		return Principal{}, fmt.Errorf("look up api key: %w", err)
	}
	if len(flat) == 0 {
		return Principal{}, ErrUnauthenticated
	}
	m := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		m[flat[i]] = flat[i+1]
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
	k := APIKey{ID: m["id"], Name: m["name"], Owner: m["owner"], Scopes: strings.Fields(m["scopes"])}
	k.CreatedAt, _ = time.Parse(time.RFC3339Nano, m["created_at"])
	k.LastUsedAt = parseTime(m["last_used_at"])
	k.RevokedAt = parseTime(m["revoked_at"])
	if _, ok := m["revoked_at"]; ok && k.RevokedAt == nil {
		k.RevokedAt = &k.CreatedAt // unparsable: revoked all the same
	}
	return k
}

func parseTime(v string) *time.Time {
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil
	}
	return &t
}
