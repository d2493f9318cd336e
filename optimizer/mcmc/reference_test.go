package mcmc

import (
	"bufio"
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// readStanCSV reads a CmdStan output file into column name -> draws.
func readStanCSV(t testing.TB, path string) (names []string, cols map[string][]float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cols = map[string][]float64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ",")
		if names == nil {
			names = fields
			continue
		}
		for i, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			cols[names[i]] = append(cols[names[i]], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names, cols
}

type referenceRow struct {
	name   string
	values map[string]float64
}

func readReference(t testing.TB) []referenceRow {
	t.Helper()
	f, err := os.Open("testdata/reference_posterior.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []referenceRow
	for _, r := range recs[1:] {
		row := referenceRow{name: r[0], values: map[string]float64{}}
		for j := 1; j < len(r); j++ {
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				t.Fatalf("reference %s %s: %v", r[0], recs[0][j], err)
			}
			row.values[recs[0][j]] = v
		}
		out = append(out, row)
	}
	return out
}

func blockerDraws(t testing.TB) map[string][][]float64 {
	_, c1 := readStanCSV(t, "testdata/blocker.1.csv")
	_, c2 := readStanCSV(t, "testdata/blocker.2.csv")
	out := map[string][][]float64{}
	for name, v := range c1 {
		out[name] = [][]float64{v, c2[name]}
	}
	return out
}

func TestReferencePosterior(t *testing.T) {
	draws := blockerDraws(t)
	ref := readReference(t)
	if len(ref) != 48 {
		t.Fatalf("reference has %d parameters, want 48", len(ref))
	}
	stats := []struct {
		col string
		f   func([][]float64) float64
	}{
		{"rhat_rank", Rhat},
		{"rhat_raw", func(x [][]float64) float64 { return RhatBasic(x, false) }},
		{"ess_bulk", ESSBulk},
		{"ess_tail", ESSTail},
		{"ess_mean", ESSMean},
		{"ess_sd", ESSSD},
		{"ess_median", func(x [][]float64) float64 { return ESSQuantile(x, 0.5) }},
		{"ess_raw", func(x [][]float64) float64 { return ESSBasic(x, false) }},
		{"ess_quantile01", func(x [][]float64) float64 { return ESSQuantile(x, 0.01) }},
		{"ess_quantile10", func(x [][]float64) float64 { return ESSQuantile(x, 0.10) }},
		{"ess_quantile30", func(x [][]float64) float64 { return ESSQuantile(x, 0.30) }},
		{"mcse_mean", MCSEMean},
		{"mcse_sd", MCSESD},
		{"mcse_median", func(x [][]float64) float64 { return MCSEQuantile(x, 0.5) }},
		{"mcse_quantile01", func(x [][]float64) float64 { return MCSEQuantile(x, 0.01) }},
		{"mcse_quantile10", func(x [][]float64) float64 { return MCSEQuantile(x, 0.10) }},
		{"mcse_quantile30", func(x [][]float64) float64 { return MCSEQuantile(x, 0.30) }},
	}
	for _, s := range stats {
		t.Run(s.col, func(t *testing.T) {
			worst := 0.0
			for _, r := range ref {
				x, ok := draws[r.name]
				if !ok {
					t.Fatalf("no draws for %s", r.name)
				}
				got, want := s.f(x), r.values[s.col]
				rel := math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
				worst = math.Max(worst, rel)
				if rel > 1e-8 { // arviz holds its own implementation to 1e-8
					t.Errorf("%s %s = %.12g, want %.12g (rel %.2g)", r.name, s.col, got, want, rel)
				}
			}
			t.Logf("%s: worst relative error %.3g over %d parameters", s.col, worst, len(ref))
		})
	}
}

// TestAllStanColumns runs the diagnostics over all 52 columns of the CmdStan
// files: the 48 parameters have reference values (above); the 4 sampler
// columns (lp__, accept_stat__, stepsize__, treedepth__) have none, and
// stepsize__ is constant within each chain, so R-hat is huge or undefined
// but never a panic, and a constant column is NaN as in posterior.
func TestAllStanColumns(t *testing.T) {
	names, _ := readStanCSV(t, "testdata/blocker.1.csv")
	if len(names) != 52 {
		t.Fatalf("%d columns, want 52", len(names))
	}
	draws := blockerDraws(t)
	ref := map[string]bool{}
	for _, r := range readReference(t) {
		ref[r.name] = true
	}
	for _, name := range names {
		s := Summarize(draws[name])
		if ref[name] && (math.IsNaN(s.Rhat) || math.IsNaN(s.ESSBulk) || math.IsNaN(s.ESSTail)) {
			t.Errorf("%s: undefined diagnostics %+v", name, s)
		}
		if !ref[name] {
			t.Logf("%s (no reference): rhat %.4g ess bulk %.4g tail %.4g", name, s.Rhat, s.ESSBulk, s.ESSTail)
		}
	}
	if r := Rhat([][]float64{{1, 1, 1, 1}, {1, 1, 1, 1}}); !math.IsNaN(r) {
		t.Errorf("R-hat of constant draws = %v, want NaN", r)
	}
	if e := ESSBulk([][]float64{{1, 2}, {3, math.NaN()}}); !math.IsNaN(e) {
		t.Errorf("ESS with NaN = %v, want NaN", e)
	}
}
