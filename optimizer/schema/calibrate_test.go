package schema

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestCalibrateRequestValidate(t *testing.T) {
	row := CalibrationRow{PlayerID: "1", Position: "QB", Team: "KC", Date: "2021-W01", Projection: 20, Actual: 25}
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name   string
		req    CalibrateRequest
		fields []string
	}{
		{"ok rows", CalibrateRequest{Sport: "nfl", Site: "draftkings", Rows: []CalibrationRow{row}}, nil},
		{"ok source", CalibrateRequest{Sport: "nfl", Source: &CalibrateSource{SlateIDs: []string{"s1"}}, Chains: 4, Draws: 2000, Warmup: 500}, nil},
		{"missing everything", CalibrateRequest{}, []string{"sport", "rows"}},
		{"bad sport and site", CalibrateRequest{Sport: "curling", Site: "x", Rows: []CalibrationRow{row}}, []string{"sport", "site"}},
		{"both rows and source", CalibrateRequest{Sport: "nfl", Rows: []CalibrationRow{row}, Source: &CalibrateSource{SlateIDs: []string{"s"}}}, []string{"source"}},
		{"empty slate id", CalibrateRequest{Sport: "nfl", Source: &CalibrateSource{SlateIDs: []string{" "}}}, []string{"source.slate_ids[0]"}},
		{"ranges", CalibrateRequest{Sport: "nfl", Rows: []CalibrationRow{row}, Chains: 17, Draws: 5, Warmup: 1_000_000,
			HoldoutFraction: f(0.7), MinProjection: f(math.NaN())},
			[]string{"chains", "draws", "warmup", "holdout_fraction", "min_projection"}},
		{"bad rows", CalibrateRequest{Sport: "nfl", Rows: []CalibrationRow{{Projection: math.Inf(1), Actual: math.NaN(), StdDev: -1, Ownership: 2}}},
			[]string{"rows[0].position", "rows[0].team", "rows[0].projection", "rows[0].actual", "rows[0].stddev", "rows[0].ownership"}},
		{"job options", CalibrateRequest{Sport: "nfl", Rows: []CalibrationRow{row}, JobOptions: JobOptions{Priority: "urgent"}}, []string{"priority"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			var got []string
			for _, e := range ve.Errors {
				got = append(got, e.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("fields %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestCalibrateRequestManyBadRows(t *testing.T) {
	req := CalibrateRequest{Sport: "nfl", Rows: make([]CalibrationRow, 1000)}
	var ve *ValidationError
	if !errors.As(req.Validate(), &ve) || len(ve.Errors) > 2*maxRowErrors+1 {
		t.Fatalf("want a bounded error list, got %d errors", len(ve.Errors))
	}
}

func TestCalibrateRequestDefaultsAndDecode(t *testing.T) {
	var req CalibrateRequest
	err := DecodeBytes([]byte(`{"sport":"nfl","site":"draftkings","rows":[{"player_id":"1","position":"QB","team":"KC","projection":20,"actual":25}],"seed":3,"chains":4,"draws":2000}`), &req)
	if err != nil {
		t.Fatal(err)
	}
	c, d, w, h, m := req.Defaults()
	if c != 4 || d != 2000 || w != DefaultCalibrateWarmup || h != DefaultHoldoutFraction || m != DefaultMinProjection || req.Seed != 3 {
		t.Errorf("defaults %d %d %d %g %g", c, d, w, h, m)
	}
	if err := DecodeBytes([]byte(`{"sport":"nfl","rows":[],"holdout":0.1}`), &req); err == nil {
		t.Error("unknown field accepted")
	}
}
