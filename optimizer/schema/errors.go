// Package schema defines the request and result documents of every dfsopt job:
// the one JSON schema shared by the HTTP API, the task payloads and the CLI,
// with decoding and validation that name the offending field.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Reasons used in FieldError.Reason.
const (
	ReasonRequired   = "required"
	ReasonOutOfRange = "out_of_range"
	ReasonInvalid    = "invalid"
	ReasonUnknown    = "unknown_field"
	ReasonType       = "wrong_type"
	ReasonSyntax     = "syntax"
	ReasonDuplicate  = "duplicate"
	ReasonConflict   = "conflict"
	ReasonNotFound   = "not_found"
	// ReasonTooMany closes a list cut at MaxFieldErrors; its message says
	// how many problems were left out.
	ReasonTooMany = "too_many_errors"
)

// MaxFieldErrors is the most field errors a ValidationError lists; a
// document with more problems (a whole slate posted under the wrong sport)
// gets the first MaxFieldErrors and a ReasonTooMany entry counting the rest.
const MaxFieldErrors = 100

// FieldError is one problem with one field of a document.
type FieldError struct {
	Field   string `json:"field"`
	Reason  string `json:"reason"`
	Message string `json:"message,omitempty"`
}

// ValidationError lists every problem found in a document. Callers map it to
// HTTP 400/422 with the fields in the error details.
type ValidationError struct {
	Errors []FieldError
}

// JobCode is the job failure code of a request that fails validation:
// "invalid_request". The service maps job failures through a
// JobCode() string interface that every compute error implements.
func (e *ValidationError) JobCode() string { return "invalid_request" }

// Error returns the first problem's message, and how many more there are.
func (e *ValidationError) Error() string {
	if len(e.Errors) == 0 {
		return "invalid request"
	}
	first := e.Errors[0]
	msg := first.Message
	if msg == "" {
		msg = first.Field + ": " + first.Reason
	}
	if n := len(e.Errors) - 1; n > 0 {
		msg = fmt.Sprintf("%s (and %d more)", msg, n)
	}
	return msg
}

// errorList accumulates field errors during validation, keeping the first
// MaxFieldErrors and counting the rest.
type errorList struct {
	errs []FieldError
	more int
}

func (l *errorList) add(field, reason, format string, args ...any) {
	if len(l.errs) >= MaxFieldErrors {
		l.more++
		return
	}
	l.errs = append(l.errs, FieldError{Field: field, Reason: reason, Message: fmt.Sprintf(format, args...)})
}

func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	errs := l.errs
	if l.more > 0 {
		errs = append(errs, FieldError{Reason: ReasonTooMany, Message: fmt.Sprintf("%d more problems not listed", l.more)})
	}
	return &ValidationError{Errors: errs}
}

// Decode reads one JSON document into v, rejecting unknown fields and
// trailing data. Errors are *ValidationError naming the field.
func Decode(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &ValidationError{Errors: []FieldError{{Field: "", Reason: ReasonSyntax, Message: "unexpected data after the JSON document"}}}
	}
	return nil
}

// DecodeBytes is Decode over a byte slice.
func DecodeBytes(b []byte, v any) error { return Decode(bytes.NewReader(b), v) }

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return &ValidationError{Errors: []FieldError{{Reason: ReasonRequired, Message: "request body is empty"}}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &ValidationError{Errors: []FieldError{{Reason: ReasonSyntax, Message: "request body is truncated JSON"}}}
	case errors.As(err, &syn):
		return &ValidationError{Errors: []FieldError{{Reason: ReasonSyntax, Message: fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn)}}}
	case errors.As(err, &typ):
		field := typ.Field
		return &ValidationError{Errors: []FieldError{{Field: field, Reason: ReasonType,
			Message: fmt.Sprintf("%s must be %s, not %s", orBody(field), typ.Type.String(), typ.Value)}}}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return &ValidationError{Errors: []FieldError{{Field: name, Reason: ReasonUnknown, Message: fmt.Sprintf("unknown field %q", name)}}}
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	return &ValidationError{Errors: []FieldError{{Reason: ReasonInvalid, Message: msg}}}
}

func orBody(field string) string {
	if field == "" {
		return "the body"
	}
	return field
}
