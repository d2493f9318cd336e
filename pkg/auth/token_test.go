package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef-test")

func testTokens(t testing.TB, cfg TokenConfig) *Tokens {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer, cfg.Audience = "dfsopt", "dfsopt-api"
	}
	if cfg.TTL == 0 {
		cfg.TTL = 15 * time.Minute
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 5 * time.Second
	}
	tk, err := NewTokens(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func claims(sub string, exp time.Duration, mutate func(*Claims)) Claims {
	now := time.Now()
	c := Claims{Scope: "jobs:read jobs:write", RegisteredClaims: jwt.RegisteredClaims{
		Subject: sub, Issuer: "dfsopt", Audience: jwt.ClaimStrings{"dfsopt-api"},
		ExpiresAt: jwt.NewNumericDate(now.Add(exp)), IssuedAt: jwt.NewNumericDate(now),
	}}
	if mutate != nil {
		mutate(&c)
	}
	return c
}

func sign(t testing.TB, m jwt.SigningMethod, key any, c Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssueVerify(t *testing.T) {
	tk := testTokens(t, TokenConfig{Secret: testSecret})
	raw, exp, err := tk.Issue(Principal{ID: "key_1", Scopes: []string{ScopeJobsRead, ScopeCalibrate}})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("expiry in %s", d)
	}
	p, err := tk.Verify(raw)
	if err != nil || p.ID != "key_1" || !p.Can(ScopeCalibrate) || p.Can(ScopeJobsWrite) {
		t.Fatalf("%+v %v", p, err)
	}
}

// TestVerifyAttacks: every forged, stale or misdirected token is refused
// with ErrUnauthenticated.
func TestVerifyAttacks(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	keys, err := ParsePublicKeys(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	ecKeys, _ := ParsePublicKeys(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}))
	both := testTokens(t, TokenConfig{Secret: testSecret, PublicKeys: append(keys, ecKeys...)})
	rsaOnly := testTokens(t, TokenConfig{PublicKeys: keys})

	good := sign(t, jwt.SigningMethodRS256, rsaKey, claims("idp|alice", time.Minute, nil))
	if p, err := both.Verify(good); err != nil || p.ID != "ext:idp|alice" {
		t.Fatalf("good RS256 token refused: %v", err)
	}
	if _, err := both.Verify(sign(t, jwt.SigningMethodES256, ecKey, claims("bob", time.Minute, nil))); err != nil {
		t.Fatalf("good ES256 token refused: %v", err)
	}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","scope":"admin","iss":"dfsopt","aud":"dfsopt-api","exp":9999999999}`)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	noneSigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims("admin", time.Minute, nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)

	cases := []struct {
		name string
		tk   *Tokens
		raw  string
	}{
		{"empty", both, ""},
		{"garbage", both, "not.a.jwt"},
		{"alg none", both, none},
		{"alg none signed", both, noneSigned},
		{"HS256 signed with the RS256 public key", both, sign(t, jwt.SigningMethodHS256, pubPEM, claims("admin", time.Minute, nil))},
		{"HS256 with the public key, RS256-only verifier", rsaOnly, sign(t, jwt.SigningMethodHS256, pubPEM, claims("admin", time.Minute, nil))},
		{"HS256 with the public key DER", rsaOnly, sign(t, jwt.SigningMethodHS256, pubDER, claims("admin", time.Minute, nil))},
		{"HS512", both, sign(t, jwt.SigningMethodHS512, testSecret, claims("a", time.Minute, nil))},
		{"RS512", both, sign(t, jwt.SigningMethodRS512, rsaKey, claims("a", time.Minute, nil))},
		{"other RSA key", both, sign(t, jwt.SigningMethodRS256, otherRSA, claims("a", time.Minute, nil))},
		{"expired", both, sign(t, jwt.SigningMethodHS256, testSecret, claims("a", -time.Minute, nil))},
		{"no exp", both, sign(t, jwt.SigningMethodHS256, testSecret, claims("a", 0, func(c *Claims) { c.ExpiresAt = nil }))},
		{"not yet valid", both, sign(t, jwt.SigningMethodHS256, testSecret, claims("a", time.Hour, func(c *Claims) {
			c.NotBefore = jwt.NewNumericDate(time.Now().Add(10 * time.Minute))
		}))},
		{"issued in the future", both, sign(t, jwt.SigningMethodHS256, testSecret, claims("a", time.Hour, func(c *Claims) {
			c.IssuedAt = jwt.NewNumericDate(time.Now().Add(10 * time.Minute))
		}))},
		{"wrong issuer", both, sign(t, jwt.SigningMethodHS256, testSecret, claims("a", time.Minute, func(c *Claims) { c.Issuer = "evil" }))},
		{"no issuer", both, sign(t, jwt.SigningMethodHS256, testSecret, claims("a", time.Minute, func(c *Claims) { c.Issuer = "" }))},
		{"wrong audience", both, sign(t, jwt.SigningMethodHS256, testSecret, claims("a", time.Minute, func(c *Claims) { c.Audience = jwt.ClaimStrings{"other"} }))},
		{"no audience", both, sign(t, jwt.SigningMethodHS256, testSecret, claims("a", time.Minute, func(c *Claims) { c.Audience = nil }))},
		{"no subject", both, sign(t, jwt.SigningMethodHS256, testSecret, claims("", time.Minute, nil))},
		{"tampered payload", both, tampered},
		{"wrong secret", both, sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-another"), claims("a", time.Minute, nil))},
		{"too long", both, strings.Repeat("a", MaxTokenLen+1)},
	}
	for _, c := range cases {
		if p, err := c.tk.Verify(c.raw); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: accepted as %+v (%v)", c.name, p, err)
		}
	}
	// Within the leeway an expired token still passes; beyond it, not.
	if _, err := both.Verify(sign(t, jwt.SigningMethodHS256, testSecret, claims("a", -2*time.Second, nil))); err != nil {
		t.Errorf("token 2s past exp with 5s leeway: %v", err)
	}
}

func TestNewTokensRefusesWeakConfig(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, cfg := range map[string]TokenConfig{
		"no key":       {Issuer: "i", Audience: "a"},
		"short secret": {Issuer: "i", Audience: "a", Secret: []byte("short")},
		"no issuer":    {Audience: "a", Secret: testSecret},
		"no audience":  {Issuer: "i", Secret: testSecret},
		"rsa 1024":     {Issuer: "i", Audience: "a", PublicKeys: []crypto.PublicKey{&small.PublicKey}},
		"p384":         {Issuer: "i", Audience: "a", PublicKeys: []crypto.PublicKey{&p384.PublicKey}},
	} {
		if _, err := NewTokens(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParsePublicKeys([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")); err == nil {
		t.Error("a private key file was accepted as public keys")
	}
}

// FuzzParseJWT: no input panics, and nothing but a token signed with the
// secret verifies.
func FuzzParseJWT(f *testing.F) {
	tk := testTokens(f, TokenConfig{Secret: testSecret})
	good, _, _ := tk.Issue(Principal{ID: "key_x", Scopes: []string{ScopeJobsRead}})
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.")
	parts := strings.Split(good, ".")
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[0] + ".." + parts[2])
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := tk.Verify(raw)
		if err != nil {
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("error does not wrap ErrUnauthenticated: %v", err)
			}
			return
		}
		// Accepted: it must carry a valid HS256 signature of ours, i.e. be
		// the seed token (re-encodings of it aside).
		if p.ID != "key_x" {
			t.Fatalf("forged token accepted: %q as %+v", raw, p)
		}
	})
}
