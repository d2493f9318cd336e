package schema_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// nflRequest is a valid DraftKings NFL classic request over one game
// (BUF@KC): p1-p12, and a late-swap lineup of p1-p9 when lateSwap.
func nflRequest(lateSwap bool) *schema.OptimizeRequest {
	type row struct {
		pos, team string
		salary    int
	}
	rows := []row{{"QB", "KC", 7800}, {"RB", "KC", 6000}, {"RB", "BUF", 5500}, {"WR", "KC", 6500}, {"WR", "BUF", 5000},
		{"WR", "KC", 4000}, {"TE", "BUF", 4500}, {"RB", "BUF", 3500}, {"DST", "KC", 3000}, {"QB", "BUF", 7000},
		{"WR", "BUF", 3800}, {"TE", "KC", 5200}}
	r := &schema.OptimizeRequest{Site: "draftkings", Sport: "nfl", Lineups: 10}
	for i, x := range rows {
		opp := map[string]string{"KC": "BUF", "BUF": "KC"}[x.team]
		r.Players = append(r.Players, slate.Player{ID: fmt.Sprintf("p%d", i+1), Name: fmt.Sprintf("Player %d", i+1),
			Positions: []string{x.pos}, Team: x.team, Opponent: opp, Game: "BUF@KC", Salary: x.salary, Projection: float64(x.salary) / 400})
	}
	if lateSwap {
		r.Lineups = 0
		r.LateSwap = &schema.LateSwap{Lineups: [][]schema.SlotPick{nflLineup()}}
	}
	return r
}

// nflLineup is p1-p9 in the slots of a DraftKings NFL classic roster.
func nflLineup() []schema.SlotPick {
	slots := []string{"QB", "RB", "RB", "WR", "WR", "WR", "TE", "FLEX", "DST"}
	out := make([]schema.SlotPick, len(slots))
	for i, s := range slots {
		out[i] = schema.SlotPick{Slot: s, ID: fmt.Sprintf("p%d", i+1)}
	}
	return out
}

func ptr(x float64) *float64 { return &x }

