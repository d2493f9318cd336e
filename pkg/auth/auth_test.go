package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/pkg/redistest"
)

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	r := redistest.New(t)
	keys := NewKeyStore(r.Client)
	a := NewAuthenticator("admin-key-0123456789", keys)

	p, err := a.Authenticate(ctx, "admin-key-0123456789")
	if err != nil || p.ID != AdminPrincipal || !p.Can(ScopeJobsWrite) || !p.Can(ScopeAdmin) {
		t.Fatalf("admin: %+v %v", p, err)
	}
	k, key, err := keys.Create(ctx, "ci", "ci-team", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, KeyPrefix) || len(key) < 40 {
		t.Fatalf("key %q", key)
	}
	p, err = a.Authenticate(ctx, key)
	if err != nil || p.ID != k.ID || !p.Can(ScopeJobsRead) || p.Can(ScopeAdmin) {
		t.Fatalf("key: %+v %v", p, err)
	}
	for _, bad := range []string{"", "admin-key-012345678", key + "x", KeyPrefix + "nope", strings.Repeat("k", 300)} {
		if _, err := a.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// Stored hashed: the key appears nowhere in Redis.
	all, _ := r.Client.Keys(ctx, "*").Result()
	for _, rk := range all {
		if strings.Contains(rk, key) {
			t.Fatalf("redis key %q holds the api key", rk)
		}
		if typ := r.Client.Type(ctx, rk).Val(); typ == "hash" {
			for _, v := range r.Client.HGetAll(ctx, rk).Val() {
				if strings.Contains(v, key) {
					t.Fatalf("redis hash %q holds the api key", rk)
				}
			}
		}
	}
	if _, err := keys.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, key); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("revoked key accepted: %v", err)
	}
	ks, err := keys.List(ctx)
	if err != nil || len(ks) != 1 || ks[0].RevokedAt == nil {
		t.Fatalf("list: %+v %v", ks, err)
	}
	if _, err := keys.Revoke(ctx, "key_missing"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("revoke missing: %v", err)
	}
}

func TestNoAdminKey(t *testing.T) {
	a := NewAuthenticator("", nil)
	if _, err := a.Authenticate(context.Background(), ""); !errors.Is(err, ErrUnauthenticated) {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(context.Background(), "anything"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatal(err)
	}
}
