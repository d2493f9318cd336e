package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"
)

// ErrUserNotFound means no user has the given name.
var ErrUserNotFound = errors.New("user not found")

// ErrUserExists means a user of that name already exists.
var ErrUserExists = errors.New("a user of that name already exists")

// Password length limits (bcrypt reads at most 72 bytes).
const (
	MinPasswordLen = 12
	MaxPasswordLen = 72
)

// UserPrefix starts the principal id of a user: "user:<name>".
const UserPrefix = "user:"

var userNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

// ValidUserName reports whether name can name a user: 1-64 lower-case
// letters, digits and ._@- (starting with a letter or digit).
func ValidUserName(name string) bool { return userNameRE.MatchString(name) }

// User describes a user (never the password or its hash).
type User struct {
	Name      string    `json:"username"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
}

// UserStore keeps users in Redis: "dfsopt:user:<name>" holds a user's
// record with the bcrypt hash of the password, "dfsopt:users" the names.
// These keys have no TTL.
type UserStore struct {
	rdb   redis.UniversalClient
	cost  int
	dummy []byte // a hash compared against for unknown users (same timing)
	now   func() time.Time
}

const (
	userKeyPrefix = "dfsopt:user:"
	usersKey      = "dfsopt:users"
)

// NewUserStore returns a user store on rdb hashing passwords with bcrypt at
// the given cost (bcrypt.DefaultCost when 0).
func NewUserStore(rdb redis.UniversalClient, cost int) (*UserStore, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("dfsopt-no-such-user-password"), cost)
	if err != nil {
		return nil, fmt.Errorf("user store: %w", err)
	}
	return &UserStore{rdb: rdb, cost: cost, dummy: dummy, now: func() time.Time { return time.Now().UTC() }}, nil
}

// Create adds a user. The password is kept only as its bcrypt hash.
func (s *UserStore) Create(ctx context.Context, name, password string, scopes []string) (User, error) {
	if !ValidUserName(name) {
		return User{}, fmt.Errorf("create user: invalid name %q", name)
	}
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return User{}, fmt.Errorf("create user %s: the password must have %d to %d bytes", name, MinPasswordLen, MaxPasswordLen)
	}
	if len(scopes) == 0 {
		scopes = DefaultScopes()
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", name, err)
	}
	u := User{Name: name, Scopes: slices.Clone(scopes), CreatedAt: s.now()}
	ok, err := s.rdb.HSetNX(ctx, userKeyPrefix+name, "name", name).Result()
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", name, err)
	}
	if !ok {
		return User{}, ErrUserExists
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, userKeyPrefix+name, "password_hash", string(hash), "scopes", strings.Join(u.Scopes, " "),
			"created_at", u.CreatedAt.Format(time.RFC3339Nano))
		p.SAdd(ctx, usersKey, name)
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", name, err)
	}
	return u, nil
}

// List returns every user, oldest first.
func (s *UserStore) List(ctx context.Context) ([]User, error) {
	names, err := s.rdb.SMembers(ctx, usersKey).Result()
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]User, 0, len(names))
	for _, name := range names {
		m, err := s.rdb.HGetAll(ctx, userKeyPrefix+name).Result()
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		if len(m) > 0 {
			out = append(out, parseUser(m))
		}
	}
	slices.SortFunc(out, func(a, b User) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// Delete removes a user; tokens already issued to it live until they expire.
func (s *UserStore) Delete(ctx context.Context, name string) error {
	if !ValidUserName(name) {
		return ErrUserNotFound
	}
	var del *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.Del(ctx, userKeyPrefix+name)
		p.SRem(ctx, usersKey, name)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete user %s: %w", name, err)
	}
	if del.Val() == 0 {
		return ErrUserNotFound
	}
	return nil
}

// Authenticate checks a user's password and returns its principal, or
// ErrUnauthenticated (the same error, after the same bcrypt work, for an
// unknown user and a wrong password).
func (s *UserStore) Authenticate(ctx context.Context, name, password string) (Principal, error) {
	var m map[string]string
	if ValidUserName(name) && len(password) <= MaxPasswordLen {
		var err error
		if m, err = s.rdb.HGetAll(ctx, userKeyPrefix+name).Result(); err != nil {
			return Principal{}, fmt.Errorf("look up user: %w", err)
		}
	}
	hash := s.dummy
	if h := m["password_hash"]; h != "" {
		hash = []byte(h)
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	found := m["password_hash"] != ""
	if subtle.ConstantTimeEq(boolInt(match), 1)&subtle.ConstantTimeEq(boolInt(found), 1) != 1 {
		return Principal{}, ErrUnauthenticated
	}
	u := parseUser(m)
	return Principal{ID: UserPrefix + u.Name, Name: u.Name, Scopes: u.Scopes}, nil
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func parseUser(m map[string]string) User {
	u := User{Name: m["name"], Scopes: strings.Fields(m["scopes"])}
	u.CreatedAt, _ = time.Parse(time.RFC3339Nano, m["created_at"])
	return u
}
