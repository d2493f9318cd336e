// Package requestid provides request ids: the X-Request-ID header, the
// check that a client-supplied id is sane, and new random ids.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// Header is the HTTP header that carries the request id.
const Header = "X-Request-ID"

// MaxLen is the longest accepted client-supplied id.
const MaxLen = 128

// Valid reports whether a client-supplied id may be used as is: 1 to MaxLen
// characters of ASCII letters, digits, '-', '_', '.', ':' and '/'.
func Valid(id string) bool {
	if id == "" || len(id) > MaxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '/':
		default:
			return false
		}
	}
	return true
}

// New returns a random 32-character hex id.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b[:])
}

// Sanitize returns id when Valid, otherwise a new id.
func Sanitize(id string) string {
	if Valid(id) {
		return id
	}
	return New()
}

type ctxKey struct{}

// With returns a context carrying the request id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the context's request id, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}
