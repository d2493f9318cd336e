package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// TestOptimizeFromSiteFiles builds the request from the DraftKings NBA
// salary and projections fixtures, and prints lineups as JSON and as the
// DraftKings upload CSV.
func TestOptimizeFromSiteFiles(t *testing.T) {
	sal := "../../sitecsv/testdata/dk-nba-DKSalaries.csv"
	proj := "../../sitecsv/testdata/dk-nba-projections.csv"
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"optimize", "--salaries", sal, "--projections", proj,
		"--lineups", "3", "--min-unique", "2", "--quiet"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res schema.OptimizeResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Lineups) != 3 || res.Site != "draftkings" || res.Sport != "nba" {
		t.Fatalf("got %d lineups for %s %s", len(res.Lineups), res.Site, res.Sport)
	}
	out.Reset()
	code = run(context.Background(), []string{"optimize", "--salaries", sal, "--projections", proj,
		"--lineups", "3", "--min-unique", "2", "--quiet", "--format", "dk-csv"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(rows) != 4 || rows[0] != "PG,SG,SF,PF,C,G,F,UTIL" {
		t.Fatalf("upload csv:\n%s", out.String())
	}
	for i, lu := range res.Lineups {
		var ids []string
		for _, p := range lu.Players {
			ids = append(ids, p.ID)
		}
		if rows[i+1] != strings.Join(ids, ",") {
			t.Fatalf("row %d %q, want %q", i+1, rows[i+1], strings.Join(ids, ","))
		}
	}
	// --projections without --salaries, and a bad --format, are usage errors
	for _, args := range [][]string{{"optimize", "--projections", proj}, {"optimize", "--salaries", sal, "--format", "xml"}} {
		if code := run(context.Background(), args, &out, &errb); code != exitUsage {
			t.Fatalf("%v: exit %d, want usage", args, code)
		}
	}
}
