package contest_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/lineup"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// nflData is the real DraftKings NFL slate of 2019-09-08.
const nflData = "../../../shared/data/slates/dk-nfl-2019-09-08"

// realNFLContest returns the players of the 2019-09-08 DK NFL main slate
// (DKSalaries.csv with the projections, stddev-less, of
// projections_with_actuals.csv) and the real contest lineups of
// contest_lineups.csv (1,500 lineups of three single-entry GPPs) whose nine
// players are all on the slate (by id; FLEX by name and team, or by name
// alone when its team is blank, its id column being off by one).
func realNFLContest(t testing.TB) ([]slate.Player, [][]string) {
	t.Helper()
	open := func(name string) *os.File {
		f, err := os.Open(filepath.Join(nflData, name))
		if err != nil {
			skipWithoutData(t, "%v", err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	s, err := sitecsv.ReadDraftKings(open("DKSalaries.csv"), sitecsv.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := sitecsv.ReadProjections(open("projections_with_actuals.csv"))
	if err != nil {
		t.Fatal(err)
	}
	players, rep := sitecsv.MergeProjections(s.Players, proj, sitecsv.MergeOptions{Sport: s.Sport})
	t.Log(rep.Summary())
	onSlate := map[string]bool{}
	byNameTeam, byName := map[string]string{}, map[string][]string{}
	for _, p := range players {
		onSlate[p.ID] = true
		byNameTeam[sitecsv.NormalizeName(p.Name)+"|"+p.Team] = p.ID
		byName[sitecsv.NormalizeName(p.Name)] = append(byName[sitecsv.NormalizeName(p.Name)], p.ID)
	}
	r := csv.NewReader(open("contest_lineups.csv"))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var lineups [][]string
	for _, rec := range recs[1:] {
		var ids []string
		for _, slot := range []string{"QB", "RB1", "RB2", "WR1", "WR2", "WR3", "TE", "FLEX", "DST"} {
			v, err := strconv.ParseFloat(rec[col[slot+"_id"]], 64)
			id := strconv.FormatInt(int64(v), 10)
			if slot == "FLEX" { // the file's FLEX_id column is off (Christian Kirk 13041577, DK id 13041576): by name and team
				name := sitecsv.NormalizeName(rec[col[slot]])
				id, err = byNameTeam[name+"|"+rec[col[slot+"_team"]]], nil
				if same := byName[name]; id == "" && len(same) == 1 { // FLEX_team is sometimes empty
					id = same[0]
				}
			}
			if err != nil || !onSlate[id] {
				ids = nil
				break
			}
			ids = append(ids, id)
		}
		if ids != nil {
			lineups = append(lineups, ids)
		}
	}
	t.Logf("%d of %d real contest lineups on the slate", len(lineups), len(recs)-1)
	return players, lineups
}

// fieldStrength is the mean projection of a generated field, of the real
// contest lineups and of the optimal lineup, under the same projections.
type fieldStrength struct {
	generated, real, optimal float64
	fieldSize, realLineups   int
}

func measureFieldStrength(t testing.TB, sport string, players []slate.Player, real [][]string, fieldSize int) fieldStrength {
	t.Helper()
	proj := map[string]float64{}
	for _, p := range players {
		proj[p.ID] = p.Projection
	}
	var fs fieldStrength
	for _, lu := range real { // classic: every slot multiplier is 1
		for _, id := range lu {
			fs.real += proj[id]
		}
	}
	fs.realLineups = len(real)
	fs.real /= float64(len(real))
	// The generated field of a contest-sim request (stats.field_mean_projection).
	req := &schema.ContestSimRequest{Site: "draftkings", Sport: sport, Players: players, Entries: real[:1],
		Field: schema.FieldSpec{Size: fieldSize}, Sims: 1, Seed: 2019,
		Contest: schema.ContestSpec{EntryFee: 1, Payouts: []schema.PayoutRange{{Places: [2]int{1, 1}, Prize: 1}}}}
	p, err := contest.Prepare(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	fs.generated, fs.fieldSize = p.FieldMeanProjection(), p.FieldSize()
	opt, err := lineup.Optimize(context.Background(), &schema.OptimizeRequest{Site: "draftkings", Sport: sport, Players: players, Lineups: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs.optimal = opt.Lineups[0].Projection
	return fs
}

// TestRealFieldStrength reports the strength of the generated field beside
// the real fields, on the real NFL (1,500 contest lineups) and NBA (the
// complete lineups of the 5,945-entry standings) slates: the mean
// projection of the generated field, of the real lineups and of the optimal
// lineup, all under the same projections. A generated field much weaker or
// stronger than the real one skews every ROI the contest-sim reports. The
// figures are quoted in the README (contest-sim section).
func TestRealFieldStrength(t *testing.T) {
	tests := []struct {
		name  string
		sport string
		load  func(t *testing.T) ([]slate.Player, [][]string)
	}{
		{"nfl-2019-09-08", "nfl", func(t *testing.T) ([]slate.Player, [][]string) { return realNFLContest(t) }},
		{"nba-2025-01-12", "nba", func(t *testing.T) ([]slate.Player, [][]string) {
			req := realNBAContest(t, 1, 1, false)
			return req.Players, append(req.Entries, req.Field.Lineups...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			players, real := tt.load(t)
			if len(real) < 100 {
				t.Fatalf("only %d real lineups", len(real))
			}
			fs := measureFieldStrength(t, tt.sport, players, real, 10_000)
			t.Logf("mean projection: generated field %.2f (%d lineups, %.1f %% of optimal), real lineups %.2f (%d, %.1f %%), optimal %.2f; generated/real %.3f",
				fs.generated, fs.fieldSize, 100*fs.generated/fs.optimal, fs.real, fs.realLineups, 100*fs.real/fs.optimal, fs.optimal, fs.generated/fs.real)
			// Sanity only: no field beats the optimum and neither is a
			// random pile of minimum-salary players.
			for _, c := range []struct {
				what string
				v    float64
			}{{"generated field", fs.generated}, {"real lineups", fs.real}} {
				if c.v > fs.optimal+1e-9 || c.v < 0.6*fs.optimal {
					t.Errorf("%s mean projection %.2f outside [0.6, 1] × optimal %.2f", c.what, c.v, fs.optimal)
				}
			}
		})
	}
}

// BenchmarkRealContestSpeed simulates the real NFL contest lineups (1,500
// real lineups: the first 20 as entries, the rest as the field) and the
// real NBA slate with a generated 5,945-lineup field, reporting unique
// lineup-sims per CPU-second (distinct lineups of entries + field, each
// scored once per sim, over user+system CPU time) and the field strength
// (generated or real field's mean projection, and the optimal lineup's).
// Run with -benchtime=1x.
func BenchmarkRealContestSpeed(b *testing.B) {
	cases := []struct {
		name string
		req  func(b *testing.B) *schema.ContestSimRequest
	}{
		{"nfl-2019-09-08-real-field", func(b *testing.B) *schema.ContestSimRequest {
			players, real := realNFLContest(b)
			return &schema.ContestSimRequest{Site: "draftkings", Sport: "nfl", Players: players,
				Entries: real[:20], Field: schema.FieldSpec{Lineups: real[20:]}, Sims: 10_000, Seed: 2019,
				Contest: schema.ContestSpec{EntryFee: 100, Payouts: []schema.PayoutRange{{Places: [2]int{1, 1}, Prize: 20_000},
					{Places: [2]int{2, 245}, Prize: 300}}}}
		}},
		{"nba-2025-01-12-generated-field", func(b *testing.B) *schema.ContestSimRequest {
			return realNBAContest(b, 20, 10_000, true)
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := c.req(b)
			p, err := contest.Prepare(context.Background(), req)
			if err != nil {
				b.Fatal(err)
			}
			cpu0 := processCPU()
			b.ResetTimer()
			for b.Loop() {
				part, err := contest.RunChunk(context.Background(), p, 0, p.Sims)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := contest.Merge(p, []contest.Partial{part}); err != nil {
					b.Fatal(err)
				}
			}
			cpu := (processCPU() - cpu0).Seconds() / float64(b.N)
			b.ReportMetric(float64(p.UniqueLineups())*float64(p.Sims)/cpu, "unique-lineup-sims/cpu-s")
			b.ReportMetric(float64(p.UniqueLineups()), "unique-lineups")
			b.ReportMetric(cpu*1000, "cpu-ms/run")
			b.ReportMetric(p.FieldMeanProjection(), "field-mean-proj")
			opt, err := lineup.Optimize(context.Background(), &schema.OptimizeRequest{Site: req.Site, Sport: req.Sport, Players: req.Players, Lineups: 1}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(opt.Lineups[0].Projection, "optimal-proj")
		})
	}
}

// processCPU returns the process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
