package lineup

import (
	"encoding/csv"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// loadDK reads a DraftKings salary file for tests (projection =
// AvgPointsPerGame; showdown CPT rows merged into their FLEX player).
func loadDK(t testing.TB, path string) []slate.Player {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("SKIP: slate file %s not available: %v", path, err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []slate.Player
	capt := map[string][2]string{}
	for _, r := range recs[1:] {
		sal, _ := strconv.Atoi(r[5])
		proj, _ := strconv.ParseFloat(r[8], 64)
		game := strings.Fields(r[6])[0]
		away, home, _ := strings.Cut(game, "@")
		opp := away
		if r[7] == away {
			opp = home
		}
		if r[4] == "CPT" {
			capt[r[2]+"|"+r[7]] = [2]string{r[3], r[5]}
			continue
		}
		out = append(out, slate.Player{ID: r[3], Name: r[2], Positions: strings.Split(r[0], "/"), Team: r[7],
			Opponent: opp, Game: game, Salary: sal, Projection: proj})
	}
	for i := range out {
		if c, ok := capt[out[i].Name+"|"+out[i].Team]; ok {
			out[i].CaptainID = c[0]
			out[i].CaptainSalary, _ = strconv.Atoi(c[1])
		}
	}
	return out
}

const dataDir = "../../../shared/data/slates/"
