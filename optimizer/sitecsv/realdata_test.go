package sitecsv

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// realData is the shared data folder (/work/shared/data/slates) seen from
// this package's directory.
const realData = "../../../shared/data/slates"

// realFile returns the path of a real data file, skipping the test loudly
// when the shared data folder is not there (failing instead when CI is
// "true": CI always has it).
func realFile(t testing.TB, rel string) string {
	t.Helper()
	if _, err := os.Stat(realData); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real data %s missing in CI: %v", realData, err)
		}
		t.Skipf("SKIPPING real-data test: %s not found (%v); the testdata/ fixtures still run", realData, err)
	}
	p := filepath.Join(realData, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("real data file missing: %v", err)
	}
	return p
}

func TestRealSalaryFiles(t *testing.T) {
	tests := []struct {
		file     string
		site     slate.Site
		sport    slate.Sport
		mode     slate.Mode
		players  int
		games    int
		captains bool
		warnings int
	}{
		{"dk-nfl-2019-09-08/DKSalaries.csv", slate.DraftKings, slate.NFL, slate.Classic, 720, 12, false, 0},
		{"dk-nfl-2019-11-03/DKSalaries.csv", slate.DraftKings, slate.NFL, slate.Classic, 355, 10, false, 0},
		{"dk-nfl-2019-11-03/DKUploadTemplate.csv", slate.DraftKings, slate.NFL, slate.Classic, 355, 10, false, 0},
		{"dk-nfl-2023-11-26/DKSalaries.csv", slate.DraftKings, slate.NFL, slate.Classic, 498, 10, false, 0},
		{"dk-nba-2025-01-12/DKSalaries.csv", slate.DraftKings, slate.NBA, slate.Classic, 209, 6, false, 0},
		{"dk-nba-showdown/DKSalaries-BOS@DET-2022-02-26.csv", slate.DraftKings, slate.NBA, slate.Showdown, 45, 1, true, 0},
		{"dk-nba-showdown/DKSalaries-draftfast.csv", slate.DraftKings, slate.NBA, slate.Showdown, 32, 1, true, 0},
		{"dk-nfl-showdown/DKSalaries-GB@CHI-2019-09-05.csv", slate.DraftKings, slate.NFL, slate.Showdown, 65, 1, true, 0},
		{"dk-nfl-showdown/DKSalaries-IND@HOU-2019-01-05.csv", slate.DraftKings, slate.NFL, slate.Showdown, 36, 1, true, 0},
		{"dk-mlb/DKSalaries.csv", slate.DraftKings, slate.MLB, slate.Classic, 741, 6, false, 0},
		{"dk-nhl/DKSalaries.csv", slate.DraftKings, slate.NHL, slate.Classic, 569, 8, false, 0},
		// The FanDuel counts are the data rows (the data README's counts are one lower).
		{"fd/fd-mlb-full.csv", slate.FanDuel, slate.MLB, slate.Classic, 1166, 0, false, 0},
		{"fd/fd-mlb.csv", slate.FanDuel, slate.MLB, slate.Classic, 1049, 0, false, 0},
		{"fd/fd-nba.csv", slate.FanDuel, slate.NBA, slate.Classic, 333, 0, false, 0},
		{"fd/fd-nfl-2019-09-08.csv", slate.FanDuel, slate.NFL, slate.Classic, 675, 0, false, 1}, // Kabion Ento at salary 0
		{"fd/fd-nfl-old-format.csv", slate.FanDuel, slate.NFL, slate.Classic, 537, 0, false, 0},
		{"fd/fd-nfl-single-game.csv", slate.FanDuel, slate.NFL, slate.Showdown, 73, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := ReadSalaries(open(t, realFile(t, tt.file)), "", ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Site != tt.site || s.Sport != tt.sport || s.Mode != tt.mode || len(s.Players) != tt.players || len(s.GameStarts) != tt.games {
				t.Fatalf("got %s %s %s, %d players, %d game starts", s.Site, s.Sport, s.Mode, len(s.Players), len(s.GameStarts))
			}
			if len(s.Warnings) != tt.warnings {
				t.Errorf("warnings: %v", s.Warnings)
			}
			rules, err := slate.RulesFor(s.Site, s.Sport, s.Mode)
			if err != nil {
				t.Fatal(err)
			}
			for i := range s.Players {
				p := &s.Players[i]
				if !rules.Eligible(p) {
					t.Errorf("%s (%v) fits no slot of the rules", p.Name, p.Positions)
				}
				if p.Opponent == "" || p.Game == "" || (p.Salary <= 0) != (p.Name == "Kabion Ento") || p.Name != strings.TrimSpace(p.Name) {
					t.Errorf("incomplete player %+v", p)
				}
				if tt.captains && (p.CaptainID == "" || p.CaptainSalary != p.Salary*3/2) {
					t.Errorf("captain of %s: %q at %d (salary %d)", p.Name, p.CaptainID, p.CaptainSalary, p.Salary)
				}
			}
		})
	}
}

