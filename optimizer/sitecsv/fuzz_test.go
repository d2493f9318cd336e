package sitecsv

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// seed adds the testdata fixtures and, when present, the head of every real
// file matching the glob patterns (heads keep the fuzzer fast).
func seed(f *testing.F, fixtures []string, realGlobs []string) {
	f.Helper()
	for _, name := range fixtures {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, g := range realGlobs {
		files, _ := filepath.Glob(filepath.Join(realData, g))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				continue
			}
			if len(b) > 6000 {
				b = b[:6000]
			}
			f.Add(b)
		}
	}
}

// checkErr asserts that a failed parse says something; a *ParseError must
// name a line or a column unless it is about the whole file.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err.Error() == "" {
		t.Fatal("empty error message")
	}
	var pe *ParseError
	if errors.As(err, &pe) && pe.Err == nil {
		t.Fatal("ParseError without cause")
	}
}

func FuzzReadDraftKings(f *testing.F) {
	seed(f, []string{"dk-nfl-status-synthetic.csv", "dk-nfl-showdown-IND@HOU.csv", "dk-nfl-upload-template-head.csv", "dk-nba-DKEntries.csv"},
		[]string{"dk-*/DKSalaries*.csv"})
	f.Add([]byte("Position,Name + ID,Name,ID,Roster Position,Salary,Game Info,TeamAbbrev,AvgPointsPerGame,Status\nQB,A (1),A,1,CPT,10,X@Y,X,1,Q\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadDraftKings(bytes.NewReader(data), ImportOptions{})
		if err != nil {
			checkErr(t, err)
			return
		}
		ids := map[string]bool{}
		for i := range s.Players {
			p := &s.Players[i]
			if p.ID == "" || p.Name == "" || p.Team == "" || len(p.Positions) == 0 || p.Salary < 0 {
				t.Fatalf("incomplete player %+v", p)
			}
			for _, id := range []string{p.ID, p.CaptainID} {
				if id != "" && ids[id] {
					t.Fatalf("duplicate id %s", id)
				}
				ids[id] = true
			}
		}
		if s.Mode != slate.Classic && s.Mode != slate.Showdown {
			t.Fatalf("mode %q", s.Mode)
		}
	})
}

func FuzzReadFanDuel(f *testing.F) {
	seed(f, []string{"fd-nfl-single-game.csv", "fd-nfl-old-format-head.csv"}, []string{"fd/*.csv"})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadSalaries(bytes.NewReader(data), "", ImportOptions{})
		if err != nil {
			checkErr(t, err)
			return
		}
		for i := range s.Players {
			p := &s.Players[i]
			if p.ID == "" || p.Name == "" || p.Team == "" || len(p.Positions) == 0 {
				t.Fatalf("incomplete player %+v", p)
			}
		}
	})
}

func FuzzMergeProjections(f *testing.F) {
	seed(f, []string{"projections-synthetic.csv", "dk-nba-projections.csv"},
		[]string{"dk-nfl-2019-09-08/projections_with_actuals.csv", "dk-nfl-contest-standings/projections.csv", "dk-nfl-contest-standings/ownership.csv"})
	b, err := os.ReadFile("testdata/dk-nfl-status-synthetic.csv")
	if err != nil {
		f.Fatal(err)
	}
	s, err := ReadDraftKings(bytes.NewReader(b), ImportOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		proj, err := ReadProjections(bytes.NewReader(data))
		if err != nil {
			checkErr(t, err)
			return
		}
		players, rep := MergeProjections(s.Players, proj, MergeOptions{Sport: slate.NFL, DropStatuses: []string{"OUT"}})
		if rep.Matched+len(rep.Unmatched) != rep.Rows || rep.Matched > len(s.Players) {
			t.Fatalf("report does not add up: %s", rep.Summary())
		}
		if len(players)+len(rep.Dropped) != len(s.Players) {
			t.Fatalf("%d kept + %d dropped != %d", len(players), len(rep.Dropped), len(s.Players))
		}
		for i := range players {
			p := &players[i]
			if p.Ownership < 0 || p.Ownership > 1 || p.StdDev < 0 {
				t.Fatalf("bad merged values %+v", p)
			}
		}
		req := schema.OptimizeRequest{Site: "dk", Sport: "nfl", Players: players, Lineups: 1}
		if len(players) > 0 {
			if err := req.Validate(); err != nil && !strings.Contains(err.Error(), "projection") {
				t.Fatalf("merged players invalid: %v", err)
			}
		}
		// The same files through BuildOptimizeRequest: the coverage counts
		// the unprojected players of the range, and the site average stands
		// in exactly for the kept unprojected players.
		_, brep, err := BuildOptimizeRequest(bytes.NewReader(b), bytes.NewReader(data), RequestOptions{KeepSiteProjection: true})
		if err != nil {
			return // e.g. every player dropped
		}
		c := brep.Coverage
		if c == nil || c.Projected > c.InRange || len(c.Missing) != c.InRange-c.Projected || c.InRange > len(s.Players) {
			t.Fatalf("coverage %+v", c)
		}
		if len(brep.SiteAverage) != len(brep.Merge.NoProjection)-countUnprojectedDropped(brep.Merge) {
			t.Fatalf("%d on the site average, %d unprojected", len(brep.SiteAverage), len(brep.Merge.NoProjection))
		}
	})
}

