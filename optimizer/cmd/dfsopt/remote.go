package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// remote talks to a dfsopt gateway.
type remote struct {
	base     string
	key      string
	http     *http.Client
	poll     time.Duration
	progress io.Writer
	// tty redraws the progress on one line (progress is a terminal).
	tty bool
}

// jobStatus is the part of the status document the CLI reads.
type jobStatus struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Progress struct {
		Done  int    `json:"done"`
		Total int    `json:"total"`
		Phase string `json:"phase"`
	} `json:"progress"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// apiError is the gateway's error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field  string `json:"field"`
			Reason string `json:"reason"`
		} `json:"details"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// optimize submits an optimize request (see submit).
func (r *remote) optimize(ctx context.Context, body []byte) ([]byte, error) {
	return r.submit(ctx, "/v1/optimize", body, "")
}

// submit posts the request to path, waits for the job and returns its
// result, read with the query resultQuery (e.g. "?format=csv"; empty: the
// result document). If ctx ends first, the job is canceled.
func (r *remote) submit(ctx context.Context, path string, body []byte, resultQuery string) ([]byte, error) {
	var j jobStatus
	if _, err := r.do(ctx, http.MethodPost, path, body, &j); err != nil {
		return nil, err
	}
	fmt.Fprintf(r.progress, "submitted job %s\n", j.ID)
	t := time.NewTicker(r.poll)
	defer t.Stop()
	line := newProgressLine(r.progress, r.tty)
	defer line.finish()
	for {
		line.update(&j)
		switch j.Status {
		case "succeeded":
			line.finish()
			return r.do(ctx, http.MethodGet, "/v1/jobs/"+j.ID+"/result"+resultQuery, nil, nil)
		case "failed", "canceled":
			if j.Error != nil {
				return nil, fmt.Errorf("job %s %s: %s: %s", j.ID, j.Status, j.Error.Code, j.Error.Message)
			}
			return nil, fmt.Errorf("job %s %s", j.ID, j.Status)
		}
		select {
		case <-ctx.Done():
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := r.do(cctx, http.MethodDelete, "/v1/jobs/"+j.ID, nil, nil); err != nil {
				return nil, fmt.Errorf("interrupted; cancel job %s: %w", j.ID, err)
			}
			return nil, fmt.Errorf("interrupted; job %s canceled", j.ID)
		case <-t.C:
		}
		if _, err := r.do(ctx, http.MethodGet, "/v1/jobs/"+j.ID, nil, &j); err != nil {
			if ctx.Err() != nil {
				continue // canceled on the next turn
			}
			return nil, err
		}
	}
}

// do sends one request and decodes a 2xx JSON answer into out (if not
// nil); it returns the raw body. Non-2xx answers become errors built from
// the error body.
func (r *remote) do(ctx context.Context, method, path string, body []byte, out any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(r.base, "/")+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("X-API-Key", r.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e apiError
		if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
			return nil, fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
		}
		msg := fmt.Sprintf("%s %s: HTTP %d %s: %s", method, path, resp.StatusCode, e.Error.Code, e.Error.Message)
		for _, d := range e.Error.Details {
			msg += fmt.Sprintf("\n  %s: %s", d.Field, d.Reason)
		}
		if e.Error.RequestID != "" {
			msg += "\n  (request id " + e.Error.RequestID + ")"
		}
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity {
			return nil, &usageError{msg: msg}
		}
		return nil, fmt.Errorf("%s", msg)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return b, nil
}
