package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Site file fixtures (copies of the real DraftKings NBA 2025-01-12 files).
const (
	fixSalaries    = "../../sitecsv/testdata/dk-nba-DKSalaries.csv"
	fixProjections = "../../sitecsv/testdata/dk-nba-projections.csv"
	fixEntries     = "../../sitecsv/testdata/dk-nba-DKEntries.csv"
	fixPayouts     = "../../sitecsv/testdata/dk-nba-payouts-20K.csv"
)

// realSlates is the shared data folder seen from this package.
const realSlates = "../../../../shared/data/slates/"

// realSlate returns the path of a real slate file; without the shared data
// the test is skipped loudly, or fails when CI is "true".
func realSlate(t *testing.T, rel string) string {
	t.Helper()
	p := realSlates + rel
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real data missing in CI: %v", err)
		}
		t.Skipf("SKIPPING real-data test: %v", err)
	}
	return p
}

// withoutTeams writes a copy of a projections CSV without the rows of
// teams (projections for part of the slate) and returns its path; extra
// rows are appended.
func withoutTeams(t *testing.T, path string, teams []string, extra ...[]string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.IndexFunc(recs[0], func(h string) bool { return strings.EqualFold(h, "team") })
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	for i, r := range recs {
		if i == 0 || !slices.Contains(teams, r[col]) {
			_ = w.Write(r)
		}
	}
	for _, r := range extra {
		_ = w.Write(r)
	}
	w.Flush()
	p := filepath.Join(t.TempDir(), "projections.csv")
	if err := os.WriteFile(p, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUnmatchedRowsListed: each projection row no player takes is named on
// stderr with its team and position and the reason, not only counted.
func TestUnmatchedRowsListed(t *testing.T) {
	proj := withoutTeams(t, fixProjections, nil,
		[]string{"Nobody Real", "PG", "OKC", "30", "3000", "12.5", "1", "3", "10"},
		[]string{"Zach Elsewhere", "C", "XYZ", "30", "3000", "12.5", "1", "3", "10"})
	code, _, stderr := runCLI("optimize", "--salaries", fixSalaries, "--projections", proj, "--emit-request")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"209/211 rows matched",
		`unmatched projection row, line 211: Nobody Real (OKC PG): no player named "Nobody Real"`,
		"unmatched projection row, line 212: Zach Elsewhere (XYZ C): team XYZ is not on the slate",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestCoverageCheck: a projections file covering under 90% of the
// optimal-value range is refused with exit 2, naming the count and
// examples, unless --allow-unprojected. The real NFL pair (243 rows for
// 720 players, the deep backups unprojected) passes at 93.2%.
func TestCoverageCheck(t *testing.T) {
	fullNBA := func(t *testing.T) (string, string) { return fixSalaries, fixProjections }
	partNBA := func(t *testing.T) (string, string) {
		return fixSalaries, withoutTeams(t, fixProjections, []string{"OKC", "WAS", "BOS", "NOP"})
	}
	realNFL := func(t *testing.T) (string, string) {
		return realSlate(t, "dk-nfl-2019-09-08/DKSalaries.csv"), realSlate(t, "dk-nfl-2019-09-08/projections_with_actuals.csv")
	}
	partNFL := func(t *testing.T) (string, string) {
		sal, proj := realNFL(t)
		return sal, withoutTeams(t, proj, []string{"KC", "JAX", "BAL", "MIA"})
	}
	tests := []struct {
		name  string
		files func(t *testing.T) (string, string)
		flags []string
		code  int
		want  []string
	}{
		{"nba complete", fullNBA, nil, exitOK, []string{"cover 44 of the 44 players in the optimal-value range (100.0%"}},
		{"nba without two games", partNBA, nil, exitUsage, []string{
			"cover only 29 of the 44 players in the optimal-value range (65.9%, under 90%)",
			"Shai Gilgeous-Alexander (OKC PG $10700)", "Jayson Tatum (BOS SF/PF $10500)", "--allow-unprojected"}},
		{"nba without two games, allowed", partNBA, []string{"--allow-unprojected"}, exitOK, []string{
			"warning: projections cover only 29 of the 44", "(--allow-unprojected)"}},
		{"nfl real pair passes", realNFL, nil, exitOK, []string{"cover 179 of the 192 players in the optimal-value range (93.2%"}},
		{"nfl without four teams", partNFL, nil, exitUsage, []string{"cover only 149 of the 192", "Patrick Mahomes (KC QB $7200)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sal, proj := tt.files(t)
			args := append([]string{"optimize", "--salaries", sal, "--projections", proj, "--emit-request"}, tt.flags...)
			code, stdout, stderr := runCLI(args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if (stdout != "") != (code == exitOK) {
				t.Errorf("stdout %.100q with exit %d", stdout, code)
			}
		})
	}
}

// TestSiteAverageLoud: whenever the site's AvgPointsPerGame stands in for
// projections, stderr says so in one "!!!" line with the count.
func TestSiteAverageLoud(t *testing.T) {
	partial := withoutTeams(t, fixProjections, []string{"OKC", "WAS"})
	tests := []struct {
		name string
		args []string
		want string // "" : no such line
	}{
		{"no projections file", []string{"--salaries", fixSalaries},
			"!!! using DraftKings AvgPointsPerGame as projections for 209 players: Shai Gilgeous-Alexander (OKC PG $10700),"},
		{"complete projections", []string{"--salaries", fixSalaries, "--projections", fixProjections}, ""},
		{"unprojected players get 0", []string{"--salaries", fixSalaries, "--projections", partial, "--allow-unprojected"}, ""},
		{"unprojected players keep the average", []string{"--salaries", fixSalaries, "--projections", partial, "--allow-unprojected", "--fill-site-avg"},
			"!!! using DraftKings AvgPointsPerGame as projections for 36 players: Shai Gilgeous-Alexander (OKC PG $10700),"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(append([]string{"simulate", "--emit-request"}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if n := strings.Count(stderr, "!!!"); tt.want == "" && n != 0 || tt.want != "" && (n != 1 || !strings.Contains(stderr, tt.want)) {
				t.Errorf("stderr:\n%s\nwant %q", stderr, tt.want)
			}
		})
	}
}

// TestEmitRequest: every command builds its request from the site files
// and --emit-request prints it, indented, without computing or submitting
// (the --server given is never contacted). The document validates.
func TestEmitRequest(t *testing.T) {
	site := []string{"--salaries", fixSalaries, "--projections", fixProjections}
	contest := append(slices.Clone(site), "--entries", fixEntries, "--payouts", fixPayouts, "--sims", "300", "--seed", "4")
	tests := []struct {
		cmd   string
		args  []string
		req   interface{ Validate() error }
		check func(t *testing.T, req any)
	}{
		{"optimize", append(slices.Clone(site), "--lineups", "5", "--min-unique", "2"), &schema.OptimizeRequest{}, func(t *testing.T, r any) {
			req := r.(*schema.OptimizeRequest)
			if len(req.Players) != 209 || req.Lineups != 5 || req.Constraints.MinUnique != 2 {
				t.Errorf("%d players, %d lineups", len(req.Players), req.Lineups)
			}
		}},
		{"simulate", append(slices.Clone(site), "--sims", "500", "--seed", "3", "--sim-optimal"), &schema.SimulateRequest{}, func(t *testing.T, r any) {
			req := r.(*schema.SimulateRequest)
			if len(req.Players) != 209 || req.Sims != 500 || req.Seed != 3 || !req.SimOptimal || req.Players[0].StdDev == 0 {
				t.Errorf("%+v", req.Players[0])
			}
		}},
		{"ownership", append(slices.Clone(site), "--contest-type", "cash"), &schema.OwnershipRequest{}, func(t *testing.T, r any) {
			if req := r.(*schema.OwnershipRequest); len(req.Players) != 209 || req.ContestType != "cash" {
				t.Errorf("%d players, %q", len(req.Players), req.ContestType)
			}
		}},
		{"contest-sim", contest, &schema.ContestSimRequest{}, func(t *testing.T, r any) {
			req := r.(*schema.ContestSimRequest)
			if len(req.Entries) != 8 || req.Contest.Size != 5945 || req.Contest.EntryFee != 4 || req.Field.Size != 5945-8 || req.Sims != 300 {
				t.Errorf("%d entries, contest %+v, field %d", len(req.Entries), req.Contest.Size, req.Field.Size)
			}
		}},
		{"portfolio", append(slices.Clone(contest), "--candidates", "20"), &schema.PortfolioRequest{}, func(t *testing.T, r any) {
			req := r.(*schema.PortfolioRequest)
			if req.Lineups != 8 || len(req.Candidates.Lineups) != 8 || req.Candidates.Generate.Count != 20 || req.Contest.Size != 5945 || req.Seed != 4 {
				t.Errorf("lineups %d, candidates %+v", req.Lineups, req.Candidates)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			args := append([]string{tt.cmd, "--emit-request", "--server", "http://127.0.0.1:1", "--api-key", "k"}, tt.args...)
			code, stdout, stderr := runCLI(args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.HasPrefix(stdout, "{\n  \"site\": \"draftkings\"") {
				t.Errorf("not pretty JSON: %.80q", stdout)
			}
			if strings.Contains(stderr, "submitted") {
				t.Errorf("submitted: %s", stderr)
			}
			if err := schema.DecodeBytes([]byte(stdout), tt.req); err != nil {
				t.Fatal(err)
			}
			if err := tt.req.Validate(); err != nil {
				t.Fatalf("emitted request invalid: %v", err)
			}
			tt.check(t, tt.req)
		})
	}
	// calibrate emits the document built from its history rows.
	code, stdout, stderr := runCLI("calibrate", "--rows", historyCSV(t), "--seed", "2", "--emit-request")
	var cal schema.CalibrateRequest
	if code != exitOK || schema.DecodeBytes([]byte(stdout), &cal) != nil || len(cal.Rows) != 200 || cal.Seed != 2 {
		t.Errorf("calibrate: exit %d, %d rows: %s", code, len(cal.Rows), stderr)
	}
}

// TestJobsFromSiteFiles runs simulate, ownership, contest-sim and
// portfolio locally on requests built from the site files.
func TestJobsFromSiteFiles(t *testing.T) {
	site := []string{"--salaries", fixSalaries, "--projections", fixProjections, "--quiet"}
	contest := append(slices.Clone(site), "--entries", fixEntries, "--payouts", fixPayouts, "--sims", "200", "--seed", "5")
	tests := []struct {
		cmd   string
		args  []string
		check func(t *testing.T, out []byte)
	}{
		{"simulate", append(slices.Clone(site), "--sims", "300", "--seed", "2"), func(t *testing.T, out []byte) {
			var r schema.SimulateResult
			mustDecode(t, out, &r)
			if len(r.Players) != 209 {
				t.Errorf("%d players", len(r.Players))
			}
		}},
		{"ownership", site, func(t *testing.T, out []byte) {
			var r schema.OwnershipResult
			mustDecode(t, out, &r)
			if len(r.Players) != 209 || r.RosterSize != 8 {
				t.Errorf("%d players, roster %d", len(r.Players), r.RosterSize)
			}
		}},
		{"contest-sim", append(slices.Clone(contest), "--field-size", "500"), func(t *testing.T, out []byte) {
			var r schema.ContestSimResult
			mustDecode(t, out, &r)
			if len(r.Entries) != 8 || r.Sims != 200 || r.Stats.FieldSize != 500 {
				t.Errorf("%d entries, %d sims, field %d", len(r.Entries), r.Sims, r.Stats.FieldSize)
			}
		}},
		{"portfolio", append(slices.Clone(contest), "--candidates", "12", "--lineups", "3"), func(t *testing.T, out []byte) {
			var r schema.PortfolioSelection
			mustDecode(t, out, &r)
			if len(r.Entries) != 3 || r.Candidates < 12 {
				t.Errorf("%d entries of %d candidates", len(r.Entries), r.Candidates)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{tt.cmd}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			tt.check(t, []byte(stdout))
		})
	}
}

// TestDropStatusDefaults: the commands without entries drop OUT and IR
// players by default; contest-sim and portfolio keep everyone, since your
// entries may hold them.
func TestDropStatusDefaults(t *testing.T) {
	sal := "../../sitecsv/testdata/dk-nfl-status-synthetic.csv"
	tests := []struct {
		cmd     string
		args    []string
		players int
	}{
		{"optimize", nil, 13},
		{"simulate", nil, 13},
		{"ownership", nil, 13},
		{"contest-sim", nil, 15},
		{"portfolio", nil, 15},
		{"contest-sim", []string{"--drop-status", "OUT,IR"}, 13},
		{"optimize", []string{"--drop-status", ""}, 15},
	}
	for _, tt := range tests {
		t.Run(tt.cmd+strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{tt.cmd, "--salaries", sal, "--emit-request"}, tt.args...)...)
			var doc struct {
				Players []struct{ ID string } `json:"players"`
			}
			if code != exitOK || json.Unmarshal([]byte(stdout), &doc) != nil || len(doc.Players) != tt.players {
				t.Errorf("exit %d, %d players, want %d: %s", code, len(doc.Players), tt.players, stderr)
			}
		})
	}
}
