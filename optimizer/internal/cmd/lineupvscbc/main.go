// Command lineupvscbc times the lineup optimizer against the CBC MIP solver on
// the same sequence (same slate, lineup count and min_unique), side by side in
// one run, and prints both times, the ratio and whether the lineup values
// agree. It is run by `make bench`.
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
	n := flag.Int("lineups", 150, "lineups in the sequence")
	minUnique := flag.Int("min-unique", 3, "min_unique between lineups")
	cbcLineups := flag.Int("cbc-lineups", 0, "lineups CBC solves (0: all); its time is scaled to the full sequence")
	flag.Parse()
	if err := run(*file, *n, *minUnique, *cbcLineups); err != nil {
		fmt.Fprintln(os.Stderr, "lineupvscbc:", err)
		os.Exit(1)
	}
}

func run(file string, n, minUnique, cbcN int) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	s, err := sitecsv.ReadSalaries(f, "", sitecsv.ImportOptions{})
	if err != nil {
		return err
	}
	req := &schema.OptimizeRequest{Site: string(s.Site), Sport: string(s.Sport), Mode: string(s.Mode), Players: s.Players,
		Lineups: n, Constraints: schema.Constraints{MinUnique: minUnique}}
	ctx := context.Background()
	start := time.Now()
	res, err := lineup.Optimize(ctx, req, nil)
	if err != nil {
		return err
	}
	ours := time.Since(start)
	fmt.Printf("slate %s: %d players, %d lineups, min_unique %d\n", file, len(s.Players), n, minUnique)
	fmt.Printf("dfsopt: %8.3f s  (first %.3f, last %.3f, %d nodes)\n", ours.Seconds(), res.Lineups[0].Projection,
		res.Lineups[len(res.Lineups)-1].Projection, res.Stats.Nodes)
	if !cbc.Available() {
		fmt.Println("cbc:    not installed (apt-get install coinor-cbc); no comparison")
		return nil
	}
	if cbcN <= 0 || cbcN > n {
		cbcN = n
	}
	rules, err := slate.RulesFor(s.Site, s.Sport, s.Mode)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "lineupvscbc")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p := &cbc.Problem{Rules: rules, Players: s.Players, MinUnique: minUnique}
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
