package task

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

const testPlayers = `[
 {"id":"q","name":"Q","positions":["QB"],"team":"AAA","opponent":"BBB","game":"AAA@BBB","salary":7000,"projection":20,"stddev":0,"ownership":0.1},
 {"id":"r1","positions":["RB"],"team":"AAA","opponent":"BBB","game":"AAA@BBB","salary":6000,"projection":10,"stddev":0,"ownership":0.1},
 {"id":"r2","positions":["RB"],"team":"BBB","opponent":"AAA","game":"AAA@BBB","salary":6000,"projection":10,"stddev":0,"ownership":0.1},
 {"id":"r3","positions":["RB"],"team":"CCC","opponent":"DDD","game":"CCC@DDD","salary":4000,"projection":5,"stddev":0,"ownership":0.1},
 {"id":"w1","positions":["WR"],"team":"AAA","opponent":"BBB","game":"AAA@BBB","salary":5000,"projection":10,"stddev":0,"ownership":0.1},
 {"id":"w2","positions":["WR"],"team":"BBB","opponent":"AAA","game":"AAA@BBB","salary":5000,"projection":10,"stddev":0,"ownership":0.1},
 {"id":"w3","positions":["WR"],"team":"CCC","opponent":"DDD","game":"CCC@DDD","salary":5000,"projection":10,"stddev":0,"ownership":0.1},
 {"id":"wa","positions":["WR"],"team":"DDD","opponent":"CCC","game":"CCC@DDD","salary":5000,"projection":12,"stddev":0,"ownership":0.1},
 {"id":"t","positions":["TE"],"team":"AAA","opponent":"BBB","game":"AAA@BBB","salary":3000,"projection":5,"stddev":0,"ownership":0.1},
 {"id":"d","positions":["DST"],"team":"DDD","opponent":"CCC","game":"CCC@DDD","salary":2500,"projection":5,"stddev":0,"ownership":0.1}]`

const (
	base = `["q","r1","r2","w1","w2","w3","t","r3","d"]`
	alt  = `["q","r1","r2","w1","w2","wa","t","r3","d"]`
)

// TestSimulationKinds decodes and runs one request of each simulation kind.
func TestSimulationKinds(t *testing.T) {
	contestPart := `"field":{"lineups":[` + base + `]},"contest":{"entry_fee":10,"payouts":[{"places":[1,1],"prize":18}]},"sims":50,"seed":1`
	cases := []struct {
		typ, body, queue string
		check            func(t *testing.T, res any)
	}{
		{TypeSimulate, `{"site":"draftkings","sport":"nfl","players":` + testPlayers + `,"sims":30,"sim_optimal":true}`, QueueDefault,
			func(t *testing.T, res any) {
				r := res.(*schema.SimulateResult)
				if len(r.Players) != 10 || r.Players[0].SimOptimalRate == nil || *r.Players[0].SimOptimalRate != 1 {
					t.Errorf("result %+v", r.Players[0])
				}
			}},
		{TypeContestSim, `{"site":"draftkings","sport":"nfl","players":` + testPlayers + `,"entries":[` + alt + `],` + contestPart + `}`, QueueDefault,
			func(t *testing.T, res any) {
				if r := res.(*schema.ContestSimResult); r.Entries[0].MeanPayout != 18 {
					t.Errorf("result %+v", r.Entries)
				}
			}},
		{TypeOwnership, `{"site":"draftkings","sport":"nfl","players":` + testPlayers + `}`, QueueDefault,
			func(t *testing.T, res any) {
				if r := res.(*schema.OwnershipResult); len(r.Players) != 10 {
					t.Errorf("result %+v", r)
				}
			}},
		{TypePortfolio, `{"site":"draftkings","sport":"nfl","players":` + testPlayers + `,"lineups":1,"candidates":{"lineups":[` + base + `,` + alt + `]},` + contestPart + `}`, QueueDefault,
			func(t *testing.T, res any) {
				if r := res.(*schema.PortfolioSelection); len(r.Entries) != 1 || r.Entries[0].Candidate != 1 || r.Portfolio.MeanPayout != 18 {
					t.Errorf("result %+v", r)
				}
			}},
	}
	reg := Standard(job.Services{})
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			k, ok := reg.Lookup(tc.typ)
			if !ok {
				t.Fatal("not registered")
			}
			req, err := k.Decode([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if q := k.Queue(req, time.Now()); q != tc.queue {
				t.Errorf("queue %s, want %s", q, tc.queue)
			}
			var phases []string
			res, err := k.Run(context.Background(), req, func(_, _ int, phase string) { phases = append(phases, phase) })
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, res)
			if _, err := json.Marshal(res); err != nil {
				t.Fatal(err)
			}
			// The same document naming a slate id instead of players is refused.
			var doc map[string]any
			_ = json.Unmarshal([]byte(tc.body), &doc)
			delete(doc, "players")
			doc["slate_id"] = "slate-1"
			b, _ := json.Marshal(doc)
			// A slate_id is only parsed at decode; the gateway's slate check
			// refuses it when no store has the slate.
			sreq, err := k.Decode(b)
			if err != nil {
				t.Fatalf("slate_id decode: %v", err)
			}
			err = job.CheckSlates(context.Background(), nil, sreq)
			var ve *schema.ValidationError
			if !errors.As(err, &ve) || ve.Errors[0].Field != "slate_id" {
				t.Errorf("slate_id: %v", err)
			}
			// Unknown fields are rejected through the wrapper.
			if _, err := k.Decode([]byte(strings.Replace(tc.body, `"site"`, `"sitex":1,"site"`, 1))); !errors.As(err, &ve) {
				t.Errorf("unknown field accepted: %v", err)
			}
		})
	}
}

