package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
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
			cmd := exec.Command(filepath.Join(e.bin, "dfsopt"), c.cmd, "--request", file, "--quiet")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("dfsopt %s: %v\n%s", c.cmd, err, stderr.String())
			}
			same(t, c.cmd, remote, stdout.Bytes())
		})
	}
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
