package webhook

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/pkg/redistest"
)

func TestSecretStore(t *testing.T) {
	ctx := context.Background()
	r := redistest.New(t)
	s := NewSecretStore(r.Client)
	first, created, err := s.Secret(ctx, "key_a")
	if err != nil || !created || !strings.HasPrefix(first, SecretPrefix) {
		t.Fatalf("first use: %q %v %v", first, created, err)
	}
	again, created, err := s.Secret(ctx, "key_a")
	if err != nil || created || again != first {
		t.Fatalf("second read: %v %v (same secret wanted)", created, err)
	}
	other, _, _ := s.Secret(ctx, "key_b")
	if other == first {
		t.Fatal("two principals share a secret")
	}
	if ttl := r.Client.TTL(ctx, SecretKey("key_a")).Val(); ttl != -1 {
		t.Fatalf("secret TTL %s, want none", ttl)
	}
	rotated, err := s.Rotate(ctx, "key_a")
	if err != nil || rotated == first {
		t.Fatalf("rotate: %v", err)
	}
	if cur, _, _ := s.Secret(ctx, "key_a"); cur != rotated {
		t.Fatal("rotation not kept")
	}
	signing, err := s.SigningSecrets(ctx, "key_a")
	if err != nil || len(signing) != 2 || signing[0] != rotated || signing[1] != first {
		t.Fatalf("signing secrets after rotation: %d %v", len(signing), err)
	}
	// Signed with both, either secret verifies.
	h := http.Header{}
	now := time.Now()
	body := []byte(`{}`)
	if err := SetHeaders(h, signing[0], "m", now, body); err != nil {
		t.Fatal(err)
	}
	old, _ := Sign(signing[1], "m", now, body)
	h.Set(HeaderSignature, h.Get(HeaderSignature)+" "+old)
	for _, sec := range signing {
		if _, err := Verify(sec, h, body, now, 0); err != nil {
			t.Fatalf("verify with one of the signing secrets: %v", err)
		}
	}
	if ttl := r.Client.TTL(ctx, previousKey("key_a")).Val(); ttl <= 0 || ttl > RotationGrace {
		t.Fatalf("previous secret TTL %s", ttl)
	}
	if signing, _ := s.SigningSecrets(ctx, "key_c"); len(signing) != 1 {
		t.Fatalf("new principal: %d secrets", len(signing))
	}
}
