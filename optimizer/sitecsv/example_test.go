package sitecsv_test

import (
	"fmt"
	"os"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// What `dfsopt optimize --salaries DKSalaries.csv --projections projections.csv
// --lineups 150` does before optimizing.
func ExampleBuildOptimizeRequest() {
	salaries, _ := os.Open("testdata/dk-nba-DKSalaries.csv")
	defer salaries.Close()
	projections, _ := os.Open("testdata/dk-nba-projections.csv")
	defer projections.Close()

	req, report, err := sitecsv.BuildOptimizeRequest(salaries, projections, sitecsv.RequestOptions{
		Lineups: 150, DropStatuses: []string{"OUT", "IR"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Site, req.Sport, req.Mode, len(req.Players), "players")
	fmt.Println(report.Merge.Summary())
	fmt.Println("valid:", req.Validate() == nil)
	// Output:
	// draftkings nba classic 209 players
	// projections: 209/209 rows matched (100.0%; name+team 209), 0 unmatched, 0 players without projection, 0 dropped
	// valid: true
}

func ExampleWriteUpload() {
	rules, _ := slate.RulesFor(slate.DraftKings, slate.NBA, slate.Classic)
	lineup := schema.Lineup{}
	for i, s := range rules.Slots {
		lineup.Players = append(lineup.Players, schema.LineupPlayer{Slot: s.Name, ID: fmt.Sprint(37302935 + i)})
	}
	if err := sitecsv.WriteUpload(os.Stdout, rules, []schema.Lineup{lineup}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// PG,SG,SF,PF,C,G,F,UTIL
	// 37302935,37302936,37302937,37302938,37302939,37302940,37302941,37302942
}
