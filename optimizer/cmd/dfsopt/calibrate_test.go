package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// historyCSV writes 100 rows each of QB and WR (actual = 1.1 × projection
// plus noise) and returns the file's path.
func historyCSV(t *testing.T) string {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString("player_id,name,position,team,opponent,game,date,projection,actual\n")
	for _, pos := range []string{"QB", "WR"} {
		for i := range 100 {
			proj := 8 + 12*r.Float64()
			fmt.Fprintf(&b, "%s%d,P %d,%s,T%d,,,2024-W%02d,%.2f,%.2f\n", pos, i, i, pos, i%8, i%10, proj, 1.1*proj+(2+0.2*proj)*r.NormFloat64())
		}
	}
	path := filepath.Join(t.TempDir(), "history.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCalibrateLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("samples a small calibration (a few seconds)")
	}
	code, stdout, stderr := runCLI("calibrate", "--rows", historyCSV(t), "--seed", "5", "--chains", "4", "--draws", "400", "--warmup", "300", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res schema.CalibrateResult
	mustDecode(t, []byte(stdout), &res)
	if !strings.HasPrefix(res.CalibrationID, "cal_") || res.Sport != "nfl" || res.Rows != 200 || !res.Diagnostics.Converged ||
		res.Diagnostics.Chains != 4 || res.Diagnostics.Draws != 1600 {
		t.Fatalf("result %+v", res.Diagnostics)
	}
	found := false
	for _, p := range res.Parameters {
		if p.Name == "QB.bias" {
			found = p.Mean > 1.0 && p.Mean < 1.2
		}
	}
	if !found {
		t.Errorf("QB.bias missing or off: %+v", res.Parameters)
	}
}

func TestCalibrateErrors(t *testing.T) {
	rows := historyCSV(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--sport", "nfl"}, exitUsage, "--rows"},
		{[]string{"--rows", filepath.Join(t.TempDir(), "missing.csv")}, exitUsage, "no such file"},
		{[]string{"--rows", rows, "--sport", "curling"}, exitUsage, "sport"},
		{[]string{"--rows", rows, "--chains", "2", "--draws", "100", "--warmup", "100"}, exitFailed, "did not converge"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(append([]string{"calibrate", "--quiet"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
	req := filepath.Join(t.TempDir(), "req.json")
	_ = os.WriteFile(req, []byte(`{"sport":"nfl","source":{"slate_ids":["s1"]}}`), 0o644)
	if code, _, stderr := runCLI("calibrate", "--request", req); code != exitUsage || !strings.Contains(stderr, "no slate store") {
		t.Errorf("slate source: exit %d %q", code, stderr)
	}
}

// TestCalibrateRemote posts the rows file's request document to
// /v1/calibrate.
func TestCalibrateRemote(t *testing.T) {
	var got schema.CalibrateRequest
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/calibrate", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := schema.DecodeBytes(b, &got); err != nil {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(202)
		_, _ = w.Write([]byte(`{"id":"job_7","status":"succeeded"}`))
	})
	mux.HandleFunc("GET /v1/jobs/job_7/result", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"calibration_id":"cal_x"}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	code, stdout, stderr := runCLI("calibrate", "--rows", historyCSV(t), "--sport", "NFL", "--seed", "9", "--draws", "500",
		"--server", srv.URL, "--api-key", "k")
	if code != exitOK || strings.TrimSpace(stdout) != `{"calibration_id":"cal_x"}` {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	if got.Sport != "nfl" || got.Seed != 9 || got.Draws != 500 || len(got.Rows) != 200 || got.Rows[0].Position == "" {
		t.Fatalf("request %+v (%d rows)", got.Sport, len(got.Rows))
	}
}
