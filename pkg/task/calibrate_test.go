package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/portfolio"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/calibcache"
	"github.com/dfsopt/dfsopt/pkg/redistest"
)

// historyRows returns n rows per position of QB and WR.
func historyRows(n int) []schema.CalibrationRow {
	r := rand.New(rand.NewPCG(1, 2))
	var rows []schema.CalibrationRow
	for _, pos := range []string{"QB", "WR"} {
		for i := range n {
			proj := 8 + 12*r.Float64()
			rows = append(rows, schema.CalibrationRow{PlayerID: fmt.Sprintf("%s%d", pos, i), Position: pos, Team: fmt.Sprintf("T%d", i%8),
				Date: fmt.Sprintf("2024-W%02d", i%10), Projection: proj, Actual: proj + 5*r.NormFloat64()})
		}
	}
	return rows
}

func newCalibrations(t *testing.T) *calibcache.Cache {
	t.Helper()
	r := redistest.New(t)
	if r.Mini != nil {
		t.Log("!!! " + redistest.EnvURL + " is unset: the calibration cache runs on miniredis")
	}
	return calibcache.New(r.Client, time.Hour, 10)
}

func TestCalibrateKind(t *testing.T) {
	k, ok := Standard(job.Services{}).Lookup(TypeCalibrate)
	if !ok || k.Path != "/v1/calibrate" || k.DefaultQueue != QueueLow || k.DefaultTimeout != time.Hour {
		t.Fatalf("calibrate kind: %+v", k)
	}
	req, err := k.Decode([]byte(`{"sport":"nfl","rows":[{"player_id":"1","position":"QB","team":"KC","date":"2024-W01","projection":20,"actual":25}]}`))
	if err != nil || k.Queue(req, time.Now()) != QueueLow || k.Timeout(req) != time.Hour {
		t.Fatalf("decode: %v", err)
	}
	// source.slate_ids is only parsed at decode; the gateway's slate check
	// refuses it when no store has the slates.
	sreq, err := k.Decode([]byte(`{"sport":"nfl","source":{"slate_ids":["s1"]}}`))
	if err != nil {
		t.Fatalf("source.slate_ids decode: %v", err)
	}
	err = job.CheckSlates(context.Background(), nil, sreq)
	var ve *schema.ValidationError
	if !errors.As(err, &ve) || !strings.HasPrefix(ve.Errors[0].Field, "source.slate_ids") {
		t.Fatalf("source.slate_ids: %v", err)
	}
}

// TestRunCalibrateCache: a cached calibration answers an identical request
// without sampling (these rows are too few to fit); unconverged and
// unfittable requests fail and are not cached.
func TestRunCalibrateCache(t *testing.T) {
	ctx := context.Background()
	cache := newCalibrations(t)
	k, _ := Standard(job.Services{Calibrations: cache}).Lookup(TypeCalibrate)
	run := func(ctx context.Context, r *schema.CalibrateRequest, p job.Progress) (*schema.CalibrateResult, error) {
		res, err := k.Run(ctx, &job.Request{Doc: &job.CalibrateDoc{CalibrateRequest: *r}}, p)
		if err != nil {
			return nil, err
		}
		return res.(*schema.CalibrateResult), nil
	}
	noProgress := func(int, int, string) {}

	thin := &schema.CalibrateRequest{Sport: "nfl", Rows: historyRows(10)}
	_, err := run(ctx, thin, noProgress)
	var ve *schema.ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Field != "rows" {
		t.Fatalf("thin data: %v", err)
	}

	id, _ := calibrate.ID(thin)
	cached := &schema.CalibrateResult{CalibrationID: id, Sport: "nfl", Rows: 20, Model: schema.CalibrationModel{Family: calibrate.Family}}
	if err := cache.Put(ctx, cached); err != nil {
		t.Fatal(err)
	}
	var phase string
	res, err := run(ctx, thin, func(_, _ int, p string) { phase = p })
	if err != nil || res.CalibrationID != id || phase != "cached" {
		t.Fatalf("cached: %+v %v %q", res, err, phase)
	}

	short := &schema.CalibrateRequest{Sport: "nba", Rows: historyRows(80), Chains: 2, Draws: 100, Warmup: 100}
	for i := range short.Rows {
		short.Rows[i].Position = map[string]string{"QB": "PG", "WR": "C"}[short.Rows[i].Position]
	}
	var iters int
	_, err = run(ctx, short, func(done, _ int, p string) { iters = done })
	var nc *calibrate.NotConvergedError
	if !errors.As(err, &nc) || len(nc.Failed) == 0 || iters == 0 {
		t.Fatalf("short run: %v (progress %d)", err, iters)
	}
	if _, err := cache.Latest(ctx, "nba"); !errors.Is(err, calibcache.ErrNotFound) {
		t.Fatalf("an unconverged calibration was cached: %v", err)
	}
}