// TestQueueRouting: a contest run flagged time_sensitive, or for a contest
// locking within the lock window, goes to the critical queue unless it
// names a priority; a lock already passed or further away does not; a
// portfolio selection follows its contest's lock time too; optimize has
// no lock window.
func TestQueueRouting(t *testing.T) {
	now := time.Date(2026, 12, 6, 16, 0, 0, 0, time.UTC)
	contest := func(lock string) string {
		c := `"field":{"lineups":[` + base + `]},"contest":{"entry_fee":10,"payouts":[{"places":[1,1],"prize":18}]`
		if lock != "" {
			c += `,"lock_time":"` + lock + `"`
		}
		return c + `}`
	}
	sim := func(extra, lock string) string {
		return `{"site":"draftkings","sport":"nfl","players":` + testPlayers + `,"entries":[` + alt + `],` + contest(lock) + extra + `}`
	}
	port := func(lock string) string {
		return `{"site":"draftkings","sport":"nfl","players":` + testPlayers + `,"lineups":1,"candidates":{"lineups":[` + base + `,` + alt + `]},` + contest(lock) + `}`
	}
	cases := []struct {
		name, typ, body, want string
	}{
		{"plain contest run", TypeContestSim, sim("", ""), QueueDefault},
		{"time_sensitive", TypeContestSim, sim(`,"time_sensitive":true`, ""), QueueCritical},
		{"time_sensitive false", TypeContestSim, sim(`,"time_sensitive":false`, ""), QueueDefault},
		{"explicit priority wins", TypeContestSim, sim(`,"time_sensitive":true,"priority":"low"`, ""), QueueLow},
		{"locks in 90 minutes", TypeContestSim, sim("", "2026-12-06T17:30:00Z"), QueueCritical},
		{"locks in exactly 2 hours", TypeContestSim, sim("", "2026-12-06T13:00:00-05:00"), QueueCritical},
		{"locks in 3 hours", TypeContestSim, sim("", "2026-12-06T19:00:00Z"), QueueDefault},
		{"locked an hour ago", TypeContestSim, sim("", "2026-12-06T15:00:00Z"), QueueDefault},
		{"lock soon but priority low", TypeContestSim, sim(`,"priority":"low"`, "2026-12-06T16:30:00Z"), QueueLow},
		{"portfolio near lock", TypePortfolio, port("2026-12-06T16:30:00Z"), QueueCritical},
		{"portfolio far from lock", TypePortfolio, port("2026-12-07T16:30:00Z"), QueueDefault},
	}
	reg := Standard(job.Services{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, _ := reg.Lookup(tc.typ)
			req, err := k.Decode([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if q := k.Queue(req, now); q != tc.want {
				t.Errorf("queue %s, want %s", q, tc.want)
			}
			tk, err := k.NewTask(&Payload{JobID: "job_x", Request: []byte(tc.body), Principal: "p"}, req, k.Queue(req, now))
			if err != nil || tk.Type() != tc.typ {
				t.Fatalf("task %v %v", tk, err)
			}
		})
	}
	k, _ := reg.Lookup(TypeContestSim)
	if _, err := k.Decode([]byte(sim("", "next sunday"))); err == nil {
		t.Error("a lock_time that is not RFC 3339 was accepted")
	}
	if o, _ := reg.Lookup(TypeOptimize); o.LockWindow != 0 {
		t.Error("optimize has a lock window")
	}
}
