package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

func describeValidation(ve *schema.ValidationError) string {
	var b strings.Builder
	b.WriteString("invalid request:")
	for _, fe := range ve.Errors {
		field := fe.Field
		if field == "" {
			field = "(body)"
		}
		fmt.Fprintf(&b, "\n  %s: %s (%s)", field, fe.Message, fe.Reason)
	}
	return b.String()
}

func indent(b []byte) []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return b
	}
	return out.Bytes()
}
