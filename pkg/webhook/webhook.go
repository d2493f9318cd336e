// Package webhook provides dfsopt's completion webhooks, the Standard
// Webhooks way (https://www.standardwebhooks.com): signing and verifying
// messages (HMAC-SHA256 over "id.timestamp.body" with a "whsec_" secret),
// the policy that decides which target URLs may be called (no private,
// loopback or link-local targets unless allow-listed), the HTTP client
// that delivers one attempt, the retry schedule, and the per-principal
// secrets kept in Redis.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks headers.
const (
	// HeaderID is the message id, the same on every retry of one event,
	// so that receivers can drop duplicates.
	HeaderID = "webhook-id"
	// HeaderTimestamp is the attempt's time in unix seconds.
	HeaderTimestamp = "webhook-timestamp"
	// HeaderSignature is "v1,<base64 HMAC-SHA256>" (several, space
	// separated, may be given; one matching is enough).
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every webhook secret; the rest is the base64 key.
const SecretPrefix = "whsec_"

// secretBytes is the length of the keys NewSecret makes (256 bits).
const secretBytes = 32

// DefaultTolerance is how far a message's timestamp may be from the
// receiver's clock before Verify refuses it (replay protection).
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns.
var (
	// ErrBadSecret: the secret is not "whsec_" and a base64 key.
	ErrBadSecret = errors.New("webhook secret must be whsec_ followed by a base64 key")
	// ErrMissingHeaders: webhook-id, webhook-timestamp or
	// webhook-signature is missing.
	ErrMissingHeaders = errors.New("missing webhook-id, webhook-timestamp or webhook-signature header")
	// ErrBadTimestamp: the timestamp is not unix seconds, or too far from
	// now.
	ErrBadTimestamp = errors.New("webhook timestamp is malformed or outside the tolerance")
	// ErrNoMatch: no v1 signature matches the message.
	ErrNoMatch = errors.New("no matching webhook signature")
)

// NewSecret returns a new random secret: "whsec_" and 32 random bytes in
// base64.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// secretKey decodes a "whsec_" secret into its HMAC key. For
// compatibility with other Standard Webhooks libraries the prefix may be
// omitted.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, ErrBadSecret
	}
	return key, nil
}

// signature returns the base64 HMAC-SHA256 of "id.timestamp.body".
func signature(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns the webhook-signature header value ("v1,<base64>") of a
// message with id, sent at ts, with body.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + signature(key, id, ts.Unix(), body), nil
}

// SetHeaders sets the three Standard Webhooks headers of a message on h.
func SetHeaders(h http.Header, secret, id string, ts time.Time, body []byte) error {
	sig, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return nil
}

// Verify checks a received message as a receiver should: the headers are
// present, the timestamp is within tolerance of now (0: DefaultTolerance),
// and one of the v1 signatures matches the raw body (compared in constant
// time). It returns the message id.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return "", ErrMissingHeaders
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrBadTimestamp, tsText)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return "", fmt.Errorf("%w: %s off", ErrBadTimestamp, d.Round(time.Second))
	}
	want := []byte(signature(key, id, ts, body))
	for s := range strings.FieldsSeq(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if ok && version == "v1" && hmac.Equal([]byte(sig), want) {
			return id, nil
		}
	}
	return "", ErrNoMatch
}