func TestResolveCalibration(t *testing.T) {
	ctx := context.Background()
	cache := newCalibrations(t)
	res := &schema.CalibrateResult{CalibrationID: "cal_0123456789abcdef0123456789abcdef", Sport: "nfl"}
	if err := cache.Put(ctx, res); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		c           job.Calibrations
		sport, ref  string
		want        string
		invalid     bool
		transientEr bool
	}{
		{"empty", cache, "nfl", "", "", false, false},
		{"latest", cache, "NFL", "latest", res.CalibrationID, false, false},
		{"by id", cache, "nfl", res.CalibrationID, res.CalibrationID, false, false},
		{"no latest", cache, "nba", "latest", "", true, false},
		{"other sport", cache, "nba", res.CalibrationID, "", true, false},
		{"unknown", cache, "nfl", "cal_ffffffffffffffffffffffffffffffff", "", true, false},
		{"no cache", nil, "nfl", "latest", "", true, false},
		{"cache down", brokenCalibrations{}, "nfl", "latest", "", false, true},
	}
	for _, tt := range tests {
		got, err := job.ResolveCalibration(ctx, tt.c, tt.sport, tt.ref)
		var ve *schema.ValidationError
		switch {
		case tt.invalid:
			if !errors.As(err, &ve) || ve.Errors[0].Field != "calibration_id" {
				t.Errorf("%s: %v, want a validation error on calibration_id", tt.name, err)
			}
		case tt.transientEr:
			if !job.IsTransient(err) {
				t.Errorf("%s: %v, want transient", tt.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want == "" && got != nil, tt.want != "" && (got == nil || got.CalibrationID != tt.want):
			t.Errorf("%s: %+v", tt.name, got)
		}
	}
}

type brokenCalibrations struct{}

func (brokenCalibrations) Get(context.Context, string) (*schema.CalibrateResult, error) {
	return nil, errors.New("connection refused")
}
func (brokenCalibrations) Put(context.Context, *schema.CalibrateResult) error {
	return errors.New("connection refused")
}
func (brokenCalibrations) Resolve(context.Context, string, string) (*schema.CalibrateResult, error) {
	return nil, errors.New("connection refused")
}

// nflCalibration is a converged-looking NFL calibration of QB, RB, WR, TE.
func nflCalibration() *schema.CalibrateResult {
	p := func(name string, v float64) schema.CalibrationParameter {
		return schema.CalibrationParameter{Name: name, Mean: v}
	}
	return &schema.CalibrateResult{
		CalibrationID: "cal_00112233445566778899aabbccddeeff", Sport: "nfl",
		Model: schema.CalibrationModel{Family: calibrate.Family, MinProjection: 5, Positions: []string{"QB", "RB", "WR", "TE"}},
		Parameters: []schema.CalibrationParameter{
			p("QB.bias", 0.9), p("QB.sd_intercept", 4), p("QB.sd_slope", 0.1), p("QB.shape", 0.3),
			p("RB.bias", 1.1), p("RB.sd_intercept", 2), p("RB.sd_slope", 0.4), p("RB.shape", 0.8),
			p("WR.bias", 1.2), p("WR.sd_intercept", 2.5), p("WR.sd_slope", 0.4), p("WR.shape", 0.7),
			p("TE.bias", 0.95), p("TE.sd_intercept", 2), p("TE.sd_slope", 0.4), p("TE.shape", 0.8),
			p("QB-WR.same_team", 0.3),
		},
	}
}

// TestSimulateJobAppliesCalibration: a simulate job naming a calibration
// (by id or "latest") simulates with it: each calibrated player's mean is
// bias × projection within Monte Carlo error (the players' stddev 0 is
// overridden); unknown ids fail as invalid requests.
func TestSimulateJobAppliesCalibration(t *testing.T) {
	ctx := context.Background()
	cache := newCalibrations(t)
	cal := nflCalibration()
	if err := cache.Put(ctx, cal); err != nil {
		t.Fatal(err)
	}
	model, _ := calibrate.NewModel(cal)
	k, _ := Standard(job.Services{Calibrations: cache}).Lookup(TypeSimulate)
	var players []struct {
		ID         string   `json:"id"`
		Positions  []string `json:"positions"`
		Projection float64  `json:"projection"`
	}
	if err := json.Unmarshal([]byte(testPlayers), &players); err != nil {
		t.Fatal(err)
	}
	const sims = 8000
	for _, ref := range []string{"latest", cal.CalibrationID} {
		req, err := k.Decode([]byte(`{"site":"draftkings","sport":"nfl","players":` + testPlayers + `,"sims":8000,"seed":3,"calibration_id":"` + ref + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		out, err := k.Run(ctx, req, func(int, int, string) {})
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		res := out.(*schema.SimulateResult)
		for i, po := range res.Players {
			p := players[i]
			d, ok := model.Dist(p.Positions[0], p.Projection)
			if !ok { // DST: not calibrated, stddev 0: exactly its projection
				if po.Mean != p.Projection || po.StdDev != 0 {
					t.Errorf("%s %s: %+v", ref, p.ID, po)
				}
				continue
			}
			if se := d.SD / math.Sqrt(sims); math.Abs(po.Mean-d.Mean) > 5*se || po.StdDev < 0.9*d.SD || po.StdDev > 1.1*d.SD {
				t.Errorf("%s %s: mean %.3f sd %.3f, want bias×projection %.3f (±%.3f), sd %.3f", ref, p.ID, po.Mean, po.StdDev, d.Mean, 5*se, d.SD)
			}
		}
		if w := strings.Join(res.Warnings, "; "); strings.Contains(w, "not applied") || !strings.Contains(w, "1 players at positions the calibration does not cover") {
			t.Errorf("%s: warnings %q", ref, w)
		}
	}
	req, _ := k.Decode([]byte(`{"site":"draftkings","sport":"nfl","players":` + testPlayers + `,"sims":10,"calibration_id":"cal_ffffffffffffffffffffffffffffffff"}`))
	_, err := k.Run(ctx, req, func(int, int, string) {})
	var ve *schema.ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Field != "calibration_id" {
		t.Fatalf("unknown calibration: %v", err)
	}
}

// TestContestSimJobAppliesCalibration: a contest_sim job naming a
// calibration (by id or "latest") simulates the contest with it, exactly
// as contest.SimulateWith given that calibration, without the "not
// applied" warning; unknown ids, or no cache, fail as invalid requests.
func TestContestSimJobAppliesCalibration(t *testing.T) {
	ctx := context.Background()
	cache := newCalibrations(t)
	cal := nflCalibration()
	if err := cache.Put(ctx, cal); err != nil {
		t.Fatal(err)
	}
	k, _ := Standard(job.Services{Calibrations: cache}).Lookup(TypeContestSim)
	body := func(ref string) []byte {
		return []byte(`{"site":"draftkings","sport":"nfl","players":` + testPlayers + `,"entries":[` + alt + `],"field":{"lineups":[` + base + `]},` +
			`"contest":{"entry_fee":10,"payouts":[{"places":[1,1],"prize":18}]},"sims":400,"seed":5,"calibration_id":"` + ref + `"}`)
	}
	for _, ref := range []string{"latest", cal.CalibrationID} {
		req, err := k.Decode(body(ref))
		if err != nil {
			t.Fatal(err)
		}
		var phase string
		out, err := k.Run(ctx, req, func(_, _ int, p string) { phase = p })
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		res := out.(*schema.ContestSimResult)
		want, err := contest.SimulateWith(ctx, &req.Doc.(*job.ContestSimDoc).ContestSimRequest, nil, contest.Options{Calibration: cal})
		if err != nil {
			t.Fatal(err)
		}
		res.Stats.SimMS, want.Stats.SimMS = 0, 0
		if !reflect.DeepEqual(res, want) {
			t.Errorf("%s: job result %+v, want the calibrated run %+v", ref, res.Entries, want.Entries)
		}
		// Uncalibrated (stddev 0) the entry always wins; calibrated not.
		if w := res.Entries[0].WinRate; w <= 0.2 || w >= 0.95 {
			t.Errorf("%s: win rate %.3f: calibration not applied?", ref, w)
		}
		if w := strings.Join(res.Warnings, "; "); strings.Contains(w, "not applied") {
			t.Errorf("%s: warnings %q", ref, w)
		}
		if phase != "simulating (calibrated)" {
			t.Errorf("%s: phase %q", ref, phase)
		}
	}
	var ve *schema.ValidationError
	req, _ := k.Decode(body("cal_ffffffffffffffffffffffffffffffff"))
	if _, err := k.Run(ctx, req, func(int, int, string) {}); !errors.As(err, &ve) || ve.Errors[0].Field != "calibration_id" {
		t.Errorf("unknown calibration: %v", err)
	}
	noCache, _ := Standard(job.Services{}).Lookup(TypeContestSim)
	req, _ = noCache.Decode(body("latest"))
	if _, err := noCache.Run(ctx, req, func(int, int, string) {}); !errors.As(err, &ve) || ve.Errors[0].Field != "calibration_id" {
		t.Errorf("no cache: %v", err)
	}
}

func TestPortfolioJobAppliesCalibration(t *testing.T) {
	ctx := context.Background()
	cache := newCalibrations(t)
	cal := nflCalibration()
	if err := cache.Put(ctx, cal); err != nil {
		t.Fatal(err)
	}
	k, _ := Standard(job.Services{Calibrations: cache}).Lookup(TypePortfolio)
	body := func(ref string) []byte {
		return []byte(`{"site":"draftkings","sport":"nfl","players":` + testPlayers + `,"lineups":1,"candidates":{"lineups":[` + alt + `,` + base + `]},` +
			`"field":{"lineups":[` + base + `]},"contest":{"entry_fee":10,"payouts":[{"places":[1,1],"prize":18}]},"sims":400,"seed":5,"calibration_id":"` + ref + `"}`)
	}
	req, err := k.Decode(body("latest"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := k.Run(ctx, req, func(int, int, string) {})
	if err != nil {
		t.Fatal(err)
	}
	res := out.(*schema.PortfolioSelection)
	want, err := portfolio.SelectWith(ctx, &req.Doc.(*job.PortfolioDoc).PortfolioRequest, nil, contest.Options{Calibration: cal})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := portfolio.Select(ctx, &req.Doc.(*job.PortfolioDoc).PortfolioRequest, nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Stats, want.Stats, plain.Stats = schema.PortfolioStats{}, schema.PortfolioStats{}, schema.PortfolioStats{}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("job result %+v, want the calibrated selection %+v", res.Entries, want.Entries)
	}
	if reflect.DeepEqual(res.Portfolio, plain.Portfolio) {
		t.Errorf("calibrated and plain portfolios are identical (%+v): calibration not applied?", res.Portfolio)
	}
	if w := strings.Join(res.Warnings, "; "); strings.Contains(w, "not applied") {
		t.Errorf("warnings %q", w)
	}
}
