package sitecsv

import (
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

func TestReadOutcomes(t *testing.T) {
	players := []slate.Player{
		{ID: "1", Name: "Lamar Jackson", Team: "BAL", Positions: []string{"QB"}, Salary: 6000, Ownership: 0.08},
		{ID: "2", Name: "Dak Prescott", Team: "DAL", Positions: []string{"QB"}, Salary: 5900},
		{ID: "3", Name: "Mark Andrews", Team: "BAL", Positions: []string{"TE"}, Salary: 3500},
	}
	tests := []struct {
		name      string
		csv       string
		points    map[string]float64
		ownership map[string]float64
		unmatched int
	}{
		{
			name: "projections with actuals: the projection and projected ownership are ignored",
			csv: "name,team,pos,projections_proj,projections_projown,projections_actpts\n" +
				"Lamar Jackson,BAL,QB,20.3,8,36.56\nDak Prescott,DAL,QB,20.3,8,36.4\nNobody,NYJ,QB,1,1,1\n",
			points:    map[string]float64{"1": 36.56, "2": 36.4},
			ownership: map[string]float64{},
			unmatched: 1,
		},
		{
			name:      "standings side table: FPTS and %Drafted",
			csv:       "Player,Roster Position,%Drafted,FPTS\nLamar Jackson,QB,49.79%,42\nMark Andrews,TE,3.5%,0\n",
			points:    map[string]float64{"1": 42, "3": 0},
			ownership: map[string]float64{"1": 0.4979, "3": 0.035},
		},
		{
			name:      "ids, ownership on some rows",
			csv:       "id,actual,actual ownership\n2,12.5,\n3,7,0.2\n",
			points:    map[string]float64{"2": 12.5, "3": 7},
			ownership: map[string]float64{"3": 0.2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadOutcomes(strings.NewReader(tc.csv), players, slate.NFL)
			if err != nil {
				t.Fatal(err)
			}
			if !equalMaps(got.Points, tc.points) {
				t.Errorf("points %v, want %v", got.Points, tc.points)
			}
			if !equalMaps(got.Ownership, tc.ownership) {
				t.Errorf("ownership %v, want %v", got.Ownership, tc.ownership)
			}
			if len(got.Report.Unmatched) != tc.unmatched {
				t.Errorf("unmatched %+v, want %d", got.Report.Unmatched, tc.unmatched)
			}
		})
	}
	if _, err := ReadOutcomes(strings.NewReader("name,projection\nLamar Jackson,20\n"), players, slate.NFL); err == nil ||
		!strings.Contains(err.Error(), "no actual points column") {
		t.Fatalf("a file without actual points: %v", err)
	}
}

func equalMaps(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || abs(v-w) > 1e-9 {
			return false
		}
	}
	return true
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
