// Package schema defines the request and result documents of every dfsopt job:
// the one JSON schema shared by the HTTP API, the task payloads and the CLI,
// with decoding and validation that name the offending field.
package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
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
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read JSON document: %w", err)
	}
	return DecodeBytes(b, v)
}

// DecodeBytes decodes one JSON document into v strictly: member names
// match exactly (case included), unknown and duplicate members, invalid
// UTF-8 and trailing data are refused. Errors are *ValidationError naming
// the field as validation does ("players[3].salary").
//
// v should point to a zero document; after an error its content is
// unspecified. Player lists are read by a scanner (see players.go), the
// rest by the library.
//
// It uses the encoding/json/v2 API (github.com/go-json-experiment/json, the
// standard library's from Go 1.27): about three times as fast as
// encoding/json on request documents, and strict where encoding/json is
// lenient (case-insensitive names, last duplicate wins).
func DecodeBytes(b []byte, v any) error { return decodeBytes(b, v, unmarshalStrict) }

// decodeBytes is DecodeBytes with the library call unmarshal.
func decodeBytes(b []byte, v any, unmarshal func([]byte, any) error) error {
	if len(bytes.Trim(b, " \t\r\n")) == 0 {
		return &ValidationError{Errors: []FieldError{{Reason: ReasonRequired, Message: "request body is empty"}}}
	}
	if err := unmarshal(b, v); err != nil {
		return decodeError(reflect.TypeOf(v), err)
	}
	return nil
}

// RejectNulls returns a *ValidationError naming the first member or
// element of the JSON document b whose value is null, as DecodeBytes names
// fields for a document of v's type; nil when there is none. The values
// of object members named in opaque (documents carried whole, checked on
// their own) are not looked into. b must be valid JSON (DecodeBytes
// accepted it). For documents none of whose members is nullable.
func RejectNulls(b []byte, v any, opaque ...string) error {
	if !bytes.Contains(b, []byte("null")) {
		return nil // no null token can be there: skip the walk
	}
	dec := jsontext.NewDecoder(bytes.NewReader(b))
	for {
		switch dec.PeekKind() {
		case 0: // the end (or an error DecodeBytes has reported)
			return nil
		case 'n':
			if _, err := dec.ReadToken(); err != nil {
				return nil
			}
			field := fieldPath(reflect.TypeOf(v), dec.StackPointer())
			return &ValidationError{Errors: []FieldError{{Field: field, Reason: ReasonType, Message: fmt.Sprintf("%s must not be null", orBody(field))}}}
		}
		tok, err := dec.ReadToken()
		if err != nil {
			return nil
		}
		if tok.Kind() != '"' {
			continue
		}
		if kind, n := dec.StackIndex(dec.StackDepth()); kind == '{' && n%2 == 1 && slices.Contains(opaque, tok.String()) {
			if err := dec.SkipValue(); err != nil {
				return nil
			}
		}
	}
}

