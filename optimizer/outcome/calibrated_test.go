package outcome

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// testCalibration covers QB, RB, WR and TE (not K, DST) with distinct
// biases, spreads and shapes (TE shape 0: a normal).
func testCalibration() *schema.CalibrateResult {
	p := func(name string, v float64) schema.CalibrationParameter {
		return schema.CalibrationParameter{Name: name, Mean: v}
	}
	return &schema.CalibrateResult{
		CalibrationID: "cal_0123456789abcdef0123456789abcdef",
		Sport:         "nfl",
		Model:         schema.CalibrationModel{Family: calibrate.Family, MinProjection: 5, Positions: []string{"QB", "RB", "WR", "TE"}},
		Parameters: []schema.CalibrationParameter{
			p("QB.bias", 0.95), p("QB.sd_intercept", 4), p("QB.sd_slope", 0.15), p("QB.shape", 0.2),
			p("RB.bias", 1.05), p("RB.sd_intercept", 2), p("RB.sd_slope", 0.3), p("RB.shape", 0.5),
			p("WR.bias", 0.9), p("WR.sd_intercept", 2.5), p("WR.sd_slope", 0.35), p("WR.shape", 0.6),
			p("TE.bias", 1.1), p("TE.sd_intercept", 2), p("TE.sd_slope", 0.3), p("TE.shape", 0),
			p("QB-WR.same_team", 0.5), p("QB-QB.opponent", 0.3),
		},
	}
}

// TestSimulateWithCalibration: with a calibration, each covered player's
// simulated mean is bias × projection and its sd and quantiles those of the
// calibrated exGaussian, within Monte Carlo error; uncovered positions keep
// the request's model and are counted in a warning.
func TestSimulateWithCalibration(t *testing.T) {
	cal := testCalibration()
	model, err := calibrate.NewModel(cal)
	if err != nil {
		t.Fatal(err)
	}
	players := syntheticSlate(2)
	const sims = 20000
	req := &schema.SimulateRequest{Site: "draftkings", Sport: "nfl", Players: players, Sims: sims, Seed: 11, CalibrationID: "latest"}
	res, err := SimulateWith(context.Background(), req, nil, Options{Calibration: cal})
	if err != nil {
		t.Fatal(err)
	}
	covered := 0
	for i, po := range res.Players {
		p := &players[i]
		d, ok := model.Dist(p.Positions[0], p.Projection)
		if !ok {
			// K and DST: the request's own model (mean = projection).
			if se := p.StdDev / math.Sqrt(sims); math.Abs(po.Mean-p.Projection) > 5*se+1e-9 {
				t.Errorf("%s uncovered: mean %.3f, want %.3f", p.ID, po.Mean, p.Projection)
			}
			continue
		}
		covered++
		bias := map[string]float64{"QB": 0.95, "RB": 1.05, "WR": 0.9, "TE": 1.1}[p.Positions[0]]
		want := bias * p.Projection
		se := d.SD / math.Sqrt(sims)
		if math.Abs(po.Mean-want) > 5*se {
			t.Errorf("%s: mean %.3f, want bias×projection %.3f (±%.3f)", p.ID, po.Mean, want, 5*se)
		}
		if math.Abs(po.StdDev-d.SD) > 0.04*d.SD {
			t.Errorf("%s: sd %.3f, want %.3f", p.ID, po.StdDev, d.SD)
		}
		for _, q := range []struct{ got, p float64 }{{po.P10, 0.1}, {po.P50, 0.5}, {po.P90, 0.9}} {
			if w := d.Quantile(q.p); math.Abs(q.got-w) > 0.05*d.SD {
				t.Errorf("%s: p%.0f %.3f, want %.3f", p.ID, 100*q.p, q.got, w)
			}
		}
		wantKind := "exgaussian"
		if d.Shape == 0 {
			wantKind = "normal"
		}
		if po.Distribution != wantKind {
			t.Errorf("%s: distribution %s, want %s", p.ID, po.Distribution, wantKind)
		}
	}
	if covered != 4*11 {
		t.Errorf("%d covered players, want 44", covered)
	}
	found := false
	for _, w := range res.Warnings {
		found = found || strings.Contains(w, "8 players at positions the calibration does not cover")
		if strings.Contains(w, "not applied") {
			t.Errorf("warning %q with a calibration given", w)
		}
	}
	if !found {
		t.Errorf("no uncovered-players warning in %q", res.Warnings)
	}
}

