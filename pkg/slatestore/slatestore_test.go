package slatestore

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

func sample() *Slate {
	return &Slate{
		Site: slate.DraftKings, Sport: slate.NFL, Mode: slate.Classic, ProjectionSource: "p.csv",
		GameStarts: map[string]time.Time{
			"NYG@DAL": time.Date(2019, 9, 8, 20, 25, 0, 0, time.UTC),
			"BAL@MIA": time.Date(2019, 9, 8, 17, 0, 0, 0, time.UTC),
		},
		Players: []slate.Player{
			{ID: "1", Name: "A", Positions: []string{"RB"}, Team: "DAL", Opponent: "NYG", Game: "NYG@DAL", Salary: 9000, Projection: 20},
			{ID: "2", Name: "B", Positions: []string{"QB"}, Team: "BAL", Opponent: "MIA", Game: "BAL@MIA", Salary: 6000, Projection: 18},
		},
	}
}

func TestPrepare(t *testing.T) {
	p, err := Prepare(sample())
	if err != nil {
		t.Fatal(err)
	}
	if !ValidID(p.ID) {
		t.Fatalf("id %q", p.ID)
	}
	if want := time.Date(2019, 9, 8, 17, 0, 0, 0, time.UTC); !p.LockTime.Equal(want) {
		t.Fatalf("lock %v, want the first start %v", p.LockTime, want)
	}
	again, _ := Prepare(sample())
	if again.ID != p.ID {
		t.Fatal("the same content gave two ids")
	}
	// Times in another zone are the same instants: same id.
	s := sample()
	ny := time.FixedZone("EDT", -4*3600)
	for g, v := range s.GameStarts {
		s.GameStarts[g] = v.In(ny)
	}
	if q, _ := Prepare(s); q.ID != p.ID {
		t.Fatal("the zone of the start times changed the id")
	}
	for name, change := range map[string]func(*Slate){
		"salary":     func(s *Slate) { s.Players[0].Salary++ },
		"projection": func(s *Slate) { s.Players[1].Projection = 18.5 },
		"order":      func(s *Slate) { s.Players[0], s.Players[1] = s.Players[1], s.Players[0] },
		"source":     func(s *Slate) { s.ProjectionSource = "other.csv" },
		"start":      func(s *Slate) { s.GameStarts["NYG@DAL"] = s.GameStarts["NYG@DAL"].Add(time.Minute) },
	} {
		s := sample()
		change(s)
		if q, _ := Prepare(s); q.ID == p.ID {
			t.Errorf("changing the %s kept the id", name)
		}
	}
	for name, change := range map[string]func(*Slate){
		"no players": func(s *Slate) { s.Players = nil },
		"no id":      func(s *Slate) { s.Players[0].ID = "" },
		"no team":    func(s *Slate) { s.Players[0].Team = "" },
		"duplicate":  func(s *Slate) { s.Players[1].ID = "1" },
		"sport":      func(s *Slate) { s.Sport = "cricket" },
	} {
		s := sample()
		change(s)
		if _, err := Prepare(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"sl_0123456789abcdef0123456789abcdef":  true,
		"sl_0123456789ABCDEF0123456789abcdef":  false,
		"sl_0123":                              false,
		"cal_0123456789abcdef0123456789abcdef": false,
		"":                                     false,
	} {
		if ValidID(id) != want {
			t.Errorf("ValidID(%q) = %v", id, !want)
		}
	}
}

func TestEasternDate(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2025, 1, 13, 3, 30, 0, 0, time.UTC): "2025-01-12", // 10:30 p.m. EST
		time.Date(2019, 9, 9, 2, 15, 0, 0, time.UTC):  "2019-09-08", // 10:15 p.m. EDT
		time.Date(2019, 9, 8, 17, 0, 0, 0, time.UTC):  "2019-09-08",
		{}: "",
	} {
		if got := EasternDate(in); got != want {
			t.Errorf("EasternDate(%v) = %s, want %s", in, got, want)
		}
	}
}

func TestRosterPositions(t *testing.T) {
	r, _ := slate.RulesFor(slate.DraftKings, slate.NFL, slate.Classic)
	p := slate.Player{Positions: []string{"RB"}}
	if got := RosterPositions(r, &p); !slices.Equal(got, []string{"RB", "FLEX"}) {
		t.Fatalf("RB: %v, want [RB FLEX]", got)
	}
}

func TestFilter(t *testing.T) {
	t1 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	all := []Summary{
		{ID: "a", Sport: slate.NFL, LockTime: t1},
		{ID: "b", Sport: slate.NBA, LockTime: t1.Add(time.Hour)},
		{ID: "c", Sport: slate.NFL},
	}
	got := Filter(all, ListOptions{})
	if len(got) != 3 || got[0].ID != "b" || got[1].ID != "a" || got[2].ID != "c" {
		t.Fatalf("order: %+v", got)
	}
	if got := Filter(all, ListOptions{Sport: slate.NFL, Limit: 1}); len(got) != 1 || got[0].ID != "a" {
		t.Fatalf("nfl limit 1: %+v", got)
	}
}