// decodeError turns a decoding error of a document into t into a
// *ValidationError. The library's own messages are not passed on (they
// are not a stable text).
func decodeError(t reflect.Type, err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve // from a document's own UnmarshalJSON
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &ValidationError{Errors: []FieldError{{Reason: ReasonSyntax, Message: "request body is truncated JSON"}}}
	}
	var ptr jsontext.Pointer
	var sem *json.SemanticError
	if errors.As(err, &sem) {
		ptr = sem.JSONPointer
		err = sem.Err
	}
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		field := fieldPath(t, ptr+syn.JSONPointer)
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) { // not well-formed (RFC 7493): a syntax error
			return &ValidationError{Errors: []FieldError{{Field: field, Reason: ReasonSyntax,
				Message: fmt.Sprintf("%s appears twice in its object", orBody(field))}}}
		}
		return &ValidationError{Errors: []FieldError{{Field: field, Reason: ReasonSyntax,
			Message: fmt.Sprintf("invalid JSON at byte %d: %s", syn.ByteOffset, syntaxProblem(syn.Err))}}}
	}
	if sem == nil {
		return &ValidationError{Errors: []FieldError{{Reason: ReasonInvalid, Message: "the document cannot be read"}}}
	}
	field := fieldPath(t, ptr)
	switch {
	case errors.Is(sem.Err, json.ErrUnknownName):
		name := ptr.LastToken()
		return &ValidationError{Errors: []FieldError{{Field: field, Reason: ReasonUnknown, Message: fmt.Sprintf("unknown field %q", name)}}}
	case sem.GoType != nil && sem.JSONKind == '0' && kindOf(sem.GoType) == '0' && !bytes.ContainsAny(sem.JSONValue, ".eE"):
		return &ValidationError{Errors: []FieldError{{Field: field, Reason: ReasonOutOfRange,
			Message: fmt.Sprintf("%s must be %s; %s is out of its range", orBody(field), describeType(sem.GoType), sem.JSONValue)}}}
	case sem.GoType != nil && sem.JSONKind != 0:
		return &ValidationError{Errors: []FieldError{{Field: field, Reason: ReasonType,
			Message: fmt.Sprintf("%s must be %s, not %s", orBody(field), describeType(sem.GoType), describeKind(sem.JSONKind, sem.JSONValue))}}}
	}
	return &ValidationError{Errors: []FieldError{{Field: field, Reason: ReasonInvalid, Message: fmt.Sprintf("%s cannot be read", orBody(field))}}}
}

// syntaxProblem says what is wrong with the JSON text, in words of our own.
func syntaxProblem(err error) string {
	switch {
	case err != nil && strings.Contains(err.Error(), "UTF-8"): // jsontext exports no error value for it
		return "invalid UTF-8"
	case errors.Is(err, jsontext.ErrNonStringName):
		return "object member names must be strings"
	}
	return "not valid JSON here"
}

// fieldPath renders a JSON pointer into a document of type t as the field
// names validation uses: array elements as [i], object members after a
// dot ("players[3].salary", "constraints.exposures.p1.max").
func fieldPath(t reflect.Type, ptr jsontext.Pointer) string {
	var b strings.Builder
	for tok := range ptr.Tokens() {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			b.WriteString("[" + tok + "]")
			t = t.Elem()
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
		t = memberType(t, tok)
	}
	return b.String()
}

// memberType returns the type of member name of an object of type t (nil
// when unknown): a map's values, or the struct field named so in JSON
// (fields of embedded structs included).
func memberType(t reflect.Type, name string) reflect.Type {
	switch {
	case t == nil:
		return nil
	case t.Kind() == reflect.Map:
		return t.Elem()
	case t.Kind() != reflect.Struct:
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-":
		case tag == "" && f.Anonymous:
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if mt := memberType(et, name); mt != nil {
				return mt
			}
		case tag == name, tag == "" && f.IsExported() && f.Name == name:
			return f.Type
		}
	}
	return nil
}

// kindOf returns the JSON kind a value of Go type t is written as.
func kindOf(t reflect.Type) jsontext.Kind {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return '"'
	case reflect.Bool:
		return 't'
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return '0'
	case reflect.Slice, reflect.Array:
		return '['
	case reflect.Map, reflect.Struct:
		return '{'
	}
	return 0
}

// describeType names the JSON a Go type takes, for messages.
func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

// describeKind names a JSON value of kind k (and its text, for a number
// or a short string), for messages.
func describeKind(k jsontext.Kind, v jsontext.Value) string {
	switch k {
	case '"':
		if len(v) > 0 && len(v) <= 40 {
			return "the string " + string(v)
		}
		return "a string"
	case '0':
		if len(v) > 0 && len(v) <= 40 {
			return "the number " + string(v)
		}
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '[':
		return "an array"
	case '{':
		return "an object"
	}
	return "another kind of value"
}

func orBody(field string) string {
	if field == "" {
		return "the body"
	}
	return field
}
