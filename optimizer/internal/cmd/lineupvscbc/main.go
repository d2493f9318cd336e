// Command lineupvscbc times the lineup optimizer against the CBC MIP solver on
// the same sequence (same slate, lineup count and min_unique), side by side in
// one run, and prints both times, the ratio and whether the lineup values
// agree. With -projections, the projections file is merged onto the salary
// file as `dfsopt optimize --salaries --projections` does (players it does
// not cover stay at 0 points); without it the salary file's own averages are
// the projections. It is run by `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/internal/cbc"
	"github.com/dfsopt/dfsopt/optimizer/lineup"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

func main() {
	file := flag.String("salaries", "../shared/data/slates/dk-nfl-2019-09-08/DKSalaries.csv", "site salary file")
	projections := flag.String("projections", "", "projections file merged onto the salary file (empty: the site's averages)")
	n := flag.Int("lineups", 150, "lineups in the sequence")
	minUnique := flag.Int("min-unique", 3, "min_unique between lineups")
	cbcLineups := flag.Int("cbc-lineups", 0, "lineups CBC solves (0: all); its time is scaled to the full sequence")
	flag.Parse()
	if err := run(*file, *projections, *n, *minUnique, *cbcLineups); err != nil {
		fmt.Fprintln(os.Stderr, "lineupvscbc:", err)
		os.Exit(1)
	}
}

// request reads the salary file, with the projections file merged onto it
// when one is given.
func request(file, projections string, n int) (*schema.OptimizeRequest, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if projections == "" {
		s, err := sitecsv.ReadSalaries(f, "", sitecsv.ImportOptions{})
		if err != nil {
			return nil, err
		}
		return &schema.OptimizeRequest{Site: string(s.Site), Sport: string(s.Sport), Mode: string(s.Mode), Players: s.Players, Lineups: n}, nil
	}
	pf, err := os.Open(projections)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	req, _, err := sitecsv.BuildOptimizeRequest(f, pf, sitecsv.RequestOptions{Lineups: n})
	if err != nil {
		return nil, fmt.Errorf("merge %s onto %s: %w", projections, file, err)
	}
	return req, nil
}

func run(file, projections string, n, minUnique, cbcN int) error {
	req, err := request(file, projections, n)
	if err != nil {
		return err
	}
	req.Constraints.MinUnique = minUnique
	ctx := context.Background()
	start := time.Now()
	res, err := lineup.Optimize(ctx, req, nil)
	if err != nil {
		return err
	}
	ours := time.Since(start)
	source := "the salary file's averages"
	if projections != "" {
		source = projections
	}
	fmt.Printf("slate %s: %d players, projections from %s, %d lineups, min_unique %d\n", file, len(req.Players), source, n, minUnique)
	fmt.Printf("dfsopt: %8.3f s  (first %.3f, last %.3f, %d nodes)\n", ours.Seconds(), res.Lineups[0].Projection,
		res.Lineups[len(res.Lineups)-1].Projection, res.Stats.Nodes)
	if !cbc.Available() {
		fmt.Println("cbc:    not installed (apt-get install coinor-cbc); no comparison")
		return nil
	}
	if cbcN <= 0 || cbcN > n {
		cbcN = n
	}
	site, sport, mode, err := req.Normalized()
	if err != nil {
		return err
	}
	rules, err := slate.RulesFor(site, sport, mode)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "lineupvscbc")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p := &cbc.Problem{Rules: rules, Players: req.Players, MinUnique: minUnique}
	start = time.Now()
	agree := 0
	for i := 0; i < cbcN; i++ {
		sol, ok, err := cbc.Solve(ctx, p, dir)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if math.Abs(sol.Objective-res.Lineups[i].Projection) < 1e-4 {
			agree++
		}
		p.Previous = append(p.Previous, sol.Picks)
	}
	theirs := time.Since(start)
	scaled := theirs.Seconds() * float64(n) / float64(cbcN)
	note := ""
	if cbcN < n {
		note = fmt.Sprintf(" (%d lineups measured, scaled to %d)", cbcN, n)
	}
	fmt.Printf("cbc:    %8.3f s%s\n", scaled, note)
	fmt.Printf("ratio:  %8.1fx faster; lineup values equal in %d of %d (min_unique > 1 may diverge on ties)\n",
		scaled/ours.Seconds(), agree, cbcN)
	return nil
}
