package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// TestLocalJobs runs each simulation subcommand on its tiny request and
// decodes the result document.
func TestLocalJobs(t *testing.T) {
	cases := []struct {
		cmd   string
		check func(t *testing.T, out []byte)
	}{
		{"simulate", func(t *testing.T, out []byte) {
			var r schema.SimulateResult
			mustDecode(t, out, &r)
			if len(r.Players) != 12 || r.Players[0].SimOptimalRate == nil {
				t.Errorf("result %+v", r)
			}
		}},
		{"ownership", func(t *testing.T, out []byte) {
			var r schema.OwnershipResult
			mustDecode(t, out, &r)
			if len(r.Players) != 12 || r.RosterSize != 8 {
				t.Errorf("result %+v", r)
			}
		}},
		{"contest-sim", func(t *testing.T, out []byte) {
			var r schema.ContestSimResult
			mustDecode(t, out, &r)
			if len(r.Entries) != 2 || r.Sims != 500 || r.Stats.FieldSize != 28 {
				t.Errorf("result %+v", r)
			}
		}},
		{"portfolio", func(t *testing.T, out []byte) {
			var r schema.PortfolioSelection
			mustDecode(t, out, &r)
			if len(r.Entries) != 2 || r.Sims != 500 || r.Candidates < 3 {
				t.Errorf("result %+v", r)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.cmd, func(t *testing.T) {
			code, stdout, stderr := runCLI(c.cmd, "--request", "testdata/"+c.cmd+"-nba-tiny.json", "--quiet")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			c.check(t, []byte(stdout))
		})
	}
}

func mustDecode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := schema.DecodeBytes(b, v); err != nil {
		t.Fatalf("not a result document: %v\n%.500s", err, b)
	}
}

// TestContestSimFromFiles builds the contest-sim request from the real
// DraftKings NBA files (salaries, projections, entries, payouts).
func TestContestSimFromFiles(t *testing.T) {
	dir := filepath.Dir(realSlate(t, "dk-nba-2025-01-12/DKEntries.csv")) + "/"
	code, stdout, stderr := runCLI("contest-sim", "--salaries", dir+"DKSalaries.csv", "--projections", dir+"projections.csv",
		"--entries", dir+"DKEntries.csv", "--payouts", dir+"payouts-20K-Four-Point-Play.csv",
		"--field-size", "1000", "--sims", "300", "--seed", "3", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r schema.ContestSimResult
	mustDecode(t, []byte(stdout), &r)
	if len(r.Entries) == 0 || r.Sims != 300 || r.Stats.FieldSize != 1000 || !r.Stats.FieldGenerated {
		t.Fatalf("result %+v", r.Stats)
	}
	for _, e := range r.Entries {
		if e.ROI < -1 || e.MeanPayout < 0 {
			t.Errorf("entry %+v", e)
		}
	}
	t.Logf("%d entries, portfolio %+v, warnings %v", len(r.Entries), r.Portfolio, r.Warnings)

	// Missing pieces are usage errors naming the problem.
	code, _, stderr = runCLI("contest-sim", "--projections", dir+"projections.csv")
	if code != exitUsage || !strings.Contains(stderr, "--projections needs --salaries") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	code, _, stderr = runCLI("contest-sim", "--salaries", dir+"DKSalaries.csv", "--payouts", dir+"payouts-20K-Four-Point-Play.csv")
	if code != exitUsage || !strings.Contains(stderr, "entries") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// TestRemoteJobs submits each subcommand to its route on a fake gateway.
func TestRemoteJobs(t *testing.T) {
	var paths []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/", func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		body, _ := io.ReadAll(r.Body)
		if len(body) == 0 {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(202)
		_, _ = w.Write([]byte(`{"id":"job_9","status":"succeeded"}`))
	})
	mux.HandleFunc("GET /v1/jobs/job_9/result", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, c := range []string{"simulate", "contest-sim", "ownership", "portfolio"} {
		code, stdout, stderr := runCLI(c, "--request", "testdata/"+c+"-nba-tiny.json", "--server", srv.URL, "--api-key", "k")
		if code != exitOK || strings.TrimSpace(stdout) != `{"ok":true}` {
			t.Errorf("%s: exit %d stdout %q stderr %q", c, code, stdout, stderr)
		}
	}
	want := "/v1/simulate /v1/contest-sim /v1/ownership /v1/portfolio"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("paths %s, want %s", got, want)
	}
}
