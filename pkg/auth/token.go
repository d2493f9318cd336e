package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token limits.
const (
	// MinSecretLen is the shortest HS256 secret accepted (256 bits).
	MinSecretLen = 32
	// MaxTokenLen is the longest bearer token looked at.
	MaxTokenLen = 8192
)

// Claims are the JWT claims dfsopt issues and reads: the registered ones
// and "scope", space-separated scopes.
type Claims struct {
	Scope string `json:"scope,omitempty"`
	jwt.RegisteredClaims
}

// TokenConfig configures token verification (and, with a Secret, issuing).
type TokenConfig struct {
	// Secret is the HS256 key (DFSOPT_JWT_SECRET); nil disables HS256.
	Secret []byte
	// PublicKeys verify RS256 (*rsa.PublicKey) and ES256 (P-256
	// *ecdsa.PublicKey) tokens of an external identity provider
	// (DFSOPT_JWT_PUBLIC_KEY_FILE).
	PublicKeys []crypto.PublicKey
	// JWKS, when set, finds the RS256/ES256 key of a token by its kid
	// (DFSOPT_JWT_JWKS_URL, e.g. keyfunc.Keyfunc.Keyfunc).
	JWKS jwt.Keyfunc
	// Issuer and Audience are required in every token (iss, aud).
	Issuer, Audience string
	// Leeway tolerates clock skew on exp, nbf and iat.
	Leeway time.Duration
	// TTL is the lifetime of issued tokens.
	TTL time.Duration
}

// Tokens verifies bearer tokens and issues HS256 tokens.
type Tokens struct {
	cfg     TokenConfig
	methods []string
	parser  *jwt.Parser
	now     func() time.Time
}

// NewTokens returns a verifier (and issuer, with a secret). It fails when
// no key is configured, the secret is short, a public key is of an
// unsupported kind, or the issuer or audience is empty.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("tokens: issuer and audience are required")
	}
	var methods []string
	if cfg.Secret != nil {
		if len(cfg.Secret) < MinSecretLen {
			return nil, fmt.Errorf("tokens: the HS256 secret must have at least %d bytes", MinSecretLen)
		}
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	for _, k := range cfg.PublicKeys {
		switch k := k.(type) {
		case *rsa.PublicKey:
			if k.N.BitLen() < 2048 {
				return nil, errors.New("tokens: RSA public keys must have at least 2048 bits")
			}
		case *ecdsa.PublicKey:
			if k.Curve != elliptic.P256() {
				return nil, errors.New("tokens: ECDSA public keys must be on P-256 (ES256)")
			}
		default:
			return nil, fmt.Errorf("tokens: unsupported public key type %T (want RSA or ECDSA P-256)", k)
		}
	}
	if len(cfg.PublicKeys) > 0 || cfg.JWKS != nil {
		methods = append(methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg())
	}
	if len(methods) == 0 {
		return nil, errors.New("tokens: no key configured (secret, public keys or JWKS)")
	}
	t := &Tokens{cfg: cfg, methods: methods, now: time.Now}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	)
	return t, nil
}

// Methods returns the accepted signing algorithms.
func (t *Tokens) Methods() []string { return t.methods }

// CanIssue reports whether tokens can be issued (an HS256 secret is set).
func (t *Tokens) CanIssue() bool { return t.cfg.Secret != nil }

// TTL returns the lifetime of issued tokens.
func (t *Tokens) TTL() time.Duration { return t.cfg.TTL }

