package auth

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/dfsopt/dfsopt/pkg/redistest"
)

func TestUsers(t *testing.T) {
	ctx := context.Background()
	r := redistest.New(t)
	us, err := NewUserStore(r.Client, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "correct horse battery"
	if _, err := us.Create(ctx, "ann", pw, []string{ScopeJobsRead}); err != nil {
		t.Fatal(err)
	}
	if _, err := us.Create(ctx, "ann", pw, nil); !errors.Is(err, ErrUserExists) {
		t.Fatalf("duplicate: %v", err)
	}
	for name, c := range map[string][2]string{"bad name": {"Ann Smith", pw}, "short password": {"bob", "short"}, "long password": {"bob", strings.Repeat("p", 73)}} {
		if _, err := us.Create(ctx, c[0], c[1], nil); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	p, err := us.Authenticate(ctx, "ann", pw)
	if err != nil || p.ID != "user:ann" || !p.Can(ScopeJobsRead) || p.Can(ScopeJobsWrite) {
		t.Fatalf("%+v %v", p, err)
	}
	for _, c := range [][2]string{{"ann", pw + "x"}, {"ann", ""}, {"nobody", pw}, {"", ""}, {"ann", strings.Repeat("p", 100)}} {
		if _, err := us.Authenticate(ctx, c[0], c[1]); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%q/%q: %v", c[0], c[1], err)
		}
	}
	m := r.Client.HGetAll(ctx, "dfsopt:user:ann").Val()
	if !strings.HasPrefix(m["password_hash"], "$2") || strings.Contains(strings.Join(mapValues(m), " "), pw) {
		t.Fatalf("password not stored as a bcrypt hash: %v", m)
	}
	if list, err := us.List(ctx); err != nil || len(list) != 1 || list[0].Name != "ann" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if err := us.Delete(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	if err := us.Delete(ctx, "ann"); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := us.Authenticate(ctx, "ann", pw); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("deleted user: %v", err)
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestKeyPrefixesAndLastUse(t *testing.T) {
	ctx := context.Background()
	r := redistest.New(t)
	keys := NewKeyStore(r.Client)
	a := NewAuthenticator("", keys)
	k, key, err := keys.Create(ctx, "n", "team", nil)
	if err != nil || !strings.HasPrefix(key, KeyPrefix) || len(key) != len(KeyPrefix)+43 {
		t.Fatalf("%q %v", key, err)
	}
	if _, err := a.Authenticate(ctx, key); err != nil {
		t.Fatal(err)
	}
	list, _ := keys.List(ctx)
	if len(list) != 1 || list[0].LastUsedAt == nil || list[0].Owner != "team" || list[0].ID != k.ID {
		t.Fatalf("list: %+v", list)
	}
	// A legacy dfs_ key (stored the same way) is accepted.
	legacy := LegacyKeyPrefix + strings.Repeat("A", 43)
	h := Hash(legacy)
	hexHash := hex.EncodeToString(h[:])
	r.Client.HSet(ctx, hashKeyPrefix+hexHash, "id", "key_legacy", "name", "old", "scopes", "jobs:read", "hash", hexHash)
	if p, err := a.Authenticate(ctx, legacy); err != nil || p.ID != "key_legacy" {
		t.Fatalf("legacy key: %+v %v", p, err)
	}
}