// TestOptimizeValidateAgainstDocument: one row per check made against the
// players and the site rules; each bad row must name the field, the reason
// and, in the message, the offending id or value.
func TestOptimizeValidateAgainstDocument(t *testing.T) {
	type edit func(r *schema.OptimizeRequest)
	cons := func(f func(c *schema.Constraints)) edit { return func(r *schema.OptimizeRequest) { f(&r.Constraints) } }
	tests := []struct {
		name     string
		lateSwap bool
		edit     edit
		field    string // "": valid
		reason   string
		msg      string // the message names it
	}{
		{"valid", false, func(*schema.OptimizeRequest) {}, "", "", ""},
		{"valid late swap", true, func(*schema.OptimizeRequest) {}, "", "", ""},
		{"valid constraints", false, cons(func(c *schema.Constraints) {
			c.MinUnique, c.MinSalary, c.MinGames = 9, 50000, 1
			c.Locks, c.Excludes = []string{"p1"}, []string{"p10"}
			c.Exposures = map[string]schema.ExposureRange{"p1": {Min: ptr(0.5), Max: ptr(1)}, "p2": {Min: ptr(0.3)}}
			c.Stacks = []schema.Stack{{Positions: []string{"QB", "wr|te"}, Team: "kc", BringBack: 1, BringBackPositions: []string{"WR", "te"}},
				{Size: 3, Team: "any"}}
		}), "", "", ""},

		{"unknown lock", false, cons(func(c *schema.Constraints) { c.Locks = []string{"p1", "p2", "ghost"} }),
			"constraints.locks[2]", schema.ReasonNotFound, `"ghost"`},
		{"duplicate lock", false, cons(func(c *schema.Constraints) { c.Locks = []string{"p1", "p1"} }),
			"constraints.locks[1]", schema.ReasonDuplicate, `"p1"`},
		{"locks above the roster", false, cons(func(c *schema.Constraints) {
			c.Locks = []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10"}
		}), "constraints.locks", schema.ReasonOutOfRange, "10"},
		{"unknown exclude", false, cons(func(c *schema.Constraints) { c.Excludes = []string{"ghost"} }),
			"constraints.excludes[0]", schema.ReasonNotFound, `"ghost"`},
		{"duplicate exclude", false, cons(func(c *schema.Constraints) { c.Excludes = []string{"p3", "p4", "p3"} }),
			"constraints.excludes[2]", schema.ReasonDuplicate, `"p3"`},
		{"locked and excluded", false, cons(func(c *schema.Constraints) { c.Locks, c.Excludes = []string{"p3"}, []string{"p3"} }),
			"constraints.excludes[0]", schema.ReasonConflict, `"p3"`},
		{"unknown exposure", false, cons(func(c *schema.Constraints) {
			c.Exposures = map[string]schema.ExposureRange{"ghost": {Max: ptr(0.5)}}
		}), "constraints.exposures.ghost", schema.ReasonNotFound, `"ghost"`},
		{"locked with max exposure", false, cons(func(c *schema.Constraints) {
			c.Locks, c.Exposures = []string{"p1"}, map[string]schema.ExposureRange{"p1": {Max: ptr(0.5)}}
		}), "constraints.exposures.p1.max", schema.ReasonConflict, `"p1"`},
		{"min exposure of an excluded player", false, cons(func(c *schema.Constraints) {
			c.Excludes, c.Exposures = []string{"p2"}, map[string]schema.ExposureRange{"p2": {Min: ptr(0.2)}}
		}), "constraints.exposures.p2.min", schema.ReasonConflict, `"p2"`},
		{"min exposure above max_exposure", false, cons(func(c *schema.Constraints) {
			c.MaxExposure, c.Exposures = ptr(0.2), map[string]schema.ExposureRange{"p3": {Min: ptr(0.5)}}
		}), "constraints.exposures.p3", schema.ReasonConflict, `"p3"`},
		{"unknown stack team", false, cons(func(c *schema.Constraints) {
			c.Stacks = []schema.Stack{{Size: 2}, {Positions: []string{"QB", "WR"}, Team: "ZZZ"}}
		}), "constraints.stacks[1].team", schema.ReasonNotFound, `"ZZZ"`},
		{"stack position of another sport", false, cons(func(c *schema.Constraints) {
			c.Stacks = []schema.Stack{{Size: 2}, {Positions: []string{"PG", "WR"}}}
		}), "constraints.stacks[1].positions[0]", schema.ReasonInvalid, `"PG"`},
		{"stack alternative of another sport", false, cons(func(c *schema.Constraints) {
			c.Stacks = []schema.Stack{{Positions: []string{"QB", "WR|SS"}}}
		}), "constraints.stacks[0].positions[1]", schema.ReasonInvalid, `"SS"`},
		{"bring-back position of another sport", false, cons(func(c *schema.Constraints) {
			c.Stacks = []schema.Stack{{Positions: []string{"QB", "WR"}, BringBack: 1, BringBackPositions: []string{"C"}}}
		}), "constraints.stacks[0].bring_back_positions[0]", schema.ReasonInvalid, `"C"`},
		{"bring-back positions joined", false, cons(func(c *schema.Constraints) {
			c.Stacks = []schema.Stack{{Positions: []string{"QB", "WR"}, BringBack: 1, BringBackPositions: []string{"WR|TE"}}}
		}), "constraints.stacks[0].bring_back_positions[0]", schema.ReasonInvalid, `"WR|TE"`},
		{"bring-back positions without bring_back", false, cons(func(c *schema.Constraints) {
			c.Stacks = []schema.Stack{{Positions: []string{"QB", "WR"}, BringBackPositions: []string{"WR"}}}
		}), "constraints.stacks[0].bring_back_positions", schema.ReasonConflict, "bring_back"},
		{"stack above the roster", false, cons(func(c *schema.Constraints) { c.Stacks = []schema.Stack{{Size: 10}} }),
			"constraints.stacks[0]", schema.ReasonOutOfRange, "10"},
		{"stack and bring-back above the roster", false, cons(func(c *schema.Constraints) {
			c.Stacks = []schema.Stack{{Size: 8, BringBack: 2}}
		}), "constraints.stacks[0].bring_back", schema.ReasonOutOfRange, "9"},
		{"min_unique above the roster", false, cons(func(c *schema.Constraints) { c.MinUnique = 10 }),
			"constraints.min_unique", schema.ReasonOutOfRange, "9"},
		{"min_unique negative", false, cons(func(c *schema.Constraints) { c.MinUnique = -1 }),
			"constraints.min_unique", schema.ReasonOutOfRange, ">= 0"},
		{"min_salary above the cap", false, cons(func(c *schema.Constraints) { c.MinSalary = 50001 }),
			"constraints.min_salary", schema.ReasonOutOfRange, "50000"},
		{"min_games above the roster", false, cons(func(c *schema.Constraints) { c.MinGames = 10 }),
			"constraints.min_games", schema.ReasonOutOfRange, "10"},

		{"player position of another sport", false, func(r *schema.OptimizeRequest) { r.Players[7].Positions = []string{"RB", "PG"} },
			"players[7].positions[1]", schema.ReasonInvalid, `"PG"`},
		{"pitcher on NFL", false, func(r *schema.OptimizeRequest) { r.Players[3].Positions = []string{"P"} },
			"players[3].positions[0]", schema.ReasonInvalid, `"p4"`},
		{"lower-case position", false, func(r *schema.OptimizeRequest) { r.Players[0].Positions = []string{"qb"} },
			"players[0].positions[0]", schema.ReasonInvalid, "upper case"},
		{"QB on NBA", false, func(r *schema.OptimizeRequest) { r.Sport = "nba" },
			"players[0].positions[0]", schema.ReasonInvalid, `"QB"`},
		{"salary above the cap", false, func(r *schema.OptimizeRequest) { r.Players[7].Salary = 50100 },
			"players[7].salary", schema.ReasonOutOfRange, "50100"},
		{"negative salary", false, func(r *schema.OptimizeRequest) { r.Players[7].Salary = -1 },
			"players[7].salary", schema.ReasonOutOfRange, "players[7].salary"},
		{"negative captain salary", false, func(r *schema.OptimizeRequest) { r.Players[7].CaptainSalary = -1 },
			"players[7].captain_salary", schema.ReasonOutOfRange, "players[7].captain_salary"},
		{"showdown: flex salary fits, captain does not", false, func(r *schema.OptimizeRequest) {
			r.Mode, r.Players[0].Salary = "showdown", 40000
		}, "", "", ""},
		{"showdown: kicker and defense", false, func(r *schema.OptimizeRequest) {
			r.Mode, r.Players[8].Positions, r.Players[7].Positions = "showdown", []string{"DST"}, []string{"K"}
		}, "", "", ""},
		{"showdown: salary above the cap", false, func(r *schema.OptimizeRequest) { r.Mode, r.Players[0].Salary = "showdown", 50001 },
			"players[0].salary", schema.ReasonOutOfRange, "50001"},
		{"showdown: PG on NFL", false, func(r *schema.OptimizeRequest) { r.Mode, r.Players[0].Positions = "showdown", []string{"PG"} },
			"players[0].positions[0]", schema.ReasonInvalid, `"PG"`},
		{"fanduel single game: MVP costs no more", false, func(r *schema.OptimizeRequest) {
			r.Site, r.Mode, r.Players[0].Salary = "fd", "single_game", 60000
		}, "", "", ""},
		{"fanduel has no NHL single game", false, func(r *schema.OptimizeRequest) { r.Site, r.Sport, r.Mode = "fd", "nhl", "showdown" },
			"mode", schema.ReasonInvalid, "nhl"},

		{"slate_id", false, func(r *schema.OptimizeRequest) { r.Players, r.SlateID = nil, "nfl-2025-w1" },
			"slate_id", schema.ReasonInvalid, schema.MsgSlateIDUnsupported},
		{"slate_id and players", false, func(r *schema.OptimizeRequest) { r.SlateID = "nfl-2025-w1" },
			"slate_id", schema.ReasonInvalid, schema.MsgSlateIDUnsupported},

		{"late swap: unknown id", true, func(r *schema.OptimizeRequest) { r.LateSwap.Lineups[0][2].ID = "ghost" },
			"late_swap.lineups[0][2].id", schema.ReasonNotFound, `"ghost"`},
		{"late swap: same player twice", true, func(r *schema.OptimizeRequest) { r.LateSwap.Lineups[0][2].ID = "p2" },
			"late_swap.lineups[0][2].id", schema.ReasonDuplicate, `"p2"`},
		{"late swap: excluded player", true, cons(func(c *schema.Constraints) { c.Excludes = []string{"p5"} }),
			"late_swap.lineups[0][4].id", schema.ReasonConflict, `"p5"`},
		{"late swap: player of an excluded status", true, func(r *schema.OptimizeRequest) {
			r.Players[4].Status, r.Constraints.ExcludeStatuses = "OUT", []string{"out"}
		}, "late_swap.lineups[0][4].id", schema.ReasonConflict, `"OUT"`},
		{"late swap: unknown slot", true, func(r *schema.OptimizeRequest) { r.LateSwap.Lineups[0][3].Slot = "PG" },
			"late_swap.lineups[0][3].slot", schema.ReasonInvalid, `"PG"`},
		{"late swap: slot filled twice", true, func(r *schema.OptimizeRequest) { r.LateSwap.Lineups[0][1].Slot = "QB" },
			"late_swap.lineups[0][1].slot", schema.ReasonInvalid, `"QB"`},
		{"late swap: started player out of position", true, func(r *schema.OptimizeRequest) {
			r.LateSwap.StartedGames = []string{"buf@kc"}
			l := r.LateSwap.Lineups[0]
			l[1].ID, l[3].ID = l[3].ID, l[1].ID // RB p4 (a WR), WR p2 (an RB)
		}, "late_swap.lineups[0][1].slot", schema.ReasonInvalid, `"p4"`},
		{"late swap: started game named by its derived key", true, func(r *schema.OptimizeRequest) {
			for i := range r.Players {
				r.Players[i].Game = "" // key from team and opponent: BUF@KC
			}
			r.LateSwap.StartedGames = []string{"BUF@KC"}
			l := r.LateSwap.Lineups[0]
			l[1].ID, l[3].ID = l[3].ID, l[1].ID
		}, "late_swap.lineups[0][1].slot", schema.ReasonInvalid, `"p4"`},
		{"late swap: not started, any slot", true, func(r *schema.OptimizeRequest) {
			l := r.LateSwap.Lineups[0]
			l[1].ID, l[3].ID = l[3].ID, l[1].ID
		}, "", "", ""},
		{"late swap: short lineup", true, func(r *schema.OptimizeRequest) { r.LateSwap.Lineups[0] = r.LateSwap.Lineups[0][:8] },
			"late_swap.lineups[0]", schema.ReasonInvalid, "8"},
		{"late swap: unknown started game", true, func(r *schema.OptimizeRequest) { r.LateSwap.StartedGames = []string{"KC", "NYG@DAL"} },
			"late_swap.started_games[1]", schema.ReasonNotFound, `"NYG@DAL"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := nflRequest(tc.lateSwap)
			tc.edit(r)
			err := r.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %s", describe(err))
				}
				return
			}
			var ve *schema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a *ValidationError on %s, got %v", tc.field, err)
			}
			for _, fe := range ve.Errors {
				if fe.Field == tc.field {
					if fe.Reason != tc.reason || !strings.Contains(fe.Message, tc.msg) {
						t.Fatalf("%s: got %s %q, want %s naming %s", tc.field, fe.Reason, fe.Message, tc.reason, tc.msg)
					}
					t.Logf("%s %s: %s", fe.Field, fe.Reason, fe.Message)
					return
				}
			}
			t.Fatalf("no error on %s:%s", tc.field, describe(err))
		})
	}
}

// TestOptimizeValidateOneErrorPerProblem: a request with one problem gets
// exactly one field error (no echo of the same problem on another field).
func TestOptimizeValidateOneErrorPerProblem(t *testing.T) {
	for _, edit := range []func(r *schema.OptimizeRequest){
		func(r *schema.OptimizeRequest) { r.Constraints.MinUnique = 11 },
		func(r *schema.OptimizeRequest) { r.Constraints.Excludes = []string{"ghost"} },
		func(r *schema.OptimizeRequest) { r.Players, r.SlateID = nil, "s" },
		func(r *schema.OptimizeRequest) { r.Players[1].Salary = 2_000_000 },
		func(r *schema.OptimizeRequest) { r.Constraints.Stacks = []schema.Stack{{Size: 12}} },
		func(r *schema.OptimizeRequest) {
			r.Constraints.Exposures = map[string]schema.ExposureRange{"p1": {Min: ptr(0.6), Max: ptr(0.4)}}
		},
	} {
		r := nflRequest(false)
		edit(r)
		var ve *schema.ValidationError
		if err := r.Validate(); !errors.As(err, &ve) || len(ve.Errors) != 1 {
			t.Errorf("want one field error, got %v", describe(r.Validate()))
		}
	}
}

// TestValidationErrorJobCode: a validation failure is the job code
// invalid_request.
func TestValidationErrorJobCode(t *testing.T) {
	var err error = &schema.ValidationError{}
	var coded interface{ JobCode() string }
	if !errors.As(fmt.Errorf("wrapped: %w", err), &coded) || coded.JobCode() != "invalid_request" {
		t.Fatalf("JobCode: %v", coded)
	}
}

// FuzzOptimizeValidate: whatever bytes arrive, decoding then validating
// never panics, answers nil or a *ValidationError whose entries all carry
// a reason and a message, at most MaxFieldErrors+1 of them, and answers
// the same twice.
func FuzzOptimizeValidate(f *testing.F) {
	for _, r := range []*schema.OptimizeRequest{nflRequest(false), nflRequest(true)} {
		b, _ := json.Marshal(r)
		f.Add(b)
	}
	f.Add([]byte(`{"site":"dk","sport":"nfl","mode":"showdown","lineups":3,"players":[{"id":"1","positions":["QB"],"team":"KC","salary":9000,"captain_salary":-1}],
		"constraints":{"locks":["1","1"],"excludes":["2"],"exposures":{"1":{"min":0.5,"max":0.2}},"stacks":[{"positions":["QB|","|"],"team":"x","bring_back_positions":["WR|TE"]}]}}`))
	f.Add([]byte(`{"site":"fd","sport":"nba","lineups":1,"slate_id":"s","late_swap":{"lineups":[[{"slot":"PG","id":"1"}],[]],"started_games":["A@B","@"]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r schema.OptimizeRequest
		if err := schema.DecodeBytes(b, &r); err != nil {
			return
		}
		err := r.Validate()
		if err == nil {
			return
		}
		var ve *schema.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("not a *ValidationError: %T %v", err, err)
		}
		if len(ve.Errors) == 0 || len(ve.Errors) > schema.MaxFieldErrors+1 {
			t.Fatalf("%d field errors", len(ve.Errors))
		}
		for _, fe := range ve.Errors {
			if fe.Reason == "" || fe.Message == "" {
				t.Fatalf("field error without reason or message: %+v", fe)
			}
		}
		if again := r.Validate(); !reflect.DeepEqual(err, again) {
			t.Fatalf("Validate is not deterministic:%s\nthen:%s", describe(err), describe(again))
		}
	})
}

// TestOptimizeValidateLinear: Validate stays linear in the size of the
// document (it runs on the gateway before any limit but the body size):
// long lists in every field that is checked against another must not
// multiply. Quadratic checks would take minutes here.
func TestOptimizeValidateLinear(t *testing.T) {
	const n = 50_000
	r := nflRequest(true)
	for i := range 5000 - len(r.Players) {
		p := r.Players[i%12]
		p.ID, p.Team, p.Status = fmt.Sprintf("x%d", i), fmt.Sprintf("T%d", i), "Q"
		r.Players = append(r.Players, p)
	}
	long := make([]schema.SlotPick, n)
	for i := range long {
		long[i] = schema.SlotPick{Slot: "WR", ID: "p4"}
	}
	r.LateSwap.Lineups = append(r.LateSwap.Lineups, long)
	for i := range n {
		r.LateSwap.Lineups = append(r.LateSwap.Lineups, nflLineup())
		r.LateSwap.StartedGames = append(r.LateSwap.StartedGames, fmt.Sprintf("G%d", i))
		r.Constraints.Excludes = append(r.Constraints.Excludes, fmt.Sprintf("e%d", i))
		r.Constraints.ExcludeStatuses = append(r.Constraints.ExcludeStatuses, fmt.Sprintf("S%d", i))
		r.Constraints.Stacks = append(r.Constraints.Stacks, schema.Stack{Size: 2, Team: fmt.Sprintf("U%d", i)})
	}
	start := time.Now()
	if err := r.Validate(); err == nil {
		t.Fatal("want errors")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Validate took %v", d)
	} else {
		t.Logf("Validate took %v", d)
	}
}
