package calibrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

func TestReadRows(t *testing.T) {
	want := schema.CalibrationRow{PlayerID: "2558125", Name: "Patrick Mahomes", Position: "QB", Team: "KC",
		Opponent: "CLE", Game: "CLE@KC", Date: "2021-W01", Projection: 23.22, Actual: 33.28}
	tests := []struct {
		name    string
		in      string
		want    []schema.CalibrationRow
		wantErr string
	}{
		{"csv", "player_id,name,position,team,opponent,game,date,projection,actual\n2558125,Patrick Mahomes,QB,KC,CLE,CLE@KC,2021-W01,23.22,33.28\n",
			[]schema.CalibrationRow{want}, ""},
		{"csv bom crlf reordered extra column", "\ufeffActual,Projection,Position,Team,player_id,name,opponent,game,date,salary\r\n33.28,23.22,QB,KC,2558125,Patrick Mahomes,CLE,CLE@KC,2021-W01,7800\r\n\r\n",
			[]schema.CalibrationRow{want}, ""},
		{"csv optional stddev and percent ownership", "position,team,projection,actual,stddev,ownership\nWR,KC,10,12,4.5,12.5%\n",
			[]schema.CalibrationRow{{Position: "WR", Team: "KC", Projection: 10, Actual: 12, StdDev: 4.5, Ownership: 0.125}}, ""},
		{"json array", `[{"player_id":"2558125","name":"Patrick Mahomes","position":"QB","team":"KC","opponent":"CLE","game":"CLE@KC","date":"2021-W01","projection":23.22,"actual":33.28}]`,
			[]schema.CalibrationRow{want}, ""},
		{"json object", ` {"rows":[{"player_id":"2558125","name":"Patrick Mahomes","position":"QB","team":"KC","opponent":"CLE","game":"CLE@KC","date":"2021-W01","projection":23.22,"actual":33.28}]}`,
			[]schema.CalibrationRow{want}, ""},
		{"empty", "  \n", nil, "no rows"},
		{"header only", "position,team,projection,actual\n", nil, "no rows"},
		{"missing column", "position,team,projection\nQB,KC,1\n", nil, `missing column "actual"`},
		{"bad number", "position,team,projection,actual\nQB,KC,abc,1\n", nil, `line 2: projection "abc" is not a number`},
		{"empty actual", "position,team,projection,actual\nQB,KC,1,\n", nil, "line 2: actual is empty"},
		{"nan", "position,team,projection,actual\nQB,KC,NaN,1\n", nil, "line 2.projection must be a finite number"},
		{"no team", "position,team,projection,actual\nQB,,1,1\n", nil, "line 2.team is required"},
		{"ownership over 1", "position,team,projection,actual,ownership\nQB,KC,1,1,2\n", nil, "ownership must be a fraction"},
		{"json trailing", `[] x`, nil, "unexpected data"},
		{"json bad row", `[{"position":"QB","projection":1,"actual":2}]`, nil, "rows[0].team is required"},
		{"json type", `[{"position":"QB","team":"KC","projection":"x"}]`, nil, "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadRows(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d rows, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("row %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if _, err := ReadRows(strings.NewReader("")); !errors.Is(err, ErrNoRows) {
		t.Errorf("empty input: %v, want ErrNoRows", err)
	}
}

func TestReadRowsRealData(t *testing.T) {
	rows := loadRealRows(t)
	if len(rows) != 46407 {
		t.Fatalf("%d rows, want 46407", len(rows))
	}
	if r := rows[0]; r.Name != "Kyler Murray" || r.Position != "QB" || r.Projection != 22.36 || r.Actual != 34.56 || r.Game != "ARI@TEN" {
		t.Errorf("first row %+v", r)
	}
}

// FuzzReadRows checks that any input either fails cleanly or yields valid
// rows that survive a JSON round trip unchanged.
func FuzzReadRows(f *testing.F) {
	f.Add("player_id,name,position,team,opponent,game,date,projection,actual\n1,A,QB,KC,BUF,BUF@KC,2021-W01,20,25\n")
	f.Add("position,team,projection,actual,stddev,ownership\nWR,KC,10,12,4.5,12.5%\n")
	f.Add(`[{"position":"QB","team":"KC","projection":1,"actual":2}]`)
	f.Add(`{"rows":[{"position":"QB","team":"KC","projection":1e308,"actual":-2}]}`)
	f.Add("position,team,projection,actual\n\"QB\n\",KC,1,1\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadRows(strings.NewReader(in))
		if err != nil {
			if rows != nil {
				t.Fatal("rows with an error")
			}
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		for i := range rows {
			if fe := schema.ValidateCalibrationRow("row", &rows[i]); len(fe) > 0 {
				t.Fatalf("invalid row accepted: %+v: %v", rows[i], fe)
			}
			if math.IsNaN(rows[i].Projection) || math.IsNaN(rows[i].Actual) {
				t.Fatal("NaN accepted")
			}
		}
		b, err := json.Marshal(rows)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ReadRows(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if len(back) != len(rows) {
			t.Fatalf("round trip: %d rows, want %d", len(back), len(rows))
		}
		for i := range rows {
			if back[i] != rows[i] {
				t.Fatalf("round trip row %d: %+v != %+v", i, back[i], rows[i])
			}
		}
	})
}
