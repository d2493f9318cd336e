package contest

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// wrCalibration calibrates NFL wide receivers only, doubling their
// projections (bias 2).
func wrCalibration() *schema.CalibrateResult {
	p := func(name string, v float64) schema.CalibrationParameter {
		return schema.CalibrationParameter{Name: name, Mean: v}
	}
	return &schema.CalibrateResult{
		CalibrationID: "cal_0123456789abcdef0123456789abcdef", Sport: "nfl",
		Model: schema.CalibrationModel{Family: calibrate.Family, MinProjection: 1, Positions: []string{"WR"}},
		Parameters: []schema.CalibrationParameter{
			p("WR.bias", 2), p("WR.sd_intercept", 2), p("WR.sd_slope", 0.3), p("WR.shape", 0.5),
		},
	}
}

// simMeans returns the mean simulated points of each used player and each
// entry's mean score over sims [0, sims), as the contest scores them.
func simMeans(p *Prepared, sims int) (player, entry []float64) {
	s := newSimState(p)
	nUsed := len(p.used)
	player, entry = make([]float64, nUsed), make([]float64, len(p.entries))
	for sim := range sims {
		s.sampler.Sample(uint64(sim), s.x, s.z)
		for m, mult := range p.mults {
			v := s.vec[m*nUsed : (m+1)*nUsed]
			for i, x := range s.x {
				v[i] = int32(math.Round(x * mult * pointScale))
			}
		}
		for k, x := range s.x {
			player[k] += x / float64(sims)
		}
		scoreLineups(s.vec, p.lineups, p.roster, s.scores)
		for e, u := range p.entries {
			entry[e] += float64(s.scores[u]) / pointScale / float64(sims)
		}
	}
	return player, entry
}

// TestCalibratedContest: with a calibration of bias 2 for WR, every WR's
// simulated mean is twice its projection and each entry's mean score
// exceeds the uncalibrated one by its WRs' projections (other players
// unchanged), within Monte Carlo error; the result carries no "not
// applied" warning, and chunks still merge exactly into the single run.
func TestCalibratedContest(t *testing.T) {
	ctx := context.Background()
	const sims = 4000
	req := syntheticRequest(3, 12, 300, sims, 7)
	plain, err := Prepare(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	cal := wrCalibration()
	model, _ := calibrate.NewModel(cal)
	creq := *req
	creq.CalibrationID = "latest"
	calp, err := PrepareWith(ctx, &creq, Options{Calibration: cal})
	if err != nil {
		t.Fatal(err)
	}
	plainPlayer, plainEntry := simMeans(plain, sims)
	calPlayer, calEntry := simMeans(calp, sims)
	nUsed := len(calp.used)
	for k, pi := range calp.used {
		pl := &req.Players[pi]
		if pl.Positions[0] != "WR" {
			if d := math.Abs(calPlayer[k] - plainPlayer[k]); d > 1e-9 {
				t.Errorf("%s (not calibrated): mean %.3f, uncalibrated %.3f", pl.ID, calPlayer[k], plainPlayer[k])
			}
			continue
		}
		d, _ := model.Dist("WR", pl.Projection)
		if se := d.SD / math.Sqrt(sims); math.Abs(calPlayer[k]-2*pl.Projection) > 5*se {
			t.Errorf("%s: mean %.3f, want 2×projection %.3f (±%.3f)", pl.ID, calPlayer[k], 2*pl.Projection, 5*se)
		}
	}
	for e, u := range calp.entries {
		want, variance := 0.0, 0.0
		for _, idx := range calp.lineups[int(u)*calp.roster : (int(u)+1)*calp.roster] {
			k, mult := int(idx)%nUsed, calp.mults[int(idx)/nUsed]
			pl := &req.Players[calp.used[k]]
			if pl.Positions[0] != "WR" {
				want += mult * plainPlayer[k]
				continue
			}
			d, _ := model.Dist("WR", pl.Projection)
			want += mult * 2 * pl.Projection
			variance += mult * mult * d.SD * d.SD
		}
		if tol := 5*math.Sqrt(variance/sims) + 0.01; math.Abs(calEntry[e]-want) > tol {
			t.Errorf("entry %d: calibrated mean score %.3f, want %.3f (±%.3f); uncalibrated %.3f", e, calEntry[e], want, tol, plainEntry[e])
		}
		if calEntry[e] < plainEntry[e]+10 {
			t.Errorf("entry %d: calibrated mean score %.3f not above the uncalibrated %.3f", e, calEntry[e], plainEntry[e])
		}
	}

	res, err := SimulateWith(ctx, &creq, nil, Options{Calibration: cal})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(res.Warnings, "; "); strings.Contains(w, "not applied") {
		t.Errorf("calibrated run warns %q", w)
	}
	plainRes, err := Simulate(ctx, &creq, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(plainRes.Warnings, "; "); !strings.Contains(w, "calibration_id latest was not applied") {
		t.Errorf("uncalibrated run with calibration_id: warnings %q", w)
	}
	if reflect.DeepEqual(res.Entries, plainRes.Entries) {
		t.Error("the calibration changed no entry result")
	}

	// Chunks of the calibrated contest merge into the single run.
	calp.Workers = 2
	var parts []Partial
	for _, r := range [][2]int{{0, 1500}, {1500, 2900}, {2900, sims}} {
		part, err := RunChunk(ctx, calp, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, part)
	}
	split, err := Merge(calp, parts)
	if err != nil {
		t.Fatal(err)
	}
	split.Stats.SimMS, res.Stats.SimMS = 0, 0
	if !reflect.DeepEqual(split, res) {
		t.Error("chunks of the calibrated contest differ from the single run")
	}
}

// TestCalibrationMismatch: a calibration of another sport is invalid
// (calibration_id); one other than the id the request names is an error.
func TestCalibrationMismatch(t *testing.T) {
	ctx := context.Background()
	req := syntheticRequest(2, 3, 50, 10, 1)
	nba := wrCalibration()
	nba.Sport = "nba"
	req.CalibrationID = "latest"
	_, err := PrepareWith(ctx, req, Options{Calibration: nba})
	var ve *schema.ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Field != "calibration_id" {
		t.Errorf("other sport: %v", err)
	}
	req.CalibrationID = "cal_ffffffffffffffffffffffffffffffff"
	if _, err := PrepareWith(ctx, req, Options{Calibration: wrCalibration()}); err == nil {
		t.Error("a calibration other than the one named was accepted")
	}
}