// Issue returns an HS256 token for the principal, valid for the TTL, and
// its expiry.
func (t *Tokens) Issue(p Principal) (string, time.Time, error) {
	if !t.CanIssue() {
		return "", time.Time{}, errors.New("issue token: no HS256 secret configured")
	}
	now := t.now().Truncate(time.Second)
	exp := now.Add(t.cfg.TTL)
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	c := Claims{
		Scope: strings.Join(p.Scopes, " "),
		RegisteredClaims: jwt.RegisteredClaims{
			Subject: p.ID, Issuer: t.cfg.Issuer, Audience: jwt.ClaimStrings{t.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ID: hex.EncodeToString(jti[:]),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.cfg.Secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue token: %w", err)
	}
	return s, exp, nil
}

// ExternalPrefix starts the principal id of a token from an external
// identity provider (RS256/ES256): "ext:<sub>". Its subjects live in their
// own namespace, so no provider subject can act as a dfsopt key, user or
// the admin principal.
const ExternalPrefix = "ext:"

// Verify checks a bearer token (signature with an allowed algorithm, exp
// required, nbf and iat, issuer, audience, a subject) and returns its
// principal: the subject for HS256 tokens (issued by dfsopt), "ext:" and
// the subject for RS256/ES256 ones. Every failure wraps
// ErrUnauthenticated.
func (t *Tokens) Verify(raw string) (Principal, error) {
	if raw == "" || len(raw) > MaxTokenLen {
		return Principal{}, ErrUnauthenticated
	}
	var c Claims
	tok, err := t.parser.ParseWithClaims(raw, &c, t.key)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	if !tok.Valid || c.Subject == "" || len(c.Subject) > 256 {
		return Principal{}, fmt.Errorf("%w: token has no subject", ErrUnauthenticated)
	}
	var scopes []string
	for s := range strings.FieldsSeq(c.Scope) {
		if KnownScope(s) {
			scopes = append(scopes, s)
		}
	}
	id := c.Subject
	if tok.Method != jwt.SigningMethodHS256 {
		id = ExternalPrefix + c.Subject
	}
	return Principal{ID: id, Name: c.Subject, Scopes: scopes}, nil
}

// key returns the verification key of a token, after checking that its
// algorithm is one of ours and matches the kind of key (the parser checks
// the allowed list too: this is the second lock).
func (t *Tokens) key(tok *jwt.Token) (any, error) {
	switch tok.Method.(type) {
	case *jwt.SigningMethodHMAC:
		if tok.Method != jwt.SigningMethodHS256 || t.cfg.Secret == nil {
			return nil, fmt.Errorf("unexpected signing method %s", tok.Method.Alg())
		}
		return t.cfg.Secret, nil
	case *jwt.SigningMethodRSA, *jwt.SigningMethodECDSA:
		if tok.Method != jwt.SigningMethodRS256 && tok.Method != jwt.SigningMethodES256 {
			return nil, fmt.Errorf("unexpected signing method %s", tok.Method.Alg())
		}
	default:
		return nil, fmt.Errorf("unexpected signing method %s", tok.Method.Alg())
	}
	if t.cfg.JWKS != nil {
		if _, hasKID := tok.Header["kid"]; hasKID || len(t.cfg.PublicKeys) == 0 {
			k, err := t.cfg.JWKS(tok)
			if err != nil {
				return nil, fmt.Errorf("jwks: %w", err)
			}
			if !keyFits(tok.Method, k) {
				return nil, fmt.Errorf("the JWKS key does not fit %s", tok.Method.Alg())
			}
			return k, nil
		}
	}
	var keys jwt.VerificationKeySet
	for _, k := range t.cfg.PublicKeys {
		if keyFits(tok.Method, k) {
			keys.Keys = append(keys.Keys, k)
		}
	}
	if len(keys.Keys) == 0 {
		return nil, fmt.Errorf("no key for %s", tok.Method.Alg())
	}
	return keys, nil
}

// keyFits reports whether k is the kind of key the method verifies with.
func keyFits(m jwt.SigningMethod, k any) bool {
	switch k := k.(type) {
	case *rsa.PublicKey:
		return m == jwt.SigningMethodRS256
	case *ecdsa.PublicKey:
		return m == jwt.SigningMethodES256 && k.Curve == elliptic.P256()
	}
	return false
}

// ParsePublicKeys reads the PEM public keys (PKIX "PUBLIC KEY" or PKCS#1
// "RSA PUBLIC KEY" blocks, or certificates) of a DFSOPT_JWT_PUBLIC_KEY_FILE.
func ParsePublicKeys(pemData []byte) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for {
		var b *pem.Block
		b, pemData = pem.Decode(pemData)
		if b == nil {
			break
		}
		var k any
		var err error
		switch b.Type {
		case "PUBLIC KEY":
			k, err = x509.ParsePKIXPublicKey(b.Bytes)
		case "RSA PUBLIC KEY":
			k, err = x509.ParsePKCS1PublicKey(b.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(b.Bytes); err == nil {
				k = cert.PublicKey
			}
		default:
			return nil, fmt.Errorf("public keys: unexpected PEM block %q (private keys do not belong here)", b.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("public keys: %w", err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("public keys: no PEM public key found")
	}
	return keys, nil
}