// TestRealSalaryIDsMatchPlayerList cross-checks the DraftKings ids read from
// the 2019-09-08 salary file with that slate's published player list.
func TestRealSalaryIDsMatchPlayerList(t *testing.T) {
	s, err := ReadDraftKings(open(t, realFile(t, "dk-nfl-2019-09-08/DKSalaries.csv")), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(open(t, realFile(t, "dk-nfl-2019-09-08/players_actuals.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, r := range recs[1:] {
		listed[r[1]] = r[2]
	}
	// The player list spells a few names differently (nicknames) and omits
	// one of the two Ryan Griffins.
	differ := map[string]bool{"13041309": true, "13041200": true, "13040717": true}
	for i := range s.Players {
		p := &s.Players[i]
		name, ok := listed[p.ID]
		same := ok && aliasName(NormalizeName(name)) == aliasName(NormalizeName(p.Name))
		if same == differ[p.ID] {
			t.Errorf("id %s: salary file %q, player list %q", p.ID, p.Name, name)
		}
	}
}

// TestRealProjectionMerges measures and pins the match rates of the real
// salary/projection pairs. Every unmatched row is explained.
func TestRealProjectionMerges(t *testing.T) {
	tests := []struct {
		salaries, projections string
		rows, matched         int
		unmatched             map[string]string // name → reason
		noProjection          int
	}{
		{
			// Every row matches except a player signed after the salaries
			// were published (he is in players_actuals.csv, not in DKSalaries).
			salaries: "dk-nfl-2019-09-08/DKSalaries.csv", projections: "dk-nfl-2019-09-08/projections_with_actuals.csv",
			rows: 244, matched: 243,
			unmatched:    map[string]string{"Dontrelle Inman": `no player named "Dontrelle Inman"`},
			noProjection: 720 - 243,
		},
		{
			salaries: "dk-nba-2025-01-12/DKSalaries.csv", projections: "dk-nba-2025-01-12/projections.csv",
			rows: 209, matched: 209, unmatched: map[string]string{}, noProjection: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.projections, func(t *testing.T) {
			s, err := ReadDraftKings(open(t, realFile(t, tt.salaries)), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			proj, err := ReadProjections(open(t, realFile(t, tt.projections)))
			if err != nil {
				t.Fatal(err)
			}
			players, rep := MergeProjections(s.Players, proj, MergeOptions{Sport: s.Sport})
			t.Log(rep.Summary())
			if rep.Rows != tt.rows || rep.Matched != tt.matched || len(rep.NoProjection) != tt.noProjection || len(players) != len(s.Players) {
				t.Errorf("got %s", rep.Summary())
			}
			if len(rep.Unmatched) != len(tt.unmatched) {
				t.Errorf("unmatched: %+v", rep.Unmatched)
			}
			for _, u := range rep.Unmatched {
				if tt.unmatched[u.Name] != u.Reason {
					t.Errorf("unmatched line %d %s (%s): %q", u.Line, u.Name, u.Team, u.Reason)
				}
			}
			for i := range players {
				if p := &players[i]; p.Ownership < 0 || p.Ownership > 1 {
					t.Errorf("%s ownership %g", p.Name, p.Ownership)
				}
			}
		})
	}
	// The 2019-09-08 file projects ownership in percent (projections_projown).
	s, _ := ReadDraftKings(open(t, realFile(t, "dk-nfl-2019-09-08/DKSalaries.csv")), ImportOptions{})
	proj, _ := ReadProjections(open(t, realFile(t, "dk-nfl-2019-09-08/projections_with_actuals.csv")))
	players, _ := MergeProjections(s.Players, proj, MergeOptions{Sport: slate.NFL})
	cmc := findPlayer(t, players, "Christian McCaffrey", "CAR")
	if cmc.Projection != 23.2 || *cmc.Ceiling != 35.5 && *cmc.Ceiling <= cmc.Projection || cmc.Ownership <= 0 {
		t.Errorf("McCaffrey %+v", cmc)
	}
	ravens := findPlayer(t, players, "Ravens", "BAL")
	if ravens.Projection == 0 || !near(ravens.Ownership, 0.16) {
		t.Errorf("Ravens %+v", ravens)
	}
}

// TestRealStatProjectionsRejected: dk-nfl-contest-standings/projections.csv
// holds per-stat projections (pass yards, TDs, ...) keyed by an internal
// PlayerID, with no name and no fantasy-points column: it cannot be merged
// and must say why.
func TestRealStatProjectionsRejected(t *testing.T) {
	_, err := ReadProjections(open(t, realFile(t, "dk-nfl-contest-standings/projections.csv")))
	if err == nil || !strings.Contains(err.Error(), "no projection column") {
		t.Errorf("got %v", err)
	}
}

func TestRealStandings(t *testing.T) {
	tests := []struct {
		file    string
		sport   slate.Sport
		entries int
		players int
		final   bool
	}{
		{"dk-nba-2025-01-12/contest-standings-173036248.csv", slate.NBA, 5945, 93, false},
		{"dk-nfl-contest-standings/contest-standings-185025845.csv", slate.NFL, 4444, 197, true},
		{"dk-nfl-contest-standings/contest-standings-186154632.csv", slate.NFL, 3533, 194, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rules, _ := slate.RulesFor(slate.DraftKings, tt.sport, slate.Classic)
			var slots []string
			for _, s := range rules.Slots {
				slots = append(slots, s.Name)
			}
			st, err := ReadStandings(open(t, realFile(t, tt.file)), slots)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Entries) != tt.entries || len(st.Players) != tt.players {
				t.Fatalf("%d entries, %d players", len(st.Entries), len(st.Players))
			}
			drafted := map[string]bool{}
			for _, p := range st.Players {
				drafted[p.Name] = true
				if p.Drafted <= 0 || p.Drafted > 1 {
					t.Errorf("%s drafted %g", p.Name, p.Drafted)
				}
			}
			wantSlots := append([]string(nil), slots...)
			sort.Strings(wantSlots)
			empty, hidden := 0, 0
			for _, e := range st.Entries {
				if len(e.Lineup) == 0 {
					empty++
					continue
				}
				var got []string
				for _, p := range e.Lineup {
					got = append(got, p.Slot)
					if p.Hidden {
						hidden++
					} else if !drafted[p.Name] {
						t.Errorf("line %d: %q is not in the %%Drafted table", e.Line, p.Name)
					}
				}
				if strings.Join(got, ",") != strings.Join(wantSlots, ",") {
					t.Errorf("line %d: slots %v", e.Line, got)
				}
				if tt.final && e.TimeRemaining != 0 {
					t.Errorf("line %d: time remaining %g in final standings", e.Line, e.TimeRemaining)
				}
			}
			t.Logf("%d entries, %d without lineup, %d hidden (LOCKED) picks", len(st.Entries), empty, hidden)
			if !tt.final && hidden == 0 {
				t.Error("live standings without hidden players")
			}
			for i := 1; i < len(st.Entries); i++ {
				if st.Entries[i].Rank < st.Entries[i-1].Rank || st.Entries[i].Points > st.Entries[i-1].Points {
					t.Fatalf("line %d: standings not ordered", st.Entries[i].Line)
				}
			}
		})
	}
}

func TestRealPayouts(t *testing.T) {
	tests := []struct {
		file              string
		ranges, paid, fee int
		field             int
		total             float64
	}{
		{"dk-nba-2025-01-12/payouts-20K-Four-Point-Play.csv", 20, 1538, 4, 5945, 20000},
		{"dk-nba-2025-01-12/payouts-40K-Four-Point-Play.csv", 25, 3996, 3, 15854, 40000},
	}
	for _, tt := range tests {
		p, err := ReadPayouts(open(t, realFile(t, tt.file)))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Ranges) != tt.ranges || p.PaidPlaces() != tt.paid || p.EntryFee != float64(tt.fee) || p.FieldSize != tt.field || p.TotalPrizes() != tt.total {
			t.Errorf("%s: %+v total %g", tt.file, p, p.TotalPrizes())
		}
	}
}

func TestRealEntries(t *testing.T) {
	e, err := ReadDraftKingsEntries(open(t, realFile(t, "dk-nba-2025-01-12/DKEntries.csv")), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	locked := 0
	for _, en := range e.Entries {
		for _, p := range en.Picks {
			if p.Locked {
				locked++
			}
		}
	}
	if len(e.Entries) != 8 || locked == 0 || len(e.LateSwap().Lineups) != 8 {
		t.Errorf("%d entries, %d locked picks", len(e.Entries), locked)
	}
}

// TestRealCrossSiteMerge merges the DraftKings projections of 2019-09-08
// into FanDuel's player list of the same day (FanDuel's main slate has only
// the early games): FanDuel spells defenses "Baltimore Ravens", uses "JAC"
// and "D", and lists other salaries. Every row of a team on the FanDuel
// slate must match, except two players the sources place on different
// teams.
func TestRealCrossSiteMerge(t *testing.T) {
	s, err := ReadFanDuel(open(t, realFile(t, "fd/fd-nfl-2019-09-08.csv")), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := ReadProjections(open(t, realFile(t, "dk-nfl-2019-09-08/projections_with_actuals.csv")))
	if err != nil {
		t.Fatal(err)
	}
	_, rep := MergeProjections(s.Players, proj, MergeOptions{Sport: s.Sport})
	t.Log(rep.Summary())
	if rep.Matched != 171 || rep.MatchedBy[MatchByDefense] != 17 {
		t.Errorf("got %s", rep.Summary())
	}
	for _, u := range rep.Unmatched {
		switch {
		case strings.HasSuffix(u.Reason, "is not on the slate"), strings.HasSuffix(u.Reason, "defense on the slate"):
		case u.Name == "Wendell Smallwood" || u.Name == "Dontrelle Inman":
			if !strings.Contains(u.Reason, "but the row's team is") {
				t.Errorf("%+v", u)
			}
		default:
			t.Errorf("unexpected unmatched row %+v", u)
		}
	}
}
