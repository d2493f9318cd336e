package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "usage:"},
		{[]string{"help"}, exitOK, "usage:"},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{[]string{"optimize"}, exitUsage, "--request FILE is required"},
		{[]string{"optimize", "--request", "testdata/missing.json"}, exitUsage, "read request"},
		{[]string{"optimize", "--request", "testdata/optimize-nba-tiny.json", "--server", "http://127.0.0.1:1"}, exitUsage, "--api-key"},
	}
	for _, c := range cases {
		t.Setenv("DFSOPT_API_KEY", "")
		code, _, stderr := runCLI(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

func TestLocalInvalidRequestNamesTheField(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(p, []byte(`{"site":"draftkings","sport":"nba","lineups":0,"players":[{"id":"1","positions":["PG"],"team":"X"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI("optimize", "--request", p)
	if code != exitUsage || !strings.Contains(stderr, "lineups") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestLocalOptimize(t *testing.T) {
	code, stdout, stderr := runCLI("optimize", "--request", "testdata/optimize-nba-tiny.json", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res schema.OptimizeResult
	if err := schema.DecodeBytes([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not a result document: %v\n%s", err, stdout)
	}
	if len(res.Lineups) != 3 {
		t.Fatalf("%d lineups", len(res.Lineups))
	}
	for i, l := range res.Lineups {
		if l.Salary > 50000 || len(l.Players) != 8 {
			t.Errorf("lineup %d: salary %d, %d players", i, l.Salary, len(l.Players))
		}
	}
}

// fakeGateway answers like the gateway: queued, then running, then
// succeeded with a fixed result.
func fakeGateway(t *testing.T, final string) *httptest.Server {
	t.Helper()
	var polls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/optimize", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "k" {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"error":{"code":"unauthenticated","message":"missing or invalid API key","request_id":"r1"}}`))
			return
		}
		w.WriteHeader(202)
		_, _ = w.Write([]byte(`{"id":"job_1","status":"queued","progress":{"done":0,"total":0}}`))
	})
	mux.HandleFunc("GET /v1/jobs/job_1", func(w http.ResponseWriter, r *http.Request) {
		n := polls.Add(1)
		st := "running"
		if n > 2 {
			st = final
		}
		doc := map[string]any{"id": "job_1", "status": st, "progress": map[string]any{"done": n, "total": 3, "phase": "optimizing"}}
		if st == "failed" {
			doc["error"] = map[string]string{"code": "compute_failed", "message": "no valid lineup"}
		}
		_ = json.NewEncoder(w).Encode(doc)
	})
	mux.HandleFunc("GET /v1/jobs/job_1/result", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("format") == "csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			_, _ = w.Write([]byte("PG,SG\n1 (1),2 (2)\n"))
			return
		}
		_, _ = w.Write([]byte(`{"lineups":[],"exposures":{},"stats":{"solve_ms":1}}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRemote(t *testing.T) {
	srv := fakeGateway(t, "succeeded")
	code, stdout, stderr := runCLI("optimize", "--request", "testdata/optimize-nba-tiny.json", "--server", srv.URL, "--api-key", "k", "--poll", "1ms")
	if code != exitOK || strings.TrimSpace(stdout) != `{"lineups":[],"exposures":{},"stats":{"solve_ms":1}}` {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	for _, want := range []string{"submitted job job_1", "running 1/3", "succeeded"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q: %s", want, stderr)
		}
	}
}

func TestRemoteErrors(t *testing.T) {
	srv := fakeGateway(t, "failed")
	code, _, stderr := runCLI("optimize", "--request", "testdata/optimize-nba-tiny.json", "--server", srv.URL, "--api-key", "k", "--poll", "1ms")
	if code != exitFailed || !strings.Contains(stderr, "compute_failed: no valid lineup") {
		t.Fatalf("failed job: exit %d: %s", code, stderr)
	}
	code, _, stderr = runCLI("optimize", "--request", "testdata/optimize-nba-tiny.json", "--server", srv.URL, "--api-key", "wrong")
	if code != exitFailed || !strings.Contains(stderr, "401 unauthenticated") || !strings.Contains(stderr, "request id r1") {
		t.Fatalf("bad key: exit %d: %s", code, stderr)
	}
}

// TestLocalCalibrationRefused: a local run cannot resolve calibration_id
// (no calibration cache): simulate and contest-sim refuse it (exit 2),
// naming the field and --server, instead of simulating without it.
func TestLocalCalibrationRefused(t *testing.T) {
	for _, cmd := range []string{"contest-sim", "simulate"} {
		b, err := os.ReadFile("testdata/" + cmd + "-nba-tiny.json")
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		doc["calibration_id"] = "latest"
		b, _ = json.Marshal(doc)
		p := filepath.Join(t.TempDir(), "req.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(cmd, "--request", p, "--quiet")
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, "calibration_id") || !strings.Contains(stderr, "--server") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", cmd, code, stdout, stderr)
		}
	}
}

// TestRemoteCSV: --format with --server downloads the gateway's upload CSV
// (result?format=csv) as is; a site-specific format for a request of the
// other site is refused before anything is submitted.
func TestRemoteCSV(t *testing.T) {
	srv := fakeGateway(t, "succeeded")
	for _, format := range []string{"csv", "dk-csv"} {
		code, stdout, stderr := runCLI("optimize", "--request", "testdata/optimize-nba-tiny.json", "--server", srv.URL, "--api-key", "k", "--poll", "1ms", "--format", format)
		if code != exitOK || stdout != "PG,SG\n1 (1),2 (2)\n" {
			t.Fatalf("--format %s: exit %d stdout %q stderr %q", format, code, stdout, stderr)
		}
	}
	code, _, stderr := runCLI("optimize", "--request", "testdata/optimize-nba-tiny.json", "--server", srv.URL, "--api-key", "k", "--format", "fd-csv")
	if code != exitUsage || !strings.Contains(stderr, "needs a fanduel request") || strings.Contains(stderr, "submitted") {
		t.Fatalf("--format fd-csv on a draftkings request: exit %d: %s", code, stderr)
	}
	code, _, stderr = runCLI("simulate", "--request", "testdata/optimize-nba-tiny.json", "--server", srv.URL, "--api-key", "k", "--format", "csv")
	if code != exitUsage || !strings.Contains(stderr, "optimize only") {
		t.Fatalf("--format on simulate: exit %d: %s", code, stderr)
	}
}

// TestProgressLine: on a terminal the status is one line redrawn in place
// with a bar, ended by a newline; elsewhere one plain line per change.
func TestProgressLine(t *testing.T) {
	var b strings.Builder
	p := newProgressLine(&b, true)
	for done := range 3 {
		j := jobStatus{ID: "job_1", Status: "running"}
		j.Progress.Done, j.Progress.Total, j.Progress.Phase = done*2, 4, "optimizing"
		p.update(&j)
		p.update(&j) // unchanged: not redrawn
	}
	p.finish()
	want := "\r\x1b[K[------------------------] job_1: running 0/4 (optimizing)" +
		"\r\x1b[K[############------------] job_1: running 2/4 (optimizing)" +
		"\r\x1b[K[########################] job_1: running 4/4 (optimizing)\n"
	if b.String() != want {
		t.Fatalf("tty progress = %q, want %q", b.String(), want)
	}

	b.Reset()
	p = newProgressLine(&b, false)
	j := jobStatus{ID: "job_1", Status: "queued"}
	p.update(&j)
	p.update(&j)
	j.Status = "succeeded"
	p.update(&j)
	p.finish()
	if b.String() != "job_1: queued\njob_1: succeeded\n" {
		t.Fatalf("plain progress = %q", b.String())
	}
	if isTerminal(&b) {
		t.Fatal("a strings.Builder is not a terminal")
	}
}
