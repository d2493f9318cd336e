package sitecsv

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

func open(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func findPlayer(t *testing.T, players []slate.Player, name, team string) *slate.Player {
	t.Helper()
	for i := range players {
		if players[i].Name == name && (team == "" || players[i].Team == team) {
			return &players[i]
		}
	}
	t.Fatalf("player %s (%s) not found", name, team)
	return nil
}

func TestReadDraftKingsSynthetic(t *testing.T) {
	s, err := ReadDraftKings(open(t, "testdata/dk-nfl-status-synthetic.csv"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Sport != slate.NFL || s.Mode != slate.Classic || s.Site != slate.DraftKings || len(s.Players) != 15 {
		t.Fatalf("got %s %s %s %d players", s.Site, s.Sport, s.Mode, len(s.Players))
	}
	min := findPlayer(t, s.Players, "Gardner Minshew II", "")
	want := slate.Player{ID: "100002", Name: "Gardner Minshew II", Positions: []string{"QB"}, Team: "JAX", Opponent: "BAL",
		Game: "JAX@BAL", Salary: 5000, Projection: 15.1, Status: "Q"}
	if !reflect.DeepEqual(*min, want) {
		t.Errorf("got %+v\nwant %+v", *min, want)
	}
	if p := findPlayer(t, s.Players, "Ravens", ""); p.Team != "BAL" || !p.HasPosition("DST") {
		t.Errorf("DST: %+v", p)
	}
	if p := findPlayer(t, s.Players, "Todd Gurley II", ""); p.Status != "OUT" {
		t.Errorf("status %q", p.Status)
	}
	// 01:00PM ET on 2019-09-08 is daylight time: 17:00 UTC.
	if got, want := s.GameStarts["JAX@BAL"], time.Date(2019, 9, 8, 17, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("start %v, want %v", got, want)
	}
}

func TestParseGameInfo(t *testing.T) {
	tests := []struct {
		in      string
		game    string
		start   time.Time
		started bool
		err     bool
	}{
		{"NYG@DAL 09/08/2019 04:25PM ET", "NYG@DAL", time.Date(2019, 9, 8, 20, 25, 0, 0, time.UTC), false, false},
		{"CHA@PHX 01/12/2025 09:00PM ET", "CHA@PHX", time.Date(2025, 1, 13, 2, 0, 0, 0, time.UTC), false, false},
		{"NYM@MIA 05/18/2019 04:10PM ET", "NYM@MIA", time.Date(2019, 5, 18, 20, 10, 0, 0, time.UTC), false, false},
		{"IND@HOU 11/03/2019 01:00PM ET", "IND@HOU", time.Date(2019, 11, 3, 18, 0, 0, 0, time.UTC), false, false}, // after the DST end
		{"BUF@NYJ", "BUF@NYJ", time.Time{}, false, false},
		{"BUF@NYJ 13/45/2019 04:25PM ET", "BUF@NYJ", time.Time{}, false, false}, // bad date: game kept, start dropped
		{"In Progress", "", time.Time{}, true, false},
		{"Final", "", time.Time{}, true, false},
		{"Postponed", "", time.Time{}, false, false},
		{"", "", time.Time{}, false, false},
		{"NYG vs DAL", "", time.Time{}, false, true},
	}
	for _, tt := range tests {
		g, err := parseGameInfo(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("%q: err %v", tt.in, err)
			continue
		}
		if g.game != tt.game || !g.start.Equal(tt.start) || g.started != tt.started {
			t.Errorf("%q: got %q %v %v, want %q %v %v", tt.in, g.game, g.start, g.started, tt.game, tt.start, tt.started)
		}
	}
}

func TestReadDraftKingsShowdown(t *testing.T) {
	s, err := ReadDraftKings(open(t, "testdata/dk-nfl-showdown-IND@HOU.csv"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode != slate.Showdown || s.Sport != slate.NFL || len(s.Players) != 36 {
		t.Fatalf("got %s %s %d players", s.Sport, s.Mode, len(s.Players))
	}
	p := findPlayer(t, s.Players, "DeAndre Hopkins", "HOU")
	if p.ID != "11895994" || p.CaptainID != "11896030" || p.Salary != 12200 || p.CaptainSalary != 18300 {
		t.Errorf("Hopkins: %+v", p)
	}
	for i := range s.Players {
		p := &s.Players[i]
		if p.CaptainID == "" || p.CaptainSalary != p.Salary*3/2 {
			t.Errorf("%s: captain %q at %d for salary %d", p.Name, p.CaptainID, p.CaptainSalary, p.Salary)
		}
	}
	rules, _ := slate.RulesFor(slate.DraftKings, s.Sport, s.Mode)
	if got := rules.SlotSalary(p, 0); got != 18300 {
		t.Errorf("captain salary %d", got)
	}
	if _, err := ReadDraftKings(open(t, "testdata/dk-nfl-showdown-IND@HOU.csv"), ImportOptions{Mode: slate.Classic}); err == nil {
		t.Error("classic mode accepted a showdown file")
	}
}

func TestReadDraftKingsEmbedded(t *testing.T) {
	// The upload template embeds the salary table at column K after blank rows.
	s, err := ReadDraftKings(open(t, "testdata/dk-nfl-upload-template-head.csv"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Sport != slate.NFL || len(s.Players) != 52 {
		t.Fatalf("got %s %d players", s.Sport, len(s.Players))
	}
	if p := s.Players[0]; p.ID != "13651384" || p.Name != "Christian McCaffrey" || p.Opponent != "TEN" {
		t.Errorf("first player %+v", p)
	}
}

func TestReadFanDuel(t *testing.T) {
	tests := []struct {
		file    string
		sport   slate.Sport
		mode    slate.Mode
		players int
		check   func(t *testing.T, s *Slate)
	}{
		{"testdata/fd-nfl-single-game.csv", slate.NFL, slate.Showdown, 73, func(t *testing.T, s *Slate) {
			p := findPlayer(t, s.Players, "Evan Engram", "")
			if p.ID != "78638-41872" || p.Team != "JAC" || p.Opponent != "LV" || p.Salary != 12000 {
				t.Errorf("Engram %+v", p)
			}
			if p := findPlayer(t, s.Players, "Willie Johnson", ""); p.Projection != 0 {
				t.Errorf("empty FPPG gave %g", p.Projection)
			}
		}},
		{"testdata/fd-nfl-old-format-head.csv", slate.NFL, slate.Classic, 29, func(t *testing.T, s *Slate) {
			p := findPlayer(t, s.Players, "Todd Gurley II", "")
			if p.ID != "30514-30447" || p.Game != "LAR@DET" || p.Salary != 9800 {
				t.Errorf("Gurley %+v", p)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			s, err := ReadFanDuel(open(t, tt.file), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Sport != tt.sport || s.Mode != tt.mode || len(s.Players) != tt.players || s.Site != slate.FanDuel {
				t.Fatalf("got %s %s %d players", s.Sport, s.Mode, len(s.Players))
			}
			tt.check(t, s)
		})
	}
}

func TestReadSalariesDetectsSite(t *testing.T) {
	for file, site := range map[string]slate.Site{
		"testdata/fd-nfl-single-game.csv":          slate.FanDuel,
		"testdata/dk-nba-DKSalaries.csv":           slate.DraftKings,
		"testdata/dk-nfl-status-synthetic.csv":     slate.DraftKings,
		"testdata/fd-nfl-old-format-head.csv":      slate.FanDuel,
		"testdata/dk-nfl-showdown-IND@HOU.csv":     slate.DraftKings,
		"testdata/dk-nfl-upload-template-head.csv": slate.DraftKings,
	} {
		s, err := ReadSalaries(open(t, file), "", ImportOptions{})
		if err != nil || s.Site != site {
			t.Errorf("%s: %v %v", file, s, err)
		}
	}
	if _, err := ReadSalaries(strings.NewReader("a,b\n1,2\n"), "", ImportOptions{}); err == nil {
		t.Error("unknown file accepted")
	}
}

func TestImportErrorsNameLineAndColumn(t *testing.T) {
	hdr := "Position,Name + ID,Name,ID,Roster Position,Salary,Game Info,TeamAbbrev,AvgPointsPerGame\n"
	row := "QB,A B (1),A B,1,QB,5000,X@Y 09/08/2019 01:00PM ET,X,10\n"
	tests := []struct {
		name, in, col string
		line          int
	}{
		{"salary", hdr + row + "QB,C D (2),C D,2,QB,abc,X@Y 09/08/2019 01:00PM ET,X,10\n", "Salary", 3},
		{"avg", hdr + row + "QB,C D (2),C D,2,QB,5000,X@Y 09/08/2019 01:00PM ET,X,1e999\n", "AvgPointsPerGame", 3},
		{"id", hdr + "QB,A B,A B,,QB,5000,X@Y,X,1\n", "ID", 2},
		{"dup", hdr + row + row, "ID", 3},
		{"game", hdr + "QB,A B (1),A B,1,QB,5000,garbage,X,1\n", "Game Info", 2},
		{"team", hdr + "QB,A B (1),A B,1,QB,5000,X@Y,,1\n", "TeamAbbrev", 2},
	}
	for _, tt := range tests {
		_, err := ReadDraftKings(strings.NewReader(tt.in), ImportOptions{})
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != tt.line || pe.Column != tt.col {
			t.Errorf("%s: got %v, want line %d column %s", tt.name, err, tt.line, tt.col)
		}
	}
}

func TestMergeProjectionsSynthetic(t *testing.T) {
	s, err := ReadDraftKings(open(t, "testdata/dk-nfl-status-synthetic.csv"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := ReadProjections(open(t, "testdata/projections-synthetic.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !proj.OwnershipPercent || proj.Columns["projection"] != "Proj" || proj.Columns["name"] != "Player" {
		t.Errorf("columns %v percent %v", proj.Columns, proj.OwnershipPercent)
	}
	players, rep := MergeProjections(s.Players, proj, MergeOptions{Sport: s.Sport, DropStatuses: []string{"out", "IR"}})
	if rep.Rows != 18 || rep.Matched != 15 {
		t.Errorf("matched %d of %d: %s", rep.Matched, rep.Rows, rep.Summary())
	}
	wantBy := map[string]int{MatchByNameTeam: 9, MatchByDefense: 4, MatchByInitial: 1, MatchByAlias: 1}
	if !reflect.DeepEqual(rep.MatchedBy, wantBy) {
		t.Errorf("matched by %v, want %v", rep.MatchedBy, wantBy)
	}
	wantReasons := map[string]string{
		"Ryan Griffin": "duplicate: player 100007 (Ryan Griffin BAL) already projected by line 8",
		"Tom Brady":    "team TB is not on the slate",
		"Joe Nobody":   "no projection value",
	}
	if len(rep.Unmatched) != len(wantReasons) {
		t.Errorf("unmatched %+v", rep.Unmatched)
	}
	for _, u := range rep.Unmatched {
		if wantReasons[u.Name] != u.Reason {
			t.Errorf("%s (line %d): reason %q, want %q", u.Name, u.Line, u.Reason, wantReasons[u.Name])
		}
	}
	if len(rep.NoProjection) != 0 {
		t.Errorf("no projection: %+v", rep.NoProjection)
	}
	if len(rep.Dropped) != 2 || len(players) != 13 {
		t.Errorf("dropped %+v, %d players left", rep.Dropped, len(players))
	}
	lamar := findPlayer(t, players, "Lamar Jackson", "")
	if lamar.Projection != 22.1 || lamar.StdDev != 7.5 || !near(lamar.Ownership, 0.155) || *lamar.Ceiling != 35 || *lamar.Floor != 10 {
		t.Errorf("Lamar %+v", lamar)
	}
	if p := findPlayer(t, players, "Ravens", ""); p.Projection != 8.5 || !near(p.Ownership, 0.14) {
		t.Errorf("Ravens %+v", p)
	}
	if p := findPlayer(t, players, "Ryan Griffin", "BAL"); p.Projection != 3.5 {
		t.Errorf("Griffin %+v", p)
	}
	// The input slice is not modified.
	if s.Players[0].Projection != 25.5 {
		t.Errorf("input modified: %+v", s.Players[0])
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestMergeUnprojectedPlayers(t *testing.T) {
	players := []slate.Player{
		{ID: "1", Name: "A One", Positions: []string{"PG"}, Team: "AAA", Salary: 5000, Projection: 30},
		{ID: "2", Name: "B Two", Positions: []string{"SG"}, Team: "AAA", Salary: 4000, Projection: 20},
	}
	proj, err := ReadProjections(strings.NewReader("id,fpts\n1,33\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		opts  MergeOptions
		n     int
		proj2 float64
	}{
		{MergeOptions{}, 2, 0},
		{MergeOptions{KeepSiteProjection: true}, 2, 20},
		{MergeOptions{DropUnprojected: true}, 1, -1},
	}
	for _, tt := range tests {
		got, rep := MergeProjections(players, proj, tt.opts)
		if len(got) != tt.n || got[0].Projection != 33 || rep.MatchedBy[MatchByID] != 1 || len(rep.NoProjection) != 1 {
			t.Errorf("%+v: %+v %+v", tt.opts, got, rep)
		}
		if tt.proj2 >= 0 && got[1].Projection != tt.proj2 {
			t.Errorf("%+v: unprojected player has %g", tt.opts, got[1].Projection)
		}
	}
}

func TestReadProjectionsErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		col      string
	}{
		{"no projection column", "name,team\nA,B\n", 1, ""},
		{"no key column", "team,proj\nA,1\n", 1, ""},
		{"bad number", "name,proj\nA,1\nB,x\n", 3, "proj"},
		{"negative sd", "name,proj,sd\nA,1,-2\n", 2, "sd"},
		{"ownership above 100", "name,proj,own%\nA,1,150\n", 2, "own%"},
		{"empty", "", 0, ""},
	}
	for _, tt := range tests {
		_, err := ReadProjections(strings.NewReader(tt.in))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != tt.line || pe.Column != tt.col {
			t.Errorf("%s: got %v, want line %d column %q", tt.name, err, tt.line, tt.col)
		}
	}
	// Fractions stay fractions when nothing says percent.
	p, err := ReadProjections(strings.NewReader("name,proj,ownership\nA,1,0.25\nB,2,0.5\n"))
	if err != nil || p.OwnershipPercent || *p.Rows[0].Ownership != 0.25 {
		t.Errorf("fraction ownership: %+v %v", p, err)
	}
}

func nflLineup(ids ...string) schema.Lineup {
	slots := []string{"QB", "RB", "RB", "WR", "WR", "WR", "TE", "FLEX", "DST"}
	var l schema.Lineup
	for i, id := range ids {
		l.Players = append(l.Players, schema.LineupPlayer{Slot: slots[i], ID: id, Name: "P " + id})
	}
	return l
}

func TestWriteDraftKingsUpload(t *testing.T) {
	rules, _ := slate.RulesFor(slate.DraftKings, slate.NFL, slate.Classic)
	l := nflLineup("1", "2", "3", "4", "5", "6", "7", "8", "9")
	// Slot order in the lineup does not matter.
	l2 := l
	l2.Players = append([]schema.LineupPlayer(nil), l.Players...)
	l2.Players[0], l2.Players[8] = l2.Players[8], l2.Players[0]
	var b bytes.Buffer
	if err := WriteUpload(&b, rules, []schema.Lineup{l, l2}); err != nil {
		t.Fatal(err)
	}
	want := "QB,RB,RB,WR,WR,WR,TE,FLEX,DST\n1,2,3,4,5,6,7,8,9\n1,2,3,4,5,6,7,8,9\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	// The header matches DraftKings' own template.
	tmpl, _ := os.ReadFile("testdata/dk-nfl-upload-template-head.csv")
	if !strings.HasPrefix(string(tmpl), "QB,RB,RB,WR,WR,WR,TE,FLEX,DST,") {
		t.Errorf("template header %q", string(tmpl[:40]))
	}
	bad := nflLineup("1", "2", "3", "4", "5", "6", "7", "8")
	if err := WriteUpload(&b, rules, []schema.Lineup{bad}); err == nil || !strings.Contains(err.Error(), "lineup 0") {
		t.Errorf("short lineup: %v", err)
	}
	bad = nflLineup("1", "2", "3", "4", "5", "6", "7", "8", "9")
	bad.Players[8].Slot = "K"
	if err := WriteUpload(&b, rules, []schema.Lineup{bad}); err == nil || !strings.Contains(err.Error(), "DST") {
		t.Errorf("wrong slot: %v", err)
	}
}

func TestWriteDraftKingsShowdownUpload(t *testing.T) {
	s, err := ReadDraftKings(open(t, "testdata/dk-nfl-showdown-IND@HOU.csv"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := slate.RulesFor(slate.DraftKings, s.Sport, s.Mode)
	l := schema.Lineup{}
	for i := 0; i < 6; i++ {
		slot := "FLEX"
		if i == 0 {
			slot = "CPT"
		}
		l.Players = append(l.Players, schema.LineupPlayer{Slot: slot, ID: s.Players[i].ID, Name: s.Players[i].Name})
	}
	var b bytes.Buffer
	if err := WriteUpload(&b, rules, []schema.Lineup{l}); err == nil {
		t.Error("CPT without upload id accepted")
	}
	lineups := []schema.Lineup{l}
	FillUploadIDs(rules, s.Players, lineups)
	b.Reset()
	if err := WriteUpload(&b, rules, lineups); err != nil {
		t.Fatal(err)
	}
	want := "CPT,FLEX,FLEX,FLEX,FLEX,FLEX\n" + s.Players[0].CaptainID
	for i := 1; i < 6; i++ {
		want += "," + s.Players[i].ID
	}
	if got := b.String(); got != want+"\n" || s.Players[0].CaptainID == s.Players[0].ID {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestWriteFanDuelUpload(t *testing.T) {
	rules, _ := slate.RulesFor(slate.FanDuel, slate.NFL, slate.Classic)
	l := nflLineup("11-1", "11-2", "11-3", "11-4", "11-5", "11-6", "11-7", "11-8", "11-9")
	l.Players[8].Slot = "DEF"
	l.Players[0].Name = "Joe Horn Jr."
	var b bytes.Buffer
	if err := WriteUpload(&b, rules, []schema.Lineup{l}); err != nil {
		t.Fatal(err)
	}
	want := "QB,RB,RB,WR,WR,WR,TE,FLEX,DEF\n11-1:Joe Horn Jr.,11-2:P 11-2,11-3:P 11-3,11-4:P 11-4,11-5:P 11-5,11-6:P 11-6,11-7:P 11-7,11-8:P 11-8,11-9:P 11-9\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := WriteUploadOptions(&b, rules, []schema.Lineup{l}, UploadOptions{FanDuelIDOnly: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(b.String(), "\n11-1,11-2,11-3,11-4,11-5,11-6,11-7,11-8,11-9\n") {
		t.Errorf("id only: %q", b.String())
	}
	sg, _ := slate.RulesFor(slate.FanDuel, slate.NFL, slate.Showdown)
	l = schema.Lineup{Players: []schema.LineupPlayer{{Slot: "MVP", ID: "1"}, {Slot: "FLEX", ID: "2"}, {Slot: "FLEX", ID: "3"}, {Slot: "FLEX", ID: "4"}, {Slot: "FLEX", ID: "5"}}}
	b.Reset()
	if err := WriteUpload(&b, sg, []schema.Lineup{l}); err != nil {
		t.Fatal(err)
	}
	if want := "MVP - 1.5X Points,AnyFLEX,AnyFLEX,AnyFLEX,AnyFLEX\n1,2,3,4,5\n"; b.String() != want {
		t.Errorf("single game: %q", b.String())
	}
}

func TestReadPayouts(t *testing.T) {
	p, err := ReadPayouts(open(t, "testdata/dk-nba-payouts-20K.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if p.FieldSize != 5945 || p.EntryFee != 4 || len(p.Ranges) != 20 || p.PaidPlaces() != 1538 || p.TotalPrizes() != 20000 {
		t.Errorf("%+v total %g", p, p.TotalPrizes())
	}
	if p.Ranges[6] != (PayoutRange{First: 8, Last: 10, Prize: 200}) {
		t.Errorf("range 6: %+v", p.Ranges[6])
	}
	q, err := ReadPayouts(strings.NewReader("Place,Payout,Field Size,Entry Fee\n1,\"$1,000\",100,$5\n2-3,$250.50,,\n"))
	if err != nil || q.Ranges[0].Prize != 1000 || q.Ranges[1].Prize != 250.5 || q.EntryFee != 5 {
		t.Errorf("dollars: %+v %v", q, err)
	}
	bad := []struct {
		in   string
		line int
		col  string
	}{
		{"Place,Payout\n1,10\n3,5\n", 3, "Place"},
		{"Place,Payout\n2,10\n", 2, "Place"},
		{"Place,Payout\n1,10\n2-1,5\n", 3, "Place"},
		{"Place,Payout\n1,ten\n", 2, "Payout"},
		{"Place,Payout\n1,-1\n", 2, "Payout"},
		{"Place,Payout,Field Size\n1-5,10,3\n", 0, "Place"},
	}
	for _, tt := range bad {
		_, err := ReadPayouts(strings.NewReader(tt.in))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != tt.line || pe.Column != tt.col {
			t.Errorf("%q: %v", tt.in, err)
		}
	}
}

func TestParseStandingsLineup(t *testing.T) {
	nfl, _ := slate.RulesFor(slate.DraftKings, slate.NFL, slate.Classic)
	slots := map[string]bool{}
	for _, s := range nfl.Slots {
		slots[s.Name] = true
	}
	got, err := ParseStandingsLineup("DST Browns  FLEX Trey McBride QB Jameis Winston RB Jahmyr Gibbs RB Emanuel Wilson TE Mike Gesicki WR Jaxon Smith-Njigba WR Wan'Dale Robinson WR Michael Wilson", slots)
	if err != nil || len(got) != 9 || got[0] != (StandingsPick{Slot: "DST", Name: "Browns"}) || got[8] != (StandingsPick{Slot: "WR", Name: "Michael Wilson"}) {
		t.Errorf("%+v %v", got, err)
	}
	nba := map[string]bool{"PG": true, "SG": true, "SF": true, "PF": true, "C": true, "G": true, "F": true, "UTIL": true}
	got, err = ParseStandingsLineup("C LOCKED F Evan Mobley G Cole Anthony", nba)
	if err != nil || !got[0].Hidden || got[0].Name != "" || got[2].Name != "Cole Anthony" {
		t.Errorf("%+v %v", got, err)
	}
	if _, err := ParseStandingsLineup("Evan Mobley C Joe", nba); err == nil {
		t.Error("lineup without leading slot accepted")
	}
	if _, err := ParseStandingsLineup("C Joe F", nba); err == nil {
		t.Error("trailing slot accepted")
	}
	if got, err := ParseStandingsLineup("  ", nba); err != nil || got != nil {
		t.Errorf("empty: %v %v", got, err)
	}
}

func TestReadStandingsFixture(t *testing.T) {
	s, err := ReadStandings(open(t, "testdata/dk-nba-contest-standings-head.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Entries) != 119 || len(s.Players) != 93 {
		t.Fatalf("%d entries, %d players", len(s.Entries), len(s.Players))
	}
	e := s.Entries[0]
	if e.Rank != 1 || e.EntryID != "4607658800" || e.User != "RudebwoyKev" || e.Points != 233.75 || len(e.Lineup) != 8 || e.Lineup[7].Name != "Isaiah Hartenstein" {
		t.Errorf("%+v", e)
	}
	if p := s.Players[0]; p.Name != "Shai Gilgeous-Alexander" || !near(p.Drafted, 0.4979) || p.FPTS != 42 {
		t.Errorf("%+v", p)
	}
}

func TestReadDraftKingsEntries(t *testing.T) {
	e, err := ReadDraftKingsEntries(open(t, "testdata/dk-nba-DKEntries.csv"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"PG", "SG", "SF", "PF", "C", "G", "F", "UTIL"}; !reflect.DeepEqual(e.Slots, want) {
		t.Errorf("slots %v", e.Slots)
	}
	if len(e.Entries) != 8 || e.Slate == nil || len(e.Slate.Players) != 209 {
		t.Fatalf("%d entries", len(e.Entries))
	}
	first := e.Entries[0]
	if first.EntryID != "4606391392" || first.ContestID != "173036248" || first.EntryFee != 4 ||
		first.Picks[0] != (EntryPick{Slot: "PG", ID: "37303029", Name: "Darius Garland", Locked: true}) ||
		first.Picks[7] != (EntryPick{Slot: "UTIL", ID: "37302953", Name: "Kevin Durant"}) {
		t.Errorf("%+v", first)
	}
	ls := e.LateSwap()
	if len(ls.Lineups) != 8 || len(ls.Lineups[0]) != 8 || ls.Lineups[0][0] != (schema.SlotPick{Slot: "PG", ID: "37303029"}) {
		t.Errorf("late swap %+v", ls.Lineups[0])
	}
	// Games in progress in the file: CLE@IND, OKC@WAS, NOP@BOS, PHI@ORL.
	if want := []string{"BOS", "CLE", "IND", "NOP", "OKC", "ORL", "PHI", "WAS"}; !reflect.DeepEqual(ls.StartedGames, want) {
		t.Errorf("started %v", ls.StartedGames)
	}
	started := 0
	for i := range e.Slate.Players {
		if e.Slate.Players[i].GameStarted {
			started++
		}
	}
	if started != 138 {
		t.Errorf("%d started players", started)
	}
	// Re-upload: same entries, lineups built from the picks.
	rules, _ := slate.RulesFor(slate.DraftKings, slate.NBA, slate.Classic)
	var lineups []schema.Lineup
	for _, en := range e.Entries {
		var l schema.Lineup
		for _, p := range en.Picks {
			l.Players = append(l.Players, schema.LineupPlayer{Slot: p.Slot, ID: p.ID})
		}
		lineups = append(lineups, l)
	}
	var b bytes.Buffer
	if err := WriteDraftKingsEntries(&b, rules, e.Entries, lineups); err != nil {
		t.Fatal(err)
	}
	back, err := ReadDraftKingsEntries(&b, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range back.Entries {
		for j, p := range back.Entries[i].Picks {
			if p.ID != e.Entries[i].Picks[j].ID || back.Entries[i].EntryFee != 4 {
				t.Fatalf("round trip entry %d slot %d: %+v", i, j, p)
			}
		}
	}
}

func TestBuildOptimizeRequest(t *testing.T) {
	req, rep, err := BuildOptimizeRequest(open(t, "testdata/dk-nba-DKSalaries.csv"), open(t, "testdata/dk-nba-projections.csv"),
		RequestOptions{Lineups: 150, DropUnprojected: true})
	if err != nil {
		t.Fatal(err)
	}
	if req.Site != "draftkings" || req.Sport != "nba" || req.Mode != "classic" || req.Lineups != 150 || len(req.Players) != 209 {
		t.Errorf("%s %s %s %d %d", req.Site, req.Sport, req.Mode, req.Lineups, len(req.Players))
	}
	if rep.Merge == nil || rep.Merge.Matched != 209 || len(rep.Merge.Unmatched) != 0 || len(rep.GameStarts) != 6 {
		t.Errorf("%+v", rep.Merge)
	}
	if err := req.Validate(); err != nil {
		t.Errorf("request invalid: %v", err)
	}
	sga := findPlayer(t, req.Players, "Shai Gilgeous-Alexander", "OKC")
	if sga.Projection != 60.87 || sga.StdDev != 21.98 || !near(sga.Ownership, 0.4421) {
		t.Errorf("%+v", sga)
	}
	// Without projections: site averages, status drops.
	req, rep, err = BuildOptimizeRequest(open(t, "testdata/dk-nfl-status-synthetic.csv"), nil, RequestOptions{Site: slate.DraftKings, Lineups: 1, DropStatuses: []string{"OUT", "IR"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Players) != 13 || len(rep.Dropped) != 2 || rep.Merge != nil {
		t.Errorf("%d players, %+v", len(req.Players), rep)
	}
	if err := req.Validate(); err != nil {
		t.Errorf("request invalid: %v", err)
	}
}

func TestMergeSkipsCaptainRows(t *testing.T) {
	s, err := ReadDraftKings(open(t, "testdata/dk-nfl-showdown-IND@HOU.csv"), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in := "Name,Team,Position,Projection\nDeAndre Hopkins,HOU,CPT,30\nDeAndre Hopkins,HOU,WR,20\nAndrew Luck,IND,QB,21\n"
	proj, err := ReadProjections(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	players, rep := MergeProjections(s.Players, proj, MergeOptions{Sport: s.Sport})
	if p := findPlayer(t, players, "DeAndre Hopkins", "HOU"); p.Projection != 20 {
		t.Errorf("Hopkins projected %g", p.Projection)
	}
	if rep.Matched != 2 || len(rep.Unmatched) != 1 || rep.Unmatched[0].Line != 2 {
		t.Errorf("%+v", rep)
	}
	// A showdown projection file keyed by the captain id finds the player.
	proj, _ = ReadProjections(strings.NewReader("ID,Fpts\n11896030,25\n"))
	players, rep = MergeProjections(s.Players, proj, MergeOptions{Sport: s.Sport})
	if p := findPlayer(t, players, "DeAndre Hopkins", "HOU"); p.Projection != 25 || rep.MatchedBy[MatchByCaptainID] != 1 {
		t.Errorf("by captain id: %+v", p)
	}
}

func TestProjectionNameWithID(t *testing.T) {
	p, err := ReadProjections(strings.NewReader("Name + ID,Proj\nLamar Jackson (100001),20\nRavens  (100011),7\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Rows[0]; r.ID != "100001" || r.Name != "Lamar Jackson" {
		t.Errorf("%+v", r)
	}
	if r := p.Rows[1]; r.ID != "100011" || r.Name != "Ravens" {
		t.Errorf("%+v", r)
	}
}
