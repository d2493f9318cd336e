package sitecsv

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// TestProjectionCoverage pins the optimal-value range on a two-team DK NFL
// slate: depth per group is slots × 2 teams, the most expensive first, ties
// broken by the site average.
func TestProjectionCoverage(t *testing.T) {
	rules, err := slate.RulesFor(slate.DraftKings, slate.NFL, slate.Classic)
	if err != nil {
		t.Fatal(err)
	}
	pl := func(id, pos, team string, salary int, avg float64) slate.Player {
		return slate.Player{ID: id, Name: "P" + id, Positions: []string{pos}, Team: team, Salary: salary, Projection: avg}
	}
	players := []slate.Player{
		pl("q1", "QB", "A", 7000, 20), pl("q2", "QB", "B", 6000, 18), pl("q3", "QB", "A", 4000, 2), // top 2 QBs
		pl("r1", "RB", "A", 8000, 20), pl("r2", "RB", "B", 7000, 15), pl("r3", "RB", "A", 5000, 9), pl("r4", "RB", "B", 3000, 5),
		pl("r5", "RB", "A", 3000, 7), pl("r6", "RB", "B", 3000, 0), // 4 RBs: r5 beats r4 and r6 on the site average
		pl("w1", "WR", "A", 8000, 20), pl("w2", "WR", "B", 6000, 14), pl("w3", "WR", "A", 3000, 1), // fewer WRs than the depth: all in
		pl("t1", "TE", "A", 5000, 10), pl("t2", "TE", "B", 3000, 5), pl("t3", "TE", "A", 2500, 0),
		pl("d1", "DST", "A", 3000, 8), pl("d2", "DST", "B", 2500, 7),
	}
	inRange := []string{"q1", "q2", "r1", "r2", "r3", "r5", "w1", "w2", "w3", "t1", "t2", "d1", "d2"}
	all := map[string]bool{}
	for _, p := range players {
		all[p.ID] = true
	}
	tests := []struct {
		name      string
		projected map[string]bool
		want      int
		missing   []string
	}{
		{"everyone projected", all, 13, nil},
		{"backups missing do not count", without(all, "q3", "r4", "r6", "t3"), 13, nil},
		{"starters missing, most expensive first", without(all, "r3", "q1", "w3"), 10, []string{"q1", "r3", "w3"}},
		{"nothing projected", map[string]bool{}, 0, inRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ProjectionCoverage(rules, players, tt.projected)
			if c.Teams != 2 || c.Depth["RB"] != 4 || c.Depth["RB/TE/WR"] != 2 || c.InRange != len(inRange) || c.Projected != tt.want {
				t.Fatalf("got %+v", c)
			}
			var missing []string
			for _, m := range c.Missing {
				missing = append(missing, m.ID)
			}
			want := tt.missing
			if tt.name == "nothing projected" {
				slices.Sort(missing)
				want = slices.Sorted(slices.Values(want))
			}
			if !slices.Equal(missing, want) {
				t.Errorf("missing %v, want %v", missing, want)
			}
		})
	}
	if s := (&Coverage{}).Share(); s != 1 {
		t.Errorf("empty range share %g", s)
	}
}

func without(set map[string]bool, ids ...string) map[string]bool {
	out := map[string]bool{}
	for k, v := range set {
		out[k] = v
	}
	for _, id := range ids {
		out[id] = false
	}
	return out
}

// TestRealProjectionCoverage measures the real salary/projection pairs
// against the optimal-value range. The NFL file projects 243 of 720
// players (none of the deep backups) and must pass; with the rows of four
// teams removed (projections for part of the slate) it must not.
func TestRealProjectionCoverage(t *testing.T) {
	tests := []struct {
		name, salaries, projections string
		dropTeams                   []string
		inRange, projected          int
		pass                        bool
		missing                     []string // some of the missing, by name
	}{
		{"nfl", "dk-nfl-2019-09-08/DKSalaries.csv", "dk-nfl-2019-09-08/projections_with_actuals.csv", nil,
			192, 179, true, []string{"Andrew Luck", "Melvin Gordon III", "A.J. Green"}},
		{"nfl without 4 teams", "dk-nfl-2019-09-08/DKSalaries.csv", "dk-nfl-2019-09-08/projections_with_actuals.csv",
			[]string{"KC", "JAX", "BAL", "MIA"}, 192, 149, false, []string{"Patrick Mahomes", "Lamar Jackson"}},
		// 12 teams × 5 dedicated slots, fewer players: the multi-position
		// players are the starters of two groups.
		{"nba", "dk-nba-2025-01-12/DKSalaries.csv", "dk-nba-2025-01-12/projections.csv", nil, 44, 44, true, nil},
		{"nba without 2 games", "dk-nba-2025-01-12/DKSalaries.csv", "dk-nba-2025-01-12/projections.csv",
			[]string{"OKC", "WAS", "BOS", "NOP"}, 44, 29, false, []string{"Shai Gilgeous-Alexander", "Jayson Tatum"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proj := dropTeamRows(t, realFile(t, tt.projections), tt.dropTeams)
			_, rep, err := BuildOptimizeRequest(open(t, realFile(t, tt.salaries)), proj, RequestOptions{DropStatuses: []string{"OUT", "IR"}})
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Coverage
			t.Log(c.Summary())
			for _, m := range c.Missing {
				t.Logf("  missing %s (%s %s $%d)", m.Name, m.Team, strings.Join(m.Positions, "/"), m.Salary)
			}
			if c.InRange != tt.inRange || c.Projected != tt.projected || (c.Share() >= MinCoverage) != tt.pass {
				t.Errorf("got %d/%d (%.3f), want %d/%d pass=%v", c.Projected, c.InRange, c.Share(), tt.projected, tt.inRange, tt.pass)
			}
			for _, name := range tt.missing {
				if !slices.ContainsFunc(c.Missing, func(p PlayerRef) bool { return p.Name == name }) {
					t.Errorf("%s not in missing", name)
				}
			}
			if len(rep.SiteAverage) != 0 {
				t.Errorf("site averages used for %d players", len(rep.SiteAverage))
			}
		})
	}
}

// dropTeamRows returns the projections file without the rows of teams (a
// file for part of the slate).
func dropTeamRows(t *testing.T, path string, teams []string) *bytes.Reader {
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
	w.Flush()
	return bytes.NewReader(out.Bytes())
}

// TestSiteAverageReported: without a projections file every kept player
// stands on the site average; with one, only the unprojected players kept
// with KeepSiteProjection do.
func TestSiteAverageReported(t *testing.T) {
	sal := "testdata/dk-nfl-status-synthetic.csv"
	oneRow := "Player,Team,Pos,Proj\nLamar Jackson,BAL,QB,22.1\n"
	tests := []struct {
		name     string
		proj     string
		keepSite bool
		want     int
	}{
		{"no projections file", "", false, 15},
		{"projections, unprojected get 0", oneRow, false, 0},
		{"projections, unprojected keep the average", oneRow, true, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var proj io.Reader
			if tt.proj != "" {
				proj = strings.NewReader(tt.proj)
			}
			req, rep, err := BuildOptimizeRequest(open(t, sal), proj, RequestOptions{KeepSiteProjection: tt.keepSite})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.SiteAverage) != tt.want || (tt.proj == "") != (rep.Coverage == nil) {
				t.Errorf("%d on site average, want %d (of %d players); coverage %+v", len(rep.SiteAverage), tt.want, len(req.Players), rep.Coverage)
			}
		})
	}
}
