package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/lineup"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// optimizeLocal validates and computes an optimize request in process.
func optimizeLocal(ctx context.Context, body []byte, progress io.Writer) ([]byte, error) {
	var req schema.OptimizeRequest
	err := schema.DecodeBytes(body, &req)
	if err == nil {
		err = req.Validate()
	}
	var ve *schema.ValidationError
	if errors.As(err, &ve) {
		return nil, &usageError{msg: describeValidation(ve)}
	}
	if err != nil {
		return nil, err
	}
	last := -1
	res, err := lineup.Optimize(ctx, &req, func(done, total int) {
		if done != last {
			last = done
			fmt.Fprintf(progress, "\roptimizing: %d/%d lineups", done, total)
		}
	})
	if last >= 0 {
		fmt.Fprintln(progress)
	}
	if err != nil {
		return nil, fmt.Errorf("optimize: %w", err)
	}
	return json.Marshal(res)
}

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