// TestCalibratedCorrelations: calibrated relations replace the defaults of
// the pairs they cover; the request's relations still win.
func TestCalibratedCorrelations(t *testing.T) {
	players := syntheticSlate(1)
	m, _ := calibrate.NewModel(testCalibration())
	idx := func(id string) int {
		for i := range players {
			if players[i].ID == id {
				return i
			}
		}
		t.Fatalf("no player %s", id)
		return -1
	}
	qb, wr, te, oppQB := idx("H00-QB-0"), idx("H00-WR-4"), idx("H00-TE-9"), idx("A00-QB-0")
	cfg := Config{Sport: slate.NFL, Calibration: m}
	tests := []struct {
		name string
		cfg  Config
		i, j int
		want float64
	}{
		{"calibrated same team", cfg, qb, wr, 0.5},
		{"calibrated opponents", cfg, qb, oppQB, 0.3},
		{"not calibrated: default", cfg, qb, te, relationDefaults[slate.NFL]["QB-TE"]},
		{"no calibration: default", Config{Sport: slate.NFL}, qb, wr, relationDefaults[slate.NFL]["QB-WR"]},
		{"request wins", Config{Sport: slate.NFL, Calibration: m,
			Correlation: schema.CorrelationOptions{Relations: map[string]float64{"WR-QB": 0.1}}}, qb, wr, 0.1},
	}
	for _, tt := range tests {
		if got := CorrelationOf(players, tt.cfg, tt.i, tt.j); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: %g, want %g", tt.name, got, tt.want)
		}
	}
	// And the model's correlation follows it: exactly, or (QB-WR 0.5 with
	// five WRs is not a valid correlation matrix) after the repair, above
	// the 0.35 default.
	model, err := NewModel(context.Background(), players, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := model.Correlation(qb, wr)
	if (model.Repaired == 0 && math.Abs(got-0.5) > 1e-9) || got <= relationDefaults[slate.NFL]["QB-WR"] || got > 0.5 {
		t.Errorf("model correlation %g (repaired blocks %d), want 0.5 or repaired towards it", got, model.Repaired)
	}
}

func TestCalibrationMismatch(t *testing.T) {
	cal := testCalibration()
	players := syntheticSlate(1)
	req := &schema.SimulateRequest{Site: "draftkings", Sport: "nfl", Players: players, Sims: 100, CalibrationID: "cal_ffffffffffffffffffffffffffffffff"}
	if _, err := SimulateWith(context.Background(), req, nil, Options{Calibration: cal}); err == nil || !strings.Contains(err.Error(), "was requested") {
		t.Errorf("id mismatch: %v", err)
	}
	other := *cal
	other.Sport = "nba"
	req.CalibrationID = "latest"
	var ve *schema.ValidationError
	if _, err := SimulateWith(context.Background(), req, nil, Options{Calibration: &other}); !errors.As(err, &ve) || ve.Errors[0].Field != "calibration_id" {
		t.Errorf("sport mismatch: %v", err)
	}
	// Without a calibration the id is reported as not applied.
	res, err := SimulateWith(context.Background(), req, nil, Options{})
	if err != nil || len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, ";"), "not applied") {
		t.Errorf("no calibration: %v %q", err, res.Warnings)
	}
}

// TestExgTable: the tabulated quantile function matches the exGaussian's
// own quantile, and its moments are 0 and 1.
func TestExgTable(t *testing.T) {
	for _, shape := range []float64{0.05, 0.3, 0.6, 0.9} {
		tab := newExgTable(shape)
		d := calibrate.Dist{Mean: 0, SD: 1, Shape: shape}
		for _, z := range []float64{-4, -2.5, -1, -0.3, 0, 0.7, 1.5, 3, 4.5} {
			want := d.Quantile(1 - stdNormalSF(z))
			if got := tab.at(z); math.Abs(got-want) > 2e-4 {
				t.Errorf("shape %g z %g: %g, want %g", shape, z, got, want)
			}
		}
		// E[x(Z)] and E[x(Z)^2] by quadrature over the latent normal.
		var m1, m2 float64
		const h = 0.001
		for z := -8.0; z <= 8; z += h {
			w := math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) * h
			x := tab.at(z)
			m1 += w * x
			m2 += w * x * x
		}
		if math.Abs(m1) > 2e-3 || math.Abs(math.Sqrt(m2-m1*m1)-1) > 5e-3 {
			t.Errorf("shape %g: mean %g, sd %g", shape, m1, math.Sqrt(m2-m1*m1))
		}
	}
	m := Marginal{Kind: ExGaussian, Mu: 10, Sigma: 4, exg: newExgTable(0.25)}
	if m.Mean() != 10 || m.StdDev() != 4 || math.Abs(m.Skewness()-0.25) > 1e-12 || m.Kind.String() != "exgaussian" {
		t.Errorf("marginal moments %g %g %g %s", m.Mean(), m.StdDev(), m.Skewness(), m.Kind)
	}
}

// BenchmarkNewModelCalibrated is the cost of a calibration on model
// building (one exGaussian table per position) for 20 games (520 players).
func BenchmarkNewModelCalibrated(b *testing.B) {
	players := syntheticSlate(20)
	cal := testCalibration()
	cal.Parameters[len(cal.Parameters)-2].Mean = 0.33 // QB-WR as fitted on the real history (0.5 needs repairs)
	m, err := calibrate.NewModel(cal)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cal  *calibrate.Model
	}{{"default", nil}, {"calibrated", m}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := NewModel(context.Background(), players, Config{Sport: slate.NFL, Calibration: c.cal}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