func FuzzReadPayouts(f *testing.F) {
	seed(f, []string{"dk-nba-payouts-20K.csv"}, []string{"dk-nba-2025-01-12/payouts-*.csv"})
	f.Add([]byte("Place,Payout,Field Size,Entry Fee\n1,\"$1,000\",100,$5\n2-3,$250.50,,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPayouts(bytes.NewReader(data))
		if err != nil {
			checkErr(t, err)
			return
		}
		next := 1
		for _, r := range p.Ranges {
			if r.First != next || r.Last < r.First || r.Prize < 0 {
				t.Fatalf("bad range %+v", r)
			}
			next = r.Last + 1
		}
	})
}

func FuzzReadStandings(f *testing.F) {
	seed(f, []string{"dk-nba-contest-standings-head.csv"}, []string{"*/contest-standings-*.csv"})
	f.Add([]byte("Rank,EntryId,EntryName,TimeRemaining,Points,Lineup,,Player,Roster Position,%Drafted,FPTS\n1,9,a (1/2),0,10,C LOCKED F B,,B,F,10%,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadStandings(bytes.NewReader(data), nil)
		if err != nil {
			checkErr(t, err)
			return
		}
		for _, e := range s.Entries {
			for _, p := range e.Lineup {
				if p.Slot == "" || (p.Name == "") != p.Hidden {
					t.Fatalf("bad pick %+v", p)
				}
			}
		}
		for _, p := range s.Players {
			if p.Drafted < 0 || p.Drafted > 1 {
				t.Fatalf("drafted %g", p.Drafted)
			}
		}
	})
}

func FuzzReadDraftKingsEntries(f *testing.F) {
	seed(f, []string{"dk-nba-DKEntries.csv"}, []string{"dk-nba-2025-01-12/DKEntries.csv"})
	f.Add([]byte("Entry ID,Contest Name,Contest ID,Entry Fee,CPT,FLEX\n1,c,2,$3,A (5) (LOCKED),6\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ReadDraftKingsEntries(bytes.NewReader(data), ImportOptions{})
		if err != nil {
			checkErr(t, err)
			return
		}
		ls := e.LateSwap()
		if len(ls.Lineups) != len(e.Entries) {
			t.Fatalf("%d lineups for %d entries", len(ls.Lineups), len(e.Entries))
		}
		for _, en := range e.Entries {
			if len(en.Picks) != 0 && len(en.Picks) != len(e.Slots) {
				t.Fatalf("entry %s: %d picks for %d slots", en.EntryID, len(en.Picks), len(e.Slots))
			}
		}
	})
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"Odell Beckham Jr.", "D.J. Moore", "Luka Dončić", "Amon-Ra St. Brown", "a b c jr", "Ravens ", "İstanbul", "x v v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeName(s)
		if !utf8.ValidString(n) && utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		if n2 := NormalizeName(n); n2 != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, n2)
		}
		if n != strings.TrimSpace(n) || strings.Contains(n, "  ") || strings.ToLower(n) != n {
			t.Fatalf("%q → %q", s, n)
		}
		_ = NFLDefenseTeam(s)
		_ = aliasName(n)
		_ = initialKey(n)
	})
}

// FuzzProjectionCoverage reads a salary file and measures the coverage of
// a projections file projecting every other player: the counts must add
// up and the range must stay within the roster depth.
func FuzzProjectionCoverage(f *testing.F) {
	seed(f, []string{"dk-nfl-status-synthetic.csv", "dk-nfl-showdown-IND@HOU.csv", "fd-nfl-single-game.csv", "fd-nfl-old-format-head.csv"},
		[]string{"dk-*/DKSalaries*.csv"})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadSalaries(bytes.NewReader(data), "", ImportOptions{})
		if err != nil || s.Sport == "" {
			return
		}
		rules, err := slate.RulesFor(s.Site, s.Sport, s.Mode)
		if err != nil {
			return
		}
		projected := map[string]bool{}
		for i := range s.Players {
			projected[s.Players[i].ID] = i%2 == 0
		}
		c := ProjectionCoverage(rules, s.Players, projected)
		depth := 0
		for _, d := range c.Depth {
			depth += d
		}
		if c.Projected > c.InRange || c.InRange > len(s.Players) || c.InRange > depth || len(c.Missing) != c.InRange-c.Projected {
			t.Fatalf("coverage does not add up: %+v (%d players, depth %d)", c, len(s.Players), depth)
		}
		if sh := c.Share(); sh < 0 || sh > 1 {
			t.Fatalf("share %g", sh)
		}
		for i := 1; i < len(c.Missing); i++ {
			if c.Missing[i].Salary > c.Missing[i-1].Salary {
				t.Fatalf("missing not by salary: %+v", c.Missing)
			}
		}
	})
}

// countUnprojectedDropped counts the dropped players no row projected.
func countUnprojectedDropped(r *MergeReport) int {
	unprojected := map[string]bool{}
	for _, p := range r.NoProjection {
		unprojected[p.ID] = true
	}
	n := 0
	for _, d := range r.Dropped {
		if unprojected[d.ID] {
			n++
		}
	}
	return n
}
