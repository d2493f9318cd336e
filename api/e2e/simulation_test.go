package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// fanOutEnv makes the worker split the tiny contest-sim job (500 sims × 30
// lineups) into chunks of 200 sims.
var fanOutEnv = []string{"DFSOPT_CONTEST_CHUNK_SIMS=200", "DFSOPT_CONTEST_FANOUT_THRESHOLD=10000"}

// checkSimulationJobs runs simulate, contest-sim (fanned out), ownership and
// portfolio through the gateway and the worker, and compares each result
// document with the local CLI's on the same request (the fanned-out
// contest-sim must equal the single run exactly, timing aside).
func (e *env) checkSimulationJobs(t *testing.T) {
	for _, c := range []struct{ cmd, path string }{
		{"simulate", "/v1/simulate"}, {"contest-sim", "/v1/contest-sim"},
		{"ownership", "/v1/ownership"}, {"portfolio", "/v1/portfolio"},
	} {
		t.Run(c.cmd, func(t *testing.T) {
			file := filepath.Join("testdata", c.cmd+"-nba-tiny.json")
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			st, _, b := e.do(t, "POST", c.path, adminKey, body, nil)
			if st != http.StatusAccepted {
				t.Fatalf("submit: %d %s", st, b)
			}
			var j jobDoc
			mustJSON(t, b, &j)
			done := e.wait(t, adminKey, j.ID, 60*time.Second)
			if done.Status != "succeeded" {
				t.Fatalf("job %+v", done)
			}
			st, _, remote := e.do(t, "GET", "/v1/jobs/"+j.ID+"/result", adminKey, nil, nil)
			if st != http.StatusOK {
				t.Fatalf("result: %d %s", st, remote)
			}
			local, _ := e.dfsopt(t, c.cmd, "--request", file, "--quiet")
			same(t, c.cmd, remote, local)
			// The CLI's remote mode, through a proxy that checks the
			// gateway's answers against the spec: the same result,
			// computed again (the result cache bypassed), with progress.
			stdout, stderr := e.dfsopt(t, append([]string{c.cmd, "--request", bypassCache(t, file)}, e.remoteFlags(t)...)...)
			if !strings.Contains(string(stderr), "submitted job") {
				t.Errorf("dfsopt %s --server: no progress on stderr: %q", c.cmd, stderr)
			}
			same(t, c.cmd+" --server", remote, stdout)
		})
	}
	t.Run("calibrate", func(t *testing.T) {
		// Calibration runs on the service only: the CLI's remote mode,
		// through the spec-checking proxy, on real NFL history.
		file := filepath.Join(t.TempDir(), "calibrate.json")
		if err := os.WriteFile(file, exampleBody(t, "calibrate-nfl-2021-w01-w03.json", map[string]any{"cache": "bypass"}), 0o600); err != nil {
			t.Fatal(err)
		}
		stdout, stderr := e.dfsopt(t, append([]string{"calibrate", "--request", file}, e.remoteFlags(t)...)...)
		var res schema.CalibrateResult
		mustJSON(t, stdout, &res)
		if !strings.HasPrefix(res.CalibrationID, "cal_") || res.Sport != "nfl" || res.Rows != 278 || len(res.Parameters) == 0 {
			t.Fatalf("calibration: id %q sport %q rows %d, %d parameters", res.CalibrationID, res.Sport, res.Rows, len(res.Parameters))
		}
		if !strings.Contains(string(stderr), "submitted job") {
			t.Errorf("no progress on stderr: %q", stderr)
		}
	})
	if !e.worker.logHas("contest_sim fanned out") || !e.worker.logHas("fanned-out job merged") {
		t.Errorf("the contest-sim job was not fanned out:\n%s", e.worker.logs())
	}
	t.Run("worker failure keeps the field", func(t *testing.T) {
		// An unknown calibration can only be found out by the worker: the job
		// fails with the field named, in its status and in its result's 422.
		var doc map[string]any
		body, err := os.ReadFile(filepath.Join("testdata", "simulate-nba-tiny.json"))
		if err != nil {
			t.Fatal(err)
		}
		mustJSON(t, body, &doc)
		doc["calibration_id"] = "cal_ffffffffffffffffffffffffffffffff"
		body, _ = json.Marshal(doc)
		st, _, b := e.do(t, "POST", "/v1/simulate", adminKey, body, nil)
		if st != http.StatusAccepted {
			t.Fatalf("submit: %d %s", st, b)
		}
		var j jobDoc
		mustJSON(t, b, &j)
		done := e.wait(t, adminKey, j.ID, 60*time.Second)
		if done.Status != "failed" || done.Error == nil || done.Error.Code != "invalid_request" ||
			len(done.Error.Details) != 1 || done.Error.Details[0].Field != "calibration_id" {
			t.Fatalf("job %+v %+v", done, done.Error)
		}
		st, _, b = e.do(t, "GET", "/v1/jobs/"+j.ID+"/result", adminKey, nil, nil)
		if st != http.StatusUnprocessableEntity || !strings.Contains(string(b), `"field":"calibration_id"`) {
			t.Fatalf("result: %d %s", st, b)
		}
	})
}

// bypassCache writes a copy of the request document in file with
// "cache": "bypass" and returns its path.
func bypassCache(t *testing.T, file string) string {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	mustJSON(t, body, &doc)
	doc["cache"] = "bypass"
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// same compares two result documents with the timings zeroed.
func same(t *testing.T, what string, a, b []byte) {
	t.Helper()
	norm := func(x []byte) any {
		var v map[string]any
		mustJSON(t, x, &v)
		if st, ok := v["stats"].(map[string]any); ok {
			for _, k := range []string{"sim_ms", "generate_ms", "select_ms"} {
				if _, ok := st[k]; ok {
					st[k] = 0
				}
			}
		}
		return v
	}
	if x, y := norm(a), norm(b); !reflect.DeepEqual(x, y) {
		ja, _ := json.Marshal(x)
		jb, _ := json.Marshal(y)
		t.Errorf("%s: the API result differs from the local run:\n api %.600s\n cli %.600s", what, ja, jb)
	}
}
