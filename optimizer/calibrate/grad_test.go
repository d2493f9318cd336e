package calibrate

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGradients checks the analytic gradients against central finite
// differences, and the density against logDensity.
func TestGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var proj, act []float64
	for range 300 {
		p := 5 + 20*r.Float64()
		d := Dist{Mean: 0.95 * p, SD: 2 + 0.4*p, Shape: 0.7}
		proj = append(proj, p)
		act = append(act, d.Draw(r))
	}
	act = append(act, -3, 80) // far tails
	proj = append(proj, 20, 6)
	pm := newPosModel(proj, act)
	cm := &corrModel{stats: []relStats{{n: 100, sumSq: 190, sumProd: 30}, {n: 40, sumSq: 85, sumProd: -8}}}
	tests := []struct {
		name  string
		f     func(x []float64) float64
		fg    func(x, g []float64) float64
		point []float64
	}{
		{"position typical", pm.logDensity, pm.logDensityGrad, []float64{-0.05, 2.5, 0.45, 0.8}},
		{"position near normal", pm.logDensity, pm.logDensityGrad, []float64{0.02, 3, 0.3, -3}},
		{"position near exponential", pm.logDensity, pm.logDensityGrad, []float64{-0.1, 1.5, 0.6, 4}},
		{"correlations", cm.logDensity, cm.logDensityGrad, []float64{0.2, -0.4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := make([]float64, len(tc.point))
			v := tc.fg(tc.point, g)
			if want := tc.f(tc.point); math.Abs(v-want) > 1e-9*math.Abs(want) {
				t.Errorf("value %.12g, logDensity %.12g", v, want)
			}
			for i := range tc.point {
				h := 1e-5 * math.Max(1, math.Abs(tc.point[i]))
				xp := append([]float64(nil), tc.point...)
				xm := append([]float64(nil), tc.point...)
				xp[i] += h
				xm[i] -= h
				fd := (tc.f(xp) - tc.f(xm)) / (2 * h)
				if math.Abs(fd-g[i]) > 1e-5*math.Max(1, math.Abs(fd)) {
					t.Errorf("d/dx%d = %.9g, finite difference %.9g", i, g[i], fd)
				}
			}
		})
	}
}
